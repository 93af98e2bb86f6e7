//! Pure text layout of `kafka-consumer-groups.sh`'s tables, reproducing the `printf` formats
//! of Kafka's `ConsumerGroupCommand` (`printOffsets`/`printOffsetFormat`, `printMembers`,
//! `printStates`, `printGroupInfo`, `deleteOffsets`) and `GroupOffsetsResetter.printOffsetsToReset`:
//! left-aligned `%-Ns` columns whose width is the longest value or a floor of 15, one space
//! between columns, each row *preceded* by a newline and the table closed by one.

use std::fmt::Write as _;

/// Kafka's `MISSING_COLUMN_VALUE`.
pub const MISSING: &str = "-";

/// Java's `%-Ns`: `value` left-aligned in `width` characters (never truncated).
fn pad(out: &mut String, value: &str, width: usize) {
    let _ = write!(out, "{value:<width$}");
}

/// One row of the `--describe --offsets` table (`PartitionAssignmentState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetRow {
    /// The group id.
    pub group: String,
    /// The topic, `None` for a member without partitions.
    pub topic: Option<String>,
    /// The partition.
    pub partition: Option<i32>,
    /// The committed offset's leader epoch (`--verbose` only).
    pub leader_epoch: Option<i32>,
    /// The committed offset.
    pub current_offset: Option<i64>,
    /// The partition's log-end offset.
    pub log_end_offset: Option<i64>,
    /// The member that owns the partition (`-` when none).
    pub consumer_id: String,
    /// The member's host.
    pub host: String,
    /// The member's client id.
    pub client_id: String,
}

impl OffsetRow {
    /// `getLag`: log-end minus committed, when both are known and the committed offset is
    /// not -1.
    pub fn lag(&self) -> Option<i64> {
        match (self.current_offset, self.log_end_offset) {
            (Some(offset), Some(end)) if offset != -1 => Some(end - offset),
            _ => None,
        }
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| MISSING.to_owned(), |v| v.to_string())
}

/// The `--describe [--offsets] [--verbose]` table for one group (`printOffsets`).
pub fn offsets_table(rows: &[OffsetRow], verbose: bool) -> String {
    let width = |f: &dyn Fn(&OffsetRow) -> usize| rows.iter().map(f).fold(15, usize::max);
    let group_w = width(&|r| r.group.len());
    let topic_w = width(&|r| r.topic.as_deref().unwrap_or(MISSING).len());
    let consumer_w = width(&|r| r.consumer_id.len());
    let host_w = width(&|r| r.host.len());
    let line = |cells: [&str; 10]| {
        let mut out = String::from("\n");
        pad(&mut out, cells[0], group_w);
        out.push(' ');
        pad(&mut out, cells[1], topic_w);
        out.push(' ');
        pad(&mut out, cells[2], 10);
        out.push(' ');
        if verbose {
            pad(&mut out, cells[3], 15);
            out.push(' ');
        }
        for cell in &cells[4..7] {
            pad(&mut out, cell, 15);
            out.push(' ');
        }
        pad(&mut out, cells[7], consumer_w);
        out.push(' ');
        pad(&mut out, cells[8], host_w);
        out.push(' ');
        out.push_str(cells[9]);
        out
    };
    let mut out = line([
        "GROUP",
        "TOPIC",
        "PARTITION",
        "LEADER-EPOCH",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
    ]);
    for row in rows {
        out.push_str(&line([
            &row.group,
            row.topic.as_deref().unwrap_or(MISSING),
            &opt(row.partition),
            &opt(row.leader_epoch),
            &opt(row.current_offset),
            &opt(row.log_end_offset),
            &opt(row.lag()),
            &row.consumer_id,
            &row.host,
            &row.client_id,
        ]));
    }
    out.push('\n');
    out
}

/// One row of the `--describe --members` table (`MemberAssignmentState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// The group id.
    pub group: String,
    /// The member id.
    pub consumer_id: String,
    /// The static member id, empty when none.
    pub group_instance_id: String,
    /// The member's host.
    pub host: String,
    /// The member's client id.
    pub client_id: String,
    /// The partitions it owns, as (topic, partition).
    pub assignment: Vec<(String, i32)>,
}

/// `getAssignmentString`: `topic:p,p;topic2:p` with partitions sorted and topics sorted, or
/// `-` when empty.
pub fn assignment_string(assignment: &[(String, i32)]) -> String {
    if assignment.is_empty() {
        return MISSING.to_owned();
    }
    let mut by_topic: std::collections::BTreeMap<&str, Vec<i32>> = Default::default();
    for (topic, partition) in assignment {
        by_topic.entry(topic).or_default().push(*partition);
    }
    by_topic
        .into_iter()
        .map(|(topic, mut partitions)| {
            partitions.sort_unstable();
            let list: Vec<String> = partitions.iter().map(ToString::to_string).collect();
            format!("{topic}:{}", list.join(","))
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The `--describe --members [--verbose]` table for one group (`printMembers`); classic
/// groups have no epochs or target assignments, so those verbose columns are `-`.
pub fn members_table(rows: &[MemberRow], verbose: bool) -> String {
    let width =
        |floor: usize, f: &dyn Fn(&MemberRow) -> usize| rows.iter().map(f).fold(floor, usize::max);
    let group_w = width(15, &|r| r.group.len());
    let consumer_w = width(15, &|r| r.consumer_id.len());
    let instance_w = width(17, &|r| r.group_instance_id.len());
    let host_w = width(15, &|r| r.host.len());
    let client_w = width(15, &|r| r.client_id.len());
    let current_w = width(20, &|r| assignment_string(&r.assignment).len());
    let target_w = 20;
    let with_instance = rows.iter().any(|r| !r.group_instance_id.is_empty());
    let line = |cells: [&str; 6]| {
        let mut out = String::new();
        pad(&mut out, cells[0], group_w);
        out.push(' ');
        pad(&mut out, cells[1], consumer_w);
        out.push(' ');
        if with_instance {
            pad(&mut out, cells[2], instance_w);
            out.push(' ');
        }
        pad(&mut out, cells[3], host_w);
        out.push(' ');
        pad(&mut out, cells[4], client_w);
        out.push(' ');
        pad(&mut out, cells[5], 15);
        out.push(' ');
        out
    };
    let verbose_cells = |cells: [&str; 4]| {
        let mut out = String::new();
        pad(&mut out, cells[0], 15);
        out.push(' ');
        pad(&mut out, cells[1], current_w);
        out.push(' ');
        pad(&mut out, cells[2], 15);
        out.push(' ');
        pad(&mut out, cells[3], target_w);
        out
    };
    let mut out = String::from("\n");
    out.push_str(&line([
        "GROUP",
        "CONSUMER-ID",
        "GROUP-INSTANCE-ID",
        "HOST",
        "CLIENT-ID",
        "#PARTITIONS",
    ]));
    if verbose {
        out.push_str(&verbose_cells([
            "CURRENT-EPOCH",
            "CURRENT-ASSIGNMENT",
            "TARGET-EPOCH",
            "TARGET-ASSIGNMENT",
        ]));
    }
    out.push('\n');
    for row in rows {
        out.push_str(&line([
            &row.group,
            &row.consumer_id,
            &row.group_instance_id,
            &row.host,
            &row.client_id,
            &row.assignment.len().to_string(),
        ]));
        if verbose {
            out.push_str(&verbose_cells([
                MISSING,
                &assignment_string(&row.assignment),
                MISSING,
                MISSING,
            ]));
        }
        out.push('\n');
    }
    out
}

/// The `--describe --state [--verbose]` table (`printStates`), classic groups: no group
/// epoch or target assignment epoch (`-`).
pub fn state_table(
    group: &str,
    coordinator: &str,
    assignor: &str,
    state: &str,
    members: usize,
    verbose: bool,
) -> String {
    let group_w = group.len().max(15);
    let coordinator_w = coordinator.len().max(25);
    let assignor = if assignor.is_empty() {
        MISSING
    } else {
        assignor
    };
    let members = members.to_string();
    let line = |cells: [&str; 7]| {
        let mut out = String::from("\n");
        pad(&mut out, cells[0], group_w);
        out.push(' ');
        pad(&mut out, cells[1], coordinator_w);
        out.push(' ');
        pad(&mut out, cells[2], 20);
        out.push(' ');
        pad(&mut out, cells[3], 20);
        out.push(' ');
        if verbose {
            pad(&mut out, cells[4], 15);
            out.push(' ');
            pad(&mut out, cells[5], 25);
            out.push(' ');
        }
        out.push_str(cells[6]);
        out
    };
    let mut out = line([
        "GROUP",
        "COORDINATOR (ID)",
        "ASSIGNMENT-STRATEGY",
        "STATE",
        "GROUP-EPOCH",
        "TARGET-ASSIGNMENT-EPOCH",
        "#MEMBERS",
    ]);
    out.push_str(&line([
        group,
        coordinator,
        assignor,
        state,
        MISSING,
        MISSING,
        &members,
    ]));
    out.push('\n');
    out
}

/// `--list --state`: `GROUP` and `STATE` columns, the group column 10 wider than the longest
/// id (floor 15) (`printGroupInfo`).
pub fn list_with_state(groups: &[(String, String)]) -> String {
    let rows: Vec<(String, String, String)> = groups
        .iter()
        .map(|(g, s)| (g.clone(), String::new(), s.clone()))
        .collect();
    list_with_columns(&rows, false, true)
}

/// `--list` with `--type` and/or `--state` (`ConsumerGroupCommand.printGroupInfo`): GROUP
/// padded to the longest id (at least 15) plus 10, then ` %-20s` per TYPE/STATE column.
/// Rows are `(group, type, state)`.
pub fn list_with_columns(
    groups: &[(String, String, String)],
    include_type: bool,
    include_state: bool,
) -> String {
    let group_w = groups
        .iter()
        .map(|(g, _, _)| g.len().max(15))
        .max()
        .unwrap_or(15)
        + 10;
    let header = ("GROUP".to_owned(), "TYPE".to_owned(), "STATE".to_owned());
    let mut out = String::new();
    for (group, ty, state) in std::iter::once(&header).chain(groups) {
        pad(&mut out, group, group_w);
        if include_type {
            out.push(' ');
            pad(&mut out, ty, 20);
        }
        if include_state {
            out.push(' ');
            pad(&mut out, state, 20);
        }
        out.push('\n');
    }
    out
}

/// One group's reset plan: the group id and its (topic, partition, new offset) rows.
pub type GroupReset = (String, Vec<(String, i32, i64)>);

/// The reset plan/result table `GROUP TOPIC PARTITION NEW-OFFSET`
/// (`GroupOffsetsResetter.printOffsetsToReset`); the header is printed whenever any group
/// was processed, even with no rows.
pub fn reset_table(groups: &[GroupReset]) -> String {
    let group_w = groups.iter().map(|(g, _)| g.len()).fold(15, usize::max);
    let topic_w = groups
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|(t, _, _)| t.len()))
        .fold(15, usize::max);
    let line = |group: &str, topic: &str, partition: &str, offset: &str| {
        let mut out = String::from("\n");
        pad(&mut out, group, group_w);
        out.push(' ');
        pad(&mut out, topic, topic_w);
        out.push(' ');
        pad(&mut out, partition, 10);
        out.push(' ');
        out.push_str(offset);
        out
    };
    let mut out = String::new();
    if !groups.is_empty() {
        out.push_str(&line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"));
    }
    for (group, rows) in groups {
        for (topic, partition, offset) in rows {
            out.push_str(&line(
                group,
                topic,
                &partition.to_string(),
                &offset.to_string(),
            ));
        }
    }
    out.push('\n');
    out
}

/// The `--delete-offsets` status table `TOPIC PARTITION STATUS` (`deleteOffsets`); rows are
/// (topic, partition or `None` for a topic-level failure, `None` = success or the error text).
pub fn delete_offsets_table(rows: &[(String, Option<i32>, Option<String>)]) -> String {
    let topic_w = rows.iter().map(|(t, _, _)| t.len()).fold(15, usize::max);
    let line = |topic: &str, partition: &str, status: &str| {
        let mut out = String::from("\n");
        pad(&mut out, topic, topic_w);
        out.push(' ');
        pad(&mut out, partition, 10);
        out.push(' ');
        pad(&mut out, status, 15);
        out
    };
    let mut out = line("TOPIC", "PARTITION", "STATUS");
    for (topic, partition, error) in rows {
        let status = match error {
            None => "Successful".to_owned(),
            Some(text) => format!("Error: {text}"),
        };
        out.push_str(&line(topic, &opt(*partition), &status));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        topic: &str,
        partition: i32,
        current: Option<i64>,
        end: i64,
        consumer: &str,
    ) -> OffsetRow {
        OffsetRow {
            group: "my-group".to_owned(),
            topic: Some(topic.to_owned()),
            partition: Some(partition),
            leader_epoch: None,
            current_offset: current,
            log_end_offset: Some(end),
            consumer_id: consumer.to_owned(),
            host: if consumer == MISSING {
                MISSING
            } else {
                "/127.0.0.1"
            }
            .to_owned(),
            client_id: if consumer == MISSING {
                MISSING
            } else {
                "rdkafka"
            }
            .to_owned(),
        }
    }

    #[test]
    fn offsets_table_matches_kafka_printf_layout() {
        // printOffsetFormat: "\n%-15s %-15s %-10s %-15s %-15s %-15s %-15s %-15s %s" at the
        // 15-character floors.
        let rows = vec![
            row("orders", 0, Some(3), 5, MISSING),
            row("orders", 1, None, 4, MISSING),
        ];
        let expected = "\n\
GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n\
my-group        orders          0          3               5               2               -               -               -\n\
my-group        orders          1          -               4               -               -               -               -\n";
        assert_eq!(offsets_table(&rows, false), expected);
    }

    #[test]
    fn offsets_table_widens_to_the_longest_consumer_id_and_shows_leader_epoch_when_verbose() {
        let consumer = "rdkafka-0a1b2c3d-4e5f-6789-abcd-ef0123456789";
        let mut active = row("t", 0, Some(0), 0, consumer);
        active.leader_epoch = Some(0);
        let text = offsets_table(&[active], true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "");
        assert!(lines[1].starts_with(
            "GROUP           TOPIC           PARTITION  LEADER-EPOCH    CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID"
        ));
        // The CONSUMER-ID column is exactly as wide as the id plus one space.
        let host_at = lines[1].find("HOST").unwrap();
        assert_eq!(lines[2].find("/127.0.0.1").unwrap(), host_at);
        assert_eq!(
            &lines[2][host_at - consumer.len() - 1..host_at - 1],
            consumer
        );
        assert!(lines[2].ends_with("/127.0.0.1      rdkafka"));
    }

    #[test]
    fn lag_is_missing_without_a_committed_offset_or_for_minus_one() {
        assert_eq!(row("t", 0, None, 9, MISSING).lag(), None);
        assert_eq!(row("t", 0, Some(-1), 9, MISSING).lag(), None);
        assert_eq!(row("t", 0, Some(4), 9, MISSING).lag(), Some(5));
    }

    #[test]
    fn members_table_has_trailing_space_after_partitions_like_kafka() {
        let rows = vec![MemberRow {
            group: "g".to_owned(),
            consumer_id: "c-1".to_owned(),
            group_instance_id: String::new(),
            host: "/127.0.0.1".to_owned(),
            client_id: "cli".to_owned(),
            assignment: vec![
                ("b".to_owned(), 1),
                ("a".to_owned(), 2),
                ("a".to_owned(), 0),
            ],
        }];
        let expected = "\n\
GROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \n\
g               c-1             /127.0.0.1      cli             3               \n";
        assert_eq!(members_table(&rows, false), expected);
        let verbose = members_table(&rows, true);
        assert!(verbose.contains(
            "#PARTITIONS     CURRENT-EPOCH   CURRENT-ASSIGNMENT   TARGET-EPOCH    TARGET-ASSIGNMENT   \n"
        ));
        assert!(verbose.ends_with("3               -               a:0,2;b:1            -               -                   \n"));
    }

    #[test]
    fn state_table_names_coordinator_host_port_and_id() {
        let text = state_table("g", "127.0.0.1:9092  (1)", "range", "Stable", 2, false);
        let expected = "\n\
GROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS\n\
g               127.0.0.1:9092  (1)       range                Stable               2\n";
        assert_eq!(text, expected);
        assert!(
            state_table("g", "h:1  (1)", "", "Empty", 0, false)
                .contains(" -                    Empty ")
        );
    }

    #[test]
    fn list_with_state_pads_group_to_longest_plus_ten() {
        let text = list_with_state(&[("g1".to_owned(), "Empty".to_owned())]);
        assert_eq!(
            text,
            format!(
                "{:<25} {:<20}\n{:<25} {:<20}\n",
                "GROUP", "STATE", "g1", "Empty"
            )
        );
    }

    #[test]
    fn reset_table_matches_print_offsets_to_reset() {
        let text = reset_table(&[(
            "g".to_owned(),
            vec![("orders".to_owned(), 0, 0), ("orders".to_owned(), 1, 7)],
        )]);
        let expected = "\n\
GROUP           TOPIC           PARTITION  NEW-OFFSET\n\
g               orders          0          0\n\
g               orders          1          7\n";
        assert_eq!(text, expected);
        assert_eq!(reset_table(&[]), "\n");
    }

    #[test]
    fn delete_offsets_table_pads_status() {
        let text = delete_offsets_table(&[("orders".to_owned(), Some(0), None)]);
        assert_eq!(
            text,
            "\nTOPIC           PARTITION  STATUS         \norders          0          Successful     \n"
        );
    }

    #[test]
    fn list_with_type_and_state_matches_print_group_info() {
        let text = list_with_columns(
            &[("g1".to_owned(), "Classic".to_owned(), "Empty".to_owned())],
            true,
            true,
        );
        assert_eq!(
            text,
            format!(
                "{:<25} {:<20} {:<20}\n{:<25} {:<20} {:<20}\n",
                "GROUP", "TYPE", "STATE", "g1", "Classic", "Empty"
            )
        );
    }
}
