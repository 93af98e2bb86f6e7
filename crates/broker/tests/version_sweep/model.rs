//! What every sweep builder shares: the fixture, the probe type, and small check helpers.

use bytes::Bytes;
use fjord_protocol::ErrorCode;
use fjord_protocol::kafka_protocol::messages::{ApiKey, RequestKind, ResponseKind, TopicName};
use fjord_protocol::kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

/// What the sweep knows about the broker's state before it starts.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The existing topic (2 partitions).
    pub topic: String,
    /// Its id.
    pub topic_id: Uuid,
    /// A topic that does not exist.
    pub unknown_topic: String,
    /// A partition index the existing topic does not have.
    pub missing_partition: i32,
    /// Records in partition 0 (never appended to during the sweep).
    pub records_p0: i64,
    /// Partition 0's leader epoch.
    pub leader_epoch: i32,
    /// The broker's node id.
    pub node_id: i32,
    /// The port of the listener being swept.
    pub port: i32,
    /// Which listener is swept: Kafka's broker APIs or its `ControllerApis` subset.
    pub plane: Plane,
    /// The cluster id.
    pub cluster_id: String,
    /// (API, min, max) as the broker advertised them.
    pub advertised: Vec<(ApiKey, i16, i16)>,
}

/// The two kinds of listener a combined node has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plane {
    /// A client listener (`listeners`).
    Broker,
    /// A controller listener (`controller.listener.names`).
    Controller,
}

impl Fixture {
    /// Whether the swept listener advertises `api`.
    pub fn serves(&self, api: ApiKey) -> bool {
        self.advertised.iter().any(|(served, _, _)| *served == api)
    }

    /// Whether the node runs a group coordinator: it serves JoinGroup. Without one,
    /// FindCoordinator answers COORDINATOR_NOT_AVAILABLE and `__consumer_offsets` is absent.
    pub fn groups_served(&self) -> bool {
        self.serves(ApiKey::JoinGroup)
    }

    /// A topic name unique to one probe `stem`, plane and version, so probes that create or
    /// delete topics never meet each other's.
    pub fn versioned(&self, stem: &str, version: i16) -> String {
        let plane = match self.plane {
            Plane::Broker => "broker",
            Plane::Controller => "controller",
        };
        format!("sweep-{stem}-{plane}-v{version}")
    }
}

/// A semantic check of a decoded answer.
pub type Check = Box<dyn Fn(&ResponseKind, &Fixture) -> Result<(), String> + Send + Sync>;

/// What a probe expects back.
pub enum Expect {
    /// One answer, which must pass the check.
    Reply(Check),
    /// No answer (Produce acks=0); the next request must still be answered.
    NoReply,
}

/// One request of the sweep.
pub struct Probe {
    /// Names the probe in failure messages.
    pub label: String,
    /// The request.
    pub request: RequestKind,
    /// What must come back.
    pub expect: Expect,
    /// Records this probe appends to partition 1 of the sweep topic when it succeeds.
    pub appends_p1: i64,
}

impl Probe {
    /// A probe answered by one response that must pass `check`.
    pub fn reply(
        label: &str,
        request: RequestKind,
        check: impl Fn(&ResponseKind, &Fixture) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            label: label.to_owned(),
            request,
            expect: Expect::Reply(Box::new(check)),
            appends_p1: 0,
        }
    }
}

/// `StrBytes` from text.
pub fn s(text: &str) -> StrBytes {
    StrBytes::from_string(text.to_owned())
}

/// A topic name from text.
pub fn name(text: &str) -> TopicName {
    TopicName(s(text))
}

/// Returns `Err(message)` from the enclosing check unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}
pub(crate) use ensure;

/// Unpacks the expected `ResponseKind` variant or fails the check.
macro_rules! unpack {
    ($response:expr, $variant:ident) => {
        match $response {
            fjord_protocol::kafka_protocol::messages::ResponseKind::$variant(inner) => inner,
            _ => {
                return Err(
                    concat!("answer is not a ", stringify!($variant), " response").to_owned(),
                )
            }
        }
    };
}
pub(crate) use unpack;

/// The one element of `items` matching `pred`, or an error naming `what`.
pub fn find<'a, T>(items: &'a [T], what: &str, pred: impl Fn(&T) -> bool) -> Result<&'a T, String> {
    items
        .iter()
        .find(|item| pred(item))
        .ok_or_else(|| format!("{what} is missing from the answer"))
}

/// Fails unless `actual` is `expected`, naming both codes.
pub fn code(what: &str, actual: i16, expected: ErrorCode) -> Result<(), String> {
    ensure!(
        actual == expected.code(),
        "{what}: error code {actual}, expected {expected}"
    );
    Ok(())
}

/// The timestamp of every record the setup writes.
pub const SETUP_TIMESTAMP_MS: i64 = 1_700_000_000_000;

/// Bytes of a consumer protocol subscription (`ConsumerProtocolSubscription.json` v0) to the
/// sweep topic, for JoinGroup probes.
pub fn subscription(topic: &str) -> Bytes {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&0i16.to_be_bytes()); // version
    bytes.extend_from_slice(&1i32.to_be_bytes()); // topics array length
    let len = i16::try_from(topic.len()).unwrap_or(i16::MAX);
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes.extend_from_slice(topic.as_bytes());
    bytes.extend_from_slice(&(-1i32).to_be_bytes()); // user data: null
    Bytes::from(bytes)
}
