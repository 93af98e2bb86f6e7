//! `ClientQuotaRecord` (apiKey 14).
//!
//! Schema: Kafka `metadata/src/main/resources/common/metadata/ClientQuotaRecord.json`
//! (`"validVersions": "0-1"`, `"flexibleVersions": "1+"`): Entity array of (EntityType string,
//! EntityName nullable string — null for the default entity), Key string, Value float64, Remove
//! bool. We write v0 (what every KRaft Kafka reads) and read both versions.

use super::RecordDecodeError;
use super::codec::{Reader, Writer};

/// One component of a quota entity: `("user" | "client-id" | "ip", name or None for default)`.
pub type QuotaEntityPart = (String, Option<String>);

/// One quota key of one entity was set (`remove == false`) or removed.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientQuotaRecord {
    /// `Entity`: the entity's components, as the request listed them.
    pub entity: Vec<QuotaEntityPart>,
    /// `Key`: e.g. `producer_byte_rate`.
    pub key: String,
    /// `Value`: ignored when `remove`.
    pub value: f64,
    /// `Remove`: whether the key is removed.
    pub remove: bool,
}

// Values come from validated requests (finite doubles), so equality by bits is total here.
impl Eq for ClientQuotaRecord {}

/// The version we encode.
pub(super) const CLIENT_QUOTA_RECORD_VERSION: i16 = 0;
/// The highest version we read.
pub(super) const CLIENT_QUOTA_RECORD_VERSION_MAX: i16 = 1;

impl ClientQuotaRecord {
    pub(super) fn write(&self, writer: &mut Writer) {
        // v0: non-flexible (INT32 array count, INT16 string lengths, no tagged fields).
        writer.i32(i32::try_from(self.entity.len()).unwrap_or(i32::MAX));
        for (entity_type, entity_name) in &self.entity {
            writer.string(entity_type);
            writer.nullable_string(entity_name.as_deref());
        }
        writer.string(&self.key);
        writer.f64(self.value);
        writer.bool(self.remove);
    }

    pub(super) fn read(reader: &mut Reader<'_>, version: i16) -> Result<Self, RecordDecodeError> {
        let flexible = version >= 1;
        // Each entity element is at least two length prefixes long.
        let count = if flexible {
            reader.compact_struct_count("Entity", 2)?
        } else {
            reader.struct_count("Entity", 4)?
        };
        let mut entity = Vec::with_capacity(count);
        for _ in 0..count {
            if flexible {
                let entity_type = reader.compact_string("EntityType")?;
                let entity_name = reader.compact_nullable_string("EntityName")?;
                reader.tagged_fields(|_, _| Ok(()))?;
                entity.push((entity_type, entity_name));
            } else {
                let entity_type = reader.string("EntityType")?;
                let entity_name = reader.nullable_string("EntityName")?;
                entity.push((entity_type, entity_name));
            }
        }
        let key = if flexible {
            reader.compact_string("Key")?
        } else {
            reader.string("Key")?
        };
        let value = reader.f64("Value")?;
        let remove = reader.bool("Remove")?;
        if flexible {
            reader.tagged_fields(|_, _| Ok(()))?;
        }
        Ok(Self {
            entity,
            key,
            value,
            remove,
        })
    }
}
