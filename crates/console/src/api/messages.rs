//! The message browser: read one partition from an offset, from a timestamp (ListOffsets by
//! timestamp, KIP-79) or the newest N records, rendered as text, pretty JSON or hex, with
//! headers and timestamps and an optional substring filter; and a test producer.
//! Records are read with a librdkafka consumer assigned to the partition (no group commits).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, Query, State};
use fjord_client::{OffsetSpec, TopicPartition};
use rdkafka::config::ClientConfig as RdConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use rdkafka::{Offset, TopicPartitionList};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, ConsoleError};
use crate::kafka;
use crate::server::AppState;

/// Most records returned by one browse.
pub const BROWSE_LIMIT_MAX: usize = 500;
/// Most records scanned while filtering.
pub const SCAN_RECORDS_MAX: usize = 20_000;
/// How long one browse may read.
pub const BROWSE_TIME_MAX: Duration = Duration::from_secs(5);

/// Query of `GET /api/topics/{name}/messages`.
#[derive(Debug, Deserialize)]
pub struct BrowseQuery {
    #[serde(default)]
    partition: i32,
    /// `offset`, `timestamp` or `newest` (default).
    #[serde(default)]
    mode: Option<String>,
    offset: Option<i64>,
    timestamp: Option<i64>,
    limit: Option<usize>,
    /// `text` (default), `json` or `hex`.
    format: Option<String>,
    filter: Option<String>,
}

/// How to render bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    /// UTF-8, lossy.
    Text,
    /// Pretty-printed JSON when it parses, else text.
    Json,
    /// Lowercase hex, bytes separated by spaces.
    Hex,
}

/// Renders `bytes` for the browser.
pub fn render(bytes: &[u8], rendering: Rendering) -> String {
    match rendering {
        Rendering::Text => String::from_utf8_lossy(bytes).into_owned(),
        Rendering::Json => serde_json::from_slice::<Value>(bytes)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned()),
        Rendering::Hex => bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// `GET /api/topics/{name}/messages`.
pub async fn browse(
    State(state): State<Arc<AppState>>,
    Path(topic): Path<String>,
    Query(query): Query<BrowseQuery>,
) -> ApiResult<Json<Value>> {
    let limit = query.limit.unwrap_or(50).clamp(1, BROWSE_LIMIT_MAX);
    let rendering = match query.format.as_deref() {
        None | Some("text") => Rendering::Text,
        Some("json") => Rendering::Json,
        Some("hex") => Rendering::Hex,
        Some(other) => {
            return Err(ConsoleError::BadRequest(format!(
                "unknown format {other:?}"
            )));
        }
    };
    let tp = TopicPartition {
        topic: topic.clone(),
        partition: query.partition,
    };
    let (start, end) = {
        let mut admin = state.cluster.admin().await;
        let parts = std::slice::from_ref(&tp);
        let start = kafka::offsets(&mut admin, parts, OffsetSpec::Earliest).await?;
        let end = kafka::offsets(&mut admin, parts, OffsetSpec::Latest).await?;
        let (Some(start), Some(end)) = (start.get(&tp).copied(), end.get(&tp).copied()) else {
            return Err(ConsoleError::NotFound(format!("partition {tp} not found")));
        };
        let from = match query.mode.as_deref().unwrap_or("newest") {
            "newest" => (end - i64::try_from(limit).unwrap_or(i64::MAX)).max(start),
            "offset" => query.offset.unwrap_or(start).clamp(start, end),
            "timestamp" => {
                let ts = query.timestamp.ok_or_else(|| {
                    ConsoleError::BadRequest("mode=timestamp needs timestamp (ms)".to_owned())
                })?;
                let found = kafka::offsets(&mut admin, parts, OffsetSpec::Timestamp(ts)).await?;
                found.get(&tp).copied().filter(|o| *o >= 0).unwrap_or(end)
            }
            other => return Err(ConsoleError::BadRequest(format!("unknown mode {other:?}"))),
        };
        (from, end)
    };
    let filter = query.filter.filter(|f| !f.is_empty());
    let bootstrap = state.cluster.bootstrap().to_owned();
    let records = tokio::task::spawn_blocking(move || {
        read_partition(
            &bootstrap,
            &tp,
            start,
            end,
            limit,
            filter.as_deref(),
            rendering,
        )
    })
    .await
    .map_err(|e| ConsoleError::Rdkafka(e.to_string()))??;
    Ok(Json(json!({
        "topic": topic,
        "partition": query.partition,
        "from_offset": start,
        "end_offset": end,
        "records": records,
    })))
}

/// Reads records of `tp` in `[start, end)` with a librdkafka consumer (blocking).
fn read_partition(
    bootstrap: &str,
    tp: &TopicPartition,
    start: i64,
    end: i64,
    limit: usize,
    filter: Option<&str>,
    rendering: Rendering,
) -> ApiResult<Vec<Value>> {
    let mut records = Vec::new();
    if start >= end {
        return Ok(records);
    }
    let rd = |e: KafkaError| ConsoleError::Rdkafka(e.to_string());
    let consumer: BaseConsumer = RdConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "fjord-console-browser")
        .set("client.id", "fjord-console-browser")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create()
        .map_err(rd)?;
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(&tp.topic, tp.partition, Offset::Offset(start))
        .map_err(rd)?;
    consumer.assign(&assignment).map_err(rd)?;
    let deadline = Instant::now() + BROWSE_TIME_MAX;
    let mut scanned = 0;
    while records.len() < limit && scanned < SCAN_RECORDS_MAX && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(_))) => break,
            Some(Err(error)) => return Err(rd(error)),
            Some(Ok(message)) => {
                scanned += 1;
                let key = message.key().unwrap_or_default();
                let value = message.payload().unwrap_or_default();
                if let Some(needle) = filter {
                    let hit = String::from_utf8_lossy(key).contains(needle)
                        || String::from_utf8_lossy(value).contains(needle);
                    if !hit {
                        if message.offset() + 1 >= end {
                            break;
                        }
                        continue;
                    }
                }
                let headers: Vec<Value> = message
                    .headers()
                    .map(|headers| {
                        headers
                            .iter()
                            .map(|h| json!({ "key": h.key, "value": h.value.map(|v| render(v, rendering)) }))
                            .collect()
                    })
                    .unwrap_or_default();
                records.push(json!({
                    "offset": message.offset(),
                    "timestamp": message.timestamp().to_millis(),
                    "key": message.key().map(|k| render(k, rendering)),
                    "value": message.payload().map(|v| render(v, rendering)),
                    "headers": headers,
                }));
                if message.offset() + 1 >= end {
                    break;
                }
            }
        }
    }
    Ok(records)
}

/// One header of a test message.
#[derive(Debug, Deserialize)]
pub struct HeaderBody {
    key: String,
    value: Option<String>,
}

/// `POST /api/topics/{name}/messages` body.
#[derive(Debug, Deserialize)]
pub struct ProduceBody {
    partition: Option<i32>,
    key: Option<String>,
    value: Option<String>,
    #[serde(default)]
    headers: Vec<HeaderBody>,
}

/// `POST /api/topics/{name}/messages`: produces one record (acks=all, librdkafka defaults).
pub async fn produce(
    State(state): State<Arc<AppState>>,
    Path(topic): Path<String>,
    Json(body): Json<ProduceBody>,
) -> ApiResult<Json<Value>> {
    let producer = state.cluster.producer().await?;
    let mut headers = OwnedHeaders::new();
    for header in &body.headers {
        headers = headers.insert(Header {
            key: &header.key,
            value: header.value.as_deref(),
        });
    }
    let mut record: FutureRecord<'_, str, str> = FutureRecord::to(&topic).headers(headers);
    if let Some(key) = body.key.as_deref() {
        record = record.key(key);
    }
    if let Some(value) = body.value.as_deref() {
        record = record.payload(value);
    }
    if let Some(partition) = body.partition {
        record = record.partition(partition);
    }
    let delivery = producer
        .send(record, Duration::from_secs(10))
        .await
        .map_err(|(error, _)| ConsoleError::Rdkafka(error.to_string()))?;
    Ok(Json(
        json!({ "partition": delivery.partition, "offset": delivery.offset }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderings() {
        assert_eq!(render(b"{\"a\":1}", Rendering::Json), "{\n  \"a\": 1\n}");
        assert_eq!(render(b"not json", Rendering::Json), "not json");
        assert_eq!(render(&[0, 255, 16], Rendering::Hex), "00 ff 10");
        assert_eq!(render(b"hi\xff", Rendering::Text), "hi\u{fffd}");
    }
}
