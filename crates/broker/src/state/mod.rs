//! Broker state the handlers read and change: the topic table and the partition logs.
//!
//! Until `fjord-storage` (`Log`, `LogManager`) and `fjord-metadata` (`MetadataImage`, the
//! controller) land, this module holds a narrow in-memory stand-in with the same shape: one
//! [`PartitionLog`] per partition (single writer behind a short lock) and a [`TopicTable`].

mod partition_log;
mod topic_table;

pub use partition_log::{AppendError, AppendInfo, FetchSlice, PartitionLog};
pub use topic_table::{CreateTopicError, TopicConfig, TopicState, TopicTable};
