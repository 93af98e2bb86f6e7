//! `kafka-storage.sh format | info` and the start-up check that every log directory is
//! formatted for this node and cluster.
//!
//! Sources: Kafka's `StorageTool.scala` (`runFormatCommand`, `configToLogDirectories`,
//! `infoCommand`), `org.apache.kafka.metadata.storage.Formatter` (`doFormat`, `DirectoryType`),
//! `MetaPropertiesEnsemble.verify`, and `KafkaRaftServer.initializeLogDirs`.
//!
//! Scope: fjord writes `meta.properties`. The bootstrap metadata snapshot Kafka also writes into
//! the metadata directory (`__cluster_metadata-0/00000000000000000000-0000000000.checkpoint`)
//! belongs to the metadata crate and is written when the controller first starts.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::ConfigError;
use crate::kafka_uuid::KafkaUuid;
use crate::meta_properties::{META_PROPERTIES_FILE, MetaProperties, MetaPropertiesVersion};
use crate::server::{MetadataMode, ProcessRole, ServerConfig};

/// The `metadata.version` fjord formats with and prints, Kafka 4.1's latest production
/// `MetadataVersion` (the protocol level fjord's wire layer is generated from).
pub const METADATA_VERSION: &str = "4.1-IV1";

/// Options of `kafka-storage.sh format`.
#[derive(Debug, Clone, Default)]
pub struct FormatOptions {
    /// `--cluster-id` / `-t`.
    pub cluster_id: String,
    /// `--ignore-formatted` / `-g`.
    pub ignore_formatted: bool,
    /// `--standalone` / `-s`: a single-voter dynamic quorum (KIP-853).
    pub standalone: bool,
    /// `--release-version` / `-r`; defaults to [`METADATA_VERSION`].
    pub release_version: Option<String>,
}

/// `StorageTool.configToLogDirectories`: `log.dirs` plus `metadata.log.dir`, sorted, unique.
pub fn config_log_directories(config: &ServerConfig) -> Vec<PathBuf> {
    let set: BTreeSet<PathBuf> = config.all_log_dirs().into_iter().collect();
    set.into_iter().collect()
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ConfigError + '_ {
    move |source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Formats every log directory of `config`, printing Kafka's lines to `out`.
///
/// `new_directory_id` supplies a fresh `directory.id` per directory (inject for tests; the CLI
/// passes [`KafkaUuid::random`]).
///
/// # Errors
/// Kafka's format failures: [`ConfigError::FormatLegacyConfig`],
/// [`ConfigError::InvalidClusterId`], [`ConfigError::AlreadyFormatted`],
/// [`ConfigError::StandaloneOnBroker`], [`ConfigError::StandaloneWithStaticVoters`], a cluster
/// or node id mismatch with an existing directory, or [`ConfigError::Io`].
pub fn format_storage(
    config: &ServerConfig,
    options: &FormatOptions,
    now: SystemTime,
    new_directory_id: &mut dyn FnMut() -> KafkaUuid,
    out: &mut dyn Write,
) -> Result<(), ConfigError> {
    if config.metadata_mode() == MetadataMode::ZooKeeper || config.process_roles.is_empty() {
        return Err(ConfigError::FormatLegacyConfig);
    }
    if options.standalone {
        if !config.has_role(ProcessRole::Controller) {
            return Err(ConfigError::StandaloneOnBroker);
        }
        if !config.controller_quorum_voters.is_empty() {
            return Err(ConfigError::StandaloneWithStaticVoters);
        }
    }
    options
        .cluster_id
        .parse::<KafkaUuid>()
        .map_err(|e| ConfigError::InvalidClusterId {
            cluster_id: options.cluster_id.clone(),
            reason: e.to_string(),
        })?;
    let release = options
        .release_version
        .as_deref()
        .unwrap_or(METADATA_VERSION);

    let directories = config_log_directories(config);
    let mut formatted = Vec::new();
    let mut empty = Vec::new();
    for dir in &directories {
        match MetaProperties::read(dir)? {
            Some(meta) => formatted.push((dir.clone(), meta)),
            None => empty.push(dir.clone()),
        }
    }
    // MetaPropertiesEnsemble.verify(clusterId, nodeId) runs before the already-formatted check.
    for (dir, meta) in &formatted {
        verify_one(dir, meta, &options.cluster_id, config.node_id)?;
    }
    if let Some((first, _)) = formatted.first()
        && !options.ignore_formatted
    {
        return Err(ConfigError::AlreadyFormatted {
            dir: first.display().to_string(),
        });
    }
    if empty.is_empty() {
        writeln!(out, "All of the log directories are already formatted.")
            .map_err(io_error(Path::new("stdout")))?;
        return Ok(());
    }
    let mut used_ids: BTreeSet<KafkaUuid> = formatted
        .iter()
        .filter_map(|(_, m)| m.directory_id)
        .collect();
    for dir in &empty {
        let description = if *dir != config.metadata_log_dir {
            "data directory"
        } else if options.standalone {
            "dynamic metadata voter directory"
        } else {
            "metadata directory"
        };
        writeln!(
            out,
            "Formatting {description} {} with metadata.version {release}.",
            dir.display()
        )
        .map_err(io_error(Path::new("stdout")))?;
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let directory_id = loop {
            let candidate = new_directory_id();
            if !candidate.is_reserved() && used_ids.insert(candidate) {
                break candidate;
            }
        };
        MetaProperties::v1(&options.cluster_id, config.node_id, directory_id).write(dir, now)?;
    }
    Ok(())
}

/// One directory against the expected cluster and node id (`MetaPropertiesEnsemble.verify`).
fn verify_one(
    dir: &Path,
    meta: &MetaProperties,
    cluster_id: &str,
    node_id: i32,
) -> Result<(), ConfigError> {
    let path = dir.join(META_PROPERTIES_FILE).display().to_string();
    if let Some(found) = &meta.cluster_id
        && found != cluster_id
    {
        return Err(ConfigError::ClusterIdMismatch {
            path,
            expected: cluster_id.to_owned(),
            found: found.clone(),
        });
    }
    if let Some(stored) = meta.node_id
        && stored != node_id
    {
        return Err(ConfigError::NodeIdMismatch {
            path,
            stored,
            expected: node_id,
        });
    }
    Ok(())
}

/// What a KRaft node learns from its formatted directories at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageIdentity {
    /// The cluster id all directories agree on.
    pub cluster_id: String,
    /// The node id all directories agree on (equal to `node.id`).
    pub node_id: i32,
    /// Each directory with its `directory.id`.
    pub directories: Vec<(PathBuf, Option<KafkaUuid>)>,
}

/// The KRaft start-up check (`KafkaRaftServer.initializeLogDirs`): every directory must be
/// formatted (v1), all with one cluster id and with the configured node id.
///
/// # Errors
/// [`ConfigError::NotFormatted`] (Kafka: "No `meta.properties` found in <dir> (have you run
/// `kafka-storage.sh` to format the directory?)"), [`ConfigError::ClusterIdMismatch`],
/// [`ConfigError::NodeIdMismatch`], [`ConfigError::LegacyFormattedDirectories`], or a read
/// error.
pub fn verify_formatted(config: &ServerConfig) -> Result<StorageIdentity, ConfigError> {
    let mut cluster_id: Option<String> = None;
    let mut directories = Vec::new();
    for dir in config_log_directories(config) {
        let meta = MetaProperties::read(&dir)?.ok_or_else(|| ConfigError::NotFormatted {
            dir: dir.display().to_string(),
        })?;
        if meta.version == MetaPropertiesVersion::V0 {
            return Err(ConfigError::LegacyFormattedDirectories);
        }
        let expected = cluster_id
            .get_or_insert_with(|| meta.cluster_id.clone().unwrap_or_default())
            .clone();
        verify_one(&dir, &meta, &expected, config.node_id)?;
        directories.push((dir, meta.directory_id));
    }
    Ok(StorageIdentity {
        cluster_id: cluster_id.unwrap_or_default(),
        node_id: config.node_id,
        directories,
    })
}

/// `kafka-storage.sh info`: prints Kafka's report and returns the exit code (0, or 1 when a
/// problem was found).
///
/// # Errors
/// Only a failure to write to `out`.
pub fn storage_info(config: &ServerConfig, out: &mut dyn Write) -> std::io::Result<i32> {
    let kraft_mode = !config.process_roles.is_empty();
    let directories = config_log_directories(config);
    let mut problems: Vec<String> = Vec::new();
    let mut found: Vec<String> = Vec::new();
    let mut first: Option<MetaProperties> = None;
    for dir in &directories {
        if !dir.is_dir() {
            if dir.exists() {
                problems.push(format!("{} is not a directory", dir.display()));
            } else {
                problems.push(format!("{} does not exist", dir.display()));
            }
            continue;
        }
        found.push(dir.display().to_string());
        let meta_path = dir.join(META_PROPERTIES_FILE);
        if !meta_path.exists() {
            problems.push(format!("{} is not formatted.", dir.display()));
            continue;
        }
        match MetaProperties::read(dir) {
            Ok(Some(meta)) => match &first {
                None => first = Some(meta),
                Some(prev) if prev.cluster_id != meta.cluster_id => {
                    problems.push("Mismatched cluster IDs between storage directories.".to_owned());
                }
                Some(prev) if prev.node_id != meta.node_id => {
                    problems.push("Mismatched node IDs between storage directories.".to_owned());
                }
                Some(_) => {}
            },
            Ok(None) => problems.push(format!("{} is not formatted.", dir.display())),
            Err(e) => problems.push(format!("Error loading {}: {e}", meta_path.display())),
        }
    }
    if let Some(prev) = &first {
        match (kraft_mode, prev.version) {
            (true, MetaPropertiesVersion::V0) => problems.push(
                "The kafka configuration file appears to be for a cluster in KRaft mode, but the directories are formatted for legacy mode.".to_owned(),
            ),
            (false, MetaPropertiesVersion::V1) => problems.push(
                "The kafka configuration file appears to be for a legacy cluster, but the directories are formatted for a cluster in KRaft mode.".to_owned(),
            ),
            _ => {}
        }
    }
    if directories.is_empty() {
        writeln!(out, "No directories specified.")?;
        return Ok(0);
    }
    if !found.is_empty() {
        writeln!(
            out,
            "{}",
            if found.len() == 1 {
                "Found log directory:"
            } else {
                "Found log directories:"
            }
        )?;
        for dir in &found {
            writeln!(out, "  {dir}")?;
        }
        writeln!(out)?;
    }
    if let Some(prev) = &first {
        // Java's TreeMap.toString: {k1=v1, k2=v2}, keys sorted.
        let pairs: Vec<String> = prev
            .to_properties()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(out, "Found metadata: {{{}}}", pairs.join(", "))?;
        writeln!(out)?;
    }
    if problems.is_empty() {
        return Ok(0);
    }
    writeln!(
        out,
        "{}",
        if problems.len() == 1 {
            "Found problem:"
        } else {
            "Found problems:"
        }
    )?;
    for problem in &problems {
        writeln!(out, "  {problem}")?;
    }
    writeln!(out)?;
    Ok(1)
}
