//! The console consumer's record formatting (Kafka
//! `org.apache.kafka.tools.consumer.DefaultMessageFormatter`), sans-IO.
//!
//! Columns, each optional, in this order: `CreateTime:<ts>`, `Partition:<p>`, `Offset:<o>`,
//! headers `k:v,k2:v2` (or `NO_HEADERS`), key, value. Columns are separated by
//! `key.separator` (default tab) and the record ends with `line.separator` (default newline);
//! absent keys/values print `null.literal` (default `null`).

use std::collections::BTreeMap;

/// Formatter settings from `--property` (DefaultMessageFormatter.configure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatterConfig {
    /// `print.timestamp` (false).
    pub print_timestamp: bool,
    /// `print.key` (false).
    pub print_key: bool,
    /// `print.offset` (false).
    pub print_offset: bool,
    /// `print.partition` (false).
    pub print_partition: bool,
    /// `print.headers` (false).
    pub print_headers: bool,
    /// `print.value` (true).
    pub print_value: bool,
    /// `key.separator` ("\t").
    pub key_separator: String,
    /// `line.separator` ("\n").
    pub line_separator: String,
    /// `headers.separator` (",").
    pub headers_separator: String,
    /// `null.literal` ("null").
    pub null_literal: String,
}

impl Default for FormatterConfig {
    fn default() -> Self {
        Self {
            print_timestamp: false,
            print_key: false,
            print_offset: false,
            print_partition: false,
            print_headers: false,
            print_value: true,
            key_separator: "\t".to_owned(),
            line_separator: "\n".to_owned(),
            headers_separator: ",".to_owned(),
            null_literal: "null".to_owned(),
        }
    }
}

impl FormatterConfig {
    /// Reads Kafka's property names; booleans parse like Java's `Boolean.parseBoolean`
    /// (only a case-insensitive "true" is true). Separators take Java escapes (`\t`, `\n`).
    pub fn from_properties(props: &BTreeMap<String, String>) -> Self {
        let mut config = Self::default();
        let flag = |key: &str, default: bool| {
            props
                .get(key)
                .map_or(default, |v| v.trim().eq_ignore_ascii_case("true"))
        };
        config.print_timestamp = flag("print.timestamp", false);
        config.print_key = flag("print.key", false);
        config.print_offset = flag("print.offset", false);
        config.print_partition = flag("print.partition", false);
        config.print_headers = flag("print.headers", false);
        config.print_value = flag("print.value", true);
        if let Some(v) = props.get("key.separator") {
            config.key_separator = unescape(v);
        }
        if let Some(v) = props.get("line.separator") {
            config.line_separator = unescape(v);
        }
        if let Some(v) = props.get("headers.separator") {
            config.headers_separator = unescape(v);
        }
        if let Some(v) = props.get("null.literal") {
            config.null_literal = v.clone();
        }
        config
    }
}

/// Turns `\t`, `\n`, `\r`, `\\` written on a command line into the characters (the shell
/// passes them literally; Java's property loading of `--property` does the same).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A consumed record as the formatter sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumedRecord {
    /// `CreateTime` / `LogAppendTime` and the timestamp, or `None` (NO_TIMESTAMP).
    pub timestamp: Option<(&'static str, i64)>,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Headers in order, duplicates kept.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Key bytes.
    pub key: Option<Vec<u8>>,
    /// Value bytes.
    pub value: Option<Vec<u8>>,
}

/// Renders one record (`DefaultMessageFormatter.writeTo`).
pub fn format_record(config: &FormatterConfig, record: &ConsumedRecord) -> Vec<u8> {
    let mut out = Vec::new();
    let separator = |out: &mut Vec<u8>, more_columns: bool| {
        let sep = if more_columns {
            &config.key_separator
        } else {
            &config.line_separator
        };
        out.extend_from_slice(sep.as_bytes());
    };
    let null = config.null_literal.as_bytes();
    if config.print_timestamp {
        match record.timestamp {
            Some((kind, ts)) => out.extend_from_slice(format!("{kind}:{ts}").as_bytes()),
            None => out.extend_from_slice(b"NO_TIMESTAMP"),
        }
        separator(
            &mut out,
            config.print_partition
                || config.print_offset
                || config.print_headers
                || config.print_key
                || config.print_value,
        );
    }
    if config.print_partition {
        out.extend_from_slice(format!("Partition:{}", record.partition).as_bytes());
        separator(
            &mut out,
            config.print_offset || config.print_headers || config.print_key || config.print_value,
        );
    }
    if config.print_offset {
        out.extend_from_slice(format!("Offset:{}", record.offset).as_bytes());
        separator(
            &mut out,
            config.print_headers || config.print_key || config.print_value,
        );
    }
    if config.print_headers {
        if record.headers.is_empty() {
            out.extend_from_slice(b"NO_HEADERS");
        } else {
            for (index, (key, value)) in record.headers.iter().enumerate() {
                if index > 0 {
                    out.extend_from_slice(config.headers_separator.as_bytes());
                }
                out.extend_from_slice(key.as_bytes());
                out.push(b':');
                out.extend_from_slice(value.as_deref().unwrap_or(null));
            }
        }
        separator(&mut out, config.print_key || config.print_value);
    }
    if config.print_key {
        out.extend_from_slice(record.key.as_deref().unwrap_or(null));
        separator(&mut out, config.print_value);
    }
    if config.print_value {
        out.extend_from_slice(record.value.as_deref().unwrap_or(null));
        out.extend_from_slice(config.line_separator.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn record() -> ConsumedRecord {
        ConsumedRecord {
            timestamp: Some(("CreateTime", 1_700_000_000_000)),
            partition: 0,
            offset: 123,
            headers: vec![
                ("h1".to_owned(), Some(b"v1".to_vec())),
                ("h2".to_owned(), None),
            ],
            key: Some(b"someKey".to_vec()),
            value: Some(b"someValue".to_vec()),
        }
    }

    #[test]
    fn all_columns_in_kafkas_order() {
        // DefaultMessageFormatterTest "print all possible fields with default delimiters":
        // "CreateTime:...\tPartition:0\tOffset:123\th1:v1,h2:null\tsomeKey\tsomeValue\n".
        let config = FormatterConfig::from_properties(&props(&[
            ("print.timestamp", "true"),
            ("print.partition", "true"),
            ("print.offset", "true"),
            ("print.headers", "true"),
            ("print.key", "true"),
        ]));
        assert_eq!(
            String::from_utf8(format_record(&config, &record())).unwrap(),
            "CreateTime:1700000000000\tPartition:0\tOffset:123\th1:v1,h2:null\tsomeKey\tsomeValue\n"
        );
    }

    #[test]
    fn defaults_print_only_the_value_and_custom_separators_apply() {
        let config = FormatterConfig::default();
        assert_eq!(format_record(&config, &record()), b"someValue\n");
        // DefaultMessageFormatterTest: key.separator "<sep>", line.separator "END".
        let config = FormatterConfig::from_properties(&props(&[
            ("print.key", "true"),
            ("key.separator", "<sep>"),
            ("line.separator", "END"),
        ]));
        assert_eq!(
            format_record(&config, &record()),
            b"someKey<sep>someValueEND"
        );
        // No headers prints NO_HEADERS; a missing key prints null.literal.
        let config = FormatterConfig::from_properties(&props(&[
            ("print.headers", "true"),
            ("print.key", "true"),
            ("print.value", "false"),
        ]));
        let bare = ConsumedRecord {
            key: None,
            ..ConsumedRecord::default()
        };
        assert_eq!(format_record(&config, &bare), b"NO_HEADERS\tnull\n");
        assert_eq!(unescape("\\t|\\n"), "\t|\n");
    }
}
