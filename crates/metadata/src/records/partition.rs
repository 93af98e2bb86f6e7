//! `PartitionRecord` (apiKey 3) and `PartitionChangeRecord` (apiKey 5).
//!
//! Schemas: Kafka `metadata/src/main/resources/common/metadata/PartitionRecord.json`
//! (`"validVersions": "0-2"`, `"flexibleVersions": "0+"`; v1 adds Directories for KIP-858, v2
//! adds the tagged EligibleLeaderReplicas/LastKnownElr of KIP-966) and
//! `PartitionChangeRecord.json` (same version history; every field after TopicId is tagged).

use uuid::Uuid;

use super::RecordDecodeError;
use super::codec::{Reader, Writer};

/// `LeaderRecoveryState` RECOVERED (Kafka `LeaderRecoveryState.RECOVERED`).
pub const LEADER_RECOVERED: i8 = 0;
/// `PartitionChangeRecord.Leader` default: the leader did not change.
pub const LEADER_UNCHANGED: i32 = -2;
/// `PartitionChangeRecord.LeaderRecoveryState` default: it did not change.
pub const LEADER_RECOVERY_UNCHANGED: i8 = -1;

/// A partition was created with this assignment and leadership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRecord {
    /// `PartitionId`.
    pub partition_id: i32,
    /// `TopicId`.
    pub topic_id: Uuid,
    /// `Replicas`, in preferred order.
    pub replicas: Vec<i32>,
    /// `Isr`: the in-sync replicas.
    pub isr: Vec<i32>,
    /// `RemovingReplicas`: replicas being removed by a reassignment.
    pub removing_replicas: Vec<i32>,
    /// `AddingReplicas`: replicas being added by a reassignment.
    pub adding_replicas: Vec<i32>,
    /// `Leader`: the leader's node id, or -1 for none.
    pub leader: i32,
    /// `LeaderRecoveryState` (tag 0): 0 recovered, 1 recovering after an unclean election.
    pub leader_recovery_state: i8,
    /// `LeaderEpoch`.
    pub leader_epoch: i32,
    /// `PartitionEpoch`: bumped on every change of the partition.
    pub partition_epoch: i32,
    /// `Directories` (v1+): the log directory id hosting each replica, parallel to `replicas`.
    pub directories: Vec<Uuid>,
    /// `EligibleLeaderReplicas` (v2+, tag 1).
    pub eligible_leader_replicas: Option<Vec<i32>>,
    /// `LastKnownElr` (v2+, tag 2).
    pub last_known_elr: Option<Vec<i32>>,
}

impl PartitionRecord {
    /// Highest version in `PartitionRecord.json`.
    pub const VERSION_MAX: i16 = 2;

    /// The lowest version carrying this record's content.
    pub fn version(&self) -> i16 {
        if self.eligible_leader_replicas.is_some() || self.last_known_elr.is_some() {
            2
        } else if !self.directories.is_empty() {
            1
        } else {
            0
        }
    }

    pub(super) fn write(&self, writer: &mut Writer, version: i16) {
        writer.i32(self.partition_id);
        writer.uuid(self.topic_id);
        writer.compact_i32_array(&self.replicas);
        writer.compact_i32_array(&self.isr);
        writer.compact_i32_array(&self.removing_replicas);
        writer.compact_i32_array(&self.adding_replicas);
        writer.i32(self.leader);
        writer.i32(self.leader_epoch);
        writer.i32(self.partition_epoch);
        if version >= 1 {
            writer.compact_uuid_array(&self.directories);
        }
        let mut tagged = Vec::new();
        if self.leader_recovery_state != LEADER_RECOVERED {
            tagged.push((0, encode(|w| w.i8(self.leader_recovery_state))));
        }
        if version >= 2 {
            if let Some(elr) = &self.eligible_leader_replicas {
                tagged.push((1, encode(|w| w.compact_i32_array(elr))));
            }
            if let Some(last_known_elr) = &self.last_known_elr {
                tagged.push((2, encode(|w| w.compact_i32_array(last_known_elr))));
            }
        }
        writer.tagged_fields(&tagged);
    }

    pub(super) fn read(reader: &mut Reader<'_>, version: i16) -> Result<Self, RecordDecodeError> {
        let partition_id = reader.i32("PartitionId")?;
        let topic_id = reader.uuid("TopicId")?;
        let replicas = reader.compact_i32_array("Replicas")?;
        let isr = reader.compact_i32_array("Isr")?;
        let removing_replicas = reader.compact_i32_array("RemovingReplicas")?;
        let adding_replicas = reader.compact_i32_array("AddingReplicas")?;
        let leader = reader.i32("Leader")?;
        let leader_epoch = reader.i32("LeaderEpoch")?;
        let partition_epoch = reader.i32("PartitionEpoch")?;
        let directories = if version >= 1 {
            reader.compact_uuid_array("Directories")?
        } else {
            Vec::new()
        };
        let mut record = Self {
            partition_id,
            topic_id,
            replicas,
            isr,
            removing_replicas,
            adding_replicas,
            leader,
            leader_recovery_state: LEADER_RECOVERED,
            leader_epoch,
            partition_epoch,
            directories,
            eligible_leader_replicas: None,
            last_known_elr: None,
        };
        reader.tagged_fields(|tag, bytes| {
            let mut field = Reader::new(bytes);
            match tag {
                0 => record.leader_recovery_state = field.i8("LeaderRecoveryState")?,
                1 if version >= 2 => {
                    record.eligible_leader_replicas =
                        field.compact_nullable_i32_array("EligibleLeaderReplicas")?
                }
                2 if version >= 2 => {
                    record.last_known_elr = field.compact_nullable_i32_array("LastKnownElr")?
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(record)
    }
}

/// A change to an existing partition; `None`/default fields mean "unchanged".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionChangeRecord {
    /// `PartitionId`.
    pub partition_id: i32,
    /// `TopicId`.
    pub topic_id: Uuid,
    /// `Isr` (tag 0): the new ISR, or `None` if unchanged.
    pub isr: Option<Vec<i32>>,
    /// `Leader` (tag 1): -1 no leader, -2 ([`LEADER_UNCHANGED`]) unchanged, else the new leader.
    pub leader: i32,
    /// `Replicas` (tag 2).
    pub replicas: Option<Vec<i32>>,
    /// `RemovingReplicas` (tag 3).
    pub removing_replicas: Option<Vec<i32>>,
    /// `AddingReplicas` (tag 4).
    pub adding_replicas: Option<Vec<i32>>,
    /// `LeaderRecoveryState` (tag 5): -1 ([`LEADER_RECOVERY_UNCHANGED`]) if unchanged.
    pub leader_recovery_state: i8,
    /// `EligibleLeaderReplicas` (v2+, tag 6).
    pub eligible_leader_replicas: Option<Vec<i32>>,
    /// `LastKnownElr` (v2+, tag 7).
    pub last_known_elr: Option<Vec<i32>>,
    /// `Directories` (v1+, tag 8).
    pub directories: Option<Vec<Uuid>>,
}

impl PartitionChangeRecord {
    /// Highest version in `PartitionChangeRecord.json`.
    pub const VERSION_MAX: i16 = 2;

    /// A change of nothing yet, for `partition_id` of `topic_id`.
    pub fn unchanged(topic_id: Uuid, partition_id: i32) -> Self {
        Self {
            partition_id,
            topic_id,
            isr: None,
            leader: LEADER_UNCHANGED,
            replicas: None,
            removing_replicas: None,
            adding_replicas: None,
            leader_recovery_state: LEADER_RECOVERY_UNCHANGED,
            eligible_leader_replicas: None,
            last_known_elr: None,
            directories: None,
        }
    }

    /// The lowest version carrying this record's content.
    pub fn version(&self) -> i16 {
        if self.eligible_leader_replicas.is_some() || self.last_known_elr.is_some() {
            2
        } else if self.directories.is_some() {
            1
        } else {
            0
        }
    }

    pub(super) fn write(&self, writer: &mut Writer, version: i16) {
        writer.i32(self.partition_id);
        writer.uuid(self.topic_id);
        let mut tagged = Vec::new();
        let arrays = [
            (0, &self.isr),
            (2, &self.replicas),
            (3, &self.removing_replicas),
            (4, &self.adding_replicas),
        ];
        for (tag, array) in arrays {
            if tag == 2 && self.leader != LEADER_UNCHANGED {
                tagged.push((1, encode(|w| w.i32(self.leader))));
            }
            if let Some(values) = array {
                tagged.push((tag, encode(|w| w.compact_i32_array(values))));
            }
        }
        if self.leader_recovery_state != LEADER_RECOVERY_UNCHANGED {
            tagged.push((5, encode(|w| w.i8(self.leader_recovery_state))));
        }
        if version >= 2 {
            if let Some(values) = &self.eligible_leader_replicas {
                tagged.push((6, encode(|w| w.compact_i32_array(values))));
            }
            if let Some(values) = &self.last_known_elr {
                tagged.push((7, encode(|w| w.compact_i32_array(values))));
            }
        }
        if version >= 1
            && let Some(directories) = &self.directories
        {
            tagged.push((8, encode(|w| w.compact_uuid_array(directories))));
        }
        writer.tagged_fields(&tagged);
    }

    pub(super) fn read(reader: &mut Reader<'_>, version: i16) -> Result<Self, RecordDecodeError> {
        let partition_id = reader.i32("PartitionId")?;
        let topic_id = reader.uuid("TopicId")?;
        let mut record = Self::unchanged(topic_id, partition_id);
        reader.tagged_fields(|tag, bytes| {
            let mut field = Reader::new(bytes);
            match tag {
                0 => record.isr = field.compact_nullable_i32_array("Isr")?,
                1 => record.leader = field.i32("Leader")?,
                2 => record.replicas = field.compact_nullable_i32_array("Replicas")?,
                3 => {
                    record.removing_replicas =
                        field.compact_nullable_i32_array("RemovingReplicas")?
                }
                4 => record.adding_replicas = field.compact_nullable_i32_array("AddingReplicas")?,
                5 => record.leader_recovery_state = field.i8("LeaderRecoveryState")?,
                6 if version >= 2 => {
                    record.eligible_leader_replicas =
                        field.compact_nullable_i32_array("EligibleLeaderReplicas")?
                }
                7 if version >= 2 => {
                    record.last_known_elr = field.compact_nullable_i32_array("LastKnownElr")?
                }
                8 if version >= 1 => {
                    record.directories = Some(field.compact_uuid_array("Directories")?)
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(record)
    }
}

/// Encodes one tagged field's value.
fn encode(write: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut writer = Writer::new();
    write(&mut writer);
    writer.into_bytes()
}
