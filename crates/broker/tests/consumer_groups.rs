//! Goal: real Kafka consumers (librdkafka through rdkafka) form groups on fjord's classic
//! group coordinator: partitions are shared with no overlap and no gap after each
//! rebalance, a member leaving hands its partitions over, and committed offsets survive a
//! broker restart (replayed from `__consumer_offsets`). Method: an in-process broker, three
//! `BaseConsumer`s polled round-robin on a blocking thread, assertions on what the clients
//! report (assignments, committed offsets).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::TestBroker;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

const TOPIC: &str = "orders";
const PARTITIONS: i32 = 6;
/// Longest wait for a rebalance to settle (initial delay 3 s + client backoffs).
const SETTLE: Duration = Duration::from_secs(40);

async fn create_topic(broker: &TestBroker) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .unwrap();
    let results = admin
        .create_topics(
            &[NewTopic::new(TOPIC, PARTITIONS, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(results[0], Ok(TOPIC.to_owned()));
}

async fn produce(broker: &TestBroker, count: usize) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("message.timeout.ms", "10000")
        .create()
        .unwrap();
    for i in 0..count {
        let key = format!("k{i}");
        let partition = i32::try_from(i).unwrap() % PARTITIONS;
        producer
            .send(
                FutureRecord::to(TOPIC)
                    .key(&key)
                    .payload("v")
                    .partition(partition),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
}

fn consumer(bootstrap: &str, group: &str, client: &str) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("client.id", client)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "500")
        .set("max.poll.interval.ms", "10000")
        .set("partition.assignment.strategy", "range")
        .create()
        .unwrap();
    consumer.subscribe(&[TOPIC]).unwrap();
    consumer
}

fn assigned(consumer: &BaseConsumer) -> BTreeSet<i32> {
    consumer
        .assignment()
        .unwrap()
        .elements()
        .iter()
        .map(|e| e.partition())
        .collect()
}

/// Polls every consumer until their assignments partition the topic exactly (each
/// partition owned by one member, every member owning some); returns the assignments.
fn settle(consumers: &[BaseConsumer]) -> Vec<BTreeSet<i32>> {
    let started = Instant::now();
    loop {
        for consumer in consumers {
            // Messages are not the point here; polling drives the group protocol.
            let _ = consumer.poll(Duration::from_millis(50));
        }
        let sets: Vec<BTreeSet<i32>> = consumers.iter().map(assigned).collect();
        let total: usize = sets.iter().map(BTreeSet::len).sum();
        let union: BTreeSet<i32> = sets.iter().flatten().copied().collect();
        if total == usize::try_from(PARTITIONS).unwrap()
            && union.len() == total
            && sets.iter().all(|s| !s.is_empty())
        {
            return sets;
        }
        assert!(started.elapsed() < SETTLE, "group did not settle: {sets:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_consumers_share_partitions_and_offsets_survive_restart() {
    let broker = TestBroker::start().await;
    create_topic(&broker).await;
    produce(&broker, 60).await;
    let bootstrap = broker.bootstrap();

    // Phase 1: three members; every partition owned by exactly one.
    let (committed, two_left) = tokio::task::spawn_blocking(move || {
        let consumers: Vec<BaseConsumer> = ["c1", "c2", "c3"]
            .iter()
            .map(|c| consumer(&bootstrap, "g", c))
            .collect();
        eprintln!("phase 1: three members join; each partition owned by exactly one");
        let sets = settle(&consumers);
        eprintln!("phase 1: settled {sets:?}");
        assert!(
            sets.iter().all(|s| s.len() == 2),
            "range over 6 partitions and 3 members: {sets:?}"
        );

        // Phase 2: each member commits offset 5 on its partitions (synchronously).
        for (consumer, set) in consumers.iter().zip(&sets) {
            let mut offsets = TopicPartitionList::new();
            for partition in set {
                offsets
                    .add_partition_offset(TOPIC, *partition, Offset::Offset(5))
                    .unwrap();
            }
            consumer.commit(&offsets, CommitMode::Sync).unwrap();
        }
        let committed = consumers[0].committed(Duration::from_secs(10)).unwrap();

        // Phase 3: one member leaves (LeaveGroup on close); the other two take over.
        let mut consumers = consumers;
        drop(consumers.pop());
        eprintln!("phase 3: one member closed; the other two take over");
        let sets = settle(&consumers);
        // Leave explicitly (unsubscribe → LeaveGroup) while polling. Closing these two
        // consumers afterwards hangs inside rdkafka's close even though the coordinator
        // already shows the group Empty (cause not established; rust-rdkafka #509 and #611
        // describe similar close hangs), so they are not closed. Known so far: with the
        // close asserted (20 s) it hangs here 3 of 3 runs, yet a separate test doing the
        // same steps (same configs, 60 records, sync commits, committed(), one member
        // dropped, unsubscribe, drop) closes in < 1 s, and its debug=cgrp,protocol log
        // shows LeaveGroup v1 answered in 0.5 ms and the group sub-system terminating.
        // In the hang here (same debug): the first consumer logs "delegating revoke of 3
        // partition(s) to application" (join-state wait-unassign-call), then nothing for
        // 20 s: no request to the broker is outstanding (no LeaveGroup sent yet), so it is
        // a client-side wait for the revoke to be served (cf. librdkafka #4884). Closing
        // without unsubscribe() first hangs the same way.
        for consumer in &consumers {
            consumer.unsubscribe();
        }
        let started = Instant::now();
        while consumers.iter().any(|c| !assigned(c).is_empty()) {
            for consumer in &consumers {
                let _ = consumer.poll(Duration::from_millis(50));
            }
            assert!(started.elapsed() < SETTLE, "consumers did not leave");
        }
        // Leaked on purpose: dropping them hangs in the client's close (see above).
        std::mem::forget(consumers);
        (committed, sets)
    })
    .await
    .unwrap();
    assert!(
        committed
            .elements()
            .iter()
            .all(|e| e.offset() == Offset::Offset(5))
    );
    assert_eq!(two_left.iter().map(BTreeSet::len).sum::<usize>(), 6);

    // Phase 4: restart the broker; the group's committed offsets are read back from
    // __consumer_offsets.
    let dir = broker.stop_keeping_dir().await;
    let broker = TestBroker::start_in(dir, |_| {}).await;
    eprintln!("phase 4: restarted; committed offsets are replayed");
    let bootstrap = broker.bootstrap();
    let offsets = tokio::task::spawn_blocking(move || {
        let reader: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "g")
            .create()
            .unwrap();
        let mut wanted = TopicPartitionList::new();
        for partition in 0..PARTITIONS {
            wanted.add_partition(TOPIC, partition);
        }
        reader
            .committed_offsets(wanted, Duration::from_secs(20))
            .unwrap()
    })
    .await
    .unwrap();
    let offsets: Vec<(i32, Offset)> = offsets
        .elements()
        .iter()
        .map(|e| (e.partition(), e.offset()))
        .collect();
    assert_eq!(
        offsets,
        (0..PARTITIONS)
            .map(|p| (p, Offset::Offset(5)))
            .collect::<Vec<_>>()
    );
    broker.stop().await;
}
