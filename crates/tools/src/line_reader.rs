//! The console producer's line parsing (Kafka `org.apache.kafka.tools.LineMessageReader`),
//! sans-IO: one stdin line becomes one record.
//!
//! With `parse.headers=true` a line is `h1:v1,h2:v2<headers.delimiter>…`; with
//! `parse.key=true` the key comes before `key.separator`; the rest is the value. `null.marker`
//! turns a key, value or header value into null. A missing separator fails the line with
//! Kafka's message unless `ignore.error=true`.

use std::collections::BTreeMap;

use crate::formatter::unescape;

/// Reader settings from `--property`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineReaderConfig {
    /// `parse.key` (false).
    pub parse_key: bool,
    /// `key.separator` ("\t").
    pub key_separator: String,
    /// `parse.headers` (false).
    pub parse_headers: bool,
    /// `headers.delimiter` ("\t").
    pub headers_delimiter: String,
    /// `headers.separator` (",").
    pub headers_separator: String,
    /// `headers.key.separator` (":").
    pub headers_key_separator: String,
    /// `ignore.error` (false).
    pub ignore_error: bool,
    /// `null.marker` (unset).
    pub null_marker: Option<String>,
}

impl Default for LineReaderConfig {
    fn default() -> Self {
        Self {
            parse_key: false,
            key_separator: "\t".to_owned(),
            parse_headers: false,
            headers_delimiter: "\t".to_owned(),
            headers_separator: ",".to_owned(),
            headers_key_separator: ":".to_owned(),
            ignore_error: false,
            null_marker: None,
        }
    }
}

impl LineReaderConfig {
    /// Reads Kafka's property names (`LineMessageReader.configure`).
    pub fn from_properties(props: &BTreeMap<String, String>) -> Self {
        let mut config = Self::default();
        let flag = |key: &str| {
            props
                .get(key)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        config.parse_key = flag("parse.key");
        config.parse_headers = flag("parse.headers");
        config.ignore_error = flag("ignore.error");
        let text = |key: &str, target: &mut String| {
            if let Some(v) = props.get(key) {
                *target = unescape(v);
            }
        };
        text("key.separator", &mut config.key_separator);
        text("headers.delimiter", &mut config.headers_delimiter);
        text("headers.separator", &mut config.headers_separator);
        text("headers.key.separator", &mut config.headers_key_separator);
        config.null_marker = props.get("null.marker").cloned();
        config
    }
}

/// A parsed line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineRecord {
    /// Key (`None` when not parsed or equal to the null marker).
    pub key: Option<String>,
    /// Value (`None` when equal to the null marker).
    pub value: Option<String>,
    /// Headers in order (value `None` for the null marker).
    pub headers: Vec<(String, Option<String>)>,
}

/// Why a line cannot become a record (Kafka throws `KafkaException` with these texts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// A separator that `parse.key`/`parse.headers` requires is missing.
    #[error("No {what} found on line number {line_number}: '{line}'")]
    MissingSeparator {
        /// "key separator" or "headers delimiter".
        what: &'static str,
        /// 1-based line number.
        line_number: u64,
        /// The line.
        line: String,
    },
    /// A header without `headers.key.separator`.
    #[error("No header key separator found in pair '{pair}' on line number {line_number}")]
    MissingHeaderKeySeparator {
        /// The `k:v` pair as written.
        pair: String,
        /// 1-based line number.
        line_number: u64,
    },
    /// A header key equal to the null marker.
    #[error("Header keys should not be equal to the null marker '{marker}' as they can't be null")]
    NullHeaderKey {
        /// The null marker.
        marker: String,
    },
}

/// Parses line `line_number` (1-based).
pub fn parse_line(
    config: &LineReaderConfig,
    line: &str,
    line_number: u64,
) -> Result<LineRecord, LineError> {
    let find = |enabled: bool,
                start: usize,
                separator: &str,
                what: &'static str|
     -> Result<Option<String>, LineError> {
        if !enabled {
            return Ok(None);
        }
        match line.get(start..).and_then(|rest| rest.find(separator)) {
            Some(index) => Ok(Some(line[start..start + index].to_owned())),
            None if config.ignore_error => Ok(None),
            None => Err(LineError::MissingSeparator {
                what,
                line_number,
                line: line.to_owned(),
            }),
        }
    };
    let headers_text = find(
        config.parse_headers,
        0,
        &config.headers_delimiter,
        "headers delimiter",
    )?;
    let header_offset = headers_text
        .as_ref()
        .map_or(0, |h| h.len() + config.headers_delimiter.len());
    let key = find(
        config.parse_key,
        header_offset,
        &config.key_separator,
        "key separator",
    )?;
    let key_offset = key
        .as_ref()
        .map_or(0, |k| k.len() + config.key_separator.len());
    let value = line
        .get(header_offset + key_offset..)
        .unwrap_or("")
        .to_owned();
    let is_null = |text: &str| config.null_marker.as_deref() == Some(text);
    let mut headers = Vec::new();
    if let Some(text) = headers_text.filter(|h| !is_null(h)) {
        for pair in text.split(config.headers_separator.as_str()) {
            let (key, value) = match pair.find(config.headers_key_separator.as_str()) {
                Some(i) => (
                    &pair[..i],
                    Some(&pair[i + config.headers_key_separator.len()..]),
                ),
                None if config.ignore_error => (pair, None),
                None => {
                    return Err(LineError::MissingHeaderKeySeparator {
                        pair: pair.to_owned(),
                        line_number,
                    });
                }
            };
            if is_null(key) {
                return Err(LineError::NullHeaderKey {
                    marker: key.to_owned(),
                });
            }
            headers.push((
                key.to_owned(),
                value.filter(|v| !is_null(v)).map(str::to_owned),
            ));
        }
    }
    Ok(LineRecord {
        key: key.filter(|k| !is_null(k)),
        value: (!is_null(&value)).then_some(value),
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> LineReaderConfig {
        LineReaderConfig::from_properties(
            &pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn key_headers_and_value_like_line_message_reader() {
        // LineMessageReaderTest.testLineReader: "headerKey0:headerValue0,headerKey1:headerValue1\tkey0\tvalue0".
        let c = config(&[("parse.key", "true"), ("parse.headers", "true")]);
        let record = parse_line(
            &c,
            "headerKey0:headerValue0,headerKey1:headerValue1\tkey0\tvalue0",
            1,
        )
        .unwrap();
        assert_eq!(record.key.as_deref(), Some("key0"));
        assert_eq!(record.value.as_deref(), Some("value0"));
        assert_eq!(
            record.headers,
            vec![
                ("headerKey0".to_owned(), Some("headerValue0".to_owned())),
                ("headerKey1".to_owned(), Some("headerValue1".to_owned()))
            ]
        );
        // Plain lines: the whole line is the value.
        assert_eq!(
            parse_line(&LineReaderConfig::default(), "a\tb", 1)
                .unwrap()
                .value
                .as_deref(),
            Some("a\tb")
        );
    }

    #[test]
    fn missing_separators_fail_with_kafkas_messages() {
        // LineMessageReaderTest.testMissingKeySeparator / testMissingHeaderKeySeparator.
        let c = config(&[("parse.key", "true")]);
        assert_eq!(
            parse_line(&c, "key0value0", 1).unwrap_err().to_string(),
            "No key separator found on line number 1: 'key0value0'"
        );
        let c = config(&[("parse.headers", "true")]);
        assert_eq!(
            parse_line(&c, "key0value0\tvalue", 2)
                .unwrap_err()
                .to_string(),
            "No header key separator found in pair 'key0value0' on line number 2"
        );
        let c = config(&[("parse.key", "true"), ("ignore.error", "true")]);
        assert_eq!(
            parse_line(&c, "novalue", 1).unwrap(),
            LineRecord {
                key: None,
                value: Some("novalue".to_owned()),
                headers: vec![]
            }
        );
    }

    #[test]
    fn null_marker_makes_nulls() {
        // LineMessageReaderTest.testNullMarker.
        let c = config(&[
            ("parse.key", "true"),
            ("parse.headers", "true"),
            ("null.marker", "<NULL>"),
        ]);
        let record = parse_line(&c, "h0:<NULL>\t<NULL>\t<NULL>", 1).unwrap();
        assert_eq!(
            record,
            LineRecord {
                key: None,
                value: None,
                headers: vec![("h0".to_owned(), None)]
            }
        );
        assert!(matches!(
            parse_line(&c, "<NULL>:v\tk\tv", 1),
            Err(LineError::NullHeaderKey { .. })
        ));
    }
}
