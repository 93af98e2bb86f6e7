//! Topic name rules of Kafka's `org.apache.kafka.common.internals.Topic`.

/// Longest legal topic name (`Topic.MAX_NAME_LENGTH`).
pub const TOPIC_NAME_LENGTH_MAX: usize = 249;

/// Checks a topic name as `Topic.validate` does, returning Kafka's message on failure.
pub fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Topic name is illegal, it can't be empty".to_string());
    }
    if name == "." || name == ".." {
        return Err("Topic name cannot be \".\" or \"..\"".to_string());
    }
    if name.len() > TOPIC_NAME_LENGTH_MAX {
        return Err(format!(
            "Topic name is illegal, it can't be longer than {TOPIC_NAME_LENGTH_MAX} characters, topic name: {name}"
        ));
    }
    let legal = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-';
    if !name.chars().all(legal) {
        return Err(format!(
            "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    Ok(())
}

/// Whether the name contains `.` or `_`, which metric names conflate (`Topic.hasCollisionChars`).
pub fn has_collision_chars(name: &str) -> bool {
    name.contains(['.', '_'])
}

/// The name with `.` replaced by `_` (`Topic.unifyCollisionChars`): two distinct topics with
/// the same unified name would share metric names.
pub fn unify_collision_chars(name: &str) -> String {
    name.replace('.', "_")
}
