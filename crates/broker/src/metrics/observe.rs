//! Hooks the request path calls: what a produce appended and what a fetch returned, per
//! partition. Both work on whole batches and response entries (no per-record work): a
//! batch's record count is read from its header (`recordsCount`, offset 57 of the v2 batch
//! header, Kafka `DefaultRecordBatch.RECORDS_COUNT_OFFSET`).

use std::borrow::Cow;
use std::sync::Arc;

use fjord_metadata::MetadataImage;
use fjord_protocol::kafka_protocol::messages::{FetchResponse, ProduceRequest, ProduceResponse};
use fjord_protocol::kafka_protocol::protocol::StrBytes;
use fjord_record::header::{HEADER_BYTES, LOG_OVERHEAD_BYTES, offsets};

use super::BrokerMetrics;
use crate::api::FileSlice;

/// What one partition of a produce request carried.
#[derive(Debug, Clone, Copy)]
struct PartitionTally {
    partition: i32,
    messages: u64,
    bytes: u64,
}

/// What a produce request carried, per topic and partition in request order, taken before
/// the request is handed to the handler (which consumes it) and settled against the response.
#[derive(Debug, Default)]
pub struct ProduceTally {
    topics: Vec<(StrBytes, Vec<PartitionTally>)>,
}

/// Records in the v2 batches of `records`, from their headers; a truncated tail counts 0
/// (the log refuses it, and a refused partition is not counted anyway).
fn record_count(records: &[u8]) -> u64 {
    let mut rest = records;
    let mut count = 0u64;
    while rest.len() >= HEADER_BYTES {
        let length = i32::from_be_bytes(
            rest[offsets::BATCH_LENGTH..offsets::BATCH_LENGTH + 4]
                .try_into()
                .unwrap_or_default(),
        );
        let records_in_batch = i32::from_be_bytes(
            rest[offsets::RECORD_COUNT..offsets::RECORD_COUNT + 4]
                .try_into()
                .unwrap_or_default(),
        );
        count += u64::try_from(records_in_batch).unwrap_or(0);
        let Some(total) = usize::try_from(length)
            .ok()
            .and_then(|l| l.checked_add(LOG_OVERHEAD_BYTES))
            .filter(|t| *t <= rest.len() && *t >= HEADER_BYTES)
        else {
            break;
        };
        rest = &rest[total..];
    }
    count
}

impl ProduceTally {
    /// Reads the partitions, record counts and batch sizes of `request`.
    pub fn of(request: &ProduceRequest) -> Self {
        let topics = request
            .topic_data
            .iter()
            .map(|topic| {
                let partitions = topic
                    .partition_data
                    .iter()
                    .map(|p| {
                        let records = p.records.as_deref().unwrap_or_default();
                        PartitionTally {
                            partition: p.index,
                            messages: record_count(records),
                            bytes: records.len() as u64,
                        }
                    })
                    .collect();
                (topic.name.0.clone(), partitions)
            })
            .collect();
        Self { topics }
    }
}

impl BrokerMetrics {
    /// Counts the partitions of `tally` that `response` reports appended (error code 0).
    /// `response` lists topics and partitions in request order (`api::produce`); an entry
    /// that does not line up is not counted.
    pub fn record_produce(&self, tally: &ProduceTally, response: &ProduceResponse) {
        for ((name, partitions), topic) in tally.topics.iter().zip(&response.responses) {
            for (sent, result) in partitions.iter().zip(&topic.partition_responses) {
                if result.error_code != 0 || result.index != sent.partition {
                    continue;
                }
                self.partitions
                    .record_append(name, sent.partition, sent.messages, sent.bytes);
                self.add_messages_in(sent.messages, sent.bytes);
            }
        }
    }

    /// Counts the record bytes `response` returns per partition. `files` are the fetched
    /// file ranges, each standing behind the marker in one partition's `records` field;
    /// topics named by id (v13+, KIP-516) are resolved through `image`.
    pub fn record_fetch(
        &self,
        response: &FetchResponse,
        files: &[FileSlice],
        image: impl Fn() -> Arc<MetadataImage>,
    ) {
        if files.is_empty() {
            return;
        }
        let mut files = files.iter().peekable();
        let mut resolved: Option<Arc<MetadataImage>> = None;
        for topic in &response.responses {
            let name = if topic.topic.0.is_empty() {
                let image = resolved.get_or_insert_with(&image);
                image
                    .topic_by_id(&topic.topic_id)
                    .map(|t| Cow::Owned(t.name.clone()))
                    .unwrap_or_default()
            } else {
                Cow::Borrowed(topic.topic.0.as_str())
            };
            for partition in &topic.partitions {
                let Some(slice) = files.peek() else {
                    return;
                };
                if partition.records.as_deref() == Some(&slice.marker[..]) {
                    let bytes = slice.len();
                    files.next();
                    if !name.is_empty() {
                        self.partitions
                            .record_fetch(&name, partition.partition_index, bytes);
                    }
                    self.add_bytes_out(bytes);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use fjord_record::header::MAGIC_V2;

    use super::*;

    /// A batch header claiming `records` records, with a body of `body` bytes.
    fn batch(records: i32, body: usize) -> Vec<u8> {
        let mut batch = vec![0u8; HEADER_BYTES + body];
        let length = i32::try_from(batch.len() - LOG_OVERHEAD_BYTES).unwrap_or(i32::MAX);
        batch[offsets::BATCH_LENGTH..offsets::BATCH_LENGTH + 4]
            .copy_from_slice(&length.to_be_bytes());
        batch[offsets::MAGIC] = MAGIC_V2 as u8;
        batch[offsets::RECORD_COUNT..offsets::RECORD_COUNT + 4]
            .copy_from_slice(&records.to_be_bytes());
        batch
    }

    #[test]
    fn record_count_sums_the_headers_of_consecutive_batches() {
        let mut records = batch(3, 40);
        records.extend(batch(7, 10));
        assert_eq!(record_count(&records), 10);
    }

    #[test]
    fn record_count_stops_at_a_truncated_or_lying_batch() {
        let mut records = batch(3, 40);
        records.extend(&batch(7, 10)[..30]); // shorter than a header
        assert_eq!(record_count(&records), 3);
        let mut lying = batch(2, 0);
        lying[offsets::BATCH_LENGTH..offsets::BATCH_LENGTH + 4]
            .copy_from_slice(&1_000_000i32.to_be_bytes());
        lying.extend(batch(5, 0));
        assert_eq!(record_count(&lying), 2);
    }
}
