//! Typed group-coordinator errors. Each variant is one Kafka error; [`GroupError::code`] is
//! the single place they become wire codes (Kafka `org.apache.kafka.common.protocol.Errors`).

/// An error a coordinator API returns to the client, named after Kafka's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum GroupError {
    /// COORDINATOR_NOT_AVAILABLE (15): the group is being unloaded or deleted (Dead).
    #[error("the coordinator is not available")]
    CoordinatorNotAvailable,
    /// ILLEGAL_GENERATION (22): the generation id is not the group's current one.
    #[error("the generation id is not the group's current generation")]
    IllegalGeneration,
    /// INCONSISTENT_GROUP_PROTOCOL (23): protocol type or protocols do not match the group.
    #[error("the member's protocol type or protocols are incompatible with the group's")]
    InconsistentGroupProtocol,
    /// INVALID_GROUP_ID (24): empty or oversized group id.
    #[error("the group id is empty or too long")]
    InvalidGroupId,
    /// UNKNOWN_MEMBER_ID (25).
    #[error("the member id is not known to the group")]
    UnknownMemberId,
    /// INVALID_SESSION_TIMEOUT (26): outside group.min/max.session.timeout.ms.
    #[error("the session timeout is outside the broker's allowed range")]
    InvalidSessionTimeout,
    /// REBALANCE_IN_PROGRESS (27).
    #[error("the group is rebalancing")]
    RebalanceInProgress,
    /// OFFSET_METADATA_TOO_LARGE (12).
    #[error("the offset metadata is larger than offset.metadata.max.bytes")]
    OffsetMetadataTooLarge,
    /// NON_EMPTY_GROUP (68).
    #[error("the group is not empty")]
    NonEmptyGroup,
    /// GROUP_ID_NOT_FOUND (69).
    #[error("the group does not exist")]
    GroupIdNotFound,
    /// MEMBER_ID_REQUIRED (79): KIP-394, rejoin with the returned member id.
    #[error("a member id is required: rejoin with the one returned")]
    MemberIdRequired,
    /// FENCED_INSTANCE_ID (82): KIP-345, a newer member took this group.instance.id.
    #[error("another member with the same group.instance.id replaced this one")]
    FencedInstanceId,
    /// GROUP_MAX_SIZE_REACHED (81).
    #[error("the group has reached group.max.size")]
    GroupMaxSizeReached,
    /// GROUP_SUBSCRIBED_TO_TOPIC (86): KIP-496 OffsetDelete on a subscribed topic.
    #[error("the group is subscribed to the topic")]
    GroupSubscribedToTopic,
    /// INVALID_REQUEST (42): a KIP-848 heartbeat missing a field its epoch requires.
    #[error("the request is invalid")]
    InvalidRequest,
    /// FENCED_MEMBER_EPOCH (110): KIP-848, the member's epoch is not its current one.
    #[error("the member epoch is fenced: rejoin with epoch 0")]
    FencedMemberEpoch,
    /// UNRELEASED_INSTANCE_ID (111): KIP-848, the static member's previous instance has not
    /// left the group.
    #[error("the static member's previous instance has not left the group")]
    UnreleasedInstanceId,
    /// UNSUPPORTED_ASSIGNOR (112): KIP-848, the server assignor is not configured.
    #[error("the requested server assignor is not supported")]
    UnsupportedAssignor,
    /// STALE_MEMBER_EPOCH (113): KIP-848 OffsetCommit with an old member epoch.
    #[error("the member epoch is stale")]
    StaleMemberEpoch,
}

impl GroupError {
    /// Kafka's wire error code.
    pub fn code(self) -> i16 {
        match self {
            Self::OffsetMetadataTooLarge => 12,
            Self::CoordinatorNotAvailable => 15,
            Self::IllegalGeneration => 22,
            Self::InconsistentGroupProtocol => 23,
            Self::InvalidGroupId => 24,
            Self::UnknownMemberId => 25,
            Self::InvalidSessionTimeout => 26,
            Self::RebalanceInProgress => 27,
            Self::NonEmptyGroup => 68,
            Self::GroupIdNotFound => 69,
            Self::MemberIdRequired => 79,
            Self::GroupMaxSizeReached => 81,
            Self::FencedInstanceId => 82,
            Self::GroupSubscribedToTopic => 86,
            Self::InvalidRequest => 42,
            Self::FencedMemberEpoch => 110,
            Self::UnreleasedInstanceId => 111,
            Self::UnsupportedAssignor => 112,
            Self::StaleMemberEpoch => 113,
        }
    }
}
