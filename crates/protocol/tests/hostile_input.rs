//! Goal: hostile or corrupt request bytes are decode *errors*, never a panic or an abort.
//!
//! Method: hand-built requests whose array counts and lengths exceed the frame (Kafka's
//! generated readers refuse them: "Tried to allocate a collection of size N, but there are only
//! M bytes remaining"), then seeded mutations of every captured client frame in
//! `testdata/wire/` through header parsing and body decoding. Before the vendored
//! kafka-protocol patch (`crates/protocol/vendor/kafka-protocol/FJORD-PATCHES.md`) the first
//! test aborted the test process with "memory allocation of ... bytes failed".

use std::path::{Path, PathBuf};

use bytes::{BufMut, Bytes, BytesMut};
use fjord_protocol::header::parse_request_header;
use fjord_protocol::kafka_protocol::messages::{ApiKey, RequestKind};

fn decode(api_key: ApiKey, version: i16, body: &[u8]) -> anyhow::Result<RequestKind> {
    let mut body = Bytes::copy_from_slice(body);
    RequestKind::decode(api_key, &mut body, version)
}

#[test]
fn metadata_topic_count_beyond_the_frame_is_an_error_not_an_allocation() {
    // MetadataRequest.json v1..v8: Topics is a nullable int32-counted array.
    for count in [i32::MAX, 1 << 30, 54_265_856] {
        let mut body = BytesMut::new();
        body.put_i32(count);
        body.put_slice(&[0, 0, 0, 0]);
        for version in [1, 4, 8] {
            let result = decode(ApiKey::Metadata, version, &body);
            assert!(result.is_err(), "Metadata v{version} count {count}");
        }
    }
    // v9+ (flexible, KIP-482): compact array, count + 1 as an unsigned varint.
    let body = [0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0];
    for version in [9, 12] {
        assert!(decode(ApiKey::Metadata, version, &body).is_err());
    }
}

#[test]
fn negative_array_count_other_than_null_is_an_error() {
    // Kafka's readers: "non-nullable field ... was serialized as null" / negative length.
    let mut body = BytesMut::new();
    body.put_i32(-5);
    assert!(decode(ApiKey::Metadata, 1, &body).is_err());
}

#[test]
fn nested_produce_partition_count_beyond_the_frame_is_an_error() {
    // ProduceRequest.json v3: TransactionalId, Acks, TimeoutMs, [Topic [Partition Records]].
    let mut body = BytesMut::new();
    body.put_i16(-1);
    body.put_i16(-1);
    body.put_i32(1000);
    body.put_i32(1);
    body.put_i16(1);
    body.put_u8(b't');
    body.put_i32(i32::MAX);
    body.put_slice(&[0; 8]);
    assert!(decode(ApiKey::Produce, 3, &body).is_err());
}

#[test]
fn records_length_beyond_the_frame_is_an_error() {
    // ProduceRequest v3 Records: int32-length bytes announcing 2 GiB with 4 bytes present.
    let mut body = BytesMut::new();
    body.put_i16(-1);
    body.put_i16(-1);
    body.put_i32(1000);
    body.put_i32(1);
    body.put_i16(1);
    body.put_u8(b't');
    body.put_i32(1);
    body.put_i32(0);
    body.put_i32(i32::MAX);
    body.put_slice(&[0; 4]);
    assert!(decode(ApiKey::Produce, 3, &body).is_err());
}

fn fixture_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/wire");
    let mut files = Vec::new();
    for client in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for entry in std::fs::read_dir(client.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if entry.path().extension().is_some_and(|e| e == "bin") {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// xorshift64*: a seeded, dependency-free generator; the seed is printed on failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Header + body decode of one frame body; returns whether it decoded. Must not panic.
fn decode_frame_body(frame: &[u8]) -> bool {
    let mut body = Bytes::copy_from_slice(frame);
    let Ok(header) = parse_request_header(&mut body) else {
        return false;
    };
    RequestKind::decode(header.api_key, &mut body, header.api_version).is_ok()
}

#[test]
fn seeded_mutations_of_every_captured_frame_never_panic() {
    let seed = 0x5eed_2026_1126_u64;
    let mut rng = Rng(seed);
    let files = fixture_files();
    assert!(files.len() > 100, "expected the vendored fixtures");
    let mut variants = 0;
    for path in &files {
        let raw = std::fs::read(path).unwrap_or_default();
        let body = &raw[4..];
        // Legacy versions (kcat's Produce v1, KIP-896) do not decode even unmutated; their
        // mutations still must not panic.
        let _ = decode_frame_body(body);
        for round in 0..300 {
            let mut mutated = body.to_vec();
            match round % 4 {
                0 => mutated.truncate(rng.below(body.len())),
                1 => {
                    for _ in 0..1 + rng.below(4) {
                        let i = rng.below(mutated.len());
                        mutated[i] ^= 1 << rng.below(8);
                    }
                }
                _ => {
                    // A plausible count or length field clobbered with a hostile value.
                    let hostile: [i32; 4] = [i32::MAX, -5, 1 << 30, i32::MIN];
                    let value = hostile[rng.below(hostile.len())].to_be_bytes();
                    let i = 4 + rng.below(mutated.len().saturating_sub(8));
                    let end = (i + 4).min(mutated.len());
                    mutated[i..end].copy_from_slice(&value[..end - i]);
                }
            }
            let outcome = std::panic::catch_unwind(|| decode_frame_body(&mutated));
            assert!(
                outcome.is_ok(),
                "seed {seed:#x}: {} round {round} panicked on {mutated:02x?}",
                path.display()
            );
            variants += 1;
        }
    }
    assert!(variants > 30_000);
}
