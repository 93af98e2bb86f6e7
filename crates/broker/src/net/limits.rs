//! `max.connections` and `max.connections.per.ip` (Kafka `ConnectionQuotas`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Counts open connections against the broker-wide and per-IP caps.
#[derive(Debug)]
pub struct ConnectionLimits {
    connections_max: usize,
    connections_per_ip_max: usize,
    counts: Mutex<Counts>,
}

/// Why a connection was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// `max.connections` reached.
    #[error("max.connections {0} reached")]
    Total(usize),
    /// `max.connections.per.ip` reached for this address (Kafka `TooManyConnectionsException`).
    #[error("max.connections.per.ip {max} reached for {ip}")]
    PerIp {
        /// The client address.
        ip: IpAddr,
        /// The cap.
        max: usize,
    },
}

impl ConnectionLimits {
    /// Limits with the given caps.
    pub fn new(connections_max: usize, connections_per_ip_max: usize) -> Arc<Self> {
        Arc::new(Self {
            connections_max,
            connections_per_ip_max,
            counts: Mutex::default(),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes a slot for a connection from `ip`; the slot is released when the permit drops.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionPermit, LimitError> {
        let mut counts = self.counts();
        if counts.total >= self.connections_max {
            return Err(LimitError::Total(self.connections_max));
        }
        let per_ip = counts.per_ip.entry(ip).or_insert(0);
        if *per_ip >= self.connections_per_ip_max {
            return Err(LimitError::PerIp {
                ip,
                max: self.connections_per_ip_max,
            });
        }
        *per_ip += 1;
        counts.total += 1;
        Ok(ConnectionPermit {
            limits: self.clone(),
            ip,
        })
    }

    /// Open connections.
    pub fn open_connections(&self) -> usize {
        self.counts().total
    }
}

/// A held connection slot.
#[derive(Debug)]
pub struct ConnectionPermit {
    limits: Arc<ConnectionLimits>,
    ip: IpAddr,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut counts = self.limits.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ip_and_total_caps_are_enforced_and_released() {
        let limits = ConnectionLimits::new(3, 2);
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let first = limits.try_acquire(a);
        let second = limits.try_acquire(a);
        assert!(first.is_ok() && second.is_ok());
        assert_eq!(
            limits.try_acquire(a).err(),
            Some(LimitError::PerIp { ip: a, max: 2 })
        );
        let third = limits.try_acquire(b);
        assert!(third.is_ok());
        assert_eq!(limits.try_acquire(b).err(), Some(LimitError::Total(3)));
        drop(first);
        let again = limits.try_acquire(a);
        assert!(again.is_ok());
        assert_eq!(limits.open_connections(), 3);
    }
}
