//! The metadata store: the driver around the sans-IO [`Controller`] and [`MetadataImage`].
//!
//! One writer at a time (a mutex): run the controller against the current image, build one
//! batch of the resulting records, append it durably (fsync) to `__cluster_metadata-0`, replay
//! it into a copy of the image, publish the copy as the new `Arc<MetadataImage>`, notify
//! listeners. Readers call [`MetadataStore::image`] and never wait for a writer's I/O.
//!
//! On open, every batch of the log is replayed through the same `replay` (snapshots come
//! later); on the first start of an empty log the bootstrap records are committed:
//! `FeatureLevelRecord(metadata.version)` and `RegisterBrokerRecord` for this node.
//!
//! Failure scope: if an append fails the log tail is unknown, so the store refuses every later
//! write ([`StoreError::Failed`]); reopening recovers (truncating a torn tail). Published images
//! stay readable.

mod batch;
mod log;

pub use log::{METADATA_BATCH_BYTES_MAX, METADATA_PARTITION_DIR, MetadataLog, StorageMetadataLog};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use uuid::Uuid;

use crate::controller::{
    AlterConfigsResource, CreatableTopic, CreatePartitionsTopic, CreatedTopic, DeleteResults,
    IncrementalAlterConfigsResource, ResourceResults, TopicRef, TopicResults,
};
use crate::controller::{Controller, ControllerResult};
use crate::image::MetadataImage;
use crate::records::{
    BrokerEndpoint, BrokerFeature, FeatureLevelRecord, MetadataRecord, RegisterBrokerRecord,
};

/// Kafka 4.1's `metadata.version` feature level (`MetadataVersion.IBP_4_1_IV1` = 27), written
/// by the bootstrap `FeatureLevelRecord`.
pub const METADATA_VERSION_4_1_IV1: i16 = 27;
/// The `metadata.version` feature name.
pub const METADATA_VERSION_FEATURE: &str = "metadata.version";
/// Lowest `metadata.version` Kafka 4.x supports (`MetadataVersion.MINIMUM_VERSION`, 3.3-IV3).
pub const METADATA_VERSION_MIN: i16 = 7;

/// Why the store could not open or commit.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error("metadata log I/O failed on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The storage layer failed (I/O, or the partition log's own checks).
    #[error("metadata log storage failed: {0}")]
    Storage(#[from] fjord_storage::StorageError),
    /// A batch inside the valid part of the log could not be read as metadata records.
    #[error("metadata log is corrupt at offset {offset}: {reason}")]
    Corrupt {
        /// Base offset of the batch.
        offset: i64,
        /// What is wrong.
        reason: String,
    },
    /// One request's records exceed the largest metadata batch; nothing was written.
    #[error("metadata batch of {bytes} bytes exceeds the {max}-byte limit; nothing was written")]
    BatchTooLarge {
        /// Size of the batch.
        bytes: usize,
        /// [`METADATA_BATCH_BYTES_MAX`].
        max: usize,
    },
    /// An earlier append failed; the store accepts no more writes until reopened.
    #[error("metadata store stopped accepting writes after an earlier failure: {0}")]
    Failed(String),
}

/// What this node registers on first start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapOptions {
    /// `metadata.version` feature level to finalize.
    pub metadata_version: i16,
    /// Advertised listeners of this broker.
    pub endpoints: Vec<BrokerEndpoint>,
    /// `broker.rack`.
    pub rack: Option<String>,
    /// This broker's log directory ids (`directory.id` of each `meta.properties`).
    pub log_dir_ids: Vec<Uuid>,
    /// The incarnation id of this process.
    pub incarnation_id: Uuid,
}

/// How to open a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// `cluster.id` from `meta.properties`.
    pub cluster_id: String,
    /// `node.id`: this combined broker+controller's id.
    pub node_id: i32,
    /// KRaft leader epoch stamped on batches (`partitionLeaderEpoch`); 1 for a single node's
    /// first and only election.
    pub leader_epoch: i32,
    /// Bootstrap records for a new log.
    pub bootstrap: BootstrapOptions,
}

/// Called with each newly published image, on the writer's thread, after publication.
pub type ImageListener = Box<dyn Fn(&Arc<MetadataImage>) + Send + Sync>;

struct Writer {
    log: Box<dyn MetadataLog>,
    controller: Controller,
    image: MetadataImage,
    failed: Option<String>,
    leader_epoch: i32,
}

/// The metadata store. See the module docs.
pub struct MetadataStore {
    writer: Mutex<Writer>,
    published: RwLock<Arc<MetadataImage>>,
    listeners: RwLock<Vec<ImageListener>>,
}

impl std::fmt::Debug for MetadataStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataStore")
            .field("image", &self.image())
            .finish_non_exhaustive()
    }
}

impl MetadataStore {
    /// Opens the file-backed metadata log under `metadata_log_dir` (Kafka `metadata.log.dir`,
    /// default: the first of `log.dirs`), replays it, bootstraps it if empty.
    pub fn open_dir(
        metadata_log_dir: &Path,
        options: StoreOptions,
        controller: Controller,
        now_ms: i64,
    ) -> Result<Self, StoreError> {
        let log = StorageMetadataLog::open(metadata_log_dir, now_ms)?;
        Self::open(Box::new(log), options, controller, now_ms)
    }

    /// Opens over any [`MetadataLog`].
    pub fn open(
        mut log: Box<dyn MetadataLog>,
        options: StoreOptions,
        controller: Controller,
        now_ms: i64,
    ) -> Result<Self, StoreError> {
        let mut image = MetadataImage::empty(&options.cluster_id, options.node_id);
        for batch in log.take_loaded_batches()? {
            let (last_offset, records) = batch::decode_batch(&batch)?;
            if !records.is_empty() {
                image.replay_batch(last_offset, &records);
            }
        }
        let published = RwLock::new(Arc::new(image.clone()));
        let writer = Writer {
            log,
            controller,
            image,
            failed: None,
            leader_epoch: options.leader_epoch,
        };
        let store = Self {
            writer: Mutex::new(writer),
            published,
            listeners: RwLock::new(Vec::new()),
        };
        let bootstrap = bootstrap_records(&store.image(), &options);
        if !bootstrap.is_empty() {
            store.commit(bootstrap, now_ms)?;
        }
        Ok(store)
    }

    /// The current image: a cheap `Arc` clone, never blocked by a writer's I/O.
    pub fn image(&self) -> Arc<MetadataImage> {
        match self.published.read() {
            Ok(image) => Arc::clone(&image),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Registers a listener called after each publication.
    pub fn subscribe(&self, listener: ImageListener) {
        match self.listeners.write() {
            Ok(mut listeners) => listeners.push(listener),
            Err(poisoned) => poisoned.into_inner().push(listener),
        }
    }

    /// Runs `operation` with the controller against the current image under the writer lock,
    /// commits the records it returns as one batch, and returns its response. The generic path
    /// behind the typed admin methods.
    pub fn submit<R>(
        &self,
        now_ms: i64,
        operation: impl FnOnce(&mut Controller, &MetadataImage) -> ControllerResult<R>,
    ) -> Result<R, StoreError> {
        let mut writer = self.lock_writer();
        let ControllerResult { records, response } = {
            let Writer {
                controller, image, ..
            } = &mut *writer;
            operation(controller, image)
        };
        if !records.is_empty() {
            self.commit_locked(&mut writer, records, now_ms)?;
        }
        Ok(response)
    }

    /// Commits records as one batch without a controller (bootstrap, tests).
    pub fn commit(&self, records: Vec<MetadataRecord>, now_ms: i64) -> Result<i64, StoreError> {
        let mut writer = self.lock_writer();
        self.commit_locked(&mut writer, records, now_ms)
    }

    /// CreateTopics through the controller.
    pub fn create_topics(
        &self,
        topics: &[CreatableTopic],
        validate_only: bool,
        now_ms: i64,
    ) -> Result<TopicResults<CreatedTopic>, StoreError> {
        self.submit(now_ms, |controller, image| {
            controller.create_topics(image, topics, validate_only)
        })
    }

    /// DeleteTopics through the controller.
    pub fn delete_topics(
        &self,
        topics: &[TopicRef],
        now_ms: i64,
    ) -> Result<DeleteResults, StoreError> {
        self.submit(now_ms, |controller, image| {
            controller.delete_topics(image, topics)
        })
    }

    /// CreatePartitions through the controller.
    pub fn create_partitions(
        &self,
        topics: &[CreatePartitionsTopic],
        validate_only: bool,
        now_ms: i64,
    ) -> Result<TopicResults<()>, StoreError> {
        self.submit(now_ms, |controller, image| {
            controller.create_partitions(image, topics, validate_only)
        })
    }

    /// Legacy AlterConfigs through the controller.
    pub fn alter_configs(
        &self,
        resources: &[AlterConfigsResource],
        validate_only: bool,
        now_ms: i64,
    ) -> Result<ResourceResults, StoreError> {
        self.submit(now_ms, |controller, image| {
            controller.alter_configs(image, resources, validate_only)
        })
    }

    /// IncrementalAlterConfigs through the controller.
    pub fn incremental_alter_configs(
        &self,
        resources: &[IncrementalAlterConfigsResource],
        validate_only: bool,
        now_ms: i64,
    ) -> Result<ResourceResults, StoreError> {
        self.submit(now_ms, |controller, image| {
            controller.incremental_alter_configs(image, resources, validate_only)
        })
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // A panic while holding the lock can only come from a replay assertion: the working
        // image may be half-applied, so `commit_locked` leaves the `failed` flag set and
        // refuses later writes. The published image stays the last complete one.
        match self.writer.lock() {
            Ok(writer) => writer,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn commit_locked(
        &self,
        writer: &mut Writer,
        records: Vec<MetadataRecord>,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        if let Some(reason) = &writer.failed {
            return Err(StoreError::Failed(reason.clone()));
        }
        if records.is_empty() {
            return Ok(writer.image.last_applied_offset());
        }
        let batch = batch::build_batch(&records, now_ms, writer.leader_epoch)?;
        // Refused before any byte is written, so the log stays usable.
        if batch.len() > METADATA_BATCH_BYTES_MAX {
            return Err(StoreError::BatchTooLarge {
                bytes: batch.len(),
                max: METADATA_BATCH_BYTES_MAX,
            });
        }
        let base_offset = match writer
            .log
            .append_durable(batch, writer.leader_epoch, now_ms)
        {
            Ok(offset) => offset,
            Err(error) => {
                writer.failed = Some(error.to_string());
                return Err(error);
            }
        };
        let last_offset = base_offset + records.len() as i64 - 1;
        // Guard against a panic in replay leaving a half-applied working image behind.
        writer.failed = Some(format!(
            "replay of the batch at offset {base_offset} did not finish"
        ));
        writer.image.replay_batch(last_offset, &records);
        writer.failed = None;
        let image = Arc::new(writer.image.clone());
        match self.published.write() {
            Ok(mut published) => *published = Arc::clone(&image),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&image),
        }
        let listeners = match self.listeners.read() {
            Ok(listeners) => listeners,
            Err(poisoned) => poisoned.into_inner(),
        };
        for listener in listeners.iter() {
            listener(&image);
        }
        Ok(last_offset)
    }
}

/// Records to commit at open: `metadata.version` if unset, and this node's registration if it
/// is missing or its endpoints, rack or log dirs changed. The registration is not refreshed on
/// every restart (Kafka does, with a new epoch), so reopening an unchanged node leaves the
/// image unchanged.
fn bootstrap_records(image: &MetadataImage, options: &StoreOptions) -> Vec<MetadataRecord> {
    let bootstrap = &options.bootstrap;
    let mut records = Vec::new();
    if !image.features().contains_key(METADATA_VERSION_FEATURE) {
        records.push(MetadataRecord::FeatureLevel(FeatureLevelRecord {
            name: METADATA_VERSION_FEATURE.to_string(),
            feature_level: bootstrap.metadata_version,
        }));
    }
    let current = image.brokers().get(&options.node_id);
    let unchanged = current.is_some_and(|broker| {
        broker.endpoints == bootstrap.endpoints
            && broker.rack == bootstrap.rack
            && broker.log_dirs == bootstrap.log_dir_ids
    });
    if !unchanged {
        records.push(MetadataRecord::RegisterBroker(RegisterBrokerRecord {
            broker_id: options.node_id,
            is_migrating_zk_broker: false,
            incarnation_id: bootstrap.incarnation_id,
            // Kafka uses the offset of the registration record as the broker epoch.
            broker_epoch: image.last_applied_offset() + 1 + records.len() as i64,
            end_points: bootstrap.endpoints.clone(),
            features: vec![BrokerFeature {
                name: METADATA_VERSION_FEATURE.to_string(),
                min_supported_version: METADATA_VERSION_MIN,
                max_supported_version: bootstrap.metadata_version,
            }],
            rack: bootstrap.rack.clone(),
            // Single node: the controller is this node, so the broker starts unfenced (Kafka
            // unfences it on its first heartbeat once caught up).
            fenced: false,
            in_controlled_shutdown: false,
            log_dirs: bootstrap.log_dir_ids.clone(),
        }));
    }
    records
}
