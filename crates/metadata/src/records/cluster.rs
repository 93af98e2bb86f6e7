//! `RegisterBrokerRecord` (apiKey 0) and `FeatureLevelRecord` (apiKey 12).
//!
//! Schemas: Kafka `metadata/src/main/resources/common/metadata/RegisterBrokerRecord.json`
//! (Kafka 4.1: `"validVersions": "0-3"`, `"flexibleVersions": "0+"`; v1 adds
//! InControlledShutdown, v2 adds IsMigratingZkBroker, v3 adds the tagged LogDirs) and
//! `FeatureLevelRecord.json` (`"validVersions": "0"`, `"flexibleVersions": "0+"`).

use uuid::Uuid;

use super::RecordDecodeError;
use super::codec::{Reader, Writer};

/// One listener a broker advertises (`BrokerEndpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerEndpoint {
    /// `Name`: the listener name, e.g. `PLAINTEXT`.
    pub name: String,
    /// `Host`.
    pub host: String,
    /// `Port` (uint16).
    pub port: u16,
    /// `SecurityProtocol`: Kafka `SecurityProtocol.id` (0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT,
    /// 3 SASL_SSL).
    pub security_protocol: i16,
}

/// A feature range a broker supports (`BrokerFeature`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerFeature {
    /// `Name`, e.g. `metadata.version`.
    pub name: String,
    /// `MinSupportedVersion`.
    pub min_supported_version: i16,
    /// `MaxSupportedVersion`.
    pub max_supported_version: i16,
}

/// A broker registered with the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterBrokerRecord {
    /// `BrokerId`.
    pub broker_id: i32,
    /// `IsMigratingZkBroker` (v2+).
    pub is_migrating_zk_broker: bool,
    /// `IncarnationId`: random per broker process start.
    pub incarnation_id: Uuid,
    /// `BrokerEpoch`: assigned by the controller (Kafka uses the record's log offset).
    pub broker_epoch: i64,
    /// `EndPoints`.
    pub end_points: Vec<BrokerEndpoint>,
    /// `Features`.
    pub features: Vec<BrokerFeature>,
    /// `Rack`.
    pub rack: Option<String>,
    /// `Fenced`.
    pub fenced: bool,
    /// `InControlledShutdown` (v1+).
    pub in_controlled_shutdown: bool,
    /// `LogDirs` (v3+, tag 0): ids of this broker's online log directories.
    pub log_dirs: Vec<Uuid>,
}

impl RegisterBrokerRecord {
    /// Highest version in Kafka 4.1's `RegisterBrokerRecord.json`.
    pub const VERSION_MAX: i16 = 3;

    /// The lowest version carrying this record's content.
    pub fn version(&self) -> i16 {
        if !self.log_dirs.is_empty() {
            3
        } else if self.is_migrating_zk_broker {
            2
        } else if self.in_controlled_shutdown {
            1
        } else {
            0
        }
    }

    pub(super) fn write(&self, writer: &mut Writer, version: i16) {
        writer.i32(self.broker_id);
        if version >= 2 {
            writer.bool(self.is_migrating_zk_broker);
        }
        writer.uuid(self.incarnation_id);
        writer.i64(self.broker_epoch);
        writer.length_plus_one(self.end_points.len());
        for endpoint in &self.end_points {
            writer.compact_string(&endpoint.name);
            writer.compact_string(&endpoint.host);
            writer.u16(endpoint.port);
            writer.i16(endpoint.security_protocol);
            writer.tagged_fields(&[]);
        }
        writer.length_plus_one(self.features.len());
        for feature in &self.features {
            writer.compact_string(&feature.name);
            writer.i16(feature.min_supported_version);
            writer.i16(feature.max_supported_version);
            writer.tagged_fields(&[]);
        }
        writer.compact_nullable_string(self.rack.as_deref());
        writer.bool(self.fenced);
        if version >= 1 {
            writer.bool(self.in_controlled_shutdown);
        }
        let mut tagged = Vec::new();
        if version >= 3 && !self.log_dirs.is_empty() {
            let mut field = Writer::new();
            field.compact_uuid_array(&self.log_dirs);
            tagged.push((0, field.into_bytes()));
        }
        writer.tagged_fields(&tagged);
    }

    pub(super) fn read(reader: &mut Reader<'_>, version: i16) -> Result<Self, RecordDecodeError> {
        let broker_id = reader.i32("BrokerId")?;
        let is_migrating_zk_broker = if version >= 2 {
            reader.bool("IsMigratingZkBroker")?
        } else {
            false
        };
        let incarnation_id = reader.uuid("IncarnationId")?;
        let broker_epoch = reader.i64("BrokerEpoch")?;
        // Each endpoint is at least 2 + 2 + 2 + 2 + 1 bytes.
        let endpoint_count = reader.compact_struct_count("EndPoints", 9)?;
        let mut end_points = Vec::with_capacity(endpoint_count);
        for _ in 0..endpoint_count {
            let name = reader.compact_string("EndPoints.Name")?;
            let host = reader.compact_string("EndPoints.Host")?;
            let port = reader.u16("EndPoints.Port")?;
            let security_protocol = reader.i16("EndPoints.SecurityProtocol")?;
            reader.tagged_fields(|_, _| Ok(()))?;
            end_points.push(BrokerEndpoint {
                name,
                host,
                port,
                security_protocol,
            });
        }
        // Each feature is at least 1 + 2 + 2 + 1 bytes.
        let feature_count = reader.compact_struct_count("Features", 6)?;
        let mut features = Vec::with_capacity(feature_count);
        for _ in 0..feature_count {
            let name = reader.compact_string("Features.Name")?;
            let min_supported_version = reader.i16("Features.MinSupportedVersion")?;
            let max_supported_version = reader.i16("Features.MaxSupportedVersion")?;
            reader.tagged_fields(|_, _| Ok(()))?;
            features.push(BrokerFeature {
                name,
                min_supported_version,
                max_supported_version,
            });
        }
        let rack = reader.compact_nullable_string("Rack")?;
        let fenced = reader.bool("Fenced")?;
        let in_controlled_shutdown = if version >= 1 {
            reader.bool("InControlledShutdown")?
        } else {
            false
        };
        let mut log_dirs = Vec::new();
        reader.tagged_fields(|tag, bytes| {
            if tag == 0 && version >= 3 {
                log_dirs = Reader::new(bytes).compact_uuid_array("LogDirs")?;
            }
            Ok(())
        })?;
        Ok(Self {
            broker_id,
            is_migrating_zk_broker,
            incarnation_id,
            broker_epoch,
            end_points,
            features,
            rack,
            fenced,
            in_controlled_shutdown,
            log_dirs,
        })
    }
}

/// The finalized level of a cluster feature (e.g. `metadata.version`) changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureLevelRecord {
    /// `Name`: the feature name.
    pub name: String,
    /// `FeatureLevel`: the finalized level; 0 means the feature is not enabled.
    pub feature_level: i16,
}

impl FeatureLevelRecord {
    pub(super) fn write(&self, writer: &mut Writer) {
        writer.compact_string(&self.name);
        writer.i16(self.feature_level);
        writer.tagged_fields(&[]);
    }

    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, RecordDecodeError> {
        let name = reader.compact_string("Name")?;
        let feature_level = reader.i16("FeatureLevel")?;
        reader.tagged_fields(|_, _| Ok(()))?;
        Ok(Self {
            name,
            feature_level,
        })
    }
}
