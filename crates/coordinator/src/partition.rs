//! Which `__consumer_offsets` partition owns a group.
//!
//! Kafka `GroupCoordinatorService.partitionFor`: `Utils.abs(groupId.hashCode()) %
//! numPartitions`, where `String.hashCode` is Java's `s[0]*31^(n-1) + … + s[n-1]` over UTF-16
//! code units with i32 wrap-around, and `Utils.abs` is `Math.abs` except that
//! `Integer.MIN_VALUE` maps to 0 (Kafka `org.apache.kafka.common.utils.Utils.abs`; not the
//! producer partitioner's `toPositive` mask, which gives different partitions for negative
//! hashes).

/// Java's `String.hashCode` over the UTF-16 code units of `text`.
pub fn java_string_hash_code(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The `__consumer_offsets` partition of `group_id` among `num_partitions`
/// (`offsets.topic.num.partitions`, 50 by default).
///
/// # Panics
/// If `num_partitions` is not positive (a configuration the config layer rejects).
pub fn partition_for_group(group_id: &str, num_partitions: i32) -> i32 {
    assert!(
        num_partitions > 0,
        "offsets.topic.num.partitions must be positive"
    );
    let hash = java_string_hash_code(group_id);
    let abs = if hash == i32::MIN { 0 } else { hash.abs() };
    abs % num_partitions
}
