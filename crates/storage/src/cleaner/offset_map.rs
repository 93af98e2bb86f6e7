//! The key → latest offset map built over the dirty section (Kafka `OffsetMap` /
//! `SkimpyOffsetMap`). Kafka stores MD5 hashes of keys in a fixed buffer; we store the keys
//! themselves (no collisions) and bound the map by an entry count instead.

use std::collections::HashMap;

/// Key → offset of the latest record with that key in the mapped range.
#[derive(Debug, Default)]
pub struct OffsetMap {
    entries: HashMap<Vec<u8>, i64>,
    latest_offset: i64,
}

impl OffsetMap {
    /// An empty map whose range ends below `start_offset`.
    pub fn new(start_offset: i64) -> Self {
        Self {
            entries: HashMap::new(),
            latest_offset: start_offset - 1,
        }
    }

    /// Records `offset` as the latest for `key` (later puts win).
    pub fn put(&mut self, key: &[u8], offset: i64) {
        match self.entries.get_mut(key) {
            Some(existing) => *existing = (*existing).max(offset),
            None => {
                self.entries.insert(key.to_vec(), offset);
            }
        }
    }

    /// The latest offset of `key`, or -1 when the key is not in the mapped range (Kafka
    /// `OffsetMap.get`).
    pub fn get(&self, key: &[u8]) -> i64 {
        self.entries.get(key).copied().unwrap_or(-1)
    }

    /// Marks the mapped range as ending at `offset` inclusive (Kafka
    /// `OffsetMap.updateLatestOffset`): records above it are kept as they are.
    pub fn update_latest_offset(&mut self, offset: i64) {
        self.latest_offset = self.latest_offset.max(offset);
    }

    /// The last offset of the mapped range.
    pub fn latest_offset(&self) -> i64 {
        self.latest_offset
    }

    /// Distinct keys in the map.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_offsets_win_and_unknown_keys_are_minus_one() {
        let mut map = OffsetMap::new(10);
        assert_eq!(map.latest_offset(), 9);
        map.put(b"a", 10);
        map.put(b"a", 12);
        map.put(b"b", 11);
        map.update_latest_offset(12);
        assert_eq!((map.get(b"a"), map.get(b"b"), map.get(b"c")), (12, 11, -1));
        assert_eq!((map.len(), map.latest_offset()), (2, 12));
    }
}
