//! Latency and throughput accounting of Kafka's `ProducerPerformance.Stats`, sans-IO: callers
//! pass the time in, and get back the lines to print.

/// Kafka's reporting interval for the producer perf test (5 s).
pub const REPORTING_INTERVAL_MS: u64 = 5_000;

/// Latencies kept for percentiles: at most this many samples (`ProducerPerformance`: sampling
/// = numRecords / min(numRecords, 500000)).
pub const LATENCY_SAMPLES_MAX: u64 = 500_000;

/// Producer statistics (ProducerPerformance.Stats).
#[derive(Debug, Clone)]
pub struct Stats {
    start_ms: u64,
    window_start_ms: u64,
    sampling: u64,
    latencies: Vec<u32>,
    iteration: u64,
    count: u64,
    bytes: u64,
    max_latency: u64,
    total_latency: u64,
    window_count: u64,
    window_max_latency: u64,
    window_total_latency: u64,
    window_bytes: u64,
}

impl Stats {
    /// Stats for a run of `num_records` starting at `now_ms`.
    pub fn new(num_records: u64, now_ms: u64) -> Self {
        let sampling = (num_records / num_records.clamp(1, LATENCY_SAMPLES_MAX)).max(1);
        Self {
            start_ms: now_ms,
            window_start_ms: now_ms,
            sampling,
            latencies: Vec::with_capacity(usize::try_from(num_records / sampling + 1).unwrap_or(0)),
            iteration: 0,
            count: 0,
            bytes: 0,
            max_latency: 0,
            total_latency: 0,
            window_count: 0,
            window_max_latency: 0,
            window_total_latency: 0,
            window_bytes: 0,
        }
    }

    /// Records one acknowledged record; returns a window line when 5 s have passed.
    pub fn record(&mut self, latency_ms: u64, bytes: u64, now_ms: u64) -> Option<String> {
        self.count += 1;
        self.bytes += bytes;
        self.total_latency += latency_ms;
        self.max_latency = self.max_latency.max(latency_ms);
        self.window_count += 1;
        self.window_bytes += bytes;
        self.window_total_latency += latency_ms;
        self.window_max_latency = self.window_max_latency.max(latency_ms);
        if self.iteration.is_multiple_of(self.sampling) {
            self.latencies
                .push(u32::try_from(latency_ms).unwrap_or(u32::MAX));
        }
        self.iteration += 1;
        if now_ms.saturating_sub(self.window_start_ms) >= REPORTING_INTERVAL_MS {
            let line = self.window_line(now_ms);
            self.window_start_ms = now_ms;
            self.window_count = 0;
            self.window_max_latency = 0;
            self.window_total_latency = 0;
            self.window_bytes = 0;
            return Some(line);
        }
        None
    }

    /// Records acknowledged so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// `printWindow`: "%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency,
    /// %.1f ms max latency."
    pub fn window_line(&self, now_ms: u64) -> String {
        let elapsed = now_ms.saturating_sub(self.window_start_ms).max(1) as f64;
        let records_per_sec = 1000.0 * self.window_count as f64 / elapsed;
        let mb_per_sec = 1000.0 * self.window_bytes as f64 / elapsed / (1024.0 * 1024.0);
        let avg = self.window_total_latency as f64 / self.window_count.max(1) as f64;
        format!(
            "{} records sent, {records_per_sec:.1} records/sec ({mb_per_sec:.2} MB/sec), {avg:.1} ms avg latency, {:.1} ms max latency.",
            self.window_count, self.window_max_latency as f64
        )
    }

    /// `printTotal`: "%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms
    /// max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th."
    pub fn total_line(&self, now_ms: u64) -> String {
        let elapsed = now_ms.saturating_sub(self.start_ms).max(1) as f64;
        let records_per_sec = 1000.0 * self.count as f64 / elapsed;
        let mb_per_sec = 1000.0 * self.bytes as f64 / elapsed / (1024.0 * 1024.0);
        let avg = self.total_latency as f64 / self.count.max(1) as f64;
        let p = percentiles(&self.latencies, &[0.5, 0.95, 0.99, 0.999]);
        format!(
            "{} records sent, {records_per_sec:.6} records/sec ({mb_per_sec:.2} MB/sec), {avg:.2} ms avg latency, {:.2} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
            self.count, self.max_latency as f64, p[0], p[1], p[2], p[3]
        )
    }
}

/// `Stats.percentiles`: sorts the samples and picks `samples[(p * size) as int]`.
pub fn percentiles(samples: &[u32], ps: &[f64]) -> Vec<u32> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    ps.iter()
        .map(|p| {
            let index = (p * sorted.len() as f64) as usize;
            sorted
                .get(index.min(sorted.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        })
        .collect()
}

/// Kafka's `ThroughputThrottler`: how long to sleep before sending record number `sent`
/// (0-based) to hold `per_sec` records/s; `None` when no wait is needed (or unthrottled, ≤ 0).
pub fn throttle_wait_ms(per_sec: f64, sent: u64, elapsed_ms: u64) -> Option<u64> {
    if per_sec <= 0.0 {
        return None;
    }
    let due_ms = (sent as f64 * 1000.0 / per_sec) as u64;
    (due_ms > elapsed_ms).then(|| due_ms - elapsed_ms)
}

/// Formats epoch milliseconds as `yyyy-MM-dd HH:mm:ss:SSS` in UTC (ConsumerPerformance's
/// default `--date-format`; Kafka uses the JVM's zone, fjord prints UTC).
pub fn format_date_ms(epoch_ms: i64) -> String {
    let days = epoch_ms.div_euclid(86_400_000);
    let ms_of_day = epoch_ms.rem_euclid(86_400_000);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}:{:03}",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

/// ConsumerPerformance's summary header (non-detailed).
pub const CONSUMER_HEADER: &str = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

/// Inputs of ConsumerPerformance's summary line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConsumerSummary {
    /// Start, epoch ms.
    pub start_ms: i64,
    /// End, epoch ms.
    pub end_ms: i64,
    /// Bytes consumed.
    pub bytes: u64,
    /// Records consumed.
    pub messages: u64,
    /// Time spent joining the group (ms).
    pub rebalance_ms: i64,
}

impl ConsumerSummary {
    /// "%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f".
    pub fn line(&self) -> String {
        let elapsed_secs = (self.end_ms - self.start_ms) as f64 / 1000.0;
        let total_mb = self.bytes as f64 / (1024.0 * 1024.0);
        let fetch_ms = self.end_ms - self.start_ms - self.rebalance_ms;
        let fetch_secs = fetch_ms as f64 / 1000.0;
        format!(
            "{}, {}, {total_mb:.4}, {:.4}, {}, {:.4}, {}, {fetch_ms}, {:.4}, {:.4}",
            format_date_ms(self.start_ms),
            format_date_ms(self.end_ms),
            total_mb / elapsed_secs,
            self.messages,
            self.messages as f64 / elapsed_secs,
            self.rebalance_ms,
            total_mb / fetch_secs,
            self.messages as f64 / fetch_secs,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_and_total_lines_use_kafkas_formats() {
        // ProducerPerformance.Stats.printWindow / printTotal format strings.
        let mut stats = Stats::new(4, 0);
        assert_eq!(stats.record(2, 100, 1000), None);
        assert_eq!(stats.record(4, 100, 2000), None);
        assert_eq!(stats.record(6, 100, 3000), None);
        let window = stats.record(8, 100, 5000).unwrap();
        assert_eq!(
            window,
            "4 records sent, 0.8 records/sec (0.00 MB/sec), 5.0 ms avg latency, 8.0 ms max latency."
        );
        assert_eq!(
            stats.total_line(5000),
            "4 records sent, 0.800000 records/sec (0.00 MB/sec), 5.00 ms avg latency, 8.00 ms max latency, 6 ms 50th, 8 ms 95th, 8 ms 99th, 8 ms 99.9th."
        );
    }

    #[test]
    fn percentiles_index_like_kafka() {
        let samples: Vec<u32> = (1..=1000).rev().collect();
        assert_eq!(
            percentiles(&samples, &[0.5, 0.95, 0.99, 0.999]),
            vec![501, 951, 991, 1000]
        );
        assert_eq!(percentiles(&[], &[0.5]), vec![0]);
    }

    #[test]
    fn throttler_spaces_records_evenly() {
        assert_eq!(throttle_wait_ms(-1.0, 1000, 0), None);
        assert_eq!(throttle_wait_ms(100.0, 50, 200), Some(300));
        assert_eq!(throttle_wait_ms(100.0, 50, 600), None);
    }

    #[test]
    fn consumer_summary_matches_kafkas_columns() {
        // ConsumerPerformance.printConsumerProgress with the default date format.
        assert_eq!(format_date_ms(0), "1970-01-01 00:00:00:000");
        assert_eq!(format_date_ms(1_579_000_000_123), "2020-01-14 11:06:40:123");
        let summary = ConsumerSummary {
            start_ms: 0,
            end_ms: 2000,
            bytes: 2 * 1024 * 1024,
            messages: 1000,
            rebalance_ms: 1000,
        };
        assert_eq!(
            summary.line(),
            "1970-01-01 00:00:00:000, 1970-01-01 00:00:02:000, 2.0000, 1.0000, 1000, 500.0000, 1000, 1000, 2.0000, 1000.0000"
        );
    }
}
