//! Goal: every request frame captured from real clients (`testdata/wire/`, see its README)
//! decodes through our protocol layer: frame prefix, request header v1/v2 (KIP-482), and the
//! body for its (api key, version) with no bytes left over.
//!
//! Method: walk the fixture tree; versions outside Kafka 4.1's ranges (kcat's legacy Produce v1
//! and ListOffsets v0, removed by KIP-896) must be reported as unsupported rather than decoded.

use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use fjord_protocol::frame::decode_frame;
use fjord_protocol::header::parse_request_header;
use fjord_protocol::kafka_protocol::messages::RequestKind;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/wire")
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(clients) = std::fs::read_dir(fixture_dir()) else {
        return files;
    };
    for client in clients.flatten() {
        if let Ok(entries) = std::fs::read_dir(client.path()) {
            files.extend(
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "bin")),
            );
        }
    }
    files.sort();
    files
}

/// `<NNN>-<ApiName>-v<version>.bin` → version.
fn version_from_name(path: &Path) -> Option<i16> {
    let stem = path.file_stem()?.to_str()?;
    stem.rsplit_once("-v")?.1.parse().ok()
}

#[test]
fn every_captured_frame_decodes_header_and_body() {
    let files = fixture_files();
    assert!(
        files.len() > 100,
        "expected the vendored fixtures, found {}",
        files.len()
    );
    let mut decoded = 0;
    let mut legacy = Vec::new();
    for path in &files {
        let raw = std::fs::read(path).unwrap_or_default();
        let mut buf = BytesMut::from(&raw[..]);
        let frame: Bytes =
            match decode_frame(&mut buf, fjord_protocol::REQUEST_FRAME_BYTES_MAX_DEFAULT) {
                Ok(Some(frame)) => frame,
                other => panic!("{}: frame not complete: {other:?}", path.display()),
            };
        assert!(
            buf.is_empty(),
            "{}: trailing bytes after the frame",
            path.display()
        );
        let mut body = frame;
        let header =
            parse_request_header(&mut body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            Some(header.api_version),
            version_from_name(path),
            "{}",
            path.display()
        );
        let kafka_range = header.api_key.valid_versions();
        if header.api_version < kafka_range.min || header.api_version > kafka_range.max {
            legacy.push(format!("{:?} v{}", header.api_key, header.api_version));
            continue;
        }
        match RequestKind::decode(header.api_key, &mut body, header.api_version) {
            Ok(_) => {}
            Err(e) => panic!("{}: body does not decode: {e}", path.display()),
        }
        assert!(
            body.is_empty(),
            "{}: {} body bytes left over",
            path.display(),
            body.len()
        );
        decoded += 1;
    }
    assert!(decoded > 100, "decoded {decoded}");
    // Only kcat's legacy requests (api.version.request=false) predate Kafka 4's minimums.
    legacy.sort();
    legacy.dedup();
    assert_eq!(
        legacy,
        vec!["ListOffsets v0".to_owned(), "Produce v1".to_owned()]
    );
}
