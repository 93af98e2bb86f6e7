//! Per-API request counters, latency histograms and error counters (Kafka `RequestMetrics`:
//! `RequestsPerSec{request,version}`, `TotalTimeMs{request}`, `ErrorsPerSec{request,error}`).
//!
//! Everything is a fixed table of atomics indexed by API key (and version, or error code), so
//! recording a request is a handful of relaxed atomic adds with no lock and no allocation.
//! Error tables are allocated once per API on its first error (`OnceLock`).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::histogram::AtomicHistogram;

/// API keys tracked: Kafka 4.1's highest key is 92 (DeleteShareGroupOffsets); keys beyond this
/// table are not counted (never served: the registry refuses them first).
pub const API_KEY_SLOTS: usize = 128;
/// Versions tracked per API: Kafka 4.1's highest version of any API is 18 (Fetch); a version
/// beyond this table is not counted.
pub const API_VERSION_SLOTS: usize = 32;
/// Error codes tracked, from -1 (UNKNOWN_SERVER_ERROR) up to `ERROR_CODE_SLOTS - 2`; Kafka
/// 4.1's highest code is 133. Codes beyond are counted in the last slot.
pub const ERROR_CODE_SLOTS: usize = 160;

const _: () = assert!(
    ERROR_CODE_SLOTS > 134,
    "every Kafka 4.1 error code has a slot"
);

/// One API's counters.
#[derive(Debug)]
struct ApiSlot {
    by_version: [AtomicU64; API_VERSION_SLOTS],
    duration: AtomicHistogram,
    /// Index `code + 1`; allocated on the API's first error.
    errors: OnceLock<Box<[AtomicU64]>>,
}

impl ApiSlot {
    fn new() -> Self {
        Self {
            by_version: [const { AtomicU64::new(0) }; API_VERSION_SLOTS],
            duration: AtomicHistogram::for_requests(),
            errors: OnceLock::new(),
        }
    }
}

/// The request tables of one broker.
#[derive(Debug)]
pub struct RequestMetrics {
    apis: Box<[ApiSlot]>,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self {
            apis: (0..API_KEY_SLOTS).map(|_| ApiSlot::new()).collect(),
        }
    }
}

/// One (api key, version) request count, as read at scrape time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionCount {
    /// API key.
    pub api_key: i16,
    /// Request version.
    pub version: i16,
    /// Requests received.
    pub count: u64,
}

/// One (api key, error code) count, as read at scrape time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCount {
    /// API key.
    pub api_key: i16,
    /// Kafka error code (never 0).
    pub error_code: i16,
    /// Responses (or, for per-partition errors, partitions) carrying it.
    pub count: u64,
}

fn slot_index(api_key: i16) -> Option<usize> {
    usize::try_from(api_key).ok().filter(|i| *i < API_KEY_SLOTS)
}

fn error_index(code: i16) -> usize {
    usize::try_from(i32::from(code) + 1)
        .unwrap_or(0)
        .min(ERROR_CODE_SLOTS - 1)
}

impl RequestMetrics {
    /// Counts one request of `api_key` at `version`.
    pub fn record_request(&self, api_key: i16, version: i16) {
        let Some(slot) = slot_index(api_key).map(|i| &self.apis[i]) else {
            return;
        };
        if let Some(counter) = usize::try_from(version)
            .ok()
            .and_then(|v| slot.by_version.get(v))
        {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records how long a request of `api_key` took, from its frame being parsed to its
    /// response being encoded.
    pub fn record_duration(&self, api_key: i16, elapsed: Duration) {
        if let Some(i) = slot_index(api_key) {
            self.apis[i].duration.observe(elapsed);
        }
    }

    /// Counts `count` occurrences of the non-zero `error_code` in responses of `api_key`.
    pub fn record_error(&self, api_key: i16, error_code: i16, count: u64) {
        if error_code == 0 || count == 0 {
            return;
        }
        let Some(slot) = slot_index(api_key).map(|i| &self.apis[i]) else {
            return;
        };
        let errors = slot
            .errors
            .get_or_init(|| (0..ERROR_CODE_SLOTS).map(|_| AtomicU64::new(0)).collect());
        errors[error_index(error_code)].fetch_add(count, Ordering::Relaxed);
    }

    /// Every non-zero request count, by API key then version.
    pub fn version_counts(&self) -> Vec<VersionCount> {
        let mut counts = Vec::new();
        for (key, slot) in self.apis.iter().enumerate() {
            for (version, counter) in slot.by_version.iter().enumerate() {
                let count = counter.load(Ordering::Relaxed);
                if count > 0 {
                    counts.push(VersionCount {
                        api_key: i16::try_from(key).unwrap_or(i16::MAX),
                        version: i16::try_from(version).unwrap_or(i16::MAX),
                        count,
                    });
                }
            }
        }
        counts
    }

    /// The latency histogram of every API that served at least one request.
    pub fn durations(&self) -> Vec<(i16, &AtomicHistogram)> {
        self.apis
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.duration.count() > 0)
            .map(|(key, slot)| (i16::try_from(key).unwrap_or(i16::MAX), &slot.duration))
            .collect()
    }

    /// Every non-zero error count, by API key then error code.
    pub fn error_counts(&self) -> Vec<ErrorCount> {
        let mut counts = Vec::new();
        for (key, slot) in self.apis.iter().enumerate() {
            let Some(errors) = slot.errors.get() else {
                continue;
            };
            for (index, counter) in errors.iter().enumerate() {
                let count = counter.load(Ordering::Relaxed);
                if count > 0 {
                    counts.push(ErrorCount {
                        api_key: i16::try_from(key).unwrap_or(i16::MAX),
                        error_code: i16::try_from(index).map_or(i16::MAX, |i| i - 1),
                        count,
                    });
                }
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_per_api_and_version() {
        let metrics = RequestMetrics::default();
        metrics.record_request(0, 9);
        metrics.record_request(0, 9);
        metrics.record_request(3, 12);
        metrics.record_request(-1, 0); // no such key: ignored
        metrics.record_request(0, 99); // version beyond the table: ignored
        assert_eq!(
            metrics.version_counts(),
            vec![
                VersionCount {
                    api_key: 0,
                    version: 9,
                    count: 2
                },
                VersionCount {
                    api_key: 3,
                    version: 12,
                    count: 1
                },
            ]
        );
    }

    #[test]
    fn errors_are_counted_per_code_including_unknown_server_error() {
        let metrics = RequestMetrics::default();
        metrics.record_error(0, 3, 2);
        metrics.record_error(0, -1, 1);
        metrics.record_error(0, 0, 5); // NONE is not an error
        assert_eq!(
            metrics.error_counts(),
            vec![
                ErrorCount {
                    api_key: 0,
                    error_code: -1,
                    count: 1
                },
                ErrorCount {
                    api_key: 0,
                    error_code: 3,
                    count: 2
                },
            ]
        );
    }

    #[test]
    fn durations_list_only_apis_that_served_requests() {
        let metrics = RequestMetrics::default();
        metrics.record_duration(1, Duration::from_millis(2));
        let durations = metrics.durations();
        assert_eq!(durations.len(), 1);
        assert_eq!(durations[0].0, 1);
        assert_eq!(durations[0].1.snapshot().count, 1);
    }
}
