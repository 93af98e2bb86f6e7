//! Where a reported config value comes from: `ConfigSource` of `DescribeConfigsResponse.json`
//! (KIP-226). The broker writes these ids and the tools read them, so both share this one type.

/// The source of a config value; the discriminant order is the wire id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConfigSource {
    /// 0: unknown.
    Unknown,
    /// 1: a topic override (`DYNAMIC_TOPIC_CONFIG`).
    DynamicTopicConfig,
    /// 2: a per-broker dynamic value.
    DynamicBrokerConfig,
    /// 3: a cluster-wide dynamic broker default.
    DynamicDefaultBrokerConfig,
    /// 4: set in the server's configuration at start-up.
    StaticBrokerConfig,
    /// 5: Kafka's default.
    DefaultConfig,
    /// 6: a dynamic logger level.
    DynamicBrokerLoggerConfig,
}

impl ConfigSource {
    /// The wire value.
    pub fn id(self) -> i8 {
        match self {
            Self::Unknown => 0,
            Self::DynamicTopicConfig => 1,
            Self::DynamicBrokerConfig => 2,
            Self::DynamicDefaultBrokerConfig => 3,
            Self::StaticBrokerConfig => 4,
            Self::DefaultConfig => 5,
            Self::DynamicBrokerLoggerConfig => 6,
        }
    }

    /// From the wire value; ids this version does not know map to `Unknown`.
    pub fn from_id(id: i8) -> Self {
        match id {
            1 => Self::DynamicTopicConfig,
            2 => Self::DynamicBrokerConfig,
            3 => Self::DynamicDefaultBrokerConfig,
            4 => Self::StaticBrokerConfig,
            5 => Self::DefaultConfig,
            6 => Self::DynamicBrokerLoggerConfig,
            _ => Self::Unknown,
        }
    }

    /// Kafka's enum constant name, as `kafka-configs.sh --describe --all` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::DynamicTopicConfig => "DYNAMIC_TOPIC_CONFIG",
            Self::DynamicBrokerConfig => "DYNAMIC_BROKER_CONFIG",
            Self::DynamicDefaultBrokerConfig => "DYNAMIC_DEFAULT_BROKER_CONFIG",
            Self::StaticBrokerConfig => "STATIC_BROKER_CONFIG",
            Self::DefaultConfig => "DEFAULT_CONFIG",
            Self::DynamicBrokerLoggerConfig => "DYNAMIC_BROKER_LOGGER_CONFIG",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ConfigSource;

    #[test]
    fn wire_ids_round_trip() {
        for id in 0..=6 {
            assert_eq!(ConfigSource::from_id(id).id(), id);
        }
        assert_eq!(ConfigSource::from_id(42), ConfigSource::Unknown);
    }
}
