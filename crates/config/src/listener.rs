//! Listener end points (`listeners`, `advertised.listeners`), security protocols and controller
//! quorum voters, parsed as Kafka does (`SocketServerConfigs.listenerListToEndPoints`,
//! `Endpoint`, `QuorumConfig.parseVoterConnections`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

use crate::error::ConfigError;

/// Kafka's `SecurityProtocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecurityProtocol {
    /// Un-authenticated, non-encrypted.
    Plaintext,
    /// TLS.
    Ssl,
    /// SASL over plaintext.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Parses Kafka's name (case-insensitive, as `SecurityProtocol.forName`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(Self::Plaintext),
            "SSL" => Some(Self::Ssl),
            "SASL_PLAINTEXT" => Some(Self::SaslPlaintext),
            "SASL_SSL" => Some(Self::SaslSsl),
            _ => None,
        }
    }

    /// Kafka's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plaintext => "PLAINTEXT",
            Self::Ssl => "SSL",
            Self::SaslPlaintext => "SASL_PLAINTEXT",
            Self::SaslSsl => "SASL_SSL",
        }
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `NAME://host:port` end point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// Listener name, upper-cased as Kafka's `ListenerName.normalised` (e.g. `PLAINTEXT`).
    pub name: String,
    /// Host as written; empty means all interfaces (Kafka binds `0.0.0.0`).
    pub host: String,
    /// Port; `0` asks the OS for a free one (tests).
    pub port: u16,
    /// Security protocol from `listener.security.protocol.map`.
    pub security_protocol: SecurityProtocol,
}

impl Listener {
    /// The socket address to bind: an empty host binds all interfaces (`0.0.0.0`), as Kafka does.
    ///
    /// # Errors
    /// An I/O error when `host` does not resolve.
    pub fn bind_addr(&self) -> std::io::Result<SocketAddr> {
        if self.host.is_empty() {
            return Ok(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                self.port,
            ));
        }
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, self.port));
        }
        (self.host.as_str(), self.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("host {} does not resolve", self.host),
                )
            })
    }

    /// `NAME://host:port`, the shape Kafka prints and accepts.
    pub fn url(&self) -> String {
        if self.host.contains(':') {
            format!("{}://[{}]:{}", self.name, self.host, self.port)
        } else {
            format!("{}://{}:{}", self.name, self.host, self.port)
        }
    }
}

/// Parses `listener.security.protocol.map` (`NAME:PROTOCOL,...`).
///
/// # Errors
/// [`ConfigError::InvalidValue`] naming the key when an entry is not `NAME:PROTOCOL` or the
/// protocol is unknown.
pub fn parse_security_protocol_map(
    name: &str,
    value: &str,
) -> Result<BTreeMap<String, SecurityProtocol>, ConfigError> {
    let mut map = BTreeMap::new();
    for entry in crate::value::split_list(value) {
        let (listener, protocol) = entry.split_once(':').ok_or_else(|| {
            ConfigError::invalid(name, value, "Map entry should be of form <key>:<value>")
        })?;
        let protocol = SecurityProtocol::from_name(protocol.trim()).ok_or_else(|| {
            ConfigError::invalid(
                name,
                value,
                format!("No security protocol for name: {}", protocol.trim()),
            )
        })?;
        map.insert(listener.trim().to_ascii_uppercase(), protocol);
    }
    Ok(map)
}

/// Parses a listener list, resolving each name's protocol from `protocols`.
///
/// # Errors
/// [`ConfigError::InvalidValue`]: `Unable to parse <x> to a broker endpoint` (Kafka's
/// `Endpoint` parse), a listener name missing from the protocol map, or duplicate names
/// (`Each listener must have a different name`).
pub fn parse_listeners(
    key: &str,
    value: &str,
    protocols: &BTreeMap<String, SecurityProtocol>,
) -> Result<Vec<Listener>, ConfigError> {
    let mut listeners: Vec<Listener> = Vec::new();
    for item in crate::value::split_list(value) {
        let (name, host, port) = split_endpoint(&item).ok_or_else(|| {
            ConfigError::invalid(
                key,
                value,
                format!("Unable to parse {item} to a broker endpoint"),
            )
        })?;
        let name = name.to_ascii_uppercase();
        let security_protocol = *protocols.get(&name).ok_or_else(|| {
            ConfigError::invalid(
                key,
                value,
                format!("No security protocol defined for listener {name}"),
            )
        })?;
        if listeners.iter().any(|l| l.name == name) {
            return Err(ConfigError::invalid(
                key,
                value,
                format!("Each listener must have a different name, listeners: {value}"),
            ));
        }
        listeners.push(Listener {
            name,
            host,
            port,
            security_protocol,
        });
    }
    Ok(listeners)
}

/// Splits `NAME://host:port`, `NAME://[v6]:port` and `NAME://:port`.
fn split_endpoint(item: &str) -> Option<(String, String, u16)> {
    let (name, rest) = item.split_once("://")?;
    if name.is_empty() {
        return None;
    }
    let (host, port) = host_port(rest)?;
    Some((name.to_owned(), host, port))
}

/// Splits `host:port` / `[v6]:port` / `:port`.
pub(crate) fn host_port(rest: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':')?)
    } else {
        rest.rsplit_once(':')?
    };
    let valid_host = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-%._:".contains(c));
    if !valid_host {
        return None;
    }
    Some((host.to_owned(), port.parse().ok()?))
}

/// One `controller.quorum.voters` entry: `id@host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumVoter {
    /// The voter's node id.
    pub id: i32,
    /// Its controller listener host.
    pub host: String,
    /// Its controller listener port.
    pub port: u16,
}

/// Parses `controller.quorum.voters` entries.
///
/// # Errors
/// [`ConfigError::InvalidValue`] with Kafka's `QuorumConfig` wording for a malformed entry.
pub fn parse_voters(key: &str, items: &[String]) -> Result<Vec<QuorumVoter>, ConfigError> {
    let mut voters = Vec::new();
    for item in items {
        let bad = || {
            ConfigError::invalid(
                key,
                &items.join(","),
                format!("Unable to parse {item}: expected format is {{id}}@{{host}}:{{port}}"),
            )
        };
        let (id, address) = item.split_once('@').ok_or_else(bad)?;
        let id: i32 = id.trim().parse().map_err(|_| bad())?;
        let (host, port) = host_port(address.trim()).ok_or_else(bad)?;
        voters.push(QuorumVoter { id, host, port });
    }
    Ok(voters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_map() -> BTreeMap<String, SecurityProtocol> {
        parse_security_protocol_map("m", crate::broker_keys::DEFAULT_SECURITY_PROTOCOL_MAP).unwrap()
    }

    #[test]
    fn empty_host_binds_all_interfaces() {
        // Kafka SocketServer: an empty host in `listeners` binds the wildcard address.
        let listeners = parse_listeners("listeners", "PLAINTEXT://:9092", &default_map()).unwrap();
        assert_eq!(listeners[0].host, "");
        assert_eq!(
            listeners[0].bind_addr().unwrap().to_string(),
            "0.0.0.0:9092"
        );
    }

    #[test]
    fn ipv6_and_names_parse() {
        let listeners = parse_listeners(
            "listeners",
            "PLAINTEXT://[::1]:9092, ssl://localhost:9093",
            &default_map(),
        )
        .unwrap();
        assert_eq!(listeners[0].host, "::1");
        assert_eq!(listeners[1].name, "SSL");
        assert_eq!(listeners[1].security_protocol, SecurityProtocol::Ssl);
        assert_eq!(listeners[0].url(), "PLAINTEXT://[::1]:9092");
    }

    #[test]
    fn bad_endpoint_uses_kafka_message() {
        let err = parse_listeners("listeners", "PLAINTEXT:/x:1", &default_map()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value PLAINTEXT:/x:1 for configuration listeners: Unable to parse PLAINTEXT:/x:1 to a broker endpoint"
        );
    }

    #[test]
    fn unknown_listener_name_needs_protocol_map() {
        let err = parse_listeners("listeners", "CONTROLLER://:9093", &default_map()).unwrap_err();
        assert!(
            err.to_string()
                .contains("No security protocol defined for listener CONTROLLER"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_listener_names_are_rejected() {
        assert!(
            parse_listeners("listeners", "PLAINTEXT://:1,PLAINTEXT://:2", &default_map()).is_err()
        );
    }

    #[test]
    fn voters_parse() {
        let voters = parse_voters(
            "controller.quorum.voters",
            &["1@localhost:9093".into(), "2@[::1]:9094".into()],
        )
        .unwrap();
        assert_eq!(
            voters[0],
            QuorumVoter {
                id: 1,
                host: "localhost".into(),
                port: 9093
            }
        );
        assert_eq!(voters[1].host, "::1");
        assert!(parse_voters("v", &["localhost:9093".into()]).is_err());
    }
}
