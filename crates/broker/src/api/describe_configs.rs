//! DescribeConfigs (key 32): `DescribeConfigsRequest.json` / `DescribeConfigsResponse.json`.
//!
//! Topic resources: every topic config with its value and source (KIP-226 `ConfigSource`):
//! overrides `DYNAMIC_TOPIC_CONFIG` (1), values taken from the broker's file
//! `STATIC_BROKER_CONFIG` (4), Kafka's defaults `DEFAULT_CONFIG` (5). Broker resources (name =
//! this node's id, or "" for the cluster-wide defaults): every broker key, with dynamic values
//! (2, 3) from the metadata image over the static ones. `include_synonyms` lists the values
//! behind each one in precedence order; `configuration_keys` restricts the keys; v3 adds the
//! config type (KIP-569) and documentation (null here). BROKER_LOGGER is answered with no
//! entries (loggers are not modelled).

use fjord_protocol::ApiSpec;
use fjord_protocol::header::RequestHeader;
use fjord_protocol::kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use fjord_protocol::kafka_protocol::messages::{
    ApiKey, DescribeConfigsRequest, DescribeConfigsResponse,
};

use super::config_resources::{
    DescribedConfig, ResourceError, config_type_id, describe_broker, describe_topic, is_topic,
    resource, resource_types,
};
use super::{BrokerContext, str_bytes};

/// v1..=4, Kafka 4.1's range (v0 removed by KIP-896).
pub const SPEC: ApiSpec = ApiSpec::new(ApiKey::DescribeConfigs, 1, 4);

/// First version with `config_type` and `documentation` (KIP-569).
const CONFIG_TYPE_VERSION_MIN: i16 = 3;

fn row(
    config: DescribedConfig,
    include_synonyms: bool,
    version: i16,
) -> DescribeConfigsResourceResult {
    let synonyms = if include_synonyms {
        config
            .synonyms
            .iter()
            .map(|(name, value, source)| {
                DescribeConfigsSynonym::default()
                    .with_name(str_bytes(name))
                    .with_value(if config.entry.is_sensitive {
                        None
                    } else {
                        value.as_deref().map(str_bytes)
                    })
                    .with_source(source.id())
            })
            .collect()
    } else {
        Vec::new()
    };
    let config_type = if version >= CONFIG_TYPE_VERSION_MIN {
        config_type_id(config.config_type)
    } else {
        0
    };
    DescribeConfigsResourceResult::default()
        .with_name(str_bytes(&config.entry.name))
        .with_value(config.entry.value.as_deref().map(str_bytes))
        .with_read_only(config.entry.read_only)
        .with_config_source(config.entry.source.id())
        .with_is_sensitive(config.entry.is_sensitive)
        .with_synonyms(synonyms)
        .with_config_type(config_type)
        .with_documentation(None)
}

/// Describes each resource.
pub async fn handle(
    ctx: &BrokerContext,
    header: &RequestHeader,
    request: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    let image = ctx.replicas.image();
    let results = request
        .resources
        .into_iter()
        .map(|wanted| {
            let name = wanted.resource_name.as_str().to_owned();
            let result = DescribeConfigsResult::default()
                .with_resource_type(wanted.resource_type)
                .with_resource_name(wanted.resource_name.clone());
            let described: Result<Vec<DescribedConfig>, ResourceError> =
                if wanted.resource_type == resource_types::BROKER_LOGGER {
                    Ok(Vec::new())
                } else {
                    resource(ctx, wanted.resource_type, &name).and_then(|r| {
                        if is_topic(&r) {
                            describe_topic(ctx, &image, &name)
                        } else {
                            Ok(describe_broker(ctx, &image, &r))
                        }
                    })
                };
            match described {
                Ok(configs) => {
                    let keys: Option<Vec<String>> = wanted
                        .configuration_keys
                        .map(|keys| keys.iter().map(|k| k.as_str().to_owned()).collect());
                    let configs = configs
                        .into_iter()
                        .filter(|c| keys.as_ref().is_none_or(|k| k.contains(&c.entry.name)))
                        .map(|c| row(c, request.include_synonyms, header.api_version))
                        .collect();
                    result.with_configs(configs)
                }
                Err(error) => result
                    .with_error_code(error.code().code())
                    .with_error_message(Some(str_bytes(&error.to_string()))),
            }
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}
