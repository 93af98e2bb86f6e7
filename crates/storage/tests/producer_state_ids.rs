//! Producer id allocation (InitProducerId, KIP-98) persisted as a block high-water mark in
//! `producer-id-block`, the stand-in for Kafka's `ProducerIdsRecord` (metadata apiKey 15).
//!
//! Method: allocate, drop the allocator (as a crash would), reopen, and check no id repeats;
//! check the file's exact text and that a damaged file is refused, not silently reset to 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;

use fjord_storage::producer_state_id_allocator::{
    PRODUCER_ID_BLOCK_FILE, PRODUCER_ID_BLOCK_SIZE, PRODUCER_IDS_PER_BROKER,
};
use fjord_storage::{ProducerIdAllocator, RealDisk, StorageError};

#[test]
fn ids_never_repeat_across_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("__cluster_metadata-0");
    let mut seen = HashSet::new();
    for restart in 0..4 {
        let mut allocator = ProducerIdAllocator::open(Arc::new(RealDisk), &dir, 0, 7).unwrap();
        // Use part of a block, or cross a block boundary, then "crash".
        let n = if restart % 2 == 0 {
            3
        } else {
            PRODUCER_ID_BLOCK_SIZE as usize + 5
        };
        for _ in 0..n {
            let id = allocator.allocate().unwrap();
            assert!(
                seen.insert(id),
                "producer id {id} handed out twice (restart {restart})"
            );
        }
    }
    // The first run starts at 0; each restart skips the rest of its block.
    assert!(seen.contains(&0));
    assert!(
        seen.contains(&PRODUCER_ID_BLOCK_SIZE),
        "restart 1 starts at the next block"
    );
}

#[test]
fn the_block_file_holds_broker_id_epoch_and_next_producer_id() {
    let tmp = tempfile::tempdir().unwrap();
    let mut allocator = ProducerIdAllocator::open(Arc::new(RealDisk), tmp.path(), 0, 12).unwrap();
    assert!(
        !tmp.path().join(PRODUCER_ID_BLOCK_FILE).exists(),
        "written on first use only"
    );
    assert_eq!(allocator.allocate().unwrap(), 0);
    let text = std::fs::read_to_string(tmp.path().join(PRODUCER_ID_BLOCK_FILE)).unwrap();
    assert_eq!(text, "0\n0 12 1000\n");
    assert_eq!(allocator.block_end(), 1000);
}

#[test]
fn brokers_allocate_from_disjoint_ranges() {
    let tmp = tempfile::tempdir().unwrap();
    let mut one =
        ProducerIdAllocator::open(Arc::new(RealDisk), &tmp.path().join("b1"), 1, 0).unwrap();
    let mut two =
        ProducerIdAllocator::open(Arc::new(RealDisk), &tmp.path().join("b2"), 2, 0).unwrap();
    assert_eq!(one.allocate().unwrap(), PRODUCER_IDS_PER_BROKER);
    assert_eq!(two.allocate().unwrap(), 2 * PRODUCER_IDS_PER_BROKER);
}

#[test]
fn a_damaged_block_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["", "1\n0 0 5\n", "0\n0 0\n", "0\n0 0 -4\n", "0\n0 0 x\n"] {
        std::fs::write(tmp.path().join(PRODUCER_ID_BLOCK_FILE), bad).unwrap();
        let err = ProducerIdAllocator::open(Arc::new(RealDisk), tmp.path(), 0, 0).unwrap_err();
        assert!(
            matches!(err, StorageError::Corrupt { .. }),
            "{bad:?}: {err}"
        );
    }
}
