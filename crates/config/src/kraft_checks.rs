//! Start-up cross-checks between keys, as Kafka's `KafkaConfig.validateValues` performs them in
//! KRaft mode (Kafka 3.x `core/src/main/scala/kafka/server/KafkaConfig.scala`). Messages are
//! Kafka's, without Scala's `requirement failed: ` prefix.

use crate::error::ConfigError;
use crate::server::{MetadataMode, ProcessRole, ServerConfig};

fn require(condition: bool, message: impl FnOnce() -> String) -> Result<(), ConfigError> {
    if condition {
        Ok(())
    } else {
        Err(ConfigError::Requirement(message()))
    }
}

/// Runs the KRaft cross-checks; ZooKeeper-mode configs only get the checks both modes share.
///
/// # Errors
/// [`ConfigError::Requirement`] with Kafka's message for the first failed check.
pub fn validate(config: &ServerConfig) -> Result<(), ConfigError> {
    if config.metadata_mode() == MetadataMode::ZooKeeper {
        return Ok(());
    }
    if config.process_roles.is_empty() {
        // Neither process.roles nor zookeeper.connect: Kafka 3.x fails with the missing
        // zookeeper.connect; 4.x (KRaft only) with the missing process.roles.
        return Err(ConfigError::Missing {
            name: "process.roles".to_owned(),
        });
    }
    require(config.node_id >= 0, || {
        "Missing configuration `node.id` which is required when `process.roles` is defined (i.e. when running in KRaft mode).".to_owned()
    })?;
    let voter_ids: Vec<i32> = config
        .controller_quorum_voters
        .iter()
        .map(|v| v.id)
        .collect();
    let voter_set = || {
        format!(
            "Set({})",
            voter_ids
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    require(
        !voter_ids.is_empty() || !config.controller_quorum_bootstrap_servers.is_empty(),
        || {
            "If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or controller.quorum.voters must contain a parseable set of controllers.".to_owned()
        },
    )?;
    require(!config.controller_listener_names.is_empty(), || {
        "controller.listener.names must contain at least one value when running KRaft with just the broker role".to_owned()
    })?;
    let is_broker = config.has_role(ProcessRole::Broker);
    let is_controller = config.has_role(ProcessRole::Controller);
    if is_controller {
        require(
            voter_ids.is_empty() || voter_ids.contains(&config.node_id),
            || {
                format!(
                    "If process.roles contains the 'controller' role, the node id {} must be included in the set of voters controller.quorum.voters={}",
                    config.node_id,
                    voter_set()
                )
            },
        )?;
        require(!config.controller_listeners().is_empty(), || {
            "controller.listener.names must contain at least one value appearing in the 'listeners' configuration when running the KRaft controller role".to_owned()
        })?;
    } else {
        require(!voter_ids.contains(&config.node_id), || {
            format!(
                "If process.roles contains just the 'broker' role, the node id {} must not be included in the set of voters controller.quorum.voters={}",
                config.node_id,
                voter_set()
            )
        })?;
        require(config.controller_listeners().is_empty(), || {
            "controller.listener.names must not contain a value appearing in the 'listeners' configuration when running KRaft with just the broker role".to_owned()
        })?;
    }
    if is_broker {
        let advertises_controller = config
            .advertised_listeners
            .iter()
            .any(|l| config.controller_listener_names.contains(&l.name));
        require(!advertises_controller, || {
            "The advertised.listeners config must not contain KRaft controller listeners from controller.listener.names when process.roles contains the broker role because Kafka clients that send requests via advertised listeners do not send requests to KRaft controllers -- they only send requests to KRaft brokers.".to_owned()
        })?;
        require(
            !config
                .controller_listener_names
                .contains(&config.inter_broker_listener_name),
            || {
                "controller.listener.names must not contain a value appearing in the 'listeners' configuration when running KRaft with just the broker role".to_owned()
            },
        )?;
    } else {
        let only_controller_listeners = config
            .listeners
            .iter()
            .all(|l| config.controller_listener_names.contains(&l.name));
        require(only_controller_listeners, || {
            "The listeners config must only contain KRaft controller listeners from controller.listener.names when process.roles=controller".to_owned()
        })?;
    }
    Ok(())
}
