//! Group coordinator settings, with Kafka's broker config names and defaults
//! (Kafka `GroupCoordinatorConfig`, `OffsetConfig`).

/// Settings of one coordinator shard; the broker builds it from `server.properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCoordinatorConfig {
    /// `group.initial.rebalance.delay.ms` (3000): how long the first rebalance of an empty
    /// group waits for more members, extended while members keep arriving.
    pub initial_rebalance_delay_ms: i64,
    /// `group.min.session.timeout.ms` (6000).
    pub session_timeout_ms_min: i32,
    /// `group.max.session.timeout.ms` (1800000).
    pub session_timeout_ms_max: i32,
    /// `group.max.size` (Kafka: `Integer.MAX_VALUE`).
    pub group_size_max: usize,
    /// `offsets.retention.minutes` (10080 = 7 days) in ms: how long offsets of an empty
    /// group (KIP-211) or a simple group outlive their base timestamp.
    pub offsets_retention_ms: i64,
    /// `offsets.retention.check.interval.ms` (600000): how often expiry runs.
    pub offsets_retention_check_interval_ms: i64,
    /// `offset.metadata.max.bytes` (4096): larger commit metadata gets
    /// OFFSET_METADATA_TOO_LARGE.
    pub offset_metadata_bytes_max: usize,
    /// `group.consumer.session.timeout.ms` (45000): KIP-848 member session.
    pub consumer_session_timeout_ms: i32,
    /// `group.consumer.heartbeat.interval.ms` (5000): KIP-848 heartbeat interval.
    pub consumer_heartbeat_interval_ms: i32,
    /// `group.consumer.assignors` (uniform, range): the first is the default.
    pub consumer_assignors: Vec<String>,
    /// `group.consumer.max.size` (Kafka: `Integer.MAX_VALUE`).
    pub consumer_group_size_max: usize,
    /// Seed of the member-id generator (Kafka uses `UUID.randomUUID()`); the broker passes
    /// fresh randomness, tests a fixed value.
    pub member_id_seed: u64,
}

impl Default for GroupCoordinatorConfig {
    fn default() -> Self {
        Self {
            initial_rebalance_delay_ms: 3_000,
            session_timeout_ms_min: 6_000,
            session_timeout_ms_max: 1_800_000,
            group_size_max: i32::MAX as usize,
            offsets_retention_ms: 10_080 * 60 * 1_000,
            offsets_retention_check_interval_ms: 600_000,
            offset_metadata_bytes_max: 4_096,
            consumer_session_timeout_ms: 45_000,
            consumer_heartbeat_interval_ms: 5_000,
            consumer_assignors: vec!["uniform".to_string(), "range".to_string()],
            consumer_group_size_max: i32::MAX as usize,
            member_id_seed: 0x5eed,
        }
    }
}
