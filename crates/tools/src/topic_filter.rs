//! Topic selection as Kafka's tools do it: `--topic` as a regular expression matched against
//! the whole name (`org.apache.kafka.tools.filter.TopicFilter.IncludeList`), and Kafka's
//! internal topics (`org.apache.kafka.common.internals.Topic.isInternal`).

use regex::Regex;

/// `__consumer_offsets` and `__transaction_state` (`Topic.isInternal`).
pub fn is_internal(topic: &str) -> bool {
    topic == "__consumer_offsets" || topic == "__transaction_state"
}

/// An include list: a regex that must match the whole topic name.
#[derive(Debug, Clone)]
pub struct IncludeList {
    regex: Regex,
}

impl IncludeList {
    /// Builds the filter the way `IncludeList` normalises its input: trims, turns `,` into `|`,
    /// drops spaces and surrounding quotes. An invalid pattern is an error naming it.
    pub fn new(raw: &str) -> anyhow::Result<Self> {
        let normalized = raw.trim().replace(',', "|").replace(' ', "");
        let normalized = normalized
            .trim_start_matches(['"', '\''])
            .trim_end_matches(['"', '\'']);
        let regex = Regex::new(&format!("^(?:{normalized})$"))
            .map_err(|_| anyhow::anyhow!("{raw} is an invalid regex."))?;
        Ok(Self { regex })
    }

    /// `IncludeList.isTopicAllowed`.
    pub fn is_topic_allowed(&self, topic: &str, exclude_internal: bool) -> bool {
        self.regex.is_match(topic) && !(is_internal(topic) && exclude_internal)
    }
}

/// `TopicCommand.doGetTopics`: filters sorted names by the optional include list.
pub fn select_topics(
    all: &[String],
    include: Option<&str>,
    exclude_internal: bool,
) -> anyhow::Result<Vec<String>> {
    let filter = include.map(IncludeList::new).transpose()?;
    Ok(all
        .iter()
        .filter(|t| match &filter {
            Some(filter) => filter.is_topic_allowed(t, exclude_internal),
            None => !(is_internal(t) && exclude_internal),
        })
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn include_list_is_a_whole_name_regex_like_kafkas_topic_filter() {
        // TopicFilterTest.testIncludeLists: "test.*" allows "test1", "\"test.*\"" strips quotes,
        // "a,b" means a|b, and matching is anchored ("test" does not allow "test1").
        let all = names(&["__consumer_offsets", "orders", "test", "test1", "xtest"]);
        assert_eq!(
            select_topics(&all, Some("test.*"), false).unwrap(),
            names(&["test", "test1"])
        );
        assert_eq!(
            select_topics(&all, Some("\"test.*\""), false).unwrap(),
            names(&["test", "test1"])
        );
        assert_eq!(
            select_topics(&all, Some("orders, test"), false).unwrap(),
            names(&["orders", "test"])
        );
        assert_eq!(
            select_topics(&all, Some("test"), false).unwrap(),
            names(&["test"])
        );
        assert_eq!(
            select_topics(&all, Some("__.*"), true).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(select_topics(&all, None, true).unwrap().len(), 4);
        assert!(select_topics(&all, Some("("), false).is_err());
    }
}
