//! Client property handling shared by the tools: `--command-config`/`--producer.config` files
//! (Kafka `.properties`), repeated `k=v` flags, and building an admin client.

use std::collections::BTreeMap;
use std::path::Path;

use fjord_client::{AdminClient, ClientConfig};
use fjord_config::Properties;

/// Reads a `.properties` file into a map (Kafka `Utils.loadProps`).
pub fn load_file(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let props = Properties::load(path)?;
    Ok(props
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// Parses `k=v` pairs (`CommandLineUtils.parseKeyValueArgs`): split at the first `=`; a pair
/// without `=` is an error naming it.
pub fn parse_key_values(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("Invalid command line properties: {pair}"))?;
        map.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    Ok(map)
}

/// Builds an admin client from an optional `--command-config` file and `--bootstrap-server`
/// (the flag wins over the file, as in `TopicService`).
pub fn admin_client(
    bootstrap_server: Option<&str>,
    command_config: Option<&Path>,
) -> anyhow::Result<AdminClient> {
    let mut props = match command_config {
        Some(path) => load_file(path)?,
        None => BTreeMap::new(),
    };
    if let Some(bootstrap) = bootstrap_server {
        props.insert("bootstrap.servers".to_owned(), bootstrap.to_owned());
    }
    let config = ClientConfig::from_properties(&props)?;
    Ok(AdminClient::new(config)?)
}
