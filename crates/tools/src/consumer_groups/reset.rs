//! `--reset-offsets`: the scenario parsers (`Utils.getDateTime`, `java.time.Duration.parse`,
//! `GroupOffsetsResetter.parseTopicsWithPartitions`) and the plan computation of Kafka's
//! `GroupOffsetsResetter` (`resetToOffset`/`resetToEarliest`/…, `checkOffsetsRange`).

use std::collections::BTreeMap;

use fjord_client::{AdminClient, CommittedOffset, OffsetSpec, TopicPartition};

use crate::ToolError;

/// Which `--to-*`/`--shift-by`/`--by-duration` scenario to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scenario {
    /// `--to-offset N` (clamped into [log start, log end]).
    ToOffset(i64),
    /// `--to-earliest`.
    ToEarliest,
    /// `--to-latest`.
    ToLatest,
    /// `--to-current`: the committed offset, else the log end.
    ToCurrent,
    /// `--shift-by N` from the committed offset (clamped).
    ShiftBy(i64),
    /// `--to-datetime` / `--by-duration`, resolved to a timestamp in ms.
    ToTimestamp(i64),
    /// `--from-file`: the requested offsets by group (clamped like `--to-offset`).
    FromFile(ResetPlan),
}

/// Offsets requested per group and partition (`parseResetPlan`).
pub type ResetPlan = BTreeMap<String, BTreeMap<TopicPartition, i64>>;

/// Splits one CSV line into fields (Jackson CSV: `"` quotes a field, `""` is a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// One CSV field as Jackson writes it: quoted when it holds a comma, quote or line break.
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn csv_row(fields: &[String]) -> Option<(TopicPartition, i64)> {
    let [topic, partition, offset] = fields else {
        return None;
    };
    Some((
        TopicPartition {
            topic: topic.clone(),
            partition: partition.trim().parse().ok()?,
        },
        offset.trim().parse().ok()?,
    ))
}

/// Parses a `--from-file` CSV (`ConsumerGroupCommand.parseResetPlan`): with exactly one
/// `--group` and a first line of `topic,partition,offset`, every line is in that form for
/// that group; otherwise every line is `group,topic,partition,offset`.
pub fn parse_reset_plan(text: &str, single_group: Option<&str>) -> Result<ResetPlan, ToolError> {
    let lines: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .map(csv_fields)
        .collect();
    let old_format = lines.first().is_some_and(|f| csv_row(f).is_some());
    let mut plan = ResetPlan::new();
    for (index, fields) in lines.iter().enumerate() {
        let bad = || {
            ToolError::Illegal(anyhow::anyhow!(
                "Unable to parse line {} of the reset plan: '{}'",
                index + 1,
                fields.join(",")
            ))
        };
        let (group, row) = match single_group {
            Some(group) if old_format => (group.to_owned(), csv_row(fields).ok_or_else(bad)?),
            _ => {
                let (group, rest) = fields.split_first().ok_or_else(bad)?;
                (group.clone(), csv_row(rest).ok_or_else(bad)?)
            }
        };
        plan.entry(group).or_default().insert(row.0, row.1);
    }
    Ok(plan)
}

/// `exportOffsetsToCsv`: one line per partition, `topic,partition,offset` for a single
/// `--group`, else prefixed by the group.
pub fn export_csv(groups: &[super::table::GroupReset], single_group: bool) -> String {
    let mut out = String::new();
    for (group, rows) in groups {
        for (topic, partition, offset) in rows {
            if !single_group {
                out.push_str(&csv_field(group));
                out.push(',');
            }
            out.push_str(&format!("{},{partition},{offset}\n", csv_field(topic)));
        }
    }
    out
}

/// `resetFromFile` for one group's requested offsets: clamped into [log start, log end]
/// (`checkOffsetsRange`).
pub async fn plan_from_file(
    admin: &mut AdminClient,
    requested: &BTreeMap<TopicPartition, i64>,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<TopicPartition, i64>, ToolError> {
    clamp(admin, requested.clone(), warnings).await
}

/// Parses `--to-datetime` (`Utils.getDateTime`): `YYYY-MM-DDTHH:mm:SS.sss` with an optional
/// `Z`, `±hh:mm` or `±hhmm` zone. Without a zone Kafka uses the JVM's default zone; fjord
/// uses UTC (documented choice: no tz database dependency).
pub fn parse_datetime(text: &str) -> Result<i64, ToolError> {
    let bad = || {
        ToolError::Illegal(anyhow::anyhow!(
            "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format: {text}"
        ))
    };
    let (date, time) = text.split_once('T').ok_or_else(bad)?;
    let unparseable = || {
        ToolError::Illegal(anyhow::anyhow!(
            "Unparseable date: \"{text}\" (expected yyyy-MM-dd'T'HH:mm:ss.SSS[X])"
        ))
    };
    let num = |s: &str| s.parse::<i64>().map_err(|_| unparseable());
    let date_parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = date_parts.as_slice() else {
        return Err(unparseable());
    };
    let (year, month, day) = (num(year)?, num(month)?, num(day)?);
    // Split the zone off the time: 'Z', or the last '+'/'-'.
    let (clock, offset_minutes) = if let Some(clock) = time.strip_suffix('Z') {
        (clock, 0)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 && digits.len() != 2 {
            return Err(unparseable());
        }
        let hours = num(&digits[..2])?;
        let minutes = if digits.len() == 4 {
            num(&digits[2..])?
        } else {
            0
        };
        (clock, sign * (hours * 60 + minutes))
    } else {
        (time, 0)
    };
    let (hms, millis) = match clock.split_once('.') {
        Some((hms, frac)) if frac.len() == 3 => (hms, num(frac)?),
        Some(_) => return Err(unparseable()),
        None => (clock, 0),
    };
    let clock_parts: Vec<&str> = hms.split(':').collect();
    let [hour, minute, second] = clock_parts.as_slice() else {
        return Err(unparseable());
    };
    let (hour, minute, second) = (num(hour)?, num(minute)?, num(second)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(unparseable());
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Ok(seconds * 1_000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Parses `--by-duration` (`java.time.Duration.parse`): `PnDTnHnMn.nS`, each part optional,
/// an optional leading sign; answers milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, ToolError> {
    let bad = || ToolError::Illegal(anyhow::anyhow!("Text cannot be parsed to a Duration"));
    let upper = text.to_ascii_uppercase();
    let (negative, rest) = match upper.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, upper.strip_prefix('+').unwrap_or(&upper)),
    };
    let rest = rest.strip_prefix('P').ok_or_else(bad)?;
    let (days_part, time_part) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return Err(bad()),
        None => (rest, None),
    };
    let mut millis: f64 = 0.0;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, f64)]| -> Result<(), ToolError> {
        let mut number = String::new();
        let mut unit_index = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == '-' || c == '+' {
                number.push(c);
                continue;
            }
            let position = units[unit_index..]
                .iter()
                .position(|(u, _)| *u == c)
                .ok_or_else(bad)?;
            unit_index += position;
            let value: f64 = number.parse().map_err(|_| bad())?;
            millis += value * units[unit_index].1;
            unit_index += 1;
            number.clear();
            any = true;
        }
        if number.is_empty() {
            Ok(())
        } else {
            Err(bad())
        }
    };
    take(days_part, &[('D', 86_400_000.0)])?;
    if let Some(time) = time_part {
        take(time, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1_000.0)])?;
    }
    if !any {
        return Err(bad());
    }
    let millis = millis.round() as i64;
    Ok(if negative { -millis } else { millis })
}

/// Splits `--topic` values into explicit `t:p,p` partitions and bare topic names
/// (`parseTopicPartitionsToReset`).
pub fn split_topic_args(args: &[String]) -> Result<(Vec<TopicPartition>, Vec<String>), ToolError> {
    let mut explicit = Vec::new();
    let mut bare = Vec::new();
    for arg in args {
        let Some((topic, partitions)) = arg.split_once(':') else {
            bare.push(arg.clone());
            continue;
        };
        if partitions.contains(':') {
            return Err(ToolError::Illegal(anyhow::anyhow!(
                "Invalid topic arg '{arg}', expected topic name and partitions"
            )));
        }
        for partition in partitions.split(',') {
            let index = partition.parse::<i32>().map_err(|_| {
                ToolError::Illegal(anyhow::anyhow!(
                    "Invalid partition '{partition}' specified in topic arg '{arg}''"
                ))
            })?;
            explicit.push(TopicPartition {
                topic: topic.to_owned(),
                partition: index,
            });
        }
    }
    Ok((explicit, bare))
}

/// Offsets of `partitions` at `spec`, failing with Kafka's wording if one is missing.
async fn log_offsets(
    admin: &mut AdminClient,
    partitions: &[TopicPartition],
    spec: OffsetSpec,
    what: &str,
) -> Result<BTreeMap<TopicPartition, i64>, ToolError> {
    let request: Vec<(TopicPartition, OffsetSpec)> =
        partitions.iter().map(|tp| (tp.clone(), spec)).collect();
    let results = admin.list_offsets(&request, 0).await?;
    let mut out = BTreeMap::new();
    for tp in partitions {
        match results.get(tp) {
            Some(Ok(listed)) => {
                out.insert(tp.clone(), listed.offset);
            }
            _ => {
                return Err(ToolError::Usage(format!(
                    "Error getting {what} offset of topic partition: {tp}"
                )));
            }
        }
    }
    Ok(out)
}

/// Clamps requested offsets into [log start, log end] (`checkOffsetsRange`), warning on
/// stderr as Kafka's logger does.
async fn clamp(
    admin: &mut AdminClient,
    requested: BTreeMap<TopicPartition, i64>,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<TopicPartition, i64>, ToolError> {
    let partitions: Vec<TopicPartition> = requested.keys().cloned().collect();
    let starts = log_offsets(admin, &partitions, OffsetSpec::Earliest, "starting").await?;
    let ends = log_offsets(admin, &partitions, OffsetSpec::Latest, "ending").await?;
    let mut out = BTreeMap::new();
    for (tp, offset) in requested {
        let (start, end) = (starts[&tp], ends[&tp]);
        let value = if offset > end {
            warnings.push(format!(
                "New offset ({offset}) is higher than latest offset for topic partition {tp}. Value will be set to {end}"
            ));
            end
        } else if offset < start {
            warnings.push(format!(
                "New offset ({offset}) is lower than earliest offset for topic partition {tp}. Value will be set to {start}"
            ));
            start
        } else {
            offset
        };
        out.insert(tp, value);
    }
    Ok(out)
}

/// Computes the new offset of each partition for `scenario` (`GroupOffsetsResetter`).
/// `warnings` collects the lines Kafka prints (clamping, empty partitions on timestamp
/// lookups).
pub async fn plan(
    admin: &mut AdminClient,
    scenario: &Scenario,
    partitions: &[TopicPartition],
    committed: &BTreeMap<TopicPartition, CommittedOffset>,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<TopicPartition, i64>, ToolError> {
    match scenario {
        Scenario::ToEarliest => {
            log_offsets(admin, partitions, OffsetSpec::Earliest, "starting").await
        }
        Scenario::ToLatest => log_offsets(admin, partitions, OffsetSpec::Latest, "ending").await,
        Scenario::ToOffset(offset) => {
            let requested = partitions.iter().map(|tp| (tp.clone(), *offset)).collect();
            clamp(admin, requested, warnings).await
        }
        Scenario::ShiftBy(shift) => {
            let mut requested = BTreeMap::new();
            for tp in partitions {
                let current = committed.get(tp).ok_or_else(|| {
                    ToolError::Illegal(anyhow::anyhow!(
                        "Cannot shift offset for partition {tp} since there is no current committed offset"
                    ))
                })?;
                requested.insert(tp.clone(), current.offset.saturating_add(*shift));
            }
            clamp(admin, requested, warnings).await
        }
        Scenario::ToCurrent => {
            let missing: Vec<TopicPartition> = partitions
                .iter()
                .filter(|tp| !committed.contains_key(*tp))
                .cloned()
                .collect();
            let mut out = log_offsets(admin, &missing, OffsetSpec::Latest, "ending").await?;
            for tp in partitions {
                if let Some(current) = committed.get(tp) {
                    out.insert(tp.clone(), current.offset);
                }
            }
            Ok(out)
        }
        // Planned per group by the caller (`plan_from_file`).
        Scenario::FromFile(_) => Ok(BTreeMap::new()),
        Scenario::ToTimestamp(timestamp) => {
            let found = log_offsets(
                admin,
                partitions,
                OffsetSpec::Timestamp(*timestamp),
                "timestamp",
            )
            .await?;
            let empty: Vec<TopicPartition> = found
                .iter()
                .filter(|(_, o)| **o < 0)
                .map(|(tp, _)| tp.clone())
                .collect();
            for tp in &empty {
                warnings.push(format!(
                    "\nWarn: Partition {} from topic {} is empty. Falling back to latest known offset.",
                    tp.partition, tp.topic
                ));
            }
            let ends = log_offsets(admin, &empty, OffsetSpec::Latest, "ending").await?;
            Ok(found
                .into_iter()
                .map(|(tp, o)| {
                    let value = if o < 0 {
                        ends.get(&tp).copied().unwrap_or(o)
                    } else {
                        o
                    };
                    (tp, value)
                })
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_parses_kafka_format_with_and_without_zone() {
        // Utils.getDateTime accepts yyyy-MM-dd'T'HH:mm:ss.SSS with an optional zone.
        assert_eq!(parse_datetime("1970-01-01T00:00:00.000").unwrap(), 0);
        assert_eq!(
            parse_datetime("2024-02-29T12:34:56.789Z").unwrap(),
            1_709_210_096_789
        );
        assert_eq!(
            parse_datetime("2024-02-29T14:34:56.789+02:00").unwrap(),
            1_709_210_096_789
        );
        assert_eq!(
            parse_datetime("2024-02-29T07:34:56.789-0500").unwrap(),
            1_709_210_096_789
        );
        assert!(matches!(
            parse_datetime("2024-02-29 12:00:00.000"),
            Err(ToolError::Illegal(_))
        ));
        assert!(matches!(
            parse_datetime("2024-13-01T00:00:00.000"),
            Err(ToolError::Illegal(_))
        ));
    }

    #[test]
    fn duration_follows_java_time_duration_parse() {
        assert_eq!(parse_duration("PT1H").unwrap(), 3_600_000);
        assert_eq!(parse_duration("P1DT2H3M4.5S").unwrap(), 93_784_500);
        assert_eq!(parse_duration("pt0.001s").unwrap(), 1);
        assert_eq!(parse_duration("-PT1S").unwrap(), -1_000);
        for bad in ["", "P", "PT", "1H", "PT1X", "PT1S2M"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn topic_args_split_into_partitions_and_bare_topics() {
        let (explicit, bare) =
            split_topic_args(&["orders:0,2".to_owned(), "audit".to_owned()]).unwrap();
        assert_eq!(
            explicit,
            vec![
                TopicPartition {
                    topic: "orders".to_owned(),
                    partition: 0
                },
                TopicPartition {
                    topic: "orders".to_owned(),
                    partition: 2
                },
            ]
        );
        assert_eq!(bare, vec!["audit".to_owned()]);
        let error = split_topic_args(&["orders:x".to_owned()]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Invalid partition 'x' specified in topic arg 'orders:x''"
        );
    }

    #[test]
    fn reset_plan_csv_single_group_and_with_group_columns() {
        // ConsumerGroupCommand.parseResetPlan: "topic,partition,offset" for one --group.
        let tp = |t: &str, p: i32| TopicPartition {
            topic: t.to_owned(),
            partition: p,
        };
        let plan = parse_reset_plan("t,0,5\r\nt,1,7\n\n", Some("g")).unwrap();
        assert_eq!(plan.len(), 1);
        assert_eq!(
            plan["g"],
            BTreeMap::from([(tp("t", 0), 5), (tp("t", 1), 7)])
        );
        // Several groups (or a first line with four columns): "group,topic,partition,offset".
        let plan = parse_reset_plan("g1,t,0,1\n\"g,2\",t,0,2\n", None).unwrap();
        assert_eq!(plan["g1"][&tp("t", 0)], 1);
        assert_eq!(plan["g,2"][&tp("t", 0)], 2);
        assert!(parse_reset_plan("t,zero,5\n", Some("g")).is_err());
    }

    #[test]
    fn export_csv_matches_the_plan_format() {
        let groups = vec![(
            "g".to_owned(),
            vec![("t".to_owned(), 0, 5), ("t".to_owned(), 1, 7)],
        )];
        assert_eq!(export_csv(&groups, true), "t,0,5\nt,1,7\n");
        assert_eq!(export_csv(&groups, false), "g,t,0,5\ng,t,1,7\n");
        // Round trip: what --export prints, --from-file reads.
        let plan = parse_reset_plan(&export_csv(&groups, true), Some("g")).unwrap();
        assert_eq!(plan["g"].len(), 2);
    }
}
