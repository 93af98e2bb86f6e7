//! The API registry: which API keys the broker serves and at which versions.
//!
//! Each handler module in the broker declares its [`ApiSpec`]; the broker collects them into
//! an [`ApiRegistry`], and the ApiVersions response is derived from that registry, never from
//! a hand-kept list (KIP-35 ApiVersions, KIP-511 fallback).

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::messages::api_versions_response::{ApiVersion, ApiVersionsResponse};
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest};
use kafka_protocol::protocol::VersionRange;

use crate::error_code::ErrorCode;
use crate::header::{EncodeError, encode_response};

/// One served API and its version range (inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApiSpec {
    /// The API.
    pub api_key: ApiKey,
    /// Lowest version served.
    pub min_version: i16,
    /// Highest version served.
    pub max_version: i16,
}

impl ApiSpec {
    /// A spec for `api_key` serving `min_version..=max_version`.
    pub const fn new(api_key: ApiKey, min_version: i16, max_version: i16) -> Self {
        Self {
            api_key,
            min_version,
            max_version,
        }
    }

    /// Whether `version` lies in the range.
    pub fn contains(&self, version: i16) -> bool {
        (self.min_version..=self.max_version).contains(&version)
    }
}

/// What the registry says about a request's (api key, version).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VersionCheck {
    /// Served at this version.
    Supported,
    /// Served, but not at this version.
    UnsupportedVersion(ApiSpec),
    /// Not served at all.
    NotServed,
}

/// The set of served APIs.
#[derive(Debug, Clone, Default)]
pub struct ApiRegistry {
    specs: BTreeMap<i16, ApiSpec>,
}

impl ApiRegistry {
    /// Builds a registry. Panics (a programmer error) if an API is listed twice, if a range is
    /// empty, or if a range leaves the one Kafka 4.1 defines (the generated `kafka-protocol`
    /// ranges): we never advertise a version Kafka does not know, nor raise a minimum above it.
    pub fn new(specs: impl IntoIterator<Item = ApiSpec>) -> Self {
        let mut map = BTreeMap::new();
        for spec in specs {
            let kafka: VersionRange = spec.api_key.valid_versions();
            assert!(
                spec.min_version <= spec.max_version,
                "{:?}: empty version range",
                spec.api_key
            );
            assert!(
                spec.min_version >= kafka.min && spec.max_version <= kafka.max,
                "{:?}: {}..{} outside Kafka's {}",
                spec.api_key,
                spec.min_version,
                spec.max_version,
                kafka
            );
            let previous = map.insert(spec.api_key as i16, spec);
            assert!(previous.is_none(), "{:?} registered twice", spec.api_key);
        }
        Self { specs: map }
    }

    /// The served specs in API key order.
    pub fn specs(&self) -> impl Iterator<Item = &ApiSpec> {
        self.specs.values()
    }

    /// The spec for `api_key`, if served.
    pub fn get(&self, api_key: ApiKey) -> Option<&ApiSpec> {
        self.specs.get(&(api_key as i16))
    }

    /// Checks a request's API key and version.
    pub fn check(&self, api_key: ApiKey, version: i16) -> VersionCheck {
        match self.get(api_key) {
            None => VersionCheck::NotServed,
            Some(spec) if spec.contains(version) => VersionCheck::Supported,
            Some(spec) => VersionCheck::UnsupportedVersion(*spec),
        }
    }

    /// The ApiVersions response body listing every served API.
    ///
    /// No top-level tagged fields are set (SupportedFeatures, FinalizedFeaturesEpoch,
    /// FinalizedFeatures, ZkMigrationReady all stay at their defaults, which are not encoded):
    /// librdkafka before 2.2.0 (e.g. Debian's 2.0.2 in kcat) skips tagged fields one byte short
    /// and fails with a buffer underflow on a v3 response that carries any (librdkafka
    /// CHANGELOG v2.2.0, "Fix a bug that happens when skipping tags", #4278).
    pub fn api_versions_response(&self, error: ErrorCode) -> ApiVersionsResponse {
        let api_keys = self
            .specs
            .values()
            .map(|spec| {
                ApiVersion::default()
                    .with_api_key(spec.api_key as i16)
                    .with_min_version(spec.min_version)
                    .with_max_version(spec.max_version)
            })
            .collect();
        ApiVersionsResponse::default()
            .with_error_code(error.code())
            .with_api_keys(api_keys)
    }

    /// The answer to a decoded ApiVersions request at a served `version`: our ranges, or, when
    /// the v3+ client software name or version is malformed, INVALID_REQUEST with no ranges
    /// (Kafka `KafkaApis.handleApiVersionsRequest`: `!apiVersionRequest.isValid` →
    /// `getErrorResponse(INVALID_REQUEST)`; KIP-511).
    pub fn api_versions_answer(
        &self,
        request: &ApiVersionsRequest,
        version: i16,
    ) -> ApiVersionsResponse {
        if client_software_is_valid(request, version) {
            self.api_versions_response(ErrorCode::None)
        } else {
            ApiVersionsResponse::default().with_error_code(ErrorCode::InvalidRequest.code())
        }
    }

    /// The complete ApiVersions response frame for a request at `requested_version`.
    ///
    /// KIP-511: when the requested version is one we do not serve, answer with a v0-encoded
    /// body carrying UNSUPPORTED_VERSION and our ApiVersions range, so the client can retry at a
    /// version we know. Like Kafka's `ApiVersionsRequest.getErrorResponse`, the fallback lists
    /// only the ApiVersions entry. The response header is v0 either way.
    pub fn encode_api_versions(
        &self,
        correlation_id: i32,
        requested_version: i16,
    ) -> Result<Bytes, EncodeError> {
        match self.get(ApiKey::ApiVersions) {
            Some(spec) if spec.contains(requested_version) => {
                let body = self.api_versions_response(ErrorCode::None);
                encode_response(
                    correlation_id,
                    ApiKey::ApiVersions,
                    requested_version,
                    &body,
                )
            }
            spec => {
                let mut body = ApiVersionsResponse::default()
                    .with_error_code(ErrorCode::UnsupportedVersion.code());
                if let Some(spec) = spec {
                    body.api_keys.push(
                        ApiVersion::default()
                            .with_api_key(ApiKey::ApiVersions as i16)
                            .with_min_version(spec.min_version)
                            .with_max_version(spec.max_version),
                    );
                }
                encode_response(correlation_id, ApiKey::ApiVersions, 0, &body)
            }
        }
    }
}

/// First ApiVersions version that carries ClientSoftwareName/Version (KIP-511).
const CLIENT_SOFTWARE_VERSION_MIN: i16 = 3;

/// Kafka `ApiVersionsRequest.isValid`: from v3 both the client software name and version must
/// match `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?` (KIP-511); earlier versions carry neither.
pub fn client_software_is_valid(request: &ApiVersionsRequest, version: i16) -> bool {
    version < CLIENT_SOFTWARE_VERSION_MIN
        || (is_software_token(request.client_software_name.as_str())
            && is_software_token(request.client_software_version.as_str()))
}

fn is_software_token(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::Decodable;

    fn registry() -> ApiRegistry {
        ApiRegistry::new([
            ApiSpec::new(ApiKey::ApiVersions, 0, 4),
            ApiSpec::new(ApiKey::Metadata, 0, 12),
        ])
    }

    #[test]
    fn api_versions_lists_exactly_the_registry() {
        let frame = registry().encode_api_versions(1, 3).unwrap_or_default();
        let mut body = frame.slice(8..);
        let response = ApiVersionsResponse::decode(&mut body, 3)
            .ok()
            .unwrap_or_default();
        let listed: Vec<(i16, i16, i16)> = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        assert_eq!(listed, vec![(3, 0, 12), (18, 0, 4)]);
        assert_eq!(response.error_code, 0);
    }

    #[test]
    fn api_versions_v3_carries_no_top_level_tagged_fields() {
        // librdkafka < 2.2.0 (#4278) misparses non-empty tagged fields: the body must end with
        // throttle_time_ms followed by a zero tag count.
        let frame = registry().encode_api_versions(1, 3).unwrap_or_default();
        assert_eq!(frame.last(), Some(&0u8));
        assert_eq!(&frame[frame.len() - 5..frame.len() - 1], &[0, 0, 0, 0]);
    }

    #[test]
    fn kip_511_unsupported_api_versions_version_gets_v0_answer() {
        let frame = registry().encode_api_versions(9, 127).unwrap_or_default();
        assert_eq!(&frame[4..8], &9i32.to_be_bytes());
        let mut body = frame.slice(8..);
        let response = ApiVersionsResponse::decode(&mut body, 0)
            .ok()
            .unwrap_or_default();
        assert!(body.is_empty(), "v0 body fully consumed");
        assert_eq!(response.error_code, ErrorCode::UnsupportedVersion.code());
        assert_eq!(response.api_keys.len(), 1);
        assert_eq!(
            (
                response.api_keys[0].min_version,
                response.api_keys[0].max_version
            ),
            (0, 4)
        );
    }

    #[test]
    fn check_distinguishes_unsupported_version_from_unserved_api() {
        let registry = registry();
        assert_eq!(
            registry.check(ApiKey::Metadata, 12),
            VersionCheck::Supported
        );
        assert!(matches!(
            registry.check(ApiKey::Metadata, 13),
            VersionCheck::UnsupportedVersion(_)
        ));
        assert_eq!(registry.check(ApiKey::Produce, 9), VersionCheck::NotServed);
    }

    #[test]
    #[should_panic(expected = "outside Kafka")]
    fn ranges_beyond_kafka_are_refused() {
        let _ = ApiRegistry::new([ApiSpec::new(ApiKey::Produce, 0, 13)]);
    }

    #[test]
    fn client_software_name_and_version_follow_kip_511() {
        // ApiVersionsRequest.SOFTWARE_NAME_VERSION_PATTERN, checked from v3 only.
        use kafka_protocol::protocol::StrBytes;
        let request = |name: &str, version: &str| {
            ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_string(name.to_owned()))
                .with_client_software_version(StrBytes::from_string(version.to_owned()))
        };
        for (name, version) in [
            ("confluent-kafka-python", "2.16.1-rdkafka-2.16.0"),
            ("apache-kafka-java", "4.1.0"),
            ("a", "1"),
        ] {
            assert!(
                client_software_is_valid(&request(name, version), 3),
                "{name} {version}"
            );
        }
        for (name, version) in [
            ("bad name!", "1.0"),
            ("ok", "-bad-"),
            ("", "1.0"),
            ("x", "1."),
        ] {
            assert!(
                !client_software_is_valid(&request(name, version), 3),
                "{name:?} {version:?}"
            );
            assert!(
                client_software_is_valid(&request(name, version), 2),
                "not checked before v3"
            );
        }
        let registry = ApiRegistry::new([ApiSpec::new(ApiKey::ApiVersions, 0, 4)]);
        let answer = registry.api_versions_answer(&request("bad name!", "1"), 3);
        assert_eq!(answer.error_code, ErrorCode::InvalidRequest.code());
        assert!(answer.api_keys.is_empty());
        let answer = registry.api_versions_answer(&request("ok", "1"), 3);
        assert_eq!((answer.error_code, answer.api_keys.len()), (0, 1));
    }
}
