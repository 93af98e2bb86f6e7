//! `ConfigRecord` (apiKey 4).
//!
//! Schema: Kafka `metadata/src/main/resources/common/metadata/ConfigRecord.json`
//! (`"validVersions": "0"`, `"flexibleVersions": "0+"`): ResourceType int8, ResourceName
//! string, Name string, Value nullable string ("or null if it should be deleted").

use super::RecordDecodeError;
use super::codec::{Reader, Writer};

/// Config resource types as numbered by Kafka's `ConfigResource.Type` (also the wire values of
/// DescribeConfigs/AlterConfigs `ResourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigResourceType {
    /// 2: a topic; the resource name is the topic name.
    Topic,
    /// 4: a broker; the name is the node id, or empty for the cluster-wide default.
    Broker,
    /// 8: a broker's loggers (handled by the broker itself, never stored here).
    BrokerLogger,
    /// 16: a client metrics subscription (KIP-714).
    ClientMetrics,
    /// 32: a consumer group (KIP-848).
    Group,
}

impl ConfigResourceType {
    /// The wire/record value.
    pub fn id(self) -> i8 {
        match self {
            Self::Topic => 2,
            Self::Broker => 4,
            Self::BrokerLogger => 8,
            Self::ClientMetrics => 16,
            Self::Group => 32,
        }
    }

    /// Parses a wire/record value.
    pub fn from_id(id: i8) -> Option<Self> {
        Some(match id {
            2 => Self::Topic,
            4 => Self::Broker,
            8 => Self::BrokerLogger,
            16 => Self::ClientMetrics,
            32 => Self::Group,
            _ => return None,
        })
    }
}

/// One config key of one resource was set (value) or deleted (null value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRecord {
    /// `ResourceType`: see [`ConfigResourceType`]; kept raw so unknown types round-trip.
    pub resource_type: i8,
    /// `ResourceName`.
    pub resource_name: String,
    /// `Name`: the config key.
    pub name: String,
    /// `Value`: the new value, or `None` to delete the key.
    pub value: Option<String>,
}

impl ConfigRecord {
    pub(super) fn write(&self, writer: &mut Writer) {
        writer.i8(self.resource_type);
        writer.compact_string(&self.resource_name);
        writer.compact_string(&self.name);
        writer.compact_nullable_string(self.value.as_deref());
        writer.tagged_fields(&[]);
    }

    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, RecordDecodeError> {
        let resource_type = reader.i8("ResourceType")?;
        let resource_name = reader.compact_string("ResourceName")?;
        let name = reader.compact_string("Name")?;
        let value = reader.compact_nullable_string("Value")?;
        reader.tagged_fields(|_, _| Ok(()))?;
        Ok(Self {
            resource_type,
            resource_name,
            name,
            value,
        })
    }
}
