//! Alert rules and their evaluation (sans-IO): the sampler builds an [`Observation`] every
//! tick, [`evaluate`] compares each rule with it and the rule's [`RuleStatus`], and returns
//! the transitions (firing / resolved) the caller records in the history and posts to the
//! rule's webhook. A condition must hold for `for_seconds` before the rule fires, as
//! Prometheus's `for:` clause does.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a rule watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertCondition {
    /// A consumer group's total lag (sum over partitions of end offset − committed offset)
    /// is above `threshold` messages.
    GroupLag {
        /// The group id.
        group: String,
        /// Lag above which the rule breaches.
        threshold: i64,
    },
    /// A broker that was seen since the console started is missing from Metadata.
    BrokerDown,
    /// Some partition has fewer in-sync replicas than replicas.
    UnderReplicated,
    /// A log directory's filesystem is fuller than `percent` (DescribeLogDirs v4 totals,
    /// KIP-827; the rule stays quiet when the broker does not report them).
    DiskUsage {
        /// Used percentage above which the rule breaches.
        percent: f64,
    },
}

/// A rule as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    /// Id, unique in the state file.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// What it watches.
    pub condition: AlertCondition,
    /// How long the condition must hold before the rule fires.
    #[serde(default)]
    pub for_seconds: u64,
    /// `http://` URL the firing/resolved events are POSTed to as JSON.
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// One entry of the alert history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// The rule.
    pub rule_id: u64,
    /// The rule's name at the time.
    pub rule_name: String,
    /// `firing` or `resolved`.
    pub state: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// What was observed.
    pub message: String,
    /// Webhook delivery result (`delivered: HTTP 200`, `failed: …`), when a webhook is set.
    #[serde(default)]
    pub webhook: Option<String>,
}

/// What the sampler saw in one tick.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// Total lag per group.
    pub group_lag: BTreeMap<String, i64>,
    /// Ids of brokers seen earlier but missing now.
    pub brokers_missing: Vec<i32>,
    /// Partitions whose ISR is smaller than their replica set.
    pub under_replicated: usize,
    /// The fullest log directory's used percentage, when reported.
    pub disk_used_percent: Option<f64>,
}

/// A rule's evaluation state (in memory; rebuilt after a restart).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleStatus {
    /// Since when (sampler clock) the condition has held.
    pub breaching_since: Option<Duration>,
    /// Whether the rule is firing.
    pub firing: bool,
    /// What the last evaluation saw.
    pub message: String,
}

/// A change of a rule's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The condition held for `for_seconds`.
    Firing,
    /// The condition stopped holding.
    Resolved,
}

impl Transition {
    /// `firing` / `resolved`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// Whether the rule's condition holds in `observation`, and a message saying what was seen.
/// `None` when the observation says nothing about it (a group never seen, disk not reported).
pub fn breaches(condition: &AlertCondition, observation: &Observation) -> Option<(bool, String)> {
    match condition {
        AlertCondition::GroupLag { group, threshold } => {
            let lag = *observation.group_lag.get(group)?;
            Some((
                lag > *threshold,
                format!("group {group} lag {lag} (threshold {threshold})"),
            ))
        }
        AlertCondition::BrokerDown => {
            let missing = &observation.brokers_missing;
            Some((
                !missing.is_empty(),
                if missing.is_empty() {
                    "all brokers up".to_owned()
                } else {
                    format!("brokers down: {missing:?}")
                },
            ))
        }
        AlertCondition::UnderReplicated => {
            let count = observation.under_replicated;
            Some((count > 0, format!("{count} under-replicated partitions")))
        }
        AlertCondition::DiskUsage { percent } => {
            let used = observation.disk_used_percent?;
            Some((
                used > *percent,
                format!("disk {used:.1}% used (threshold {percent}%)"),
            ))
        }
    }
}

/// Advances `status` for `rule` at sampler time `now`; returns the transition, if any.
pub fn evaluate(
    rule: &AlertRule,
    observation: &Observation,
    status: &mut RuleStatus,
    now: Duration,
) -> Option<Transition> {
    let (breaching, message) = breaches(&rule.condition, observation)?;
    status.message = message;
    if !breaching {
        status.breaching_since = None;
        if status.firing {
            status.firing = false;
            return Some(Transition::Resolved);
        }
        return None;
    }
    let since = *status.breaching_since.get_or_insert(now);
    let held = now.saturating_sub(since);
    if !status.firing && held >= Duration::from_secs(rule.for_seconds) {
        status.firing = true;
        return Some(Transition::Firing);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lag_rule(for_seconds: u64) -> AlertRule {
        AlertRule {
            id: 1,
            name: "lag".into(),
            condition: AlertCondition::GroupLag {
                group: "g".into(),
                threshold: 10,
            },
            for_seconds,
            webhook_url: None,
        }
    }

    fn lag(value: i64) -> Observation {
        Observation {
            group_lag: [("g".to_owned(), value)].into(),
            ..Observation::default()
        }
    }

    #[test]
    fn lag_rule_fires_only_after_holding_for_t_then_resolves() {
        let rule = lag_rule(10);
        let mut status = RuleStatus::default();
        let at = Duration::from_secs;
        assert_eq!(evaluate(&rule, &lag(50), &mut status, at(0)), None);
        assert_eq!(evaluate(&rule, &lag(50), &mut status, at(5)), None);
        assert_eq!(
            evaluate(&rule, &lag(50), &mut status, at(10)),
            Some(Transition::Firing)
        );
        assert_eq!(
            evaluate(&rule, &lag(60), &mut status, at(15)),
            None,
            "fires once"
        );
        assert!(status.message.contains("lag 60"));
        assert_eq!(
            evaluate(&rule, &lag(3), &mut status, at(20)),
            Some(Transition::Resolved)
        );
        assert_eq!(evaluate(&rule, &lag(3), &mut status, at(25)), None);
    }

    #[test]
    fn a_dip_below_the_threshold_restarts_the_for_clock() {
        let rule = lag_rule(10);
        let mut status = RuleStatus::default();
        let at = Duration::from_secs;
        evaluate(&rule, &lag(50), &mut status, at(0));
        evaluate(&rule, &lag(5), &mut status, at(8));
        assert_eq!(evaluate(&rule, &lag(50), &mut status, at(12)), None);
        assert_eq!(
            evaluate(&rule, &lag(50), &mut status, at(22)),
            Some(Transition::Firing)
        );
    }

    #[test]
    fn unknown_inputs_do_not_change_state() {
        let mut status = RuleStatus::default();
        let disk = AlertRule {
            condition: AlertCondition::DiskUsage { percent: 80.0 },
            ..lag_rule(0)
        };
        assert_eq!(
            evaluate(&disk, &Observation::default(), &mut status, Duration::ZERO),
            None
        );
        let full = Observation {
            disk_used_percent: Some(91.0),
            ..Observation::default()
        };
        assert_eq!(
            evaluate(&disk, &full, &mut status, Duration::ZERO),
            Some(Transition::Firing)
        );
        let down = AlertRule {
            condition: AlertCondition::BrokerDown,
            ..lag_rule(0)
        };
        let missing = Observation {
            brokers_missing: vec![2],
            ..Observation::default()
        };
        let mut status = RuleStatus::default();
        assert_eq!(
            evaluate(&down, &missing, &mut status, Duration::ZERO),
            Some(Transition::Firing)
        );
        assert!(status.message.contains("[2]"));
    }
}
