//! Config administration: DescribeConfigs, AlterConfigs (legacy, whole-set) and
//! IncrementalAlterConfigs (KIP-339).

use fjord_protocol::kafka_protocol::messages::{
    AlterConfigsRequest, DescribeConfigsRequest, IncrementalAlterConfigsRequest,
    alter_configs_request, describe_configs_request::DescribeConfigsResource,
    incremental_alter_configs_request,
};

use super::{AdminClient, str_bytes};
use crate::error::{ClientError, check_code};
use crate::types::{AlterConfigOp, ConfigEntry, ConfigResource, ConfigResourceType, ConfigSource};

/// Broker resources with a numeric name go to that broker; everything else to any node
/// (`KafkaAdminClient.describeConfigs` routing).
fn route(resource: &ConfigResource) -> Option<i32> {
    match resource.resource_type {
        ConfigResourceType::Broker | ConfigResourceType::BrokerLogger => resource.name.parse().ok(),
        ConfigResourceType::Topic => None,
    }
}

impl AdminClient {
    /// Describes every config of `resource`, with synonyms.
    pub async fn describe_configs(
        &mut self,
        resource: &ConfigResource,
    ) -> Result<Vec<ConfigEntry>, ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("describeConfigs", timeout, async {
            let mut entry = DescribeConfigsResource::default();
            entry.resource_type = resource.resource_type.id();
            entry.resource_name = str_bytes(&resource.name);
            entry.configuration_keys = None;
            let mut request = DescribeConfigsRequest::default();
            request.resources = vec![entry];
            request.include_synonyms = true;
            let response = self.send_to(route(resource), &request).await?;
            let result = response
                .results
                .first()
                .ok_or_else(|| ClientError::Protocol {
                    api: "DescribeConfigs",
                    detail: "response has no result for the resource".to_owned(),
                })?;
            check_code(result.error_code, result.error_message.as_deref())?;
            let mut entries: Vec<ConfigEntry> = result
                .configs
                .iter()
                .map(|c| ConfigEntry {
                    name: c.name.to_string(),
                    value: c.value.as_ref().map(ToString::to_string),
                    source: ConfigSource::from_id(c.config_source),
                    is_sensitive: c.is_sensitive,
                    read_only: c.read_only,
                    synonyms: c
                        .synonyms
                        .iter()
                        .map(|s| {
                            (
                                s.name.to_string(),
                                s.value.as_ref().map(ToString::to_string),
                                ConfigSource::from_id(s.source),
                            )
                        })
                        .collect(),
                })
                .collect();
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(entries)
        })
        .await
    }

    /// Applies `ops` with IncrementalAlterConfigs (KIP-339).
    pub async fn incremental_alter_configs(
        &mut self,
        resource: &ConfigResource,
        ops: &[AlterConfigOp],
    ) -> Result<(), ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("incrementalAlterConfigs", timeout, async {
            let mut entry = incremental_alter_configs_request::AlterConfigsResource::default();
            entry.resource_type = resource.resource_type.id();
            entry.resource_name = str_bytes(&resource.name);
            entry.configs = ops
                .iter()
                .map(|op| {
                    let mut config = incremental_alter_configs_request::AlterableConfig::default();
                    config.name = str_bytes(&op.name);
                    config.config_operation = op.op.id();
                    config.value = op.value.as_deref().map(str_bytes);
                    config
                })
                .collect();
            let mut request = IncrementalAlterConfigsRequest::default();
            request.resources = vec![entry];
            let response = self.send_to(route(resource), &request).await?;
            for result in &response.responses {
                check_code(result.error_code, result.error_message.as_deref())?;
            }
            Ok(())
        })
        .await
    }

    /// Replaces the whole set of dynamic configs of `resource` with the legacy AlterConfigs.
    pub async fn alter_configs(
        &mut self,
        resource: &ConfigResource,
        configs: &[(String, String)],
    ) -> Result<(), ClientError> {
        let timeout = self.config.default_api_timeout;
        Self::bounded("alterConfigs", timeout, async {
            let mut entry = alter_configs_request::AlterConfigsResource::default();
            entry.resource_type = resource.resource_type.id();
            entry.resource_name = str_bytes(&resource.name);
            entry.configs = configs
                .iter()
                .map(|(name, value)| {
                    let mut config = alter_configs_request::AlterableConfig::default();
                    config.name = str_bytes(name);
                    config.value = Some(str_bytes(value));
                    config
                })
                .collect();
            let mut request = AlterConfigsRequest::default();
            request.resources = vec![entry];
            let response = self.send_to(route(resource), &request).await?;
            for result in &response.responses {
                check_code(result.error_code, result.error_message.as_deref())?;
            }
            Ok(())
        })
        .await
    }
}
