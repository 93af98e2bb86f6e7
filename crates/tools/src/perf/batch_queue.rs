//! Reads a consumer's records in batches through librdkafka's C API
//! (`rd_kafka_consume_batch_queue`), as librdkafka's own `rdkafka_performance` does.
//!
//! rust-rdkafka's `BaseConsumer::poll` hands out one record per call: a queue lock, a clock
//! read for the timeout and a condition-variable wake-up each. `perf` showed those costs above
//! the fetch path itself, and the slower application let librdkafka's fetch queue fill and back
//! off (`fetch.queue.backoff.ms`, 1 s), which held `fjord perf consumer` near 0.3 M records/s
//! where `rdkafka_performance` reads 2.2 M/s from the same broker. One call here returns up to
//! [`BATCH`] records.
//!
//! The workspace denies `unsafe`; this module and `fjord-storage`'s `mmap.rs` are the audited
//! exceptions. Every pointer comes from librdkafka and goes back to it exactly once.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::time::Duration;

use rdkafka::bindings as rdsys;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// Records fetched per call.
const BATCH: usize = 8192;

/// The consumer queue of one [`BaseConsumer`], borrowed for the batch reads.
pub(crate) struct BatchQueue<'c> {
    queue: *mut rdsys::rd_kafka_queue_t,
    messages: Vec<*mut rdsys::rd_kafka_message_t>,
    _consumer: &'c BaseConsumer,
}

impl std::fmt::Debug for BatchQueue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchQueue").finish_non_exhaustive()
    }
}

/// One record's sizes (what Kafka's ConsumerPerformance counts).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordSizes {
    pub key: usize,
    pub value: usize,
}

impl<'c> BatchQueue<'c> {
    /// The queue `consumer.poll` reads (its consumer queue; the main queue is forwarded there).
    pub(crate) fn new(consumer: &'c BaseConsumer) -> anyhow::Result<Self> {
        // SAFETY: the client pointer is live for as long as `consumer`, which this struct
        // borrows; the returned queue reference is released in `Drop`.
        let queue = unsafe { rdsys::rd_kafka_queue_get_consumer(consumer.client().native_ptr()) };
        anyhow::ensure!(!queue.is_null(), "the consumer has no consumer queue");
        Ok(Self {
            queue,
            messages: vec![std::ptr::null_mut(); BATCH],
            _consumer: consumer,
        })
    }

    /// Waits up to `timeout` for records and calls `each` for up to `limit` of them. Returns
    /// how many were passed to `each` (0: the timeout passed with nothing to read). A record
    /// carrying an error (other than reaching a partition's end) ends the read with it.
    pub(crate) fn next_batch(
        &mut self,
        timeout: Duration,
        limit: usize,
        mut each: impl FnMut(RecordSizes),
    ) -> anyhow::Result<usize> {
        let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let want = limit.min(BATCH);
        // SAFETY: `messages` has room for `want` pointers; librdkafka writes at most that many
        // and returns the count (or -1).
        let got = unsafe {
            rdsys::rd_kafka_consume_batch_queue(
                self.queue,
                timeout_ms,
                self.messages.as_mut_ptr(),
                want,
            )
        };
        let Ok(got) = usize::try_from(got) else {
            anyhow::bail!("reading the consumer queue failed");
        };
        let mut delivered = 0;
        let mut error = None;
        for &message in &self.messages[..got.min(want)] {
            // SAFETY: each pointer was just returned by librdkafka and is destroyed once, below.
            let m = unsafe { &*message };
            if m.err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                if error.is_none() {
                    each(RecordSizes {
                        key: m.key_len,
                        value: m.len,
                    });
                    delivered += 1;
                }
            } else if m.err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF
                && error.is_none()
            {
                // SAFETY: rd_kafka_err2str returns a static NUL-terminated string.
                let text = unsafe { CStr::from_ptr(rdsys::rd_kafka_err2str(m.err)) };
                error = Some(text.to_string_lossy().into_owned());
            }
            // SAFETY: returned by rd_kafka_consume_batch_queue, not used after this.
            unsafe { rdsys::rd_kafka_message_destroy(message) };
        }
        match error {
            Some(text) => anyhow::bail!("{text}"),
            None => Ok(delivered),
        }
    }
}

impl Drop for BatchQueue<'_> {
    fn drop(&mut self) {
        // SAFETY: the reference taken in `new`, released once.
        unsafe { rdsys::rd_kafka_queue_destroy(self.queue) };
    }
}
