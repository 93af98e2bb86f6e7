//! A test-only walker for Produce requests v0..v11, enough to pull out each partition's
//! `records` bytes. Layout from Kafka `ProduceRequest.json` (v3 adds transactionalId, v9 is the
//! first flexible version: compact strings/arrays/bytes and tagged fields) and
//! `RequestHeader.json` (header v1: apiKey, apiVersion, correlationId, clientId as a
//! non-compact nullable string; header v2 adds tagged fields).

use fjord_record::varint::decode_unsigned_varint;

/// One partition's data from a Produce request.
#[derive(Debug, Clone)]
pub struct PartitionRecords {
    pub topic: String,
    pub partition: i32,
    pub records: Vec<u8>,
}

/// What the walker extracted from a Produce request frame.
#[derive(Debug, Clone)]
pub struct ProduceRequest {
    pub api_version: i16,
    pub transactional_id: Option<String>,
    pub acks: i16,
    pub timeout_ms: i32,
    pub partitions: Vec<PartitionRecords>,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, len: usize) -> &[u8] {
        assert!(
            self.pos + len <= self.buf.len(),
            "frame truncated at {} (+{len})",
            self.pos
        );
        let out = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        out
    }
    fn i16(&mut self) -> i16 {
        let b = self.take(2);
        i16::from_be_bytes([b[0], b[1]])
    }
    fn i32(&mut self) -> i32 {
        let b = self.take(4);
        i32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
    fn uvarint(&mut self) -> u32 {
        let (value, read) =
            decode_unsigned_varint(&self.buf[self.pos..]).unwrap_or_else(|e| panic!("varint: {e}"));
        self.pos += read;
        value
    }
    /// Length of a nullable string/bytes/array: compact = unsigned varint N+1 (0 = null),
    /// otherwise the given fixed-width length (-1 = null).
    fn length(&mut self, compact: bool, classic: fn(&mut Self) -> i32) -> Option<usize> {
        if compact {
            let n = self.uvarint();
            (n > 0).then(|| (n - 1) as usize)
        } else {
            usize::try_from(classic(self)).ok()
        }
    }
    fn nullable_string(&mut self, compact: bool) -> Option<String> {
        let len = self.length(compact, |r| i32::from(r.i16()))?;
        Some(String::from_utf8(self.take(len).to_vec()).unwrap_or_else(|e| panic!("utf8: {e}")))
    }
    fn tagged_fields(&mut self) {
        for _ in 0..self.uvarint() {
            let _tag = self.uvarint();
            let size = self.uvarint() as usize;
            self.take(size);
        }
    }
}

/// Walks one request frame (size prefix included) holding a Produce request v0..v11.
pub fn parse_produce_frame(frame: &[u8]) -> ProduceRequest {
    let mut r = Reader { buf: frame, pos: 0 };
    let size = r.i32();
    assert_eq!(size as usize, frame.len() - 4, "size prefix");
    assert_eq!(r.i16(), 0, "api key Produce");
    let api_version = r.i16();
    assert!(
        (0..=11).contains(&api_version),
        "walker handles Produce v0..v11, got v{api_version}"
    );
    let flexible = api_version >= 9;
    let _correlation_id = r.i32();
    let _client_id = r.nullable_string(false); // never compact, even in header v2
    if flexible {
        r.tagged_fields();
    }
    let transactional_id = if api_version >= 3 {
        r.nullable_string(flexible)
    } else {
        None
    };
    let acks = r.i16();
    let timeout_ms = r.i32();
    let mut partitions = Vec::new();
    let topics = r.length(flexible, Reader::i32).unwrap_or(0);
    for _ in 0..topics {
        let topic = r.nullable_string(flexible).unwrap_or_default();
        let count = r.length(flexible, Reader::i32).unwrap_or(0);
        for _ in 0..count {
            let partition = r.i32();
            let records = r
                .length(flexible, Reader::i32)
                .map(|len| r.take(len).to_vec())
                .unwrap_or_default();
            if flexible {
                r.tagged_fields();
            }
            partitions.push(PartitionRecords {
                topic: topic.clone(),
                partition,
                records,
            });
        }
        if flexible {
            r.tagged_fields();
        }
    }
    if flexible {
        r.tagged_fields();
    }
    assert_eq!(r.pos, frame.len(), "walker consumed the whole frame");
    ProduceRequest {
        api_version,
        transactional_id,
        acks,
        timeout_ms,
        partitions,
    }
}
