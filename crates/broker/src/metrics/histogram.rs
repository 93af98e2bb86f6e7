//! A fixed-bucket latency histogram made of atomics: `observe` is a few relaxed atomic adds,
//! no lock, so request threads never contend on it. Read (non-atomically across buckets, as
//! every Prometheus client library does) only at scrape time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the request-latency buckets: 100 µs to 30 s, roughly ×2.5 per
/// step, so a sub-millisecond produce and a 30 s long-poll fetch (`FETCH_WAIT_MAX`) both land
/// in a bucket of their own.
pub const REQUEST_SECONDS_BUCKETS: [f64; 17] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

/// Upper bounds (seconds) of the log-flush buckets: an fsync here takes ~200 µs (design §8),
/// a slow disk up to seconds.
pub const FLUSH_SECONDS_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

/// Buckets the largest histogram needs, plus one for +Inf.
const SLOTS_MAX: usize = REQUEST_SECONDS_BUCKETS.len() + 1;

/// A histogram over one fixed set of bucket bounds.
#[derive(Debug)]
pub struct AtomicHistogram {
    /// Bucket upper bounds in nanoseconds, ascending.
    bounds_ns: &'static [u64],
    /// The same bounds in seconds, for encoding.
    bounds_seconds: &'static [f64],
    /// Non-cumulative count per bucket; the last slot is +Inf.
    buckets: [AtomicU64; SLOTS_MAX],
    sum_ns: AtomicU64,
    count: AtomicU64,
}

/// A histogram's values as read at one scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// Sum of observations, seconds.
    pub sum_seconds: f64,
    /// Number of observations.
    pub count: u64,
    /// `(upper bound in seconds, count in this bucket only)`, +Inf last; the encoder makes
    /// them cumulative.
    pub buckets: Vec<(f64, u64)>,
}

impl AtomicHistogram {
    /// An empty histogram over `bounds_seconds` / `bounds_ns` (the same bounds twice, so that
    /// neither needs computing at runtime).
    const fn new(bounds_seconds: &'static [f64], bounds_ns: &'static [u64]) -> Self {
        assert!(bounds_seconds.len() == bounds_ns.len());
        assert!(bounds_ns.len() < SLOTS_MAX + 1);
        Self {
            bounds_ns,
            bounds_seconds,
            buckets: [const { AtomicU64::new(0) }; SLOTS_MAX],
            sum_ns: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// A histogram with [`REQUEST_SECONDS_BUCKETS`].
    pub const fn for_requests() -> Self {
        Self::new(&REQUEST_SECONDS_BUCKETS, &REQUEST_NS_BUCKETS)
    }

    /// A histogram with [`FLUSH_SECONDS_BUCKETS`].
    pub const fn for_flushes() -> Self {
        Self::new(&FLUSH_SECONDS_BUCKETS, &FLUSH_NS_BUCKETS)
    }

    /// Records one observation.
    pub fn observe(&self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let slot = self
            .bounds_ns
            .iter()
            .position(|bound| ns <= *bound)
            .unwrap_or(self.bounds_ns.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Number of observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Reads the histogram for encoding.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut buckets: Vec<(f64, u64)> = self
            .bounds_seconds
            .iter()
            .zip(&self.buckets)
            .map(|(bound, n)| (*bound, n.load(Ordering::Relaxed)))
            .collect();
        let inf = self.buckets[self.bounds_seconds.len()].load(Ordering::Relaxed);
        buckets.push((f64::INFINITY, inf));
        // Count as the sum of the buckets read, so `_count` equals the +Inf bucket even when
        // an observation lands between the loads.
        let count = buckets.iter().map(|(_, n)| n).sum();
        HistogramSnapshot {
            sum_seconds: self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9,
            count,
            buckets,
        }
    }
}

const fn seconds_to_ns<const N: usize>(seconds: [f64; N]) -> [u64; N] {
    let mut ns = [0u64; N];
    let mut i = 0;
    while i < N {
        ns[i] = (seconds[i] * 1e9 + 0.5) as u64; // rounded: 1e-4 is not exact in binary
        i += 1;
    }
    ns
}

const REQUEST_NS_BUCKETS: [u64; REQUEST_SECONDS_BUCKETS.len()] =
    seconds_to_ns(REQUEST_SECONDS_BUCKETS);
const FLUSH_NS_BUCKETS: [u64; FLUSH_SECONDS_BUCKETS.len()] = seconds_to_ns(FLUSH_SECONDS_BUCKETS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_whose_bound_they_do_not_exceed() {
        let histogram = AtomicHistogram::for_requests();
        histogram.observe(Duration::from_micros(50)); // ≤ 100 µs
        histogram.observe(Duration::from_micros(100)); // = 100 µs: le is inclusive
        histogram.observe(Duration::from_millis(3)); // ≤ 5 ms
        histogram.observe(Duration::from_secs(60)); // +Inf
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.count, 4);
        assert_eq!(snapshot.buckets.len(), REQUEST_SECONDS_BUCKETS.len() + 1);
        assert_eq!(snapshot.buckets[0], (0.0001, 2));
        assert_eq!(snapshot.buckets[5], (0.005, 1));
        assert_eq!(snapshot.buckets.last(), Some(&(f64::INFINITY, 1)));
        assert!((snapshot.sum_seconds - 60.00315).abs() < 1e-9);
    }

    #[test]
    fn flush_histogram_uses_its_own_bounds() {
        let histogram = AtomicHistogram::for_flushes();
        histogram.observe(Duration::from_secs(1));
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.buckets.len(), FLUSH_SECONDS_BUCKETS.len() + 1);
        assert_eq!(snapshot.buckets[FLUSH_SECONDS_BUCKETS.len() - 1], (2.5, 1));
    }
}
