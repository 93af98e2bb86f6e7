//! Test-only helpers shared by the integration tests: fixture hex parsing, an independent
//! CRC-32C, a minimal JSON reader for `testdata/wire/index.json`, and a Produce request walker.
//!
//! Each test binary uses a different subset, so unused items are expected.
#![allow(dead_code)]

pub mod json;
pub mod produce;

/// Parses an annotated hex fixture: on each line, everything after `#` is a comment; the rest
/// is whitespace-separated hex byte pairs.
pub fn parse_hex_fixture(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in text.lines() {
        let data = line.split('#').next().unwrap_or("");
        for pair in data.split_whitespace() {
            assert_eq!(pair.len(), 2, "fixture byte {pair:?} is not two hex digits");
            out.push(
                u8::from_str_radix(pair, 16).unwrap_or_else(|e| panic!("bad hex {pair:?}: {e}")),
            );
        }
    }
    out
}

/// Bitwise CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), written independently of
/// the `crc32c` crate the library uses, as Kafka's `Crc32C` specifies (RFC 3720 appendix B.4).
pub fn crc32c_bitwise(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The repository's `testdata/wire` directory.
pub fn wire_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/wire")
}
