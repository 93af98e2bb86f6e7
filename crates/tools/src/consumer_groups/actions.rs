//! The consumer-group operations (`ConsumerGroupService` in Kafka's `ConsumerGroupCommand`):
//! each asks the cluster through [`AdminClient`] and prints Kafka's text. Errors Kafka prints
//! with `printError` go to stdout as `\nError: …`; state notices ("has no active members",
//! "is rebalancing") go to stderr, as in Kafka.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use fjord_client::groups::CONSUMER_PROTOCOL_TYPE;
use fjord_client::{
    AdminClient, ClientConfig, ClientError, CommittedOffset, GroupDescription, OffsetSpec,
    TopicPartition,
};

use super::reset::{self, Scenario};
use super::table::{self, MISSING, MemberRow, OffsetRow};
use super::{Action, ConsumerGroupsArgs, group_type_name, parse_states, parse_types};
use crate::output::Output;
use crate::{ToolError, props};

/// How an action failed.
#[derive(Debug)]
pub(super) enum Failure {
    /// An argument problem found while running (`printUsageAndExit`): exit 1.
    Usage(String),
    /// Any other failure: `Executing consumer group command failed due to …`, exit 0.
    Failed(String),
}

impl From<ToolError> for Failure {
    fn from(error: ToolError) -> Self {
        match error {
            ToolError::Usage(message) => Self::Usage(message),
            ToolError::Illegal(error) => Self::Usage(error.to_string()),
            ToolError::Client(error) => Self::Failed(java_error(&error)),
            other => Self::Failed(other.to_string()),
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Self::Failed(java_error(&error))
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Self::Failed(format!("cannot write output: {error}"))
    }
}

/// A client error as Java's `Throwable.toString()` prints it (`exception class: message`),
/// for the group-related exceptions a user of this tool meets (`Errors`).
pub(super) fn java_error(error: &ClientError) -> String {
    let class = match error {
        ClientError::NodeAssignmentTimeout { .. } | ClientError::RequestTimeout { .. } => {
            Some("TimeoutException")
        }
        ClientError::Kafka { code, .. } => match code {
            3 => Some("UnknownTopicOrPartitionException"),
            15 => Some("CoordinatorNotAvailableException"),
            22 => Some("IllegalGenerationException"),
            24 => Some("InvalidGroupIdException"),
            25 => Some("UnknownMemberIdException"),
            27 => Some("RebalanceInProgressException"),
            29 => Some("TopicAuthorizationException"),
            30 => Some("GroupAuthorizationException"),
            68 => Some("GroupNotEmptyException"),
            69 => Some("GroupIdNotFoundException"),
            86 => Some("GroupSubscribedToTopicException"),
            _ => None,
        },
        _ => None,
    };
    match class {
        Some(class) => format!("org.apache.kafka.common.errors.{class}: {error}"),
        None => error.to_string(),
    }
}

/// Kafka's `printError`: a blank line then `Error: …` on stdout.
fn print_error(output: &mut Output, message: &str) -> std::io::Result<()> {
    writeln!(output.out, "\nError: {message}")
}

/// Runs `action`.
pub(super) async fn execute(
    action: Action,
    args: &ConsumerGroupsArgs,
    output: &mut Output,
) -> Result<(), Failure> {
    let mut admin = admin_client(args)?;
    match action {
        Action::List => list(&mut admin, args, output).await,
        Action::Describe => describe(&mut admin, args, output).await,
        Action::ResetOffsets => reset_offsets(&mut admin, args, output).await,
        Action::Delete => delete(&mut admin, args, output).await,
        Action::DeleteOffsets => delete_offsets(&mut admin, args, output).await,
    }
}

/// The admin client from `--command-config` and `--bootstrap-server`, bounded by `--timeout`.
fn admin_client(args: &ConsumerGroupsArgs) -> Result<AdminClient, Failure> {
    let mut properties = match &args.command_config {
        Some(path) => props::load_file(path).map_err(|e| Failure::Failed(e.to_string()))?,
        None => BTreeMap::new(),
    };
    if let Some(bootstrap) = &args.bootstrap_server {
        properties.insert("bootstrap.servers".to_owned(), bootstrap.clone());
    }
    let mut config = ClientConfig::from_properties(&properties)?;
    config.default_api_timeout = std::time::Duration::from_millis(args.timeout_ms);
    Ok(AdminClient::new(config)?)
}

/// Consumer groups only (`ListGroupsOptions.forConsumerGroups`): protocol type `consumer`,
/// or empty for groups that only hold committed offsets.
async fn consumer_groups(
    admin: &mut AdminClient,
    states: &[String],
) -> Result<Vec<(String, String)>, Failure> {
    Ok(admin
        .list_groups(states)
        .await?
        .into_iter()
        .filter(|g| g.protocol_type.is_empty() || g.protocol_type == CONSUMER_PROTOCOL_TYPE)
        .map(|g| (g.group_id, g.state.unwrap_or_else(|| "Unknown".to_owned())))
        .collect())
}

async fn list(
    admin: &mut AdminClient,
    args: &ConsumerGroupsArgs,
    output: &mut Output,
) -> Result<(), Failure> {
    if args.state.is_none() && args.group_type.is_none() {
        for (group, _) in consumer_groups(admin, &[]).await? {
            writeln!(output.out, "{group}")?;
        }
        return Ok(());
    }
    // ConsumerGroupCommand.listGroups / printGroupInfo: GROUP, then TYPE and/or STATE.
    let states = match args.state.as_ref().and_then(|s| s.as_deref()) {
        Some(text) if !text.is_empty() => parse_states(text).map_err(Failure::Usage)?,
        _ => Vec::new(),
    };
    let types = match args.group_type.as_ref().and_then(|t| t.as_deref()) {
        Some(text) if !text.is_empty() => parse_types(text).map_err(Failure::Usage)?,
        _ => Vec::new(),
    };
    let rows: Vec<(String, String, String)> = admin
        .list_groups_filtered(&states, &types)
        .await?
        .into_iter()
        .filter(|g| g.protocol_type.is_empty() || g.protocol_type == CONSUMER_PROTOCOL_TYPE)
        .map(|g| {
            let ty = group_type_name(g.group_type.as_deref());
            let state = g.state.unwrap_or_else(|| "Unknown".to_owned());
            (g.group_id, ty, state)
        })
        .collect();
    write!(
        output.out,
        "{}",
        table::list_with_columns(&rows, args.group_type.is_some(), args.state.is_some())
    )?;
    Ok(())
}

/// `--group` values, or every consumer group for `--all-groups`; sorted and deduplicated
/// (Kafka keys its results by a `TreeMap`).
async fn selected_groups(
    admin: &mut AdminClient,
    args: &ConsumerGroupsArgs,
) -> Result<Vec<String>, Failure> {
    let groups: BTreeSet<String> = if args.all_groups {
        consumer_groups(admin, &[])
            .await?
            .into_iter()
            .map(|(g, _)| g)
            .collect()
    } else {
        args.group.iter().cloned().collect()
    };
    Ok(groups.into_iter().collect())
}

/// `shouldPrintMemberState`: prints the state notice and answers whether rows follow.
fn announce_state(output: &mut Output, group: &GroupDescription) -> std::io::Result<bool> {
    let id = &group.group_id;
    match group.state.as_str() {
        "Dead" => {
            print_error(output, &format!("Consumer group '{id}' does not exist."))?;
            return Ok(false);
        }
        "Empty" => writeln!(output.err, "\nConsumer group '{id}' has no active members.")?,
        "PreparingRebalance" | "CompletingRebalance" => {
            writeln!(
                output.err,
                "\nWarning: Consumer group '{id}' is rebalancing."
            )?;
        }
        _ => {}
    }
    Ok(true)
}

async fn describe(
    admin: &mut AdminClient,
    args: &ConsumerGroupsArgs,
    output: &mut Output,
) -> Result<(), Failure> {
    for group_id in selected_groups(admin, args).await? {
        let group = admin.describe_group(&group_id).await?;
        if args.members {
            let rows: Vec<MemberRow> = group
                .members
                .iter()
                .map(|m| MemberRow {
                    group: group_id.clone(),
                    consumer_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone().unwrap_or_default(),
                    host: m.host.clone(),
                    client_id: m.client_id.clone(),
                    assignment: m
                        .assignment
                        .iter()
                        .map(|tp| (tp.topic.clone(), tp.partition))
                        .collect(),
                })
                .collect();
            // Kafka prints the (empty) header even after "does not exist".
            let show = announce_state(output, &group)?;
            let rows = if show { rows } else { Vec::new() };
            write!(output.out, "{}", table::members_table(&rows, args.verbose))?;
        } else if args.state.is_some() {
            if announce_state(output, &group)? {
                let c = &group.coordinator;
                let coordinator = format!("{}:{}  ({})", c.host, c.port, c.node_id);
                write!(
                    output.out,
                    "{}",
                    table::state_table(
                        &group_id,
                        &coordinator,
                        &group.assignor,
                        &group.state,
                        group.members.len(),
                        args.verbose,
                    )
                )?;
            }
        } else {
            let rows = offset_rows(admin, &group).await?;
            if announce_state(output, &group)? && !rows.is_empty() {
                write!(output.out, "{}", table::offsets_table(&rows, args.verbose))?;
            }
        }
    }
    Ok(())
}

/// A partition's owner: (consumer id, host, client id).
type Owner<'a> = (&'a str, &'a str, &'a str);

/// `collectGroupsOffsets`: rows for members' assigned partitions (members with most
/// partitions first, partitions sorted), then committed partitions no member owns.
async fn offset_rows(
    admin: &mut AdminClient,
    group: &GroupDescription,
) -> Result<Vec<OffsetRow>, Failure> {
    if group.state == "Dead" {
        return Ok(Vec::new());
    }
    let committed = admin.list_group_offsets(&group.group_id).await?;
    let mut members: Vec<_> = group
        .members
        .iter()
        .filter(|m| !m.assignment.is_empty())
        .collect();
    members.sort_by_key(|m| std::cmp::Reverse(m.assignment.len()));
    let mut owned: Vec<(TopicPartition, Option<Owner<'_>>)> = Vec::new();
    for member in members {
        let mut partitions = member.assignment.clone();
        partitions.sort();
        for tp in partitions {
            owned.push((
                tp,
                Some((&member.member_id, &member.host, &member.client_id)),
            ));
        }
    }
    let assigned: BTreeSet<TopicPartition> = owned.iter().map(|(tp, _)| tp.clone()).collect();
    for tp in committed.keys().filter(|tp| !assigned.contains(*tp)) {
        owned.push((tp.clone(), None));
    }
    let request: Vec<(TopicPartition, OffsetSpec)> = owned
        .iter()
        .map(|(tp, _)| (tp.clone(), OffsetSpec::Latest))
        .collect();
    let ends = if request.is_empty() {
        BTreeMap::new()
    } else {
        admin.list_offsets(&request, 0).await?
    };
    Ok(owned
        .into_iter()
        .map(|(tp, member)| {
            let offset: Option<&CommittedOffset> = committed.get(&tp);
            let (consumer_id, host, client_id) = member.unwrap_or((MISSING, MISSING, MISSING));
            OffsetRow {
                group: group.group_id.clone(),
                topic: Some(tp.topic.clone()),
                partition: Some(tp.partition),
                leader_epoch: offset.and_then(|o| o.leader_epoch),
                current_offset: offset.map(|o| o.offset),
                log_end_offset: ends
                    .get(&tp)
                    .and_then(|r| r.as_ref().ok())
                    .map(|l| l.offset),
                consumer_id: consumer_id.to_owned(),
                host: host.to_owned(),
                client_id: client_id.to_owned(),
            }
        })
        .collect())
}

fn scenario(args: &ConsumerGroupsArgs) -> Result<Scenario, ToolError> {
    Ok(if let Some(offset) = args.to_offset {
        Scenario::ToOffset(offset)
    } else if let Some(shift) = args.shift_by {
        Scenario::ShiftBy(shift)
    } else if let Some(text) = &args.to_datetime {
        Scenario::ToTimestamp(reset::parse_datetime(text)?)
    } else if let Some(text) = &args.by_duration {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Scenario::ToTimestamp(now_ms - reset::parse_duration(text)?)
    } else if let Some(path) = &args.from_file {
        let text = std::fs::read_to_string(path)
            .map_err(|error| ToolError::Illegal(anyhow::anyhow!("{}: {error}", path.display())))?;
        let single = (args.group.len() == 1).then(|| args.group[0].as_str());
        Scenario::FromFile(reset::parse_reset_plan(&text, single)?)
    } else if args.to_earliest {
        Scenario::ToEarliest
    } else if args.to_latest {
        Scenario::ToLatest
    } else {
        Scenario::ToCurrent
    })
}

async fn reset_offsets(
    admin: &mut AdminClient,
    args: &ConsumerGroupsArgs,
    output: &mut Output,
) -> Result<(), Failure> {
    let scenario = scenario(args)?;
    let mut results: Vec<table::GroupReset> = Vec::new();
    for group_id in selected_groups(admin, args).await? {
        let group = admin.describe_group(&group_id).await?;
        if group.state != "Empty" && group.state != "Dead" {
            print_error(
                output,
                &format!(
                    "Assignments can only be reset if the group '{group_id}' is inactive, but the current state is {}.",
                    group.state
                ),
            )?;
            results.push((group_id, Vec::new()));
            continue;
        }
        let committed = admin.list_group_offsets(&group_id).await?;
        let partitions = partitions_to_reset(admin, args, &committed).await?;
        let mut warnings = Vec::new();
        let planned = match &scenario {
            Scenario::FromFile(plan) => match plan.get(&group_id) {
                Some(requested) => reset::plan_from_file(admin, requested, &mut warnings).await?,
                None => {
                    print_error(output, &format!("No reset plan for group {group_id} found"))?;
                    results.push((group_id, Vec::new()));
                    continue;
                }
            },
            scenario => {
                reset::plan(admin, scenario, &partitions, &committed, &mut warnings).await?
            }
        };
        for warning in warnings {
            // Empty-partition fallbacks are println'd by Kafka; clamping notes are logged.
            if warning.starts_with('\n') {
                writeln!(output.out, "{warning}")?;
            } else {
                writeln!(output.err, "WARN {warning}")?;
            }
        }
        if args.execute {
            let offsets: Vec<(TopicPartition, i64)> =
                planned.iter().map(|(tp, o)| (tp.clone(), *o)).collect();
            for outcome in admin
                .alter_group_offsets(&group_id, &offsets)
                .await?
                .into_values()
            {
                outcome?;
            }
        }
        results.push((
            group_id,
            planned
                .into_iter()
                .map(|(tp, o)| (tp.topic, tp.partition, o))
                .collect(),
        ));
    }
    if args.export {
        // ConsumerGroupCommand: `System.out.println(exportOffsetsToCsv(...))`.
        writeln!(
            output.out,
            "{}",
            reset::export_csv(&results, args.group.len() == 1)
        )?;
    } else {
        write!(output.out, "{}", table::reset_table(&results))?;
    }
    Ok(())
}

/// `getPartitionsToReset` + `checkAllTopicPartitionsValid`.
async fn partitions_to_reset(
    admin: &mut AdminClient,
    args: &ConsumerGroupsArgs,
    committed: &BTreeMap<TopicPartition, CommittedOffset>,
) -> Result<Vec<TopicPartition>, Failure> {
    let mut partitions: Vec<TopicPartition> = if args.all_topics {
        committed.keys().cloned().collect()
    } else {
        let (mut explicit, bare) = reset::split_topic_args(&args.topic)?;
        if !bare.is_empty() {
            let metadata = admin.metadata(Some(&bare)).await?;
            for topic in &metadata.topics {
                explicit.extend(topic.partitions.iter().map(|p| TopicPartition {
                    topic: topic.name.clone(),
                    partition: p.partition,
                }));
            }
        }
        explicit
    };
    partitions.sort();
    partitions.dedup();
    if partitions.is_empty() {
        return Ok(partitions);
    }
    let topics: Vec<String> = partitions
        .iter()
        .map(|tp| tp.topic.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let metadata = admin.metadata(None).await?;
    let missing: Vec<String> = partitions
        .iter()
        .filter(|tp| {
            !metadata
                .topic(&tp.topic)
                .is_some_and(|t| t.partitions.iter().any(|p| p.partition == tp.partition))
        })
        .map(ToString::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(Failure::Failed(format!(
            "The partitions \"{}\" do not exist",
            missing.join(",")
        )));
    }
    let leaderless: Vec<String> = partitions
        .iter()
        .filter(|tp| {
            topics.contains(&tp.topic)
                && metadata
                    .topic(&tp.topic)
                    .and_then(|t| t.partitions.iter().find(|p| p.partition == tp.partition))
                    .is_some_and(|p| p.leader.is_none())
        })
        .map(ToString::to_string)
        .collect();
    if !leaderless.is_empty() {
        return Err(Failure::Failed(format!(
            "The partitions \"{}\" have no leader",
            leaderless.join(",")
        )));
    }
    Ok(partitions)
}

async fn delete(
    admin: &mut AdminClient,
    args: &ConsumerGroupsArgs,
    output: &mut Output,
) -> Result<(), Failure> {
    let groups = selected_groups(admin, args).await?;
    let outcomes = admin.delete_groups(&groups).await?;
    let quoted = |names: Vec<&String>| {
        names
            .iter()
            .map(|g| format!("'{g}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let succeeded: Vec<&String> = outcomes
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(g, _)| g)
        .collect();
    let failed: Vec<(&String, &ClientError)> = outcomes
        .iter()
        .filter_map(|(g, r)| r.as_ref().err().map(|e| (g, e)))
        .collect();
    if failed.is_empty() {
        writeln!(
            output.out,
            "Deletion of requested consumer groups ({}) was successful.",
            quoted(succeeded)
        )?;
    } else {
        print_error(output, "Deletion of some consumer groups failed:")?;
        for (group, error) in failed {
            writeln!(
                output.out,
                "* Group '{group}' could not be deleted due to: {}",
                java_error(error)
            )?;
        }
        if !succeeded.is_empty() {
            writeln!(
                output.out,
                "\nThese consumer groups were deleted successfully: {}",
                quoted(succeeded)
            )?;
        }
    }
    Ok(())
}

async fn delete_offsets(
    admin: &mut AdminClient,
    args: &ConsumerGroupsArgs,
    output: &mut Output,
) -> Result<(), Failure> {
    let Some(group) = args.group.first() else {
        return Err(Failure::Usage(
            "Option [delete-offsets] takes the following options: [group], [topic]".to_owned(),
        ));
    };
    let (mut partitions, bare) = reset::split_topic_args(&args.topic)?;
    let mut rows: Vec<(String, Option<i32>, Option<String>)> = Vec::new();
    for topic in bare {
        match admin.metadata(Some(std::slice::from_ref(&topic))).await {
            Ok(metadata) => {
                for info in &metadata.topics {
                    partitions.extend(info.partitions.iter().map(|p| TopicPartition {
                        topic: info.name.clone(),
                        partition: p.partition,
                    }));
                }
            }
            Err(error @ ClientError::Kafka { .. }) => {
                rows.push((topic, None, Some(java_error(&error))))
            }
            Err(error) => return Err(error.into()),
        }
    }
    partitions.sort();
    partitions.dedup();
    let outcome = admin.delete_group_offsets(group, &partitions).await?;
    let top_code = if outcome.error_code != 0 {
        outcome.error_code
    } else {
        outcome
            .partitions
            .values()
            .find_map(|r| r.as_ref().err().and_then(ClientError::code))
            .unwrap_or(0)
    };
    match top_code {
        0 => writeln!(
            output.out,
            "Request succeeded for deleting offsets from group {group}."
        )?,
        24 | 30 | 68 | 69 => print_error(output, fjord_client::error::default_message(top_code))?,
        3 | 29 | 86 => print_error(
            output,
            "Encountered some partition-level error, see the follow-up details.",
        )?,
        other => print_error(
            output,
            &format!(
                "Encountered some unknown error: {}",
                fjord_client::error::default_message(other)
            ),
        )?,
    }
    for (tp, result) in &outcome.partitions {
        rows.push((
            tp.topic.clone(),
            Some(tp.partition),
            result.as_ref().err().map(java_error),
        ));
    }
    // Kafka sorts by the concatenation topic + partition.
    rows.sort_by_key(|(topic, partition, _)| {
        format!(
            "{topic}{}",
            partition.map_or(String::new(), |p| p.to_string())
        )
    });
    write!(output.out, "{}", table::delete_offsets_table(&rows))?;
    Ok(())
}
