//! The broker configuration keys fjord knows, with Kafka's types, defaults and validators.
//!
//! Sources: Kafka 3.x/4.x `KafkaConfig` and the classes it delegates to — `ServerConfigs`,
//! `KRaftConfigs`, `ServerLogConfigs`, `SocketServerConfigs`, `ReplicationConfigs`,
//! `GroupCoordinatorConfig`, `TransactionLogConfig`, `ZkConfigs`, `QuorumConfig`,
//! `CleanerConfig` — as documented on kafka.apache.org "Broker Configs". `dynamic` marks the keys
//! Kafka's `DynamicBrokerConfig.AllDynamicConfigs` can change at run time (DescribeConfigs reports
//! the others as read-only).

use crate::value::{ConfigType, Validator};

/// One known configuration key.
#[derive(Debug, Clone, Copy)]
pub struct ConfigKey {
    /// The key, e.g. `num.partitions`.
    pub name: &'static str,
    /// Its type.
    pub ty: ConfigType,
    /// Kafka's default in string form; `None` is Kafka's `null` default.
    pub default: Option<&'static str>,
    /// The value check.
    pub validator: Validator,
    /// Whether Kafka can update it dynamically (DescribeConfigs `read_only = !dynamic`).
    pub dynamic: bool,
}

const fn key(name: &'static str, ty: ConfigType, default: Option<&'static str>) -> ConfigKey {
    ConfigKey {
        name,
        ty,
        default,
        validator: Validator::None,
        dynamic: false,
    }
}

const fn checked(
    name: &'static str,
    ty: ConfigType,
    default: Option<&'static str>,
    validator: Validator,
) -> ConfigKey {
    ConfigKey {
        name,
        ty,
        default,
        validator,
        dynamic: false,
    }
}

const fn dynamic(mut k: ConfigKey) -> ConfigKey {
    k.dynamic = true;
    k
}

use ConfigType::{
    Boolean as B, Double as D, Int as I, List as L, Long as J, Password as P, Short as S,
    String as T,
};

/// `Long.MAX_VALUE` as Kafka writes it in defaults.
pub const LONG_MAX: &str = "9223372036854775807";
/// `Integer.MAX_VALUE` as Kafka writes it in defaults.
pub const INT_MAX: &str = "2147483647";

/// Compression codecs for `compression.type` (`BrokerCompressionType`).
pub const COMPRESSION_TYPES: &[&str] =
    &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
/// `log.message.timestamp.type` values (`TimestampType`).
pub const TIMESTAMP_TYPES: &[&str] = &["CreateTime", "LogAppendTime"];
/// `cleanup.policy` values (`TopicConfig.CLEANUP_POLICY_*`).
pub const CLEANUP_POLICIES: &[&str] = &["compact", "delete"];
/// `group.coordinator.rebalance.protocols` values (Kafka `Group.GroupType`).
pub const GROUP_REBALANCE_PROTOCOLS: &[&str] = &["classic", "consumer", "share", "streams"];
/// `group.consumer.migration.policy` values (Kafka `ConsumerGroupMigrationPolicy`).
pub const GROUP_MIGRATION_POLICIES: &[&str] =
    &["disabled", "upgrade", "downgrade", "bidirectional"];
/// `process.roles` values (`KRaftConfigs.PROCESS_ROLES_DOC`).
pub const PROCESS_ROLES: &[&str] = &["broker", "controller"];

/// Kafka's default `listener.security.protocol.map` (`SocketServerConfigs`).
pub const DEFAULT_SECURITY_PROTOCOL_MAP: &str =
    "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT";

/// Every broker key fjord knows, in Kafka's documentation grouping.
pub static BROKER_KEYS: &[ConfigKey] = &[
    // --- server / KRaft (ServerConfigs, KRaftConfigs, QuorumConfig)
    checked("node.id", I, Some("-1"), Validator::None),
    checked("broker.id", I, Some("-1"), Validator::None),
    checked(
        "process.roles",
        L,
        Some(""),
        Validator::ListOf(PROCESS_ROLES),
    ),
    key("controller.listener.names", T, None),
    key("controller.quorum.voters", L, Some("")),
    key("controller.quorum.bootstrap.servers", L, Some("")),
    key("controller.quorum.election.timeout.ms", I, Some("1000")),
    key("controller.quorum.fetch.timeout.ms", I, Some("2000")),
    key("controller.quorum.request.timeout.ms", I, Some("2000")),
    key("metadata.log.dir", T, None),
    checked(
        "metadata.log.segment.bytes",
        I,
        Some("1073741824"),
        Validator::AtLeast(12),
    ),
    key("broker.heartbeat.interval.ms", I, Some("2000")),
    key("broker.session.timeout.ms", I, Some("9000")),
    key("initial.broker.registration.timeout.ms", I, Some("60000")),
    key("broker.rack", T, None),
    key("controlled.shutdown.enable", B, Some("true")),
    checked("background.threads", I, Some("10"), Validator::AtLeast(1)),
    checked("queued.max.requests", I, Some("500"), Validator::AtLeast(1)),
    dynamic(checked(
        "num.io.threads",
        I,
        Some("8"),
        Validator::AtLeast(1),
    )),
    checked("request.timeout.ms", I, Some("30000"), Validator::None),
    // --- listeners (SocketServerConfigs, ReplicationConfigs)
    dynamic(key("listeners", T, Some("PLAINTEXT://:9092"))),
    dynamic(key("advertised.listeners", T, None)),
    dynamic(key(
        "listener.security.protocol.map",
        T,
        Some(DEFAULT_SECURITY_PROTOCOL_MAP),
    )),
    key("inter.broker.listener.name", T, None),
    key("security.inter.broker.protocol", T, Some("PLAINTEXT")),
    dynamic(checked(
        "num.network.threads",
        I,
        Some("3"),
        Validator::AtLeast(1),
    )),
    key("socket.send.buffer.bytes", I, Some("102400")),
    key("socket.receive.buffer.bytes", I, Some("102400")),
    checked(
        "socket.request.max.bytes",
        I,
        Some("104857600"),
        Validator::AtLeast(1),
    ),
    checked(
        "socket.listen.backlog.size",
        I,
        Some("50"),
        Validator::AtLeast(1),
    ),
    dynamic(checked(
        "max.connections",
        I,
        Some(INT_MAX),
        Validator::AtLeast(0),
    )),
    dynamic(checked(
        "max.connections.per.ip",
        I,
        Some(INT_MAX),
        Validator::AtLeast(0),
    )),
    dynamic(key("max.connections.per.ip.overrides", T, Some(""))),
    key("connections.max.idle.ms", J, Some("600000")),
    // --- log (ServerLogConfigs, CleanerConfig)
    key("log.dirs", T, None),
    key("log.dir", T, Some("/tmp/kafka-logs")),
    checked("num.partitions", I, Some("1"), Validator::AtLeast(1)),
    key("default.replication.factor", I, Some("1")),
    dynamic(checked(
        "min.insync.replicas",
        I,
        Some("1"),
        Validator::AtLeast(1),
    )),
    key("auto.create.topics.enable", B, Some("true")),
    key("delete.topic.enable", B, Some("true")),
    dynamic(checked(
        "message.max.bytes",
        I,
        Some("1048588"),
        Validator::AtLeast(0),
    )),
    dynamic(checked(
        "log.segment.bytes",
        I,
        Some("1073741824"),
        Validator::AtLeast(14),
    )),
    dynamic(key("log.roll.ms", J, None)),
    dynamic(checked(
        "log.roll.hours",
        I,
        Some("168"),
        Validator::AtLeast(1),
    )),
    dynamic(key("log.roll.jitter.ms", J, None)),
    dynamic(checked(
        "log.roll.jitter.hours",
        I,
        Some("0"),
        Validator::AtLeast(0),
    )),
    dynamic(key("log.retention.ms", J, None)),
    dynamic(key("log.retention.minutes", I, None)),
    dynamic(key("log.retention.hours", I, Some("168"))),
    dynamic(key("log.retention.bytes", J, Some("-1"))),
    checked(
        "log.retention.check.interval.ms",
        J,
        Some("300000"),
        Validator::AtLeast(1),
    ),
    dynamic(checked(
        "log.cleanup.policy",
        L,
        Some("delete"),
        Validator::ListOf(CLEANUP_POLICIES),
    )),
    dynamic(checked(
        "log.index.size.max.bytes",
        I,
        Some("10485760"),
        Validator::AtLeast(4),
    )),
    dynamic(checked(
        "log.index.interval.bytes",
        I,
        Some("4096"),
        Validator::AtLeast(0),
    )),
    dynamic(checked(
        "log.flush.interval.messages",
        J,
        Some(LONG_MAX),
        Validator::AtLeast(1),
    )),
    dynamic(key("log.flush.interval.ms", J, None)),
    key("log.flush.scheduler.interval.ms", J, Some(LONG_MAX)),
    checked(
        "log.flush.offset.checkpoint.interval.ms",
        I,
        Some("60000"),
        Validator::AtLeast(0),
    ),
    checked(
        "log.flush.start.offset.checkpoint.interval.ms",
        I,
        Some("60000"),
        Validator::AtLeast(0),
    ),
    dynamic(checked(
        "log.message.timestamp.type",
        T,
        Some("CreateTime"),
        Validator::OneOf(TIMESTAMP_TYPES),
    )),
    dynamic(checked(
        "log.message.timestamp.before.max.ms",
        J,
        Some(LONG_MAX),
        Validator::AtLeast(0),
    )),
    dynamic(checked(
        "log.message.timestamp.after.max.ms",
        J,
        Some(LONG_MAX),
        Validator::AtLeast(0),
    )),
    dynamic(checked(
        "log.segment.delete.delay.ms",
        J,
        Some("60000"),
        Validator::AtLeast(0),
    )),
    dynamic(key("log.preallocate", B, Some("false"))),
    key("log.cleaner.enable", B, Some("true")),
    dynamic(checked(
        "log.cleaner.threads",
        I,
        Some("1"),
        Validator::AtLeast(0),
    )),
    dynamic(checked(
        "log.cleaner.delete.retention.ms",
        J,
        Some("86400000"),
        Validator::AtLeast(0),
    )),
    dynamic(checked(
        "log.cleaner.min.compaction.lag.ms",
        J,
        Some("0"),
        Validator::AtLeast(0),
    )),
    dynamic(checked(
        "log.cleaner.max.compaction.lag.ms",
        J,
        Some(LONG_MAX),
        Validator::AtLeast(1),
    )),
    dynamic(checked(
        "log.cleaner.min.cleanable.ratio",
        D,
        Some("0.5"),
        Validator::Between(0.0, 1.0),
    )),
    dynamic(checked(
        "compression.type",
        T,
        Some("producer"),
        Validator::OneOfIgnoreCase(COMPRESSION_TYPES),
    )),
    // KIP-390 compression levels (ServerLogConfigs / CompressionType): gzip -1 or 1..=9
    // (fjord's range check admits 0, which Kafka's GzipCompression validator refuses), lz4
    // 1..=17, zstd -131072..=22.
    dynamic(checked(
        "compression.gzip.level",
        I,
        Some("-1"),
        Validator::Between(-1.0, 9.0),
    )),
    dynamic(checked(
        "compression.lz4.level",
        I,
        Some("9"),
        Validator::Between(1.0, 17.0),
    )),
    dynamic(checked(
        "compression.zstd.level",
        I,
        Some("3"),
        Validator::Between(-131_072.0, 22.0),
    )),
    // KIP-405 local retention (RemoteLogManagerConfig): -2 = use the total retention.
    dynamic(checked(
        "log.local.retention.ms",
        J,
        Some("-2"),
        Validator::AtLeast(-2),
    )),
    dynamic(checked(
        "log.local.retention.bytes",
        J,
        Some("-2"),
        Validator::AtLeast(-2),
    )),
    dynamic(checked(
        "num.recovery.threads.per.data.dir",
        I,
        Some("1"),
        Validator::AtLeast(1),
    )),
    // --- replication (ReplicationConfigs)
    dynamic(checked(
        "num.replica.fetchers",
        I,
        Some("1"),
        Validator::None,
    )),
    key("replica.lag.time.max.ms", J, Some("30000")),
    key("replica.fetch.max.bytes", I, Some("1048576")),
    key("replica.fetch.wait.max.ms", I, Some("500")),
    key("replica.socket.timeout.ms", I, Some("30000")),
    dynamic(key("unclean.leader.election.enable", B, Some("false"))),
    key("auto.leader.rebalance.enable", B, Some("true")),
    key("fetch.max.bytes", I, Some("57671680")),
    // --- group coordinator (GroupCoordinatorConfig)
    checked(
        "offsets.topic.num.partitions",
        I,
        Some("50"),
        Validator::AtLeast(1),
    ),
    checked(
        "offsets.topic.replication.factor",
        S,
        Some("3"),
        Validator::AtLeast(1),
    ),
    checked(
        "offsets.topic.segment.bytes",
        I,
        Some("104857600"),
        Validator::AtLeast(1),
    ),
    checked(
        "offsets.retention.minutes",
        I,
        Some("10080"),
        Validator::AtLeast(1),
    ),
    key("group.initial.rebalance.delay.ms", I, Some("3000")),
    key("group.min.session.timeout.ms", I, Some("6000")),
    key("group.max.session.timeout.ms", I, Some("1800000")),
    checked("group.max.size", I, Some(INT_MAX), Validator::AtLeast(1)),
    // --- group coordinator, offsets and KIP-848 consumer groups (Kafka 4.1
    // `GroupCoordinatorConfig`: names, defaults and `ConfigDef` validators).
    checked(
        "group.coordinator.rebalance.protocols",
        L,
        Some("classic,consumer"),
        Validator::ListOf(GROUP_REBALANCE_PROTOCOLS),
    ),
    checked(
        "group.coordinator.threads",
        I,
        Some("4"),
        Validator::AtLeast(1),
    ),
    checked(
        "group.coordinator.append.linger.ms",
        I,
        Some("5"),
        Validator::AtLeast(0),
    ),
    checked(
        "offsets.retention.check.interval.ms",
        J,
        Some("600000"),
        Validator::AtLeast(1),
    ),
    checked(
        "offsets.commit.timeout.ms",
        I,
        Some("5000"),
        Validator::AtLeast(1),
    ),
    checked(
        "offsets.load.buffer.size",
        I,
        Some("5242880"),
        Validator::AtLeast(1),
    ),
    key("offset.metadata.max.bytes", I, Some("4096")),
    checked(
        "group.consumer.session.timeout.ms",
        I,
        Some("45000"),
        Validator::AtLeast(1),
    ),
    checked(
        "group.consumer.min.session.timeout.ms",
        I,
        Some("45000"),
        Validator::AtLeast(1),
    ),
    checked(
        "group.consumer.max.session.timeout.ms",
        I,
        Some("60000"),
        Validator::AtLeast(1),
    ),
    checked(
        "group.consumer.heartbeat.interval.ms",
        I,
        Some("5000"),
        Validator::AtLeast(1),
    ),
    checked(
        "group.consumer.min.heartbeat.interval.ms",
        I,
        Some("5000"),
        Validator::AtLeast(1),
    ),
    checked(
        "group.consumer.max.heartbeat.interval.ms",
        I,
        Some("15000"),
        Validator::AtLeast(1),
    ),
    checked(
        "group.consumer.max.size",
        I,
        Some(INT_MAX),
        Validator::AtLeast(1),
    ),
    key("group.consumer.assignors", L, Some("uniform,range")),
    checked(
        "group.consumer.migration.policy",
        T,
        Some("bidirectional"),
        Validator::OneOfIgnoreCase(GROUP_MIGRATION_POLICIES),
    ),
    // --- transactions (TransactionLogConfig, TransactionStateManagerConfig)
    checked(
        "transaction.state.log.num.partitions",
        I,
        Some("50"),
        Validator::AtLeast(1),
    ),
    checked(
        "transaction.state.log.replication.factor",
        S,
        Some("3"),
        Validator::AtLeast(1),
    ),
    checked(
        "transaction.state.log.min.isr",
        I,
        Some("2"),
        Validator::AtLeast(1),
    ),
    checked(
        "transaction.state.log.segment.bytes",
        I,
        Some("104857600"),
        Validator::AtLeast(1),
    ),
    checked(
        "transactional.id.expiration.ms",
        I,
        Some("604800000"),
        Validator::AtLeast(1),
    ),
    checked(
        "transaction.max.timeout.ms",
        I,
        Some("900000"),
        Validator::AtLeast(1),
    ),
    // --- ZooKeeper mode (ZkConfigs)
    key("zookeeper.connect", T, None),
    key("zookeeper.connection.timeout.ms", I, None),
    key("zookeeper.session.timeout.ms", I, Some("18000")),
    // Broker id generation in ZooKeeper mode (Kafka 3.x `ServerConfigs`): ids above
    // reserved.broker.max.id are handed out when broker.id is -1.
    checked(
        "reserved.broker.max.id",
        I,
        Some("1000"),
        Validator::AtLeast(0),
    ),
    key("broker.id.generation.enable", B, Some("true")),
    // --- security (a few secrets, so sensitivity is exercised)
    dynamic(key("sasl.enabled.mechanisms", L, Some("GSSAPI"))),
    dynamic(key("ssl.keystore.password", P, None)),
    dynamic(key("ssl.key.password", P, None)),
    dynamic(key("ssl.truststore.password", P, None)),
    // --- fjord's own
    key("console.listeners", T, Some("http://127.0.0.1:8048")),
    // The console's `admin` password (a secret: DescribeConfigs shows it as sensitive/null).
    key("console.admin.password", P, None),
    // How often the console samples offsets, lag and rates into its charts and alerts.
    checked(
        "console.sample.interval.ms",
        J,
        Some("5000"),
        Validator::AtLeast(100),
    ),
];

/// Looks up a broker key.
pub fn broker_key(name: &str) -> Option<&'static ConfigKey> {
    BROKER_KEYS.iter().find(|k| k.name == name)
}

/// Whether a key is a secret by type or by name (Kafka hides every `PASSWORD` key and
/// anything it cannot type, e.g. `listener.name.*.password`).
pub fn is_sensitive(name: &str) -> bool {
    broker_key(name).map_or_else(
        || name.contains("password") || name.ends_with("jaas.config"),
        |k| k.ty == P,
    )
}

#[cfg(test)]
#[path = "group_keys_tests.rs"]
mod group_keys_tests;
