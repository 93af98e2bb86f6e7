//! Layered loading of a server configuration: the file, then `FJORD_*` environment variables,
//! then `--override k=v` arguments — later layers win. This is Kafka's order: the file is the
//! base, the official Apache Kafka container image turns `KAFKA_*` environment variables into
//! file entries, and `kafka-server-start.sh --override` beats both.

use std::path::Path;

use crate::error::ConfigError;
use crate::properties::Properties;
use crate::server::ServerConfig;

/// The prefix of environment variables that set configuration keys.
pub const ENV_PREFIX: &str = "FJORD_";

/// `FJORD_*` variables that configure the tooling itself and are never configuration keys.
pub const RESERVED_ENV: &[&str] = &["FJORD_BIN", "FJORD_LOG", "FJORD_HOME", "FJORD_DATA"];

/// Maps an environment variable name to a configuration key, or `None` if it is not one.
///
/// The mapping is the Apache Kafka container image's, with `FJORD_` for `KAFKA_`: drop the
/// prefix, lower-case, then `___` → `-`, `__` → `_`, `_` → `.`. So `FJORD_LOG_DIRS` →
/// `log.dirs`, `FJORD_NUM_PARTITIONS` → `num.partitions`,
/// `FJORD_LISTENER_NAME_SSL_SSL__KEYSTORE___TYPE` → `listener.name.ssl.ssl_keystore-type`.
/// The names in [`RESERVED_ENV`] are skipped.
pub fn env_var_to_key(name: &str) -> Option<String> {
    if RESERVED_ENV.contains(&name) {
        return None;
    }
    let rest = name.strip_prefix(ENV_PREFIX)?;
    if rest.is_empty() {
        return None;
    }
    let lower = rest.to_ascii_lowercase();
    // Placeholders keep the multi-underscore forms from being split by the single rule.
    let key = lower
        .replace("___", "\u{1}")
        .replace("__", "\u{2}")
        .replace('_', ".");
    Some(key.replace('\u{1}', "-").replace('\u{2}', "_"))
}

/// The configuration layer from environment variables (pass `std::env::vars()`).
pub fn env_layer(vars: impl IntoIterator<Item = (String, String)>) -> Properties {
    vars.into_iter()
        .filter_map(|(name, value)| env_var_to_key(&name).map(|key| (key, value)))
        .collect()
}

/// Parses `--override` arguments (`k=v`, split at the first `=`).
///
/// # Errors
/// [`ConfigError::InvalidOverride`] for an argument without `=` or with an empty key.
pub fn override_layer<S: AsRef<str>>(overrides: &[S]) -> Result<Properties, ConfigError> {
    let mut props = Properties::new();
    for item in overrides {
        let item = item.as_ref();
        match item.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => props.set(key.trim(), value),
            _ => return Err(ConfigError::InvalidOverride(item.to_owned())),
        }
    }
    Ok(props)
}

/// Loads `path`, applies the environment layer, then the overrides, and resolves the result.
///
/// # Errors
/// Read, parse, value and cross-check errors (see [`ServerConfig::from_properties`]).
pub fn load_server_config<S: AsRef<str>>(
    path: &Path,
    env: impl IntoIterator<Item = (String, String)>,
    overrides: &[S],
) -> Result<ServerConfig, ConfigError> {
    ServerConfig::from_properties(&merged_properties(path, env, overrides)?)
}

/// The merged pairs behind [`load_server_config`], before resolution.
///
/// # Errors
/// Read and parse errors.
pub fn merged_properties<S: AsRef<str>>(
    path: &Path,
    env: impl IntoIterator<Item = (String, String)>,
    overrides: &[S],
) -> Result<Properties, ConfigError> {
    let mut props = Properties::load(path)?;
    props.extend_from(&env_layer(env));
    props.extend_from(&override_layer(overrides)?);
    Ok(props)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_map_like_the_kafka_image() {
        assert_eq!(
            env_var_to_key("FJORD_LOG_DIRS").as_deref(),
            Some("log.dirs")
        );
        assert_eq!(
            env_var_to_key("FJORD_NUM_PARTITIONS").as_deref(),
            Some("num.partitions")
        );
        assert_eq!(
            env_var_to_key("FJORD_A__B___C_D").as_deref(),
            Some("a_b-c.d")
        );
        assert_eq!(env_var_to_key("FJORD_BIN"), None);
        assert_eq!(env_var_to_key("PATH"), None);
        assert_eq!(env_var_to_key("FJORD_"), None);
    }

    #[test]
    fn precedence_file_then_env_then_override() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.properties");
        std::fs::write(
            &path,
            "num.partitions=2\nlog.retention.hours=1\nmessage.max.bytes=10\n",
        )
        .unwrap();
        let env = vec![
            ("FJORD_NUM_PARTITIONS".to_owned(), "3".to_owned()),
            ("FJORD_LOG_RETENTION_HOURS".to_owned(), "5".to_owned()),
        ];
        let merged = merged_properties(&path, env, &["num.partitions=4"]).unwrap();
        assert_eq!(
            merged.get("num.partitions"),
            Some("4"),
            "override beats env and file"
        );
        assert_eq!(
            merged.get("log.retention.hours"),
            Some("5"),
            "env beats file"
        );
        assert_eq!(
            merged.get("message.max.bytes"),
            Some("10"),
            "file when nothing else"
        );
    }

    #[test]
    fn override_without_equals_is_rejected() {
        let err = override_layer(&["num.partitions"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid command line properties: num.partitions"
        );
        assert_eq!(override_layer(&["k=a=b"]).unwrap().get("k"), Some("a=b"));
    }
}
