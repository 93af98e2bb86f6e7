//! `meta.properties`, the per-directory identity file, in Kafka's exact format
//! (`org.apache.kafka.metadata.properties.MetaProperties`, written by
//! `PropertiesUtils.writePropertiesFile` through `Properties.store(writer, "")`).
//!
//! Version 1 (KRaft) holds `cluster.id`, `node.id`, `directory.id` (KIP-858) and `version=1`;
//! version 0 (ZooKeeper) holds `broker.id`, optionally `cluster.id`, and `version=0`. The file
//! starts with the two comment lines `Properties.store` writes: `#` (the empty comment) and `#`
//! followed by `Date.toString()` of the write time. Keys are written sorted, which matches the
//! order Kafka's JVM produces for the v1 keys (`cluster.id`, `node.id`, `version`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::ConfigError;
use crate::kafka_uuid::KafkaUuid;
use crate::properties::Properties;

/// The file name inside each log directory.
pub const META_PROPERTIES_FILE: &str = "meta.properties";

/// `MetaPropertiesVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaPropertiesVersion {
    /// ZooKeeper-era layout (`broker.id`).
    V0,
    /// KRaft layout (`node.id`, required `cluster.id`).
    V1,
}

/// The contents of one `meta.properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaProperties {
    /// File format version.
    pub version: MetaPropertiesVersion,
    /// `cluster.id` (required in v1).
    pub cluster_id: Option<String>,
    /// `node.id` (v1) or `broker.id` (v0).
    pub node_id: Option<i32>,
    /// `directory.id` (KIP-858), if recorded.
    pub directory_id: Option<KafkaUuid>,
}

impl MetaProperties {
    /// A v1 file for a freshly formatted directory.
    pub fn v1(cluster_id: &str, node_id: i32, directory_id: KafkaUuid) -> Self {
        Self {
            version: MetaPropertiesVersion::V1,
            cluster_id: Some(cluster_id.to_owned()),
            node_id: Some(node_id),
            directory_id: Some(directory_id),
        }
    }

    /// Interprets loaded properties as `MetaProperties.Builder(Properties)` does.
    ///
    /// # Errors
    /// [`ConfigError::InvalidValue`] for an unknown version, a non-numeric id, a bad
    /// `directory.id`, or a v1 file missing `cluster.id` / `node.id` (Kafka's texts).
    pub fn from_properties(props: &Properties) -> Result<Self, ConfigError> {
        let version = match props.get("version").unwrap_or("0").trim() {
            "0" => MetaPropertiesVersion::V0,
            "1" => MetaPropertiesVersion::V1,
            other => {
                return Err(ConfigError::invalid(
                    "version",
                    other,
                    "Unknown meta.properties version",
                ));
            }
        };
        let id_key = if version == MetaPropertiesVersion::V0 {
            "broker.id"
        } else {
            "node.id"
        };
        let node_id = match props.get(id_key) {
            Some(text) => Some(text.trim().parse::<i32>().map_err(|_| {
                ConfigError::invalid(
                    id_key,
                    text,
                    format!("Unable to read {id_key} as a base-10 number."),
                )
            })?),
            None if version == MetaPropertiesVersion::V1 => {
                return Err(ConfigError::Missing {
                    name: "node.id".to_owned(),
                });
            }
            None => None,
        };
        let cluster_id = props.get("cluster.id").map(str::to_owned);
        if version == MetaPropertiesVersion::V1 && cluster_id.is_none() {
            return Err(ConfigError::Missing {
                name: "cluster.id".to_owned(),
            });
        }
        let directory_id = match props.get("directory.id") {
            Some(text) => Some(text.parse::<KafkaUuid>().map_err(|e| {
                ConfigError::invalid(
                    "directory.id",
                    text,
                    format!("Unable to read directory.id as a Uuid: {e}"),
                )
            })?),
            None => None,
        };
        Ok(Self {
            version,
            cluster_id,
            node_id,
            directory_id,
        })
    }

    /// The key/value pairs of `MetaProperties.toProperties`.
    pub fn to_properties(&self) -> Properties {
        let mut props = Properties::new();
        let v0 = self.version == MetaPropertiesVersion::V0;
        props.set("version", if v0 { "0" } else { "1" });
        if let Some(id) = &self.cluster_id {
            props.set("cluster.id", id.clone());
        }
        if let Some(node_id) = self.node_id {
            props.set(
                if v0 { "broker.id" } else { "node.id" },
                node_id.to_string(),
            );
        }
        if let Some(dir_id) = self.directory_id {
            props.set("directory.id", dir_id.to_string());
        }
        props
    }

    /// The file text as Kafka writes it, dated `now` (rendered in UTC like a JVM running in UTC).
    pub fn to_file_text(&self, now: SystemTime) -> String {
        let mut text = format!("#\n#{}\n", java_date_utc(now));
        for (k, v) in self.to_properties().iter() {
            text.push_str(&store_escape(k, true));
            text.push('=');
            text.push_str(&store_escape(v, false));
            text.push('\n');
        }
        text
    }

    /// Reads `dir/meta.properties`; `Ok(None)` when the file does not exist.
    ///
    /// # Errors
    /// [`ConfigError::Io`] when it exists but cannot be read, or a content error.
    pub fn read(dir: &Path) -> Result<Option<Self>, ConfigError> {
        let path = dir.join(META_PROPERTIES_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let props = Properties::load(&path)?;
        Self::from_properties(&props).map(Some)
    }

    /// Writes `dir/meta.properties` atomically (write `meta.properties.tmp`, fsync, rename,
    /// fsync the directory), as `PropertiesUtils.writePropertiesFile(.., fsync=true)` does.
    ///
    /// # Errors
    /// [`ConfigError::Io`] naming the file.
    pub fn write(&self, dir: &Path, now: SystemTime) -> Result<(), ConfigError> {
        let path = dir.join(META_PROPERTIES_FILE);
        let tmp = dir.join(format!("{META_PROPERTIES_FILE}.tmp"));
        let io = |path: &PathBuf| {
            let path = path.clone();
            move |source| ConfigError::Io { path, source }
        };
        let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(self.to_file_text(now).as_bytes())
            .map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        if let Ok(dir_handle) = std::fs::File::open(dir) {
            // Directory fsync makes the rename durable; failure here is not fatal on
            // filesystems that do not support it.
            let _ = dir_handle.sync_all();
        }
        Ok(())
    }
}

/// `Properties.saveConvert` for the characters our values can contain: escapes `\`, and in
/// keys also the separators and leading space; non-ASCII as `\uXXXX` as `store` does.
fn store_escape(text: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{000C}' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i == 0 || is_key => out.push_str("\\ "),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `java.util.Date.toString()` in UTC: `EEE MMM dd HH:mm:ss zzz yyyy`.
pub fn java_date_utc(now: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        year
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31) — Howard Hinnant's
/// `civil_from_days` algorithm.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn java_date_format() {
        // 2024-01-09T09:49:40Z was a Tuesday.
        let t = UNIX_EPOCH + Duration::from_secs(1_704_793_780);
        assert_eq!(java_date_utc(t), "Tue Jan 09 09:49:40 UTC 2024");
        assert_eq!(java_date_utc(UNIX_EPOCH), "Thu Jan 01 00:00:00 UTC 1970");
        // Leap day.
        assert_eq!(
            java_date_utc(UNIX_EPOCH + Duration::from_secs(1_709_164_800)),
            "Thu Feb 29 00:00:00 UTC 2024"
        );
    }

    #[test]
    fn v0_reads_broker_id() {
        let props = Properties::parse("#\n#x\nbroker.id=3\nversion=0\ncluster.id=abc\n").unwrap();
        let meta = MetaProperties::from_properties(&props).unwrap();
        assert_eq!(meta.version, MetaPropertiesVersion::V0);
        assert_eq!(meta.node_id, Some(3));
        assert_eq!(meta.cluster_id.as_deref(), Some("abc"));
    }

    #[test]
    fn v1_requires_node_id_and_cluster_id() {
        let missing_node = Properties::parse("version=1\ncluster.id=abc\n").unwrap();
        assert!(
            matches!(MetaProperties::from_properties(&missing_node), Err(ConfigError::Missing { ref name }) if name == "node.id")
        );
        let missing_cluster = Properties::parse("version=1\nnode.id=1\n").unwrap();
        assert!(
            matches!(MetaProperties::from_properties(&missing_cluster), Err(ConfigError::Missing { ref name }) if name == "cluster.id")
        );
    }

    #[test]
    fn bad_node_id_is_kafkas_message() {
        let props = Properties::parse("version=1\ncluster.id=abc\nnode.id=x\n").unwrap();
        let err = MetaProperties::from_properties(&props).unwrap_err();
        assert!(
            err.to_string()
                .contains("Unable to read node.id as a base-10 number."),
            "{err}"
        );
    }
}
