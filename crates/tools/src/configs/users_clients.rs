//! `kafka-configs.sh --entity-type users|clients` (Kafka `ConfigCommand`, tools module):
//! client quotas (`producer_byte_rate`, `consumer_byte_rate`, `request_percentage`,
//! `controller_mutation_rate`) for users, clients, and `<user, client>` pairs, default
//! entities (`--entity-default`), and SCRAM credentials for users
//! (`SCRAM-SHA-256=[iterations=8192,password=…]`).
//!
//! Output is ConfigCommand's: `Quota configs for user-principal 'alice', client-id 'app' are
//! k=v, …` (values printed as Java doubles), `SCRAM credential configs for user-principal
//! 'alice' are SCRAM-SHA-256=iterations=8192, …`, and `Completed updating config for user
//! alice.` after an alter. Quota keys of one entity are printed in name order (Kafka prints
//! them in `HashMap` order). Quotas are stored by the broker but not yet enforced on
//! produce/fetch; SCRAM credentials are stored but SASL/SCRAM authentication is not served yet.

use std::collections::BTreeMap;
use std::io::Write;

use fjord_client::AdminClient;
use fjord_client::admin::{
    QuotaEntity, QuotaFilterComponent, QuotaMatch, ScramAlteration, ScramMechanism,
};

use crate::ToolError;
use crate::output::Output;

/// `ConfigType.USER`.
pub const USERS: &str = "users";
/// `ConfigType.CLIENT`.
pub const CLIENTS: &str = "clients";

/// Quota keys valid for users and clients (`QuotaConfig.isClientOrUserQuotaConfig`).
pub const QUOTA_KEYS: &[&str] = &[
    "consumer_byte_rate",
    "controller_mutation_rate",
    "producer_byte_rate",
    "request_percentage",
];

/// Default SCRAM iterations when `iterations=` is omitted or -1 (ConfigCommand
/// `DEFAULT_SCRAM_ITERATIONS`).
pub const DEFAULT_SCRAM_ITERATIONS: i32 = 4096;

fn is_quota(key: &str) -> bool {
    QUOTA_KEYS.contains(&key)
}

fn is_scram(key: &str) -> bool {
    ScramMechanism::from_name(key).is_some()
}

fn illegal(message: String) -> ToolError {
    ToolError::Illegal(anyhow::anyhow!(message))
}

/// `ClientQuotaEntity` type for a ConfigCommand entity type.
fn quota_type(entity_type: &str) -> Result<&'static str, ToolError> {
    match entity_type {
        USERS => Ok("user"),
        CLIENTS => Ok("client-id"),
        "ips" => Ok("ip"),
        other => Err(illegal(format!("Unexpected entity type {other}"))),
    }
}

/// Java's `Double.toString`: shortest round-trip digits, `.0` for whole numbers, and
/// computerized scientific notation (`1.048576E7`) outside `[1e-3, 1e7)`.
pub fn java_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let magnitude = value.abs();
    if value == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let text = format!("{value}");
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        let text = format!("{value:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exponent}")
    }
}

/// The filter ConfigCommand builds (`getAllClientQuotasConfigs`): per type, no name = any
/// entity of the type, "" = the default entity, else that name; `containsOnly` (strict).
fn filter(types: &[String], names: &[String]) -> Result<Vec<QuotaFilterComponent>, ToolError> {
    if names.len() > types.len() {
        return Err(illegal(
            "More entity names specified than entity types".to_owned(),
        ));
    }
    types
        .iter()
        .enumerate()
        .map(|(index, entity_type)| {
            let matching = match names.get(index) {
                None => QuotaMatch::Any,
                Some(name) if name.is_empty() => QuotaMatch::Default,
                Some(name) => QuotaMatch::Exact(name.clone()),
            };
            Ok(QuotaFilterComponent {
                entity_type: quota_type(entity_type)?.to_owned(),
                matching,
            })
        })
        .collect()
}

/// ConfigCommand's `entitySubstr` joined: `user-principal 'alice', client-id 'app'` or
/// `the default user-principal`, in the order user, client-id, ip.
pub fn entity_text(entity: &QuotaEntity) -> String {
    [
        ("user", "user-principal"),
        ("client-id", "client-id"),
        ("ip", "ip"),
    ]
    .iter()
    .filter_map(|(key, label)| {
        entity.get(*key).map(|name| match name.as_deref() {
            None | Some("") => format!("the default {label}"),
            Some(name) => format!("{label} '{name}'"),
        })
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// `Quota configs for … are k=v, …` for one entity.
pub fn quota_line(entity: &QuotaEntity, values: &BTreeMap<String, f64>) -> String {
    let entries: Vec<String> = values
        .iter()
        .map(|(key, value)| format!("{key}={}", java_double(*value)))
        .collect();
    format!(
        "Quota configs for {} are {}",
        entity_text(entity),
        entries.join(", ")
    )
}

/// `--describe` of users/clients (`describeClientQuotaAndUserScramCredentialConfigs`).
pub async fn describe(
    admin: &mut AdminClient,
    types: &[String],
    names: &[String],
    output: &mut Output,
) -> Result<(), ToolError> {
    let components = filter(types, names)?;
    for (entity, values) in admin.describe_client_quotas(&components, true).await? {
        writeln!(output.out, "{}", quota_line(&entity, &values)).map_err(ToolError::io)?;
    }
    // SCRAM credentials only for users alone, and not for the default user.
    if !types.iter().any(|t| t == CLIENTS) && !names.iter().any(String::is_empty) {
        for (user, described) in admin.describe_user_scram_credentials(names).await? {
            match described {
                Ok(infos) => {
                    let text: Vec<String> = infos
                        .iter()
                        .map(|i| format!("{}=iterations={}", i.mechanism.name(), i.iterations))
                        .collect();
                    writeln!(
                        output.out,
                        "SCRAM credential configs for user-principal '{user}' are {}",
                        text.join(", ")
                    )
                    .map_err(ToolError::io)?;
                }
                // RESOURCE_NOT_FOUND: not a SCRAM user, which is not an error
                // (DescribeUserScramCredentialsResult.users).
                Err(error) if error.code() == Some(91) => {}
                Err(error) => writeln!(
                    output.out,
                    "Error retrieving SCRAM credential configs for user-principal '{user}': {error}"
                )
                .map_err(ToolError::io)?,
            }
        }
    }
    Ok(())
}

/// Parses a SCRAM value `[iterations=N,]password=P` (`parseIterationsAndPasswordBytes`).
pub fn parse_scram_value(
    mechanism: ScramMechanism,
    value: &str,
) -> Result<(i32, String), ToolError> {
    // Java's internal ScramMechanism enum prints its constant name in this message.
    let invalid = || {
        illegal(format!(
            "Invalid credential property {}={value}",
            mechanism.name().replace('-', "_")
        ))
    };
    let (iterations, password) = match value.strip_prefix("iterations=") {
        Some(rest) => {
            let (count, after) = rest.split_once(',').ok_or_else(invalid)?;
            let digits = count.strip_prefix('-').unwrap_or(count);
            if !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid());
            }
            let password = after.strip_prefix("password=").ok_or_else(invalid)?;
            let iterations = if count == "-1" {
                DEFAULT_SCRAM_ITERATIONS
            } else {
                count
                    .parse::<i32>()
                    .map_err(|_| illegal(format!("For input string: \"{count}\"")))?
            };
            (iterations, password)
        }
        None => (
            DEFAULT_SCRAM_ITERATIONS,
            value.strip_prefix("password=").ok_or_else(invalid)?,
        ),
    };
    if iterations < mechanism.min_iterations() {
        return Err(illegal(format!(
            "Iterations {iterations} is less than the minimum {} required for {}",
            mechanism.min_iterations(),
            mechanism.name()
        )));
    }
    Ok((iterations, password.to_owned()))
}

/// `--alter` of users/clients (ConfigCommand.alterConfig, USER_TYPE/CLIENT_TYPE branch).
pub async fn alter(
    admin: &mut AdminClient,
    types: &[String],
    names: &[String],
    to_add: &[(String, String)],
    to_delete: &[String],
    output: &mut Output,
) -> Result<(), ToolError> {
    let entity_type = types.first().map(String::as_str).unwrap_or(USERS);
    let has_quota_add = to_add.iter().any(|(k, _)| is_quota(k));
    let has_quota_delete = to_delete.iter().any(|k| is_quota(k));
    let scram_add: Vec<&(String, String)> = to_add.iter().filter(|(k, _)| is_scram(k)).collect();
    let scram_delete: Vec<&String> = to_delete.iter().filter(|k| is_scram(k)).collect();
    let unknown_add: Vec<&str> = to_add
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !is_scram(k) && !is_quota(k))
        .collect();
    let unknown_delete: Vec<&str> = to_delete
        .iter()
        .map(String::as_str)
        .filter(|k| !is_scram(k) && !is_quota(k))
        .collect();
    if entity_type == CLIENTS || types.len() == 2 {
        let add: Vec<&str> = unknown_add
            .iter()
            .copied()
            .chain(scram_add.iter().map(|(k, _)| k.as_str()))
            .collect();
        if !add.is_empty() {
            return Err(illegal(format!(
                "Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: {}",
                add.join(",")
            )));
        }
        let delete: Vec<&str> = unknown_delete
            .iter()
            .copied()
            .chain(scram_delete.iter().map(|k| k.as_str()))
            .collect();
        if !delete.is_empty() {
            return Err(illegal(format!(
                "Only quota configs can be deleted for 'clients' using --bootstrap-server. Unexpected config names: {}",
                delete.join(",")
            )));
        }
    } else {
        if !unknown_add.is_empty() {
            return Err(illegal(format!(
                "Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: {}",
                unknown_add.join(",")
            )));
        }
        if !unknown_delete.is_empty() {
            return Err(illegal(format!(
                "Only quota and SCRAM credential configs can be deleted for 'users' using --bootstrap-server. Unexpected config names: {}",
                unknown_delete.join(",")
            )));
        }
        if !scram_add.is_empty() || !scram_delete.is_empty() {
            if names.iter().any(String::is_empty) {
                return Err(illegal("The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.".to_owned()));
            }
            if has_quota_add || has_quota_delete {
                return Err(illegal("Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using --bootstrap-server.".to_owned()));
            }
        }
    }
    if has_quota_add || has_quota_delete {
        alter_quotas(admin, types, names, to_add, to_delete).await?;
    } else {
        let user = names.first().cloned().unwrap_or_default();
        let mut alterations: Vec<ScramAlteration> = scram_delete
            .iter()
            .filter_map(|name| ScramMechanism::from_name(name))
            .map(|mechanism| ScramAlteration::Delete {
                user: user.clone(),
                mechanism,
            })
            .collect();
        for (name, value) in scram_add {
            let Some(mechanism) = ScramMechanism::from_name(name) else {
                continue;
            };
            let (iterations, password) = parse_scram_value(mechanism, value)?;
            alterations.push(ScramAlteration::Upsert {
                user: user.clone(),
                mechanism,
                iterations,
                password,
            });
        }
        for (_, result) in admin.alter_user_scram_credentials(&alterations).await? {
            result?;
        }
    }
    let name = names.first().map(String::as_str).unwrap_or_default();
    let line = if name.is_empty() {
        format!("Completed updating default config for {entity_type} in the cluster.")
    } else {
        let singular = entity_type.strip_suffix('s').unwrap_or(entity_type);
        format!("Completed updating config for {singular} {name}.")
    };
    writeln!(output.out, "{line}").map_err(ToolError::io)
}

/// `alterQuotaConfigs`: deletes of keys not set are refused (InvalidConfigurationException).
async fn alter_quotas(
    admin: &mut AdminClient,
    types: &[String],
    names: &[String],
    to_add: &[(String, String)],
    to_delete: &[String],
) -> Result<(), ToolError> {
    if types.len() != names.len() {
        return Err(illegal(
            "Exactly one entity name must be specified for every entity type".to_owned(),
        ));
    }
    let components = filter(types, names)?;
    let current = admin
        .describe_client_quotas(&components, true)
        .await?
        .into_iter()
        .next()
        .map(|(_, values)| values)
        .unwrap_or_default();
    let invalid: Vec<&str> = to_delete
        .iter()
        .map(String::as_str)
        .filter(|k| !current.contains_key(*k))
        .collect();
    if !invalid.is_empty() {
        return Err(ToolError::Client(fjord_client::ClientError::from_code(
            40,
            Some(&format!("Invalid config(s): {}", invalid.join(","))),
        )));
    }
    let mut entity = QuotaEntity::new();
    for (entity_type, name) in types.iter().zip(names) {
        entity.insert(
            quota_type(entity_type)?.to_owned(),
            (!name.is_empty()).then(|| name.clone()),
        );
    }
    let mut ops = Vec::new();
    for (key, value) in to_add {
        let number: f64 = value.trim().parse().map_err(|_| {
            illegal(format!(
                "Cannot parse quota configuration value for {key}: {value}"
            ))
        })?;
        ops.push((key.clone(), Some(number)));
    }
    ops.extend(to_delete.iter().map(|key| (key.clone(), None)));
    admin.alter_client_quotas(&entity, &ops, false).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_double_to_string() {
        // java.lang.Double.toString examples.
        assert_eq!(java_double(1024.0), "1024.0");
        assert_eq!(java_double(200.0), "200.0");
        assert_eq!(java_double(1.5), "1.5");
        assert_eq!(java_double(10_485_760.0), "1.048576E7");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(0.0001), "1.0E-4");
        assert_eq!(java_double(0.0), "0.0");
    }

    #[test]
    fn entity_text_follows_config_command() {
        let mut entity = QuotaEntity::new();
        entity.insert("client-id".into(), Some("app".into()));
        entity.insert("user".into(), Some("alice".into()));
        assert_eq!(
            entity_text(&entity),
            "user-principal 'alice', client-id 'app'"
        );
        entity.insert("user".into(), None);
        assert_eq!(
            entity_text(&entity),
            "the default user-principal, client-id 'app'"
        );
    }

    #[test]
    fn scram_values_parse_like_parse_iterations_and_password_bytes() {
        let m = ScramMechanism::Sha256;
        assert_eq!(
            parse_scram_value(m, "iterations=8192,password=a,b").unwrap_or_default(),
            (8192, "a,b".to_owned())
        );
        assert_eq!(
            parse_scram_value(m, "password=x").unwrap_or_default(),
            (4096, "x".to_owned())
        );
        assert_eq!(
            parse_scram_value(m, "iterations=-1,password=x").unwrap_or_default(),
            (4096, "x".to_owned())
        );
        let error = |v: &str| parse_scram_value(m, v).err().map(|e| e.to_string());
        assert_eq!(
            error("iterations=1000,password=x").as_deref(),
            Some("Iterations 1000 is less than the minimum 4096 required for SCRAM-SHA-256")
        );
        assert_eq!(
            error("secret").as_deref(),
            Some("Invalid credential property SCRAM_SHA_256=secret")
        );
    }
}
