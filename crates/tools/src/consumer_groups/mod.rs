//! `kafka-consumer-groups.sh` (Kafka `org.apache.kafka.tools.consumer.group.ConsumerGroupCommand`
//! and `ConsumerGroupCommandOptions`): list, describe (offsets, members, state), reset
//! offsets, delete groups and delete offsets of classic consumer groups.
//!
//! # Layout
//! - this file: flags, Kafka's argument checks (`checkArgs`) and the action dispatch.
//! - [`actions`]: the operations against the cluster and what they print.
//! - [`reset`]: reset scenarios (`GroupOffsetsResetter`).
//! - [`table`]: the pure text layout of every table.
//!
//! Exit codes follow Kafka's tool: 1 for argument errors (`printUsageAndExit`), 0 otherwise —
//! operation failures print `\nError: …` on stdout and still exit 0, as
//! `ConsumerGroupCommand.run` catches every exception and `main` returns normally.

mod actions;
pub mod reset;
pub mod table;

use std::io::Write;
use std::path::PathBuf;

use crate::output::Output;

/// `kafka-consumer-groups.sh` flags (ConsumerGroupCommandOptions).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "kafka-consumer-groups.sh",
    about = "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets."
)]
pub struct ConsumerGroupsArgs {
    /// REQUIRED: The server(s) to connect to.
    #[arg(long = "bootstrap-server", value_name = "server to connect to")]
    pub bootstrap_server: Option<String>,
    /// Property file containing configs to be passed to Admin Client and Consumer.
    #[arg(long = "command-config", value_name = "command config property file")]
    pub command_config: Option<PathBuf>,
    /// The consumer group we wish to act on.
    #[arg(long, value_name = "consumer group")]
    pub group: Vec<String>,
    /// The topic whose consumer group information should be deleted or topic whose should be
    /// included in the reset offset process. In `reset-offsets` case, partitions can be
    /// specified using this format: `topic1:0,1,2`.
    #[arg(long, value_name = "topic")]
    pub topic: Vec<String>,
    /// Consider all topics assigned to a group in the `reset-offsets` process.
    #[arg(long = "all-topics")]
    pub all_topics: bool,
    /// List all consumer groups.
    #[arg(long)]
    pub list: bool,
    /// Describe consumer group and list offset lag (number of messages not yet processed)
    /// related to given group.
    #[arg(long)]
    pub describe: bool,
    /// Apply to all consumer groups.
    #[arg(long = "all-groups")]
    pub all_groups: bool,
    /// Pass in groups to delete topic partition offsets and ownership information over the
    /// entire consumer group.
    #[arg(long)]
    pub delete: bool,
    /// The timeout that can be set for some use cases, in ms.
    #[arg(long = "timeout", value_name = "timeout (ms)", default_value_t = 5000)]
    pub timeout_ms: u64,
    /// Reset offsets of consumer group. Supports one consumer group at the time, and
    /// instances should be inactive. Has 2 execution options: --dry-run (the default) to plan
    /// which offsets to reset, and --execute to update the offsets.
    #[arg(long = "reset-offsets")]
    pub reset_offsets: bool,
    /// Only show results without executing changes on Consumer Groups.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Execute operation.
    #[arg(long)]
    pub execute: bool,
    /// Reset offsets to a specific offset.
    #[arg(
        long = "to-offset",
        value_name = "offset",
        allow_negative_numbers = true
    )]
    pub to_offset: Option<i64>,
    /// Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'.
    #[arg(long = "to-datetime", value_name = "datetime")]
    pub to_datetime: Option<String>,
    /// Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'.
    #[arg(long = "by-duration", value_name = "duration")]
    pub by_duration: Option<String>,
    /// Reset offsets to earliest offset.
    #[arg(long = "to-earliest")]
    pub to_earliest: bool,
    /// Reset offsets to latest offset.
    #[arg(long = "to-latest")]
    pub to_latest: bool,
    /// Reset offsets to current offset.
    #[arg(long = "to-current")]
    pub to_current: bool,
    /// Reset offsets to values defined in CSV file (`topic,partition,offset`, or
    /// `group,topic,partition,offset` when several groups are reset).
    #[arg(long = "from-file", value_name = "path to CSV file")]
    pub from_file: Option<PathBuf>,
    /// Export operation execution to a CSV file. Supported operations: reset-offsets.
    #[arg(long)]
    pub export: bool,
    /// Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.
    #[arg(
        long = "shift-by",
        value_name = "number-of-offsets",
        allow_negative_numbers = true
    )]
    pub shift_by: Option<i64>,
    /// Delete offsets of consumer group. Supports one consumer group at the time, and
    /// multiple topics.
    #[arg(long = "delete-offsets")]
    pub delete_offsets: bool,
    /// Describe members of the group. This option may be used with '--describe' and
    /// '--bootstrap-server' options only.
    #[arg(long)]
    pub members: bool,
    /// Provide additional information, if any, when describing the group.
    #[arg(long)]
    pub verbose: bool,
    /// Describe the group and list all topic partitions in the group along with their offset
    /// information. This is the default sub-action.
    #[arg(long)]
    pub offsets: bool,
    /// When specified with '--describe', includes the state of the group. When specified with
    /// '--list', it displays the state of all groups; it can also be used to list groups with
    /// specific states (comma-separated, e.g. 'Stable,Empty').
    #[arg(long, value_name = "state", num_args = 0..=1)]
    pub state: Option<Option<String>>,
    /// When specified with '--list', it displays the types of all the groups. It can also be
    /// used to list groups with specific types. Valid types are: 'classic', 'consumer'.
    #[arg(long = "type", value_name = "type", num_args = 0..=1)]
    pub group_type: Option<Option<String>>,
}

/// The group types `--list --type` accepts (`consumerGroupTypesFromString`), as Kafka's
/// `GroupType.toString` prints them.
const CONSUMER_GROUP_TYPES: &[&str] = &["Classic", "Consumer"];

/// Parses `--type` (`consumerGroupTypesFromString`): comma-separated, case-insensitive.
fn parse_types(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        match CONSUMER_GROUP_TYPES
            .iter()
            .find(|t| t.eq_ignore_ascii_case(part))
        {
            Some(ty) => out.push((*ty).to_owned()),
            None => {
                return Err(format!(
                    "Invalid types list '{text}'. Valid types are: {}",
                    CONSUMER_GROUP_TYPES.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

/// A broker's group type name in Kafka's spelling (`GroupType.parse` then `toString`).
fn group_type_name(wire: Option<&str>) -> String {
    ["Consumer", "Classic", "Share", "Streams"]
        .iter()
        .find(|t| wire.is_some_and(|w| t.eq_ignore_ascii_case(w)))
        .map_or_else(|| "Unknown".to_owned(), |t| (*t).to_owned())
}

/// The valid classic consumer group states (`GroupState.groupStatesForType(CLASSIC)`).
const CLASSIC_STATES: &[&str] = &[
    "PreparingRebalance",
    "CompletingRebalance",
    "Stable",
    "Dead",
    "Empty",
];

/// Which action the flags select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    List,
    Describe,
    Delete,
    ResetOffsets,
    DeleteOffsets,
}

/// Kafka's `checkArgs` (and `main`'s "exactly one action" check). `Err` is the usage message.
fn check_args(args: &ConsumerGroupsArgs) -> Result<Action, String> {
    let actions = [
        (args.list, Action::List),
        (args.describe, Action::Describe),
        (args.delete, Action::Delete),
        (args.reset_offsets, Action::ResetOffsets),
        (args.delete_offsets, Action::DeleteOffsets),
    ];
    let chosen: Vec<Action> = actions
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, a)| *a)
        .collect();
    let [action] = chosen.as_slice() else {
        return Err("Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets, --validate-regex".to_owned());
    };
    if args.bootstrap_server.is_none() {
        return Err("Missing required argument \"[bootstrap-server]\"".to_owned());
    }
    let has_scope = !args.group.is_empty() || args.all_groups;
    match action {
        Action::Describe => {
            if !has_scope {
                return Err(
                    "Option [describe] takes one of these options: [all-groups], [group]"
                        .to_owned(),
                );
            }
            let sub = [args.members, args.offsets, args.state.is_some()];
            if sub.iter().filter(|on| **on).count() > 1 {
                return Err("Option [describe] takes at most one of these options: [members], [offsets], [state]".to_owned());
            }
            if matches!(args.state, Some(Some(_))) {
                return Err("Option [describe] does not take a value for [state]".to_owned());
            }
        }
        Action::Delete => {
            if !has_scope {
                return Err(
                    "Option [delete] takes one of these options: [all-groups], [group]".to_owned(),
                );
            }
            if !args.topic.is_empty() {
                return Err("The consumer does not support topic-specific offset deletion from a consumer group.".to_owned());
            }
        }
        Action::DeleteOffsets => {
            if args.group.is_empty() || args.topic.is_empty() {
                return Err(
                    "Option [delete-offsets] takes the following options: [group], [topic]"
                        .to_owned(),
                );
            }
        }
        Action::ResetOffsets => {
            if args.dry_run && args.execute {
                return Err(
                    "Option [reset-offsets] only accepts one of [execute] and [dry-run]".to_owned(),
                );
            }
            if !has_scope {
                return Err(
                    "Option [reset-offsets] takes one of these options: [all-groups], [group]"
                        .to_owned(),
                );
            }
            let scenarios = scenario_flags(args);
            if scenarios.len() > 1 {
                return Err(format!(
                    "Option \"[{}]\" can't be used with option \"[{}]\"",
                    scenarios[0], scenarios[1]
                ));
            }
            if scenarios.is_empty() {
                return Err("Option [reset-offsets] requires one of the following scenarios: [to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file]".to_owned());
            }
            if !args.all_topics && args.topic.is_empty() {
                return Err(
                    "One of the reset scopes should be defined: --all-topics, --topic.".to_owned(),
                );
            }
        }
        Action::List => {}
    }
    if !args.group.is_empty() && args.all_groups {
        return Err("Option \"[group]\" can't be used with option \"[all-groups]\"".to_owned());
    }
    if !args.group.is_empty() && *action == Action::List {
        return Err("Option \"[group]\" can't be used with option \"[list]\"".to_owned());
    }
    if !args.topic.is_empty() && matches!(action, Action::List | Action::Describe) {
        let name = if *action == Action::List {
            "list"
        } else {
            "describe"
        };
        return Err(format!(
            "Option \"[topic]\" can't be used with option \"[{name}]\""
        ));
    }
    Ok(*action)
}

/// The reset scenario flags present, by Kafka's option names.
fn scenario_flags(args: &ConsumerGroupsArgs) -> Vec<&'static str> {
    [
        (args.to_offset.is_some(), "to-offset"),
        (args.shift_by.is_some(), "shift-by"),
        (args.to_datetime.is_some(), "to-datetime"),
        (args.by_duration.is_some(), "by-duration"),
        (args.to_earliest, "to-earliest"),
        (args.to_latest, "to-latest"),
        (args.to_current, "to-current"),
        (args.from_file.is_some(), "from-file"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| name)
    .collect()
}

/// Parses `--state` for `--list` (`groupStatesFromString`): comma-separated, case-insensitive.
fn parse_states(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        match CLASSIC_STATES.iter().find(|s| s.eq_ignore_ascii_case(part)) {
            Some(state) => out.push((*state).to_owned()),
            None => {
                return Err(format!(
                    "Invalid state list '{text}'. Valid states are: {}",
                    CLASSIC_STATES.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

/// Runs `kafka-consumer-groups.sh`.
pub async fn run(args: ConsumerGroupsArgs, output: &mut Output) -> u8 {
    let action = match check_args(&args) {
        Ok(action) => action,
        Err(message) => {
            let _ = writeln!(output.err, "{message}\nRun with --help for usage.");
            return 1;
        }
    };
    if action == Action::ResetOffsets && !args.dry_run && !args.execute {
        let _ = writeln!(
            output.err,
            "WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting."
        );
    }
    match actions::execute(action, &args, output).await {
        Ok(()) => 0,
        Err(actions::Failure::Usage(message)) => {
            let _ = writeln!(output.err, "{message}\nRun with --help for usage.");
            1
        }
        Err(actions::Failure::Failed(message)) => {
            let _ = writeln!(
                output.out,
                "\nError: Executing consumer group command failed due to {message}"
            );
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn parse(argv: &[&str]) -> ConsumerGroupsArgs {
        ConsumerGroupsArgs::try_parse_from(
            std::iter::once("kafka-consumer-groups.sh").chain(argv.iter().copied()),
        )
        .unwrap()
    }

    #[test]
    fn exactly_one_action_is_required() {
        let error = check_args(&parse(&["--bootstrap-server", "h:1"])).unwrap_err();
        assert!(error.starts_with("Command must include exactly one action: --list, --describe"));
        assert!(
            check_args(&parse(&[
                "--bootstrap-server",
                "h:1",
                "--list",
                "--describe"
            ]))
            .is_err()
        );
    }

    #[test]
    fn describe_needs_a_group_scope_and_one_sub_action() {
        assert_eq!(
            check_args(&parse(&["--bootstrap-server", "h:1", "--describe"])).unwrap_err(),
            "Option [describe] takes one of these options: [all-groups], [group]"
        );
        assert_eq!(
            check_args(&parse(&[
                "--bootstrap-server",
                "h:1",
                "--describe",
                "--group",
                "g",
                "--members",
                "--state"
            ]))
            .unwrap_err(),
            "Option [describe] takes at most one of these options: [members], [offsets], [state]"
        );
        assert_eq!(
            check_args(&parse(&[
                "--bootstrap-server",
                "h:1",
                "--describe",
                "--group",
                "g",
                "--members"
            ])),
            Ok(Action::Describe)
        );
    }

    #[test]
    fn reset_needs_one_scenario_and_a_scope() {
        let base = [
            "--bootstrap-server",
            "h:1",
            "--reset-offsets",
            "--group",
            "g",
        ];
        let with = |extra: &[&str]| {
            let mut argv: Vec<&str> = base.to_vec();
            argv.extend_from_slice(extra);
            check_args(&parse(&argv))
        };
        assert_eq!(
            with(&["--all-topics", "--to-earliest", "--to-latest"]).unwrap_err(),
            "Option \"[to-earliest]\" can't be used with option \"[to-latest]\""
        );
        assert_eq!(
            with(&["--to-earliest"]).unwrap_err(),
            "One of the reset scopes should be defined: --all-topics, --topic."
        );
        assert!(with(&["--all-topics", "--to-earliest", "--execute", "--dry-run"]).is_err());
        assert_eq!(
            with(&["--topic", "t:0", "--shift-by", "-2"]),
            Ok(Action::ResetOffsets)
        );
    }

    #[test]
    fn list_states_are_validated_against_classic_states() {
        assert_eq!(
            parse_states("stable, Empty").unwrap(),
            vec!["Stable", "Empty"]
        );
        assert_eq!(
            parse_states("Running").unwrap_err(),
            "Invalid state list 'Running'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty"
        );
    }

    #[test]
    fn list_types_follow_consumer_group_types_from_string() {
        assert_eq!(
            parse_types("classic, CONSUMER").unwrap(),
            vec!["Classic", "Consumer"]
        );
        assert_eq!(
            parse_types("share").unwrap_err(),
            "Invalid types list 'share'. Valid types are: Classic, Consumer"
        );
        assert_eq!(group_type_name(Some("consumer")), "Consumer");
        assert_eq!(group_type_name(None), "Unknown");
    }
}
