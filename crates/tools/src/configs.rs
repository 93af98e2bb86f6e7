//! `kafka-configs.sh` (Kafka `kafka.admin.ConfigCommand`) for topics, brokers, users and
//! clients: `--describe [--all]` and `--alter --add-config k=v,k2=[a,b] --delete-config k`.
//! Users and clients (quotas, SCRAM credentials) live in [`users_clients`].
//!
//! Output follows ConfigCommand: `Dynamic configs for topic t are:` then one
//! `  k=v sensitive=false synonyms={SOURCE:k=v, …}` line per entry (`--all` prints every entry
//! under `All configs for …`); alters print `Completed updating config for topic t.`. Errors go
//! to stderr with exit 1.

use std::io::Write;
use std::path::PathBuf;

use fjord_client::{
    AdminClient, AlterConfigOp, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigResourceType,
    ConfigSource,
};

use crate::output::Output;
use crate::{ToolError, props};

pub mod users_clients;

/// `kafka-configs.sh` flags (ConfigCommandOptions).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "kafka-configs.sh",
    about = "This tool helps to manipulate and describe entity config for a topic, client, user, broker, ip, client-metrics or group"
)]
pub struct ConfigsArgs {
    /// The Kafka server to connect to.
    #[arg(long = "bootstrap-server", value_name = "server to connect to")]
    pub bootstrap_server: Option<String>,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(long = "command-config", value_name = "command config property file")]
    pub command_config: Option<PathBuf>,
    /// List configs for the given entity.
    #[arg(long)]
    pub describe: bool,
    /// Alter the configuration for the entity.
    #[arg(long)]
    pub alter: bool,
    /// Type of entity (topics/clients/users/brokers/broker-loggers); users and clients may be
    /// given together.
    #[arg(long = "entity-type", value_name = "entity-type")]
    pub entity_type: Vec<String>,
    /// Name of entity (topic name/client id/user principal name/broker id).
    #[arg(long = "entity-name", value_name = "entity-name")]
    pub entity_name: Vec<String>,
    /// Default entity name for clients/users/brokers (applies to corresponding entity type).
    #[arg(long = "entity-default")]
    pub entity_default: bool,
    /// The client's ID.
    #[arg(long, value_name = "client")]
    pub client: Option<String>,
    /// The config defaults for all clients.
    #[arg(long = "client-defaults")]
    pub client_defaults: bool,
    /// The user's principal name.
    #[arg(long, value_name = "user")]
    pub user: Option<String>,
    /// The config defaults for all users.
    #[arg(long = "user-defaults")]
    pub user_defaults: bool,
    /// `--entity-name`/`--entity-default` values in command-line order ("" for a default),
    /// filled by [`crate::run_tool`] from argv (joptsimple keeps that order; clap does not).
    #[arg(skip)]
    pub ordered_entity_names: Option<Vec<String>>,
    /// The raw arguments, for ConfigCommand's "Error while executing config command with
    /// args '…'" line.
    #[arg(skip)]
    pub raw_args: Option<Vec<String>>,
    /// The topic's name (same as --entity-type topics --entity-name <topic>).
    #[arg(long, value_name = "topic")]
    pub topic: Option<String>,
    /// The broker's id (same as --entity-type brokers --entity-name <id>).
    #[arg(long, value_name = "broker-id")]
    pub broker: Option<String>,
    /// The config defaults for all brokers.
    #[arg(long = "broker-defaults")]
    pub broker_defaults: bool,
    /// Key Value pairs of configs to add. Square brackets can be used to group values which
    /// contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'. For entity-type 'users': SCRAM-SHA-256,
    /// SCRAM-SHA-512 (e.g. 'SCRAM-SHA-256=[iterations=8192,password=secret]', one mechanism
    /// per command) and the quota keys; for 'users' and 'clients': consumer_byte_rate,
    /// controller_mutation_rate, producer_byte_rate, request_percentage. Entity types 'users'
    /// and 'clients' may be specified together to update config for clients of a specific
    /// user. fjord stores quotas but does not enforce them on produce/fetch yet, and stores
    /// SCRAM credentials but does not serve SASL/SCRAM authentication yet.
    #[arg(long = "add-config", value_name = "add-config")]
    pub add_config: Option<String>,
    /// Path to a properties file with configs to add.
    #[arg(long = "add-config-file", value_name = "add-config-file")]
    pub add_config_file: Option<PathBuf>,
    /// Config keys to remove: k1,k2.
    #[arg(long = "delete-config", value_name = "delete-config")]
    pub delete_config: Vec<String>,
    /// List all configs for the given entity, including static and default values.
    #[arg(long)]
    pub all: bool,
}

/// Runs `kafka-configs.sh` and returns the exit code.
pub async fn run(args: ConfigsArgs, output: &mut Output) -> u8 {
    match execute(&args, output).await {
        Ok(()) => 0,
        Err(ToolError::Client(error)) if error.code() == Some(40) => {
            // InvalidConfigurationException: the message alone (ConfigCommand.main).
            let _ = writeln!(output.err, "{error}");
            1
        }
        Err(error @ (ToolError::Client(_) | ToolError::Command(_))) => {
            let _ = writeln!(
                output.err,
                "Error while executing config command with args '{}'\n{error}",
                render_args(&args)
            );
            1
        }
        Err(error) => {
            error.report("config", output);
            1
        }
    }
}

fn render_args(args: &ConfigsArgs) -> String {
    if let Some(raw) = &args.raw_args {
        return raw.join(" ");
    }
    let mut parts = Vec::new();
    if let Some(b) = &args.bootstrap_server {
        parts.push(format!("--bootstrap-server {b}"));
    }
    for t in &args.entity_type {
        parts.push(format!("--entity-type {t}"));
    }
    for n in &args.entity_name {
        parts.push(format!("--entity-name {n}"));
    }
    if args.describe {
        parts.push("--describe".to_owned());
    }
    if args.alter {
        parts.push("--alter".to_owned());
    }
    if let Some(a) = &args.add_config {
        parts.push(format!("--add-config {a}"));
    }
    for d in &args.delete_config {
        parts.push(format!("--delete-config {d}"));
    }
    parts.join(" ")
}

/// `--entity-name`/`--entity-default` values in command-line order, "" for a default
/// (ConfigCommandOptions.entityNames reads joptsimple's ordered specs). Scans `argv` as clap
/// will parse it.
pub fn ordered_entity_names(argv: &[std::ffi::OsString]) -> Vec<String> {
    let mut names = Vec::new();
    let mut iter = argv.iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = iter.next() {
        if arg == "--entity-name" {
            if let Some(value) = iter.next() {
                names.push(value);
            }
        } else if let Some(value) = arg.strip_prefix("--entity-name=") {
            names.push(value.to_owned());
        } else if arg == "--entity-default" {
            names.push(String::new());
        }
    }
    names
}

/// Entity types as ConfigCommandOptions.entityTypes: `--entity-type` values, then the types
/// of the specific entity flags.
fn entity_types(args: &ConfigsArgs) -> Vec<String> {
    let mut types = args.entity_type.clone();
    let flags = [
        (args.topic.is_some(), "topics"),
        (args.client.is_some(), "clients"),
        (args.user.is_some(), "users"),
        (args.broker.is_some(), "brokers"),
        (args.client_defaults, "clients"),
        (args.user_defaults, "users"),
        (args.broker_defaults, "brokers"),
    ];
    types.extend(
        flags
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, t)| (*t).to_owned()),
    );
    types
}

/// Entity names as ConfigCommandOptions.entityNames: ordered `--entity-name`/`--entity-default`
/// values, then the specific flags' values, then "" per `--*-defaults` flag.
fn entity_names(args: &ConfigsArgs) -> Vec<String> {
    let mut names = args.ordered_entity_names.clone().unwrap_or_else(|| {
        let mut names = args.entity_name.clone();
        if args.entity_default {
            names.push(String::new());
        }
        names
    });
    names.extend(
        [&args.topic, &args.client, &args.user, &args.broker]
            .into_iter()
            .flatten()
            .cloned(),
    );
    for on in [
        args.client_defaults,
        args.user_defaults,
        args.broker_defaults,
    ] {
        if on {
            names.push(String::new());
        }
    }
    names
}

/// Entity types ConfigCommand accepts with --bootstrap-server (BROKER_SUPPORTED_CONFIG_TYPES).
const ENTITY_TYPES: &[&str] = &[
    "broker-loggers",
    "topics",
    "clients",
    "users",
    "brokers",
    "ips",
    "client-metrics",
    "groups",
];

/// ConfigCommandOptions.checkArgs for the entity options (IllegalArgumentException → stderr).
fn check_entities(args: &ConfigsArgs, types: &[String], names: &[String]) -> Result<(), ToolError> {
    let illegal = |message: String| ToolError::Illegal(anyhow::anyhow!(message));
    let mut duplicates: Vec<&str> = Vec::new();
    for (index, t) in types.iter().enumerate() {
        if types[..index].contains(t) && !duplicates.contains(&t.as_str()) {
            duplicates.push(t);
        }
    }
    if !duplicates.is_empty() {
        return Err(illegal(format!(
            "Duplicate entity type(s) specified: {}",
            duplicates.join(",")
        )));
    }
    if let Some(bad) = types.iter().find(|t| !ENTITY_TYPES.contains(&t.as_str())) {
        return Err(illegal(format!(
            "Invalid entity type {bad}, the entity type must be one of {} with a --bootstrap-server or --bootstrap-controller argument",
            ENTITY_TYPES.join(", ")
        )));
    }
    if types.is_empty() {
        return Err(illegal(
            "At least one entity type must be specified".to_owned(),
        ));
    }
    let users_and_clients = types.len() == 2
        && types.iter().any(|t| t == "users")
        && types.iter().any(|t| t == "clients");
    if types.len() > 1 && !users_and_clients {
        return Err(illegal(
            "Only 'users' and 'clients' entity types may be specified together".to_owned(),
        ));
    }
    let generic =
        !args.entity_name.is_empty() || !args.entity_type.is_empty() || args.entity_default;
    let specific = args.topic.is_some()
        || args.client.is_some()
        || args.user.is_some()
        || args.broker.is_some()
        || args.client_defaults
        || args.user_defaults
        || args.broker_defaults;
    if generic && specific {
        return Err(illegal(
            "--entity-{type,name,default} should not be used in conjunction with specific entity flags".to_owned(),
        ));
    }
    let has_name = names.iter().any(|n| !n.is_empty());
    let has_default = names.iter().any(String::is_empty);
    let quota_like = types
        .iter()
        .any(|t| matches!(t.as_str(), "users" | "clients" | "brokers" | "ips"));
    if args.describe && !quota_like && args.entity_default {
        return Err(illegal(format!(
            "--entity-default must not be specified with --describe of {}",
            types.join(",")
        )));
    }
    if args.alter {
        if quota_like {
            if !has_name && !has_default {
                return Err(illegal("An entity-name or default entity must be specified with --alter of users, clients, brokers or ips".to_owned()));
            }
        } else if !has_name {
            return Err(illegal(format!(
                "An entity name must be specified with --alter of {}",
                types.join(",")
            )));
        }
        if args.add_config.is_some() && args.add_config_file.is_some() {
            return Err(illegal(
                "Only one of --add-config or --add-config-file must be specified".to_owned(),
            ));
        }
        // ConfigCommand.processCommand.
        if types.len() != names.len() {
            return Err(illegal(
                "An entity name must be specified for every entity type".to_owned(),
            ));
        }
    }
    Ok(())
}

/// The entity a command addresses: `None` name means "every topic" (describe only).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entity {
    resource_type: ConfigResourceType,
    name: Option<String>,
}

fn entity(types: &[String], names: &[String]) -> Result<Entity, ToolError> {
    let name = names.first().cloned();
    match types.first().map(String::as_str) {
        Some("topics") => Ok(Entity {
            resource_type: ConfigResourceType::Topic,
            name,
        }),
        Some("brokers") => Ok(Entity {
            resource_type: ConfigResourceType::Broker,
            name,
        }),
        Some("broker-loggers") => Ok(Entity {
            resource_type: ConfigResourceType::BrokerLogger,
            name,
        }),
        Some(other) => Err(ToolError::Illegal(anyhow::anyhow!(
            "--entity-type {other} is not supported by fjord yet (ip quotas, client metrics and group configs are not implemented)"
        ))),
        None => Err(ToolError::Usage(
            "--entity-type must be specified".to_owned(),
        )),
    }
}

async fn execute(args: &ConfigsArgs, output: &mut Output) -> Result<(), ToolError> {
    if usize::from(args.describe) + usize::from(args.alter) != 1 {
        return Err(ToolError::Usage(
            "Command must include exactly one action: --describe, --alter".to_owned(),
        ));
    }
    if args.bootstrap_server.is_none() {
        return Err(ToolError::Illegal(anyhow::anyhow!(
            "Either --bootstrap-server or --bootstrap-controller must be specified"
        )));
    }
    let types = entity_types(args);
    let names = entity_names(args);
    check_entities(args, &types, &names)?;
    let quota_entity = matches!(
        types.first().map(String::as_str),
        Some(users_clients::USERS | users_clients::CLIENTS)
    );
    let entity = if quota_entity {
        None
    } else {
        Some(entity(&types, &names)?)
    };
    let changes = if args.alter {
        Some(configs_to_change(args)?)
    } else {
        None
    };
    let mut admin = props::admin_client(
        args.bootstrap_server.as_deref(),
        args.command_config.as_deref(),
    )
    .map_err(ToolError::Illegal)?;
    match (entity, changes) {
        (None, None) => users_clients::describe(&mut admin, &types, &names, output).await,
        (None, Some((to_add, to_delete))) => {
            users_clients::alter(&mut admin, &types, &names, &to_add, &to_delete, output).await
        }
        (Some(entity), None) => describe(&mut admin, &entity, args.all, output).await,
        (Some(entity), Some((to_add, to_delete))) => {
            alter(&mut admin, &entity, args, to_add, to_delete, output).await
        }
    }
}

/// Keys and values to set, keys to delete.
type ConfigChanges = (Vec<(String, String)>, Vec<String>);

/// `--add-config`/`--add-config-file` pairs and `--delete-config` keys
/// (`parseConfigsToBeAdded`, `parseConfigsToBeDeleted`).
fn configs_to_change(args: &ConfigsArgs) -> Result<ConfigChanges, ToolError> {
    let mut to_add = match &args.add_config {
        Some(text) => parse_add_config(text)?,
        None => Vec::new(),
    };
    if let Some(path) = &args.add_config_file {
        to_add.extend(props::load_file(path).map_err(ToolError::Illegal)?);
    }
    // joptsimple `withValuesSeparatedBy(',')`: repeatable, each value split on commas.
    let to_delete: Vec<String> = args
        .delete_config
        .iter()
        .flat_map(|d| d.split(','))
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    if to_add.is_empty() && to_delete.is_empty() {
        return Err(ToolError::Usage("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter".to_owned()));
    }
    Ok((to_add, to_delete))
}

async fn describe(
    admin: &mut AdminClient,
    entity: &Entity,
    all: bool,
    output: &mut Output,
) -> Result<(), ToolError> {
    let names = match &entity.name {
        Some(name) => vec![name.clone()],
        None if entity.resource_type == ConfigResourceType::Topic => {
            admin.list_topics(true).await?
        }
        None => admin
            .describe_cluster()
            .await?
            .brokers
            .iter()
            .map(|b| b.node_id.to_string())
            .collect(),
    };
    for name in names {
        let resource = ConfigResource {
            resource_type: entity.resource_type,
            name: name.clone(),
        };
        let entries = admin.describe_configs(&resource).await?;
        write!(output.out, "{}", describe_text(&resource, &entries, all)).map_err(ToolError::io)?;
    }
    Ok(())
}

/// Renders ConfigCommand's describe block for one entity.
pub fn describe_text(resource: &ConfigResource, entries: &[ConfigEntry], all: bool) -> String {
    let wanted = match resource.resource_type {
        ConfigResourceType::Topic => ConfigSource::DynamicTopicConfig,
        ConfigResourceType::Broker if resource.name.is_empty() => {
            ConfigSource::DynamicDefaultBrokerConfig
        }
        ConfigResourceType::Broker => ConfigSource::DynamicBrokerConfig,
        ConfigResourceType::BrokerLogger => ConfigSource::DynamicBrokerLoggerConfig,
    };
    let singular = match resource.resource_type {
        ConfigResourceType::Topic => "topic",
        ConfigResourceType::Broker => "broker",
        ConfigResourceType::BrokerLogger => "broker-logger",
    };
    let mut text = if resource.name.is_empty() {
        format!("Default configs for {singular}s in the cluster are:\n")
    } else {
        format!(
            "{} configs for {singular} {} are:\n",
            if all { "All" } else { "Dynamic" },
            resource.name
        )
    };
    for entry in entries.iter().filter(|e| all || e.source == wanted) {
        let synonyms: Vec<String> = entry
            .synonyms
            .iter()
            .map(|(name, value, source)| {
                format!(
                    "{}:{}={}",
                    source.name(),
                    name,
                    value.as_deref().unwrap_or("null")
                )
            })
            .collect();
        let value = if entry.is_sensitive {
            "null"
        } else {
            entry.value.as_deref().unwrap_or("null")
        };
        text.push_str(&format!(
            "  {}={} sensitive={} synonyms={{{}}}\n",
            entry.name,
            value,
            entry.is_sensitive,
            synonyms.join(", ")
        ));
    }
    text
}

/// Parses `--add-config` (`ConfigCommand.parseConfigsToBeAdded`): comma-separated `k=v`,
/// where a value in square brackets may itself contain commas.
pub fn parse_add_config(text: &str) -> Result<Vec<(String, String)>, ToolError> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (key, after_key) = rest.split_once('=').ok_or_else(invalid_add_config)?;
        let (value, remaining) = if let Some(list) = after_key.strip_prefix('[') {
            let (inside, after) = list.split_once(']').ok_or_else(invalid_add_config)?;
            (inside.to_owned(), after.strip_prefix(',').unwrap_or(after))
        } else {
            match after_key.split_once(',') {
                Some((value, after)) => (value.to_owned(), after),
                None => (after_key.to_owned(), ""),
            }
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(invalid_add_config());
        }
        pairs.push((key.to_owned(), value.trim().to_owned()));
        rest = remaining.trim();
    }
    Ok(pairs)
}

fn invalid_add_config() -> ToolError {
    ToolError::Illegal(anyhow::anyhow!(
        "requirement failed: Invalid entity config: all configs to be added must be in the format \"key=val\" or \"key=[val1,val2]\"."
    ))
}

async fn alter(
    admin: &mut AdminClient,
    entity: &Entity,
    args: &ConfigsArgs,
    to_add: Vec<(String, String)>,
    to_delete: Vec<String>,
    output: &mut Output,
) -> Result<(), ToolError> {
    let name = entity.name.clone().ok_or_else(|| {
        ToolError::Illegal(anyhow::anyhow!(
            "An entity name must be specified with --alter of {}",
            args.entity_type.first().map_or("topics", String::as_str)
        ))
    })?;
    let resource = ConfigResource {
        resource_type: entity.resource_type,
        name: name.clone(),
    };
    if entity.resource_type == ConfigResourceType::Topic && !to_delete.is_empty() {
        // ConfigCommand.alterConfig: deleting a key that is not set is refused up front.
        let current = admin.describe_configs(&resource).await?;
        let missing: Vec<&String> = to_delete
            .iter()
            .filter(|k| {
                !current
                    .iter()
                    .any(|e| &e.name == *k && e.source == ConfigSource::DynamicTopicConfig)
            })
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",");
            return Err(ToolError::Client(fjord_client::ClientError::from_code(
                40,
                Some(&format!("Invalid config(s): {list}")),
            )));
        }
    }
    let mut ops: Vec<AlterConfigOp> = to_add
        .into_iter()
        .map(|(name, value)| AlterConfigOp {
            name,
            op: AlterConfigOpType::Set,
            value: Some(value),
        })
        .collect();
    ops.extend(to_delete.into_iter().map(|name| AlterConfigOp {
        name,
        op: AlterConfigOpType::Delete,
        value: None,
    }));
    admin.incremental_alter_configs(&resource, &ops).await?;
    let line = match (entity.resource_type, name.is_empty()) {
        (ConfigResourceType::Topic, _) => format!("Completed updating config for topic {name}."),
        (_, true) => "Completed updating default config for brokers in the cluster.".to_owned(),
        (ConfigResourceType::BrokerLogger, false) => {
            format!("Completed updating config for broker-logger {name}.")
        }
        (ConfigResourceType::Broker, false) => {
            format!("Completed updating config for broker {name}.")
        }
    };
    writeln!(output.out, "{line}").map_err(ToolError::io)
}
