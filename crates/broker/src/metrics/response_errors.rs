//! The error codes a response carries, for `fjord_errors_total{api,error}` (Kafka
//! `AbstractResponse.errorCounts()`, which `RequestChannel` feeds into
//! `RequestMetrics.ErrorsPerSec`): the top-level code plus one per topic, partition, group or
//! member entry, depending on the API. `NONE` is not reported (Kafka meters it too; a counter
//! of successes per partition is left out to keep the hot path to error cases).
//!
//! Walks only fields the response already holds: O(entries), no allocation.

use fjord_protocol::kafka_protocol::messages::ResponseKind;

/// Calls `report(code)` for every non-zero error code in `response`. APIs not listed here
/// report nothing.
pub fn for_each_error(response: &ResponseKind, mut report: impl FnMut(i16)) {
    let mut code = |c: i16| {
        if c != 0 {
            report(c);
        }
    };
    match response {
        ResponseKind::Produce(r) => r
            .responses
            .iter()
            .flat_map(|t| &t.partition_responses)
            .for_each(|p| code(p.error_code)),
        ResponseKind::Fetch(r) => {
            code(r.error_code);
            r.responses
                .iter()
                .flat_map(|t| &t.partitions)
                .for_each(|p| code(p.error_code));
        }
        ResponseKind::ListOffsets(r) => r
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .for_each(|p| code(p.error_code)),
        ResponseKind::Metadata(r) => r.topics.iter().for_each(|t| {
            code(t.error_code);
            t.partitions.iter().for_each(|p| code(p.error_code));
        }),
        ResponseKind::OffsetCommit(r) => r
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .for_each(|p| code(p.error_code)),
        ResponseKind::OffsetFetch(r) => {
            code(r.error_code);
            r.topics
                .iter()
                .flat_map(|t| &t.partitions)
                .for_each(|p| code(p.error_code));
            for group in &r.groups {
                code(group.error_code);
                group
                    .topics
                    .iter()
                    .flat_map(|t| &t.partitions)
                    .for_each(|p| code(p.error_code));
            }
        }
        ResponseKind::FindCoordinator(r) => {
            code(r.error_code);
            r.coordinators.iter().for_each(|c| code(c.error_code));
        }
        ResponseKind::JoinGroup(r) => code(r.error_code),
        ResponseKind::SyncGroup(r) => code(r.error_code),
        ResponseKind::Heartbeat(r) => code(r.error_code),
        ResponseKind::LeaveGroup(r) => {
            code(r.error_code);
            r.members.iter().for_each(|m| code(m.error_code));
        }
        ResponseKind::CreateTopics(r) => r.topics.iter().for_each(|t| code(t.error_code)),
        ResponseKind::DeleteTopics(r) => r.responses.iter().for_each(|t| code(t.error_code)),
        ResponseKind::CreatePartitions(r) => r.results.iter().for_each(|t| code(t.error_code)),
        ResponseKind::DeleteRecords(r) => r
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .for_each(|p| code(p.error_code)),
        ResponseKind::OffsetForLeaderEpoch(r) => r
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .for_each(|p| code(p.error_code)),
        ResponseKind::InitProducerId(r) => code(r.error_code),
        ResponseKind::DescribeGroups(r) => r.groups.iter().for_each(|g| code(g.error_code)),
        ResponseKind::ListGroups(r) => code(r.error_code),
        ResponseKind::DeleteGroups(r) => r.results.iter().for_each(|g| code(g.error_code)),
        ResponseKind::OffsetDelete(r) => {
            code(r.error_code);
            r.topics
                .iter()
                .flat_map(|t| &t.partitions)
                .for_each(|p| code(p.error_code));
        }
        ResponseKind::ApiVersions(r) => code(r.error_code),
        ResponseKind::DescribeConfigs(r) => r.results.iter().for_each(|c| code(c.error_code)),
        ResponseKind::AlterConfigs(r) => r.responses.iter().for_each(|c| code(c.error_code)),
        ResponseKind::IncrementalAlterConfigs(r) => {
            r.responses.iter().for_each(|c| code(c.error_code));
        }
        ResponseKind::DescribeLogDirs(r) => {
            code(r.error_code);
            r.results.iter().for_each(|d| code(d.error_code));
        }
        ResponseKind::DescribeCluster(r) => code(r.error_code),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use fjord_protocol::kafka_protocol::messages::produce_response::{
        PartitionProduceResponse, TopicProduceResponse,
    };
    use fjord_protocol::kafka_protocol::messages::{HeartbeatResponse, ProduceResponse};

    use super::*;

    #[test]
    fn produce_reports_one_code_per_failed_partition() {
        let response = ProduceResponse::default().with_responses(vec![
            TopicProduceResponse::default().with_partition_responses(vec![
                PartitionProduceResponse::default().with_error_code(3),
                PartitionProduceResponse::default(),
                PartitionProduceResponse::default().with_error_code(3),
            ]),
        ]);
        let mut codes = Vec::new();
        for_each_error(&ResponseKind::Produce(response), |c| codes.push(c));
        assert_eq!(codes, vec![3, 3]);
    }

    #[test]
    fn a_top_level_code_is_reported_and_none_is_not() {
        let mut codes = Vec::new();
        let ok = HeartbeatResponse::default();
        for_each_error(&ResponseKind::Heartbeat(ok), |c| codes.push(c));
        assert!(codes.is_empty());
        let rebalancing = HeartbeatResponse::default().with_error_code(27);
        for_each_error(&ResponseKind::Heartbeat(rebalancing), |c| codes.push(c));
        assert_eq!(codes, vec![27]);
    }
}
