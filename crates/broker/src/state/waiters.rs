//! Fetches parked until the next append to one of their partitions (Kafka's delayed fetch,
//! woken by appends).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use fjord_common::TopicPartition;
use tokio::sync::Notify;

/// Waiters per partition. A fetch registers one `Notify` on every partition it reads, then
/// re-reads; `Notify` keeps a permit, so an append between registering and waiting is not lost.
/// Registrations are weak: a finished fetch leaves only a dead entry, dropped on the next
/// append or registration.
#[derive(Debug, Default)]
pub struct AppendWaiters {
    waiters: Mutex<HashMap<TopicPartition, Vec<Weak<Notify>>>>,
}

impl AppendWaiters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TopicPartition, Vec<Weak<Notify>>>> {
        self.waiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers `waiter` for the next append to `tp`.
    pub fn register(&self, tp: &TopicPartition, waiter: &Arc<Notify>) {
        let mut waiters = self.lock();
        let list = waiters.entry(tp.clone()).or_default();
        list.retain(|w| w.strong_count() > 0);
        if !list.iter().any(|w| w.as_ptr() == Arc::as_ptr(waiter)) {
            list.push(Arc::downgrade(waiter));
        }
    }

    /// What is parked now, for the purgatory gauges (Kafka `DelayedOperationPurgatory`
    /// `NumDelayedOperations` and `PurgatorySize` of the Fetch purgatory): `(distinct
    /// fetches waiting, partition watches they hold)`. Dead registrations are not counted.
    pub fn parked(&self) -> (usize, usize) {
        let waiters = self.lock();
        let live: Vec<*const Notify> = waiters
            .values()
            .flatten()
            .filter(|w| w.strong_count() > 0)
            .map(Weak::as_ptr)
            .collect();
        let watches = live.len();
        let distinct: std::collections::HashSet<*const Notify> = live.into_iter().collect();
        (distinct.len(), watches)
    }

    /// Wakes every fetch waiting on `tp`.
    pub fn notify(&self, tp: &TopicPartition) {
        let drained = self.lock().remove(tp);
        for waiter in drained.into_iter().flatten() {
            if let Some(waiter) = waiter.upgrade() {
                waiter.notify_one();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parked_counts_live_fetches_and_their_partition_watches() {
        let waiters = AppendWaiters::default();
        let a = TopicPartition::new("t", 0);
        let b = TopicPartition::new("t", 1);
        let first = Arc::new(Notify::new());
        let second = Arc::new(Notify::new());
        waiters.register(&a, &first);
        waiters.register(&b, &first);
        waiters.register(&a, &second);
        assert_eq!(waiters.parked(), (2, 3));
        drop(second); // the fetch finished: its registration is dead
        assert_eq!(waiters.parked(), (1, 2));
        waiters.notify(&a);
        assert_eq!(waiters.parked(), (1, 1));
    }
}
