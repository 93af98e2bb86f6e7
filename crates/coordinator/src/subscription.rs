//! The topics of a Kafka consumer's subscription, read from the member metadata of the
//! "consumer" protocol type (Kafka `ConsumerProtocolSubscription.json`: version int16, then
//! `topics []string`, `userData nullable bytes`, `ownedPartitions` v1+, `generationId` v2+,
//! `rackId` v3+; not flexible). Only the topics are needed (OffsetDelete, KIP-496).

/// The subscribed topics, or `None` when the bytes are not a consumer subscription.
pub fn subscribed_topics(metadata: &[u8]) -> Option<Vec<String>> {
    let mut rest = metadata;
    let _version = i16::from_be_bytes(take::<2>(&mut rest)?);
    let count = i32::from_be_bytes(take::<4>(&mut rest)?);
    let count = usize::try_from(count).ok()?;
    // Each topic needs at least its 2-byte length.
    if count > rest.len() / 2 {
        return None;
    }
    let mut topics = Vec::with_capacity(count);
    for _ in 0..count {
        let len = usize::try_from(i16::from_be_bytes(take::<2>(&mut rest)?)).ok()?;
        if len > rest.len() {
            return None;
        }
        let (name, tail) = rest.split_at(len);
        topics.push(String::from_utf8(name.to_vec()).ok()?);
        rest = tail;
    }
    Some(topics)
}

fn take<const N: usize>(rest: &mut &[u8]) -> Option<[u8; N]> {
    if rest.len() < N {
        return None;
    }
    let (head, tail) = rest.split_at(N);
    *rest = tail;
    let mut out = [0u8; N];
    out.copy_from_slice(head);
    Some(out)
}
