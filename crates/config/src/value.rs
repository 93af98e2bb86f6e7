//! Typed configuration values and validators, after Kafka's `ConfigDef` (`ConfigDef.Type`,
//! `ConfigDef.parseType`, `ConfigDef.Range`, `ConfigDef.ValidString`, `ConfigDef.ValidList`).

use crate::error::ConfigError;

/// The type of a configuration key (Kafka's `ConfigDef.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// `true` / `false` (case-insensitive, trimmed).
    Boolean,
    /// Free text.
    String,
    /// 32-bit signed integer.
    Int,
    /// 16-bit signed integer.
    Short,
    /// 64-bit signed integer.
    Long,
    /// 64-bit float.
    Double,
    /// Comma-separated list (whitespace around commas ignored).
    List,
    /// A Java class name (kept as text).
    Class,
    /// A secret: never printed, reported as sensitive.
    Password,
}

impl ConfigType {
    /// Kafka's upper-case type name as used in its error messages (`INT`, `LONG`...).
    pub fn kafka_name(self) -> &'static str {
        match self {
            Self::Boolean => "BOOLEAN",
            Self::String => "STRING",
            Self::Int => "INT",
            Self::Short => "SHORT",
            Self::Long => "LONG",
            Self::Double => "DOUBLE",
            Self::List => "LIST",
            Self::Class => "CLASS",
            Self::Password => "PASSWORD",
        }
    }
}

/// A parsed configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A [`ConfigType::Boolean`].
    Boolean(bool),
    /// A [`ConfigType::String`] or [`ConfigType::Class`].
    String(String),
    /// A [`ConfigType::Int`].
    Int(i32),
    /// A [`ConfigType::Short`].
    Short(i16),
    /// A [`ConfigType::Long`].
    Long(i64),
    /// A [`ConfigType::Double`].
    Double(f64),
    /// A [`ConfigType::List`].
    List(Vec<String>),
    /// A [`ConfigType::Password`].
    Password(String),
}

impl ConfigValue {
    /// Kafka's `ConfigDef.convertToString`: lists joined with `,`, doubles in Java's
    /// `Double.toString` shape for the values configs use (`0.5`, `1.0`).
    pub fn to_kafka_string(&self) -> String {
        match self {
            Self::Boolean(b) => b.to_string(),
            Self::String(s) | Self::Password(s) => s.clone(),
            Self::Int(i) => i.to_string(),
            Self::Short(i) => i.to_string(),
            Self::Long(i) => i.to_string(),
            Self::Double(d) if d.fract() == 0.0 && d.is_finite() => format!("{d:.1}"),
            Self::Double(d) => d.to_string(),
            Self::List(items) => items.join(","),
        }
    }
}

/// Parses `raw` as `ty` for key `name`, with Kafka's messages
/// (`ConfigDef.parseType`: numbers and booleans are trimmed first).
///
/// # Errors
/// [`ConfigError::InvalidValue`], e.g. `Invalid value abc for configuration num.partitions:
/// Not a number of type INT`.
pub fn parse_typed(name: &str, raw: &str, ty: ConfigType) -> Result<ConfigValue, ConfigError> {
    let trimmed = raw.trim();
    let not_a_number = || {
        ConfigError::invalid(
            name,
            raw,
            format!("Not a number of type {}", ty.kafka_name()),
        )
    };
    Ok(match ty {
        ConfigType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => ConfigValue::Boolean(true),
            "false" => ConfigValue::Boolean(false),
            _ => {
                return Err(ConfigError::invalid(
                    name,
                    raw,
                    "Expected value to be either true or false",
                ));
            }
        },
        ConfigType::String => ConfigValue::String(raw.to_owned()),
        ConfigType::Class => ConfigValue::String(trimmed.to_owned()),
        ConfigType::Password => ConfigValue::Password(raw.to_owned()),
        ConfigType::Int => ConfigValue::Int(trimmed.parse().map_err(|_| not_a_number())?),
        ConfigType::Short => ConfigValue::Short(trimmed.parse().map_err(|_| not_a_number())?),
        ConfigType::Long => ConfigValue::Long(trimmed.parse().map_err(|_| not_a_number())?),
        ConfigType::Double => ConfigValue::Double(trimmed.parse().map_err(|_| not_a_number())?),
        ConfigType::List => ConfigValue::List(split_list(trimmed)),
    })
}

/// Splits a Kafka list value: trimmed, split on commas with surrounding whitespace, empty input
/// is the empty list (`ConfigDef.parseType` for `LIST`).
pub fn split_list(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.is_empty() {
        return Vec::new();
    }
    value
        .split(',')
        .map(|item| item.trim().to_owned())
        .collect()
}

/// A value check (Kafka's `ConfigDef.Validator` implementations).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Validator {
    /// No check beyond the type.
    None,
    /// `ConfigDef.Range.atLeast(min)`: `Value must be at least <min>`.
    AtLeast(i64),
    /// `ConfigDef.Range.between(min, max)`: `Value must be no less than <min>` /
    /// `Value must be no more than <max>`.
    Between(f64, f64),
    /// `ConfigDef.ValidString.in(...)`: `String must be one of: a, b`.
    OneOf(&'static [&'static str]),
    /// `ConfigDef.CaseInsensitiveValidString.in(...)`.
    OneOfIgnoreCase(&'static [&'static str]),
    /// `ConfigDef.ValidList.in(...)`: every element must be one of these.
    ListOf(&'static [&'static str]),
}

impl Validator {
    /// Checks `value` (already typed); `raw` is used in the message.
    ///
    /// # Errors
    /// [`ConfigError::InvalidValue`] with Kafka's validator text.
    pub fn check(&self, name: &str, raw: &str, value: &ConfigValue) -> Result<(), ConfigError> {
        let number = match value {
            ConfigValue::Int(i) => Some(f64::from(*i)),
            ConfigValue::Short(i) => Some(f64::from(*i)),
            // Precision loss above 2^53 is irrelevant for bounds this small.
            #[allow(clippy::cast_precision_loss)]
            ConfigValue::Long(i) => Some(*i as f64),
            ConfigValue::Double(d) => Some(*d),
            _ => None,
        };
        match (*self, number, value) {
            (Self::None, _, _) => Ok(()),
            (Self::AtLeast(min), Some(n), _) => {
                #[allow(clippy::cast_precision_loss)]
                let below = n < min as f64;
                if below {
                    Err(ConfigError::invalid(
                        name,
                        raw,
                        format!("Value must be at least {min}"),
                    ))
                } else {
                    Ok(())
                }
            }
            (Self::Between(min, max), Some(n), _) => {
                if n < min {
                    Err(ConfigError::invalid(
                        name,
                        raw,
                        format!("Value must be no less than {}", java_number(min)),
                    ))
                } else if n > max {
                    Err(ConfigError::invalid(
                        name,
                        raw,
                        format!("Value must be no more than {}", java_number(max)),
                    ))
                } else {
                    Ok(())
                }
            }
            (Self::OneOf(allowed), _, ConfigValue::String(s)) => {
                if allowed.contains(&s.as_str()) {
                    Ok(())
                } else {
                    Err(ConfigError::invalid(
                        name,
                        raw,
                        format!("String must be one of: {}", allowed.join(", ")),
                    ))
                }
            }
            (Self::OneOfIgnoreCase(allowed), _, ConfigValue::String(s)) => {
                if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) {
                    Ok(())
                } else {
                    Err(ConfigError::invalid(
                        name,
                        raw,
                        format!(
                            "String must be one of (case insensitive): {}",
                            allowed.join(", ")
                        ),
                    ))
                }
            }
            (Self::ListOf(allowed), _, ConfigValue::List(items)) => {
                match items.iter().find(|item| !allowed.contains(&item.as_str())) {
                    None => Ok(()),
                    Some(bad) => Err(ConfigError::invalid(
                        name,
                        bad,
                        format!("String must be one of: {}", allowed.join(", ")),
                    )),
                }
            }
            // A validator applied to a type it does not cover accepts (as ConfigDef would never
            // pair them); the tables in this crate do not do that.
            _ => Ok(()),
        }
    }
}

/// Formats a bound the way Java prints the boxed number in validator messages (`1` for ints,
/// `0.5` for doubles).
fn java_number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_parse_error_is_kafkas_wording() {
        let err = parse_typed("num.partitions", "abc", ConfigType::Int).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value abc for configuration num.partitions: Not a number of type INT"
        );
    }

    #[test]
    fn numbers_and_booleans_are_trimmed() {
        assert_eq!(
            parse_typed("k", " 7 ", ConfigType::Int).unwrap(),
            ConfigValue::Int(7)
        );
        assert_eq!(
            parse_typed("k", " TRUE ", ConfigType::Boolean).unwrap(),
            ConfigValue::Boolean(true)
        );
        let err = parse_typed("k", "yes", ConfigType::Boolean).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value yes for configuration k: Expected value to be either true or false"
        );
    }

    #[test]
    fn int_overflow_is_not_a_number() {
        assert!(parse_typed("k", "2147483648", ConfigType::Int).is_err());
        assert!(parse_typed("k", "2147483648", ConfigType::Long).is_ok());
    }

    #[test]
    fn list_split_and_empty() {
        assert_eq!(split_list(" a , b,c "), vec!["a", "b", "c"]);
        assert!(split_list("  ").is_empty());
    }

    #[test]
    fn range_and_string_validators_use_kafka_text() {
        let err = Validator::AtLeast(14)
            .check("segment.bytes", "13", &ConfigValue::Int(13))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value 13 for configuration segment.bytes: Value must be at least 14"
        );
        let err = Validator::Between(0.0, 1.0)
            .check("r", "1.5", &ConfigValue::Double(1.5))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value 1.5 for configuration r: Value must be no more than 1"
        );
        let list = ConfigValue::List(vec!["delete".into(), "zap".into()]);
        let err = Validator::ListOf(&["compact", "delete"])
            .check("cleanup.policy", "delete,zap", &list)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value zap for configuration cleanup.policy: String must be one of: compact, delete"
        );
    }
}
