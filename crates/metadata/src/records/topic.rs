//! `TopicRecord` (apiKey 2) and `RemoveTopicRecord` (apiKey 9).
//!
//! Schemas: Kafka `metadata/src/main/resources/common/metadata/TopicRecord.json`
//! (`"validVersions": "0"`, `"flexibleVersions": "0+"`: Name string, TopicId uuid) and
//! `RemoveTopicRecord.json` (`"validVersions": "0"`, `"flexibleVersions": "0+"`: TopicId uuid).

use uuid::Uuid;

use super::RecordDecodeError;
use super::codec::{Reader, Writer};

/// A topic was created with this name and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRecord {
    /// `Name`: the topic name.
    pub name: String,
    /// `TopicId`: the unique id of this topic.
    pub topic_id: Uuid,
}

impl TopicRecord {
    pub(super) fn write(&self, writer: &mut Writer) {
        writer.compact_string(&self.name);
        writer.uuid(self.topic_id);
        writer.tagged_fields(&[]);
    }

    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, RecordDecodeError> {
        let name = reader.compact_string("Name")?;
        let topic_id = reader.uuid("TopicId")?;
        reader.tagged_fields(|_, _| Ok(()))?;
        Ok(Self { name, topic_id })
    }
}

/// A topic (and all its partitions and configs) was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveTopicRecord {
    /// `TopicId`: the topic to remove.
    pub topic_id: Uuid,
}

impl RemoveTopicRecord {
    pub(super) fn write(&self, writer: &mut Writer) {
        writer.uuid(self.topic_id);
        writer.tagged_fields(&[]);
    }

    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, RecordDecodeError> {
        let topic_id = reader.uuid("TopicId")?;
        reader.tagged_fields(|_, _| Ok(()))?;
        Ok(Self { topic_id })
    }
}
