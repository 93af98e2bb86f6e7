//! [`ReplicaManager`]: the metadata store and the partition logs of this node, kept in step.
//!
//! Start-up (Kafka `BrokerServer.startup` → `LogManager.startup` → metadata publishing):
//! 1. open the [`MetadataStore`] (replay `__cluster_metadata-0`, bootstrap a new log);
//! 2. open the [`LogManager`] over `log.dirs` (recovering logs when `.kafka_cleanshutdown` is
//!    missing) and log "Recovered N logs in X ms";
//! 3. delete stray logs (topic gone, partition gone, or a `partition.metadata` topic id that is
//!    not the image's: the topic was deleted and re-created while this node was down), then
//!    create a log for every partition of the image that lacks one.
//!
//! After every metadata change the API handlers call [`ReplicaManager::sync_logs`], which does
//! step 3 again and hands each topic's log its current `LogConfig` (topic config changes).
//!
//! Produce applies the topic's `compression.type` before the log append (Kafka `LogValidator`
//! `validateMessagesAndAssignOffsetsCompressed`): with a codec, batches in another codec are
//! re-compressed ([`fjord_record::recompress_batches`]); with `producer` (the default), or
//! when every batch is already in the target codec, the request's buffer is appended as it is,
//! without a copy. Each topic's target is resolved in `sync_logs` and cached.
//!
//! Single node: this node leads every partition and is the whole ISR, so after each append the
//! high watermark is the log end offset (Kafka `Partition.maybeIncrementLeaderHW` with one
//! replica).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use fjord_common::TopicPartition;
use fjord_metadata::controller::RandomTopicIds;
use fjord_metadata::server_config::ServerConfigValidator;
use fjord_metadata::store::StoreOptions;
use fjord_metadata::{
    ConfigResource, Controller, ControllerOptions, MetadataImage, MetadataStore, StoreError,
};
use fjord_record::{CompressionTarget, recompress_batches, recompression_needed};
use fjord_storage::{AppendInfo, LogManager, RealDisk, SharedLog, StorageError};

use super::log_config::{LogConfigError, topic_configs, topic_log_config};
use super::waiters::AppendWaiters;
use crate::config::BrokerConfig;

/// Why the broker's state could not open, change or close.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The metadata store failed.
    #[error("cluster metadata: {0}")]
    Metadata(#[from] StoreError),
    /// A log directory or partition log failed.
    #[error("log storage: {0}")]
    Storage(#[from] StorageError),
    /// A topic's configuration does not resolve.
    #[error(transparent)]
    Config(#[from] LogConfigError),
    /// The logs are closed (shutdown has run).
    #[error("the log manager is shut down")]
    ShutDown,
}

/// Why an append failed. Mapped to wire codes in `api::produce`.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// No such topic or partition in the metadata image, or no log for it.
    #[error("This server does not host this topic-partition.")]
    UnknownTopicOrPartition,
    /// The log refused the batch or failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Decompressed bytes one batch may inflate to while the broker re-compresses it for
/// `compression.type`. Kafka has no such cap (its validator streams records); ours bounds the
/// memory a decompression bomb can take: 64× the default `max.message.bytes` (1 MiB), far
/// above what librdkafka (`message.max.bytes`, 1 MB) or Java (`batch.size`, 16 KiB) put in one
/// batch at any realistic ratio. A batch beyond it is refused as corrupt.
pub const RECOMPRESS_DECOMPRESSED_BYTES_MAX: usize = 64 << 20;

/// What the produce path needs from a topic's configuration, cached per topic by
/// [`ReplicaManager::sync_logs`] so that appends never re-resolve configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProduceSettings {
    /// The effective `compression.type`.
    compression: CompressionTarget,
    /// `max.message.bytes`: batches larger than this as sent are left to the log to refuse,
    /// never decompressed.
    max_batch_bytes: usize,
}

impl ProduceSettings {
    fn new(compression: CompressionTarget, config: &fjord_storage::LogConfig) -> Self {
        Self {
            compression,
            max_batch_bytes: usize::try_from(config.max_message_bytes).unwrap_or(usize::MAX),
        }
    }
}

/// What start-up found (for operators and tests: was the log rescanned?).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StartupStats {
    /// Logs loaded from `log.dirs`.
    pub logs_loaded: usize,
    /// Batches CRC-validated while loading: zero after a clean shutdown.
    pub batches_validated: u64,
    /// Time spent opening the log manager, in milliseconds.
    pub recovery_ms: u64,
}

/// One log directory as DescribeLogDirs reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDirDescription {
    /// The directory.
    pub path: PathBuf,
    /// Whether it went offline after an I/O error.
    pub offline: bool,
    /// `(partition, size in bytes)` of each log in it, sorted.
    pub partitions: Vec<(TopicPartition, u64)>,
}

/// The metadata store and partition logs of this node. See the module docs.
#[derive(Debug)]
pub struct ReplicaManager {
    server: Arc<fjord_config::ServerConfig>,
    metadata: MetadataStore,
    /// Read-locked by Produce/Fetch to find a log and by the background tasks (checkpoints,
    /// retention, cleaner, flush), which do their file I/O under per-log locks only; write-locked
    /// to create or delete logs and at shutdown. With a `Mutex` here every Produce and Fetch,
    /// to any partition, waited for a whole log cleaner pass, retention's segment deletions
    /// and the checkpoint task's fsyncs.
    logs: RwLock<Option<LogManager>>,
    waiters: AppendWaiters,
    startup: StartupStats,
    /// Per topic name; replaced as a whole by every `sync_logs`.
    produce_settings: RwLock<HashMap<String, ProduceSettings>>,
}

fn lock_log(log: &SharedLog) -> MutexGuard<'_, fjord_storage::Log> {
    log.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ReplicaManager {
    /// Opens the metadata store, then the log manager, and reconciles them (module docs).
    pub fn open(config: &BrokerConfig, now_ms: i64) -> Result<Self, StateError> {
        let server = config.server.clone();
        let controller = Controller::with_seams(
            ControllerOptions {
                default_num_partitions: config.num_partitions,
                default_replication_factor: config.default_replication_factor,
            },
            Box::new(ServerConfigValidator::new(server.clone())),
            Box::new(RandomTopicIds),
        );
        let mut options = StoreOptions::from_server_config(
            &server,
            &config.cluster_id,
            config.log_dir_ids.clone(),
            uuid::Uuid::new_v4(),
        );
        options.node_id = config.node_id;
        let metadata =
            MetadataStore::open_dir(&config.metadata_log_dir, options, controller, now_ms)?;
        let started = Instant::now();
        let default_config = topic_log_config(None, &server)?;
        let manager =
            LogManager::open(&config.log_dirs, default_config, Arc::new(RealDisk), now_ms)?;
        let all = manager.all_logs();
        let startup = StartupStats {
            logs_loaded: all.len(),
            batches_validated: all
                .iter()
                .map(|(_, log)| lock_log(log).batches_validated_on_open())
                .sum(),
            recovery_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        tracing::info!(
            batches_validated = startup.batches_validated,
            "Recovered {} logs in {} ms",
            startup.logs_loaded,
            startup.recovery_ms
        );
        let replicas = Self {
            server,
            metadata,
            logs: RwLock::new(Some(manager)),
            waiters: AppendWaiters::default(),
            startup,
            produce_settings: RwLock::new(HashMap::new()),
        };
        replicas.remove_stray_logs()?;
        replicas.sync_logs(now_ms)?;
        Ok(replicas)
    }

    fn manager(&self) -> RwLockReadGuard<'_, Option<LogManager>> {
        self.logs
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn manager_mut(&self) -> RwLockWriteGuard<'_, Option<LogManager>> {
        self.logs
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The metadata store (admin APIs submit through it, then call [`Self::sync_logs`]).
    pub fn metadata(&self) -> &MetadataStore {
        &self.metadata
    }

    /// The current metadata image.
    pub fn image(&self) -> Arc<MetadataImage> {
        self.metadata.image()
    }

    /// The server configuration topic defaults come from.
    pub fn server(&self) -> &Arc<fjord_config::ServerConfig> {
        &self.server
    }

    /// What start-up found.
    pub fn startup_stats(&self) -> StartupStats {
        self.startup
    }

    /// Fetches waiting for appends.
    pub fn waiters(&self) -> &AppendWaiters {
        &self.waiters
    }

    /// The log of `tp`, if this node has one.
    pub fn log(&self, tp: &TopicPartition) -> Option<SharedLog> {
        self.manager().as_ref()?.get_log(tp)
    }

    /// Start-up only: deletes logs the image does not know, or whose `partition.metadata`
    /// names another topic id than the image (Kafka `LogManager` stray-log detection, KIP-516).
    fn remove_stray_logs(&self) -> Result<(), StateError> {
        let image = self.image();
        let mut guard = self.manager_mut();
        let manager = guard.as_mut().ok_or(StateError::ShutDown)?;
        for (tp, _) in manager.all_logs() {
            let topic = image.topic(&tp.topic);
            let known = topic.is_some_and(|t| t.partitions.contains_key(&tp.partition));
            let same_id = match (topic, manager.topic_id(&tp)?) {
                (Some(topic), Some(id)) => id.0 == *topic.id.as_bytes(),
                _ => true,
            };
            if !known || !same_id {
                tracing::warn!(partition = %tp, "deleting stray log not in the cluster metadata");
                manager.delete_log(&tp)?;
            }
        }
        Ok(())
    }

    /// Brings the logs in line with the current image: creates missing logs (with the topic id
    /// in `partition.metadata`), deletes logs of deleted topics or partitions, and applies each
    /// topic's effective `LogConfig`. A partition whose log cannot be created is logged and
    /// skipped; the others are still created, and the first such error is returned.
    pub fn sync_logs(&self, now_ms: i64) -> Result<(), StateError> {
        let mut deleted = Vec::new();
        let result = self.sync_logs_locked(now_ms, &mut deleted);
        // The deleted logs' files go after the write lock is released: Produce and Fetch to
        // other partitions go on while a large log is removed.
        if !deleted.is_empty() {
            let guard = self.manager();
            if let Some(manager) = guard.as_ref() {
                for dir in &deleted {
                    if let Err(error) = manager.remove_deleted_dir(dir) {
                        tracing::warn!(dir = %dir.display(), %error, "cannot remove a deleted log's directory; start-up retries");
                    }
                }
            }
        }
        result
    }

    /// [`Self::sync_logs`] under the write lock; the directories of deleted logs, renamed to
    /// `-delete`, are added to `deleted` for removal after it.
    fn sync_logs_locked(
        &self,
        now_ms: i64,
        deleted: &mut Vec<std::path::PathBuf>,
    ) -> Result<(), StateError> {
        let image = self.image();
        let mut guard = self.manager_mut();
        let manager = guard.as_mut().ok_or(StateError::ShutDown)?;
        for (tp, _) in manager.all_logs() {
            let known = image
                .topic(&tp.topic)
                .is_some_and(|t| t.partitions.contains_key(&tp.partition));
            if !known {
                tracing::info!(partition = %tp, "deleting log of a deleted topic");
                deleted.extend(manager.detach_log(&tp)?);
            }
        }
        let mut produce_settings = HashMap::new();
        let mut first_error: Option<StateError> = None;
        for (name, topic) in image.topics() {
            let overrides = image.configs(&ConfigResource::topic(name));
            let (config, compression) = topic_configs(overrides, &self.server)?;
            produce_settings.insert(name.clone(), ProduceSettings::new(compression, &config));
            for index in topic.partitions.keys() {
                let tp = TopicPartition::new(name.clone(), *index);
                match manager.get_log(&tp) {
                    Some(log) => {
                        let mut log = lock_log(&log);
                        if *log.config() != config {
                            log.set_config(config.clone());
                        }
                    }
                    None => {
                        // One partition that cannot be opened (EMFILE, say) must not keep the
                        // partitions after it from being created: go on, report the first error.
                        match manager.get_or_create_log(
                            &tp,
                            Some(*topic.id.as_bytes()),
                            config.clone(),
                            now_ms,
                        ) {
                            Ok(log) => {
                                let mut log = lock_log(&log);
                                let leo = log.log_end_offset();
                                log.update_high_watermark(leo);
                            }
                            Err(error) => {
                                tracing::error!(partition = %tp, %error, "cannot open the partition's log");
                                first_error.get_or_insert(error.into());
                            }
                        }
                    }
                }
            }
        }
        *self
            .produce_settings
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = produce_settings;
        first_error.map_or(Ok(()), Err)
    }

    /// The cached produce settings of `topic`; resolved from the image when `sync_logs` has
    /// not seen the topic yet, and `producer` (store as sent) if that fails.
    fn produce_settings(&self, topic: &str) -> ProduceSettings {
        let cached = self
            .produce_settings
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(topic)
            .copied();
        if let Some(settings) = cached {
            return settings;
        }
        let image = self.image();
        let overrides = image.configs(&ConfigResource::topic(topic));
        match topic_configs(overrides, &self.server) {
            Ok((config, compression)) => ProduceSettings::new(compression, &config),
            Err(error) => {
                tracing::warn!(topic, %error, "storing batches as produced");
                ProduceSettings {
                    compression: CompressionTarget::Producer,
                    max_batch_bytes: usize::MAX,
                }
            }
        }
    }

    /// Appends client batches to `tp` as leader (offsets assigned, CRC and size checked by the
    /// log), moves the high watermark to the new log end offset, and wakes parked fetches.
    /// The single place producer-side checks (idempotence) hook in before the log append.
    ///
    /// Under a `compression.type` codec, batches in another codec are re-compressed first
    /// (module docs) and the converted copy is appended; `batches` is then left as received.
    /// A batch that fails to convert (bad CRC, a codec error, records that do not parse, more
    /// than [`RECOMPRESS_DECOMPRESSED_BYTES_MAX`] decompressed) is refused as
    /// [`StorageError::Record`], as the log refuses a corrupt batch.
    pub fn append(
        &self,
        tp: &TopicPartition,
        batches: &[u8],
        now_ms: i64,
    ) -> Result<AppendInfo, AppendError> {
        let leader_epoch = self
            .image()
            .topic(&tp.topic)
            .and_then(|t| t.partitions.get(&tp.partition))
            .map(|p| p.leader_epoch)
            .ok_or(AppendError::UnknownTopicOrPartition)?;
        let log = self.log(tp).ok_or(AppendError::UnknownTopicOrPartition)?;
        let settings = self.produce_settings(&tp.topic);
        let converted;
        let batches = match settings.compression.codec() {
            Some(codec) if recompression_needed(batches, codec, settings.max_batch_bytes) => {
                // Done before taking the log's lock: compression is the slow part.
                converted = recompress_batches(batches, codec, RECOMPRESS_DECOMPRESSED_BYTES_MAX)
                    .map_err(|error| StorageError::Record(error.into_record_error()))?;
                converted.as_slice()
            }
            _ => batches,
        };
        let info = {
            let mut log = lock_log(&log);
            let info = log.append_as_leader(batches, leader_epoch, now_ms)?;
            let leo = log.log_end_offset();
            log.update_high_watermark(leo);
            info
        };
        self.waiters.notify(tp);
        Ok(info)
    }

    /// Runs `f` over the log manager (read-locked: Produce and Fetch go on meanwhile), or
    /// fails when it is shut down.
    fn with_manager<T>(
        &self,
        f: impl FnOnce(&LogManager) -> Result<T, StorageError>,
    ) -> Result<T, StateError> {
        let guard = self.manager();
        let manager = guard.as_ref().ok_or(StateError::ShutDown)?;
        Ok(f(manager)?)
    }

    /// Retention on every log (`log.retention.check.interval.ms`); returns segments deleted.
    pub fn run_retention(&self, now_ms: i64) -> Result<usize, StateError> {
        self.with_manager(|m| m.run_retention(now_ms))
    }

    /// One log cleaner pass over every compacted log (Kafka's cleaner threads, woken every
    /// `log.cleaner.backoff.ms`); failures are logged per log inside the storage layer.
    pub fn run_cleaner(
        &self,
        now_ms: i64,
    ) -> Result<fjord_storage::cleaner::CleanerRunSummary, StateError> {
        self.with_manager(|m| Ok(m.run_cleaner(now_ms)))
    }

    /// `flush.messages` / `flush.ms` on every log (`log.flush.scheduler.interval.ms`).
    pub fn flush_dirty(&self, now_ms: i64) -> Result<usize, StateError> {
        self.with_manager(|m| m.flush_dirty(now_ms))
    }

    /// Writes the recovery point, log start offset and high watermark checkpoints
    /// (`log.flush.offset.checkpoint.interval.ms`).
    pub fn checkpoint(&self) -> Result<(), StateError> {
        self.with_manager(|m| m.checkpoint_all())
    }

    /// Each log directory with its logs and their sizes (DescribeLogDirs).
    pub fn describe_log_dirs(&self) -> Vec<LogDirDescription> {
        let guard = self.manager();
        let Some(manager) = guard.as_ref() else {
            return Vec::new();
        };
        let offline = manager.offline_dirs();
        let mut dirs: Vec<LogDirDescription> = manager
            .dirs()
            .into_iter()
            .map(|path| LogDirDescription {
                offline: offline.contains(&path),
                path,
                partitions: Vec::new(),
            })
            .collect();
        for (tp, log) in manager.all_logs() {
            let log = lock_log(&log);
            let parent = log.dir().parent().map(std::path::Path::to_path_buf);
            if let Some(dir) = dirs.iter_mut().find(|d| Some(&d.path) == parent.as_ref()) {
                dir.partitions.push((tp, log.size_bytes()));
            }
        }
        dirs
    }

    /// Clean shutdown (Kafka `LogManager.shutdown`): flush and seal every log, write the
    /// checkpoints and `.kafka_cleanshutdown`, release the directory locks. Later calls fail
    /// with [`StateError::ShutDown`].
    pub fn shutdown(&self) -> Result<(), StateError> {
        let mut guard = self.manager_mut();
        let mut manager = guard.take().ok_or(StateError::ShutDown)?;
        manager.shutdown()?;
        Ok(())
    }

    /// Drops the logs without a clean shutdown: no final flush, no checkpoints, no marker, as
    /// if the process had been killed (the page cache keeps what was written). The next start
    /// recovers. For crash tests and for a failed start-up.
    pub fn abandon(&self) {
        drop(self.manager_mut().take());
    }
}
