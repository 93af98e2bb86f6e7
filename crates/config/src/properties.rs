//! A `.properties` reader faithful to `java.util.Properties.load` (Java SE 17 javadoc of
//! `Properties.load(Reader)`, and the JDK's `Properties.LineReader` / `loadConvert`).
//!
//! The rules, in the order the JDK applies them:
//! - a *natural line* ends at `\n`, `\r` or `\r\n`; leading whitespace (space, `\t`, `\f`) of every
//!   natural line is skipped, continuation lines included;
//! - a natural line whose first non-whitespace character is `#` or `!` is a comment; a comment
//!   line never continues, even if it ends with a backslash;
//! - a natural line ending in an odd number of backslashes continues on the next natural line
//!   (the backslash and the next line's leading whitespace are dropped); at end of input the
//!   dangling backslash is dropped;
//! - the key ends at the first unescaped `=`, `:` or whitespace; whitespace after the key is
//!   skipped, then at most one `=` or `:` (if the key did not already end at one), then whitespace
//!   again; the rest of the logical line, trailing whitespace included, is the value;
//! - escapes in keys and values: `\t \n \r \f`, `\uXXXX` (UTF-16 code units, so surrogate pairs
//!   combine), and `\x` for any other `x` is `x` itself;
//! - a key that occurs twice keeps its last value (`Hashtable.put`).
//!
//! Kafka's `Utils.loadProps` reads files through an `InputStream`, i.e. ISO-8859-1. fjord reads
//! a file as UTF-8 when it is valid UTF-8 and falls back to ISO-8859-1 otherwise, so that files
//! written by Java's `Properties.store` (pure ASCII with `\u` escapes) and hand-written UTF-8
//! files both load as their author meant.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::ConfigError;

/// An ordered set of string key/value pairs, loaded like `java.util.Properties`.
///
/// Keys are kept sorted (a `BTreeMap`) so iteration, and everything printed from it, is
/// deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: BTreeMap<String, String>,
}

impl Properties {
    /// An empty set of properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `.properties` text.
    ///
    /// # Errors
    /// [`ConfigError::MalformedUnicodeEscape`] for a `\u` escape not followed by four hex digits
    /// (the JDK throws `IllegalArgumentException: Malformed \uxxxx encoding.`).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let mut props = Self::new();
        for (line_number, logical) in logical_lines(text) {
            let (key, value) = split_key_value(&logical);
            let key = unescape(key, line_number)?;
            let value = unescape(value, line_number)?;
            props.entries.insert(key, value);
        }
        Ok(props)
    }

    /// Reads and parses a `.properties` file (UTF-8, falling back to ISO-8859-1).
    ///
    /// # Errors
    /// [`ConfigError::Io`] when the file cannot be read, or a parse error from [`Self::parse`].
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            // ISO-8859-1: every byte is the code point of the same value.
            Err(not_utf8) => not_utf8.into_bytes().into_iter().map(char::from).collect(),
        };
        Self::parse(&text)
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Sets `key` to `value`, replacing any earlier value (last wins, as in Java).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.entries.insert(key.into(), value.into());
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.entries.remove(key)
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// All pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Copies every pair of `other` over this set (later layers win).
    pub fn extend_from(&mut self, other: &Properties) {
        for (k, v) in other.iter() {
            self.set(k, v);
        }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut props = Self::new();
        for (k, v) in iter {
            props.set(k, v);
        }
        props
    }
}

/// Whitespace as `Properties.load` defines it: space, tab and form feed.
fn is_properties_whitespace(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\u{000C}'
}

/// Splits text into natural lines (`\n`, `\r`, `\r\n`).
fn natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                i += 1;
                if i < bytes.len() && bytes[i] == b'\n' {
                    i += 1;
                }
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Whether a natural line ends with an odd number of backslashes (a continuation).
fn ends_with_continuation(line: &str) -> bool {
    line.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Joins natural lines into logical lines, dropping blanks and comments. Each logical line is
/// returned with the 1-based number of the natural line it starts on (for error messages).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, raw) in natural_lines(text).into_iter().enumerate() {
        let trimmed = raw.trim_start_matches(is_properties_whitespace);
        let continuing = current.is_some();
        if !continuing && (trimmed.is_empty() || trimmed.starts_with(['#', '!'])) {
            continue;
        }
        let (number, mut logical) = current.take().unwrap_or((index + 1, String::new()));
        if ends_with_continuation(trimmed) {
            logical.push_str(&trimmed[..trimmed.len() - 1]);
            current = Some((number, logical));
        } else {
            logical.push_str(trimmed);
            out.push((number, logical));
        }
    }
    if let Some(last) = current {
        // End of input right after a continuation backslash: the JDK drops the backslash and
        // keeps what was read; an empty logical line is skipped like a blank one.
        if !last.1.is_empty() {
            out.push(last);
        }
    }
    out
}

/// Splits a logical line into its raw (still escaped) key and value.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut preceding_backslash = false;
    for (i, c) in line.char_indices() {
        if (c == '=' || c == ':') && !preceding_backslash {
            key_end = i;
            value_start = i + 1;
            has_separator = true;
            break;
        }
        if is_properties_whitespace(c) && !preceding_backslash {
            key_end = i;
            value_start = i + c.len_utf8();
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
    }
    let rest = &line[value_start..];
    let mut skip = 0;
    for (i, c) in rest.char_indices() {
        if is_properties_whitespace(c) {
            skip = i + c.len_utf8();
            continue;
        }
        if !has_separator && (c == '=' || c == ':') {
            has_separator = true;
            skip = i + 1;
            continue;
        }
        break;
    }
    (&line[..key_end], &rest[skip..])
}

/// Applies the escapes of `Properties.loadConvert`, decoding `\uXXXX` as UTF-16 code units.
fn unescape(raw: &str, line_number: usize) -> Result<String, ConfigError> {
    let mut units: Vec<u16> = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buffer = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buffer));
            continue;
        }
        let Some(escaped) = chars.next() else {
            // A lone trailing backslash (only reachable from a continuation at end of input,
            // which `logical_lines` already removed) is dropped like the JDK does.
            break;
        };
        match escaped {
            't' => units.push(u16::from(b'\t')),
            'n' => units.push(u16::from(b'\n')),
            'r' => units.push(u16::from(b'\r')),
            'f' => units.push(0x000C),
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                let unit = (hex.len() == 4)
                    .then(|| u16::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .ok_or(ConfigError::MalformedUnicodeEscape { line: line_number })?;
                units.push(unit);
            }
            other => {
                let mut buffer = [0u16; 2];
                units.extend_from_slice(other.encode_utf16(&mut buffer));
            }
        }
    }
    Ok(String::from_utf16_lossy(&units))
}

#[cfg(test)]
mod tests {
    //! Edge cases of `java.util.Properties.load`, each checked against the JDK's documented
    //! behaviour (javadoc of `Properties.load(Reader)`).
    use super::*;

    fn parse(text: &str) -> Properties {
        Properties::parse(text).unwrap()
    }

    #[test]
    fn separators_equals_colon_and_whitespace() {
        let p = parse("a=1\nb:2\nc 3\nd\t4\ne = 5\nf : 6\ng  =  7\n");
        let expected = [
            ("a", "1"),
            ("b", "2"),
            ("c", "3"),
            ("d", "4"),
            ("e", "5"),
            ("f", "6"),
            ("g", "7"),
        ];
        for (k, v) in expected {
            assert_eq!(p.get(k), Some(v), "key {k}");
        }
    }

    #[test]
    fn javadoc_example_truth_is_beauty() {
        // The three lines from the Properties.load javadoc all map "Truth" to "Beauty".
        for text in [
            "Truth = Beauty",
            "  Truth:Beauty",
            "Truth                    :Beauty",
        ] {
            assert_eq!(parse(text).get("Truth"), Some("Beauty"), "{text:?}");
        }
    }

    #[test]
    fn javadoc_example_fruits_continuation() {
        let p = parse(
            "fruits                           apple, banana, pear, \\\n                                  cantaloupe, watermelon, \\\n                                  kiwi, mango\n",
        );
        assert_eq!(
            p.get("fruits"),
            Some("apple, banana, pear, cantaloupe, watermelon, kiwi, mango")
        );
    }

    #[test]
    fn javadoc_example_key_only_has_empty_value() {
        let p = parse("cheeses\n");
        assert_eq!(p.get("cheeses"), Some(""));
    }

    #[test]
    fn comments_with_hash_and_bang_and_leading_whitespace() {
        let p = parse("# c1\n! c2\n   # indented comment\n\t!x=y\nreal=1\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p.get("real"), Some("1"));
    }

    #[test]
    fn hash_inside_value_is_not_a_comment() {
        assert_eq!(
            parse("k=v # not a comment").get("k"),
            Some("v # not a comment")
        );
    }

    #[test]
    fn comment_line_ending_in_backslash_does_not_continue() {
        let p = parse("# comment \\\nk=v\n");
        assert_eq!(p.get("k"), Some("v"));
    }

    #[test]
    fn continuation_line_starting_with_hash_is_value_text() {
        let p = parse("k=a\\\n  #b\n");
        assert_eq!(p.get("k"), Some("a#b"));
    }

    #[test]
    fn even_backslashes_do_not_continue() {
        let p = parse("k=a\\\\\nnext=1\n");
        assert_eq!(p.get("k"), Some("a\\"));
        assert_eq!(p.get("next"), Some("1"));
    }

    #[test]
    fn continuation_at_end_of_input_drops_backslash() {
        assert_eq!(parse("k=abc\\").get("k"), Some("abc"));
    }

    #[test]
    fn escapes_tab_newline_unicode_backslash() {
        let p = parse("k=a\\tb\\nc\\u0041\\\\d\\qe\n");
        assert_eq!(p.get("k"), Some("a\tb\ncA\\dqe"));
    }

    #[test]
    fn unicode_surrogate_pair_escapes_combine() {
        assert_eq!(parse("k=\\uD83D\\uDE00").get("k"), Some("\u{1F600}"));
    }

    #[test]
    fn malformed_unicode_escape_is_an_error() {
        let err = Properties::parse("ok=1\nk=\\u12G4").unwrap_err();
        assert!(
            matches!(err, ConfigError::MalformedUnicodeEscape { line: 2 }),
            "{err:?}"
        );
        assert!(Properties::parse("k=\\u12").is_err());
    }

    #[test]
    fn escaped_separators_belong_to_the_key() {
        let p = parse("a\\=b=c\nx\\:y:z\nsp\\ ace=1\n");
        assert_eq!(p.get("a=b"), Some("c"));
        assert_eq!(p.get("x:y"), Some("z"));
        assert_eq!(p.get("sp ace"), Some("1"));
    }

    #[test]
    fn only_first_separator_after_whitespace_is_consumed() {
        // "k = = v": whitespace ends the key, one '=' is the separator, the second is value.
        assert_eq!(parse("k = = v").get("k"), Some("= v"));
        assert_eq!(parse("k==v").get("k"), Some("=v"));
        assert_eq!(parse("k:=v").get("k"), Some("=v"));
    }

    #[test]
    fn trailing_whitespace_of_value_is_kept() {
        assert_eq!(parse("k=v  \n").get("k"), Some("v  "));
    }

    #[test]
    fn duplicates_last_wins() {
        assert_eq!(parse("k=1\nk=2\n").get("k"), Some("2"));
    }

    #[test]
    fn cr_and_crlf_line_endings() {
        let p = parse("a=1\rb=2\r\nc=3");
        assert_eq!(
            (p.get("a"), p.get("b"), p.get("c")),
            (Some("1"), Some("2"), Some("3"))
        );
    }

    #[test]
    fn crlf_continuation() {
        assert_eq!(parse("k=a\\\r\n   b\r\n").get("k"), Some("ab"));
    }

    #[test]
    fn blank_lines_and_whitespace_only_lines_are_skipped() {
        let p = parse("\n   \n\t\nk=v\n\n");
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn empty_key_from_leading_separator() {
        assert_eq!(parse("=v").get(""), Some("v"));
    }

    #[test]
    fn latin1_file_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.properties");
        std::fs::write(&path, b"k=caf\xe9\n").unwrap();
        assert_eq!(Properties::load(&path).unwrap().get("k"), Some("café"));
    }
}
