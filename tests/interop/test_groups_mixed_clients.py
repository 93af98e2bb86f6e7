"""Groups of other clients on the same fjord broker at the same time (issue 5: "kafka-python and
kafkajs (npm) groups work on the same broker"): two kafkajs 2.2.4 consumers share a
4-partition topic in one group (kafkajs' own JoinGroup/SyncGroup, RoundRobin assigner, classic
protocol), while a kafka-python group and a confluent-kafka group consume another topic on
the same broker. Every member owns a disjoint share, every record is read once per group, and
the commits are visible through OffsetFetch.
"""
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from conftest import kafka_python_consumer

KAFKAJS = Path(__file__).resolve().parent / "kafkajs"

# Two kafkajs consumers in one group; prints {"seen": {member: [[partition, value]...]},
# "assigned": {member: [partitions]}, "committed": [...]} once both together read COUNT records.
TWO_MEMBERS_JS = r"""
const { Kafka, logLevel } = require('kafkajs');
async function main() {
  const [bootstrap, topic, group, count] = process.argv.slice(1);
  const kafka = new Kafka({ clientId: 'fjord-js-group', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const seen = { one: [], two: [] };
  const assigned = { one: [], two: [] };
  const consumers = {};
  let total = 0;
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });
  for (const name of ['one', 'two']) {
    const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 500 });
    consumers[name] = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assigned[name] = (e.payload.memberAssignment[topic] || []).slice().sort();
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen[name].push([partition, Number(String(message.value))]);
        total += 1;
        if (total >= Number(count)) finish();
      },
    });
  }
  const timer = setTimeout(() => finish(), 45000);
  await done;
  clearTimeout(timer);
  // Both members must be in the final generation before reporting: a member that joined last
  // may have its new assignment while the other is still rejoining (kafkajs heartbeats, and so
  // learns of the rebalance, only between fetches), so wait for a disjoint cover.
  const settled = () => {
    const a = new Set(assigned.one), b = new Set(assigned.two);
    return a.size > 0 && b.size > 0 && [...a].every((p) => !b.has(p)) && a.size + b.size === 4;
  };
  for (let i = 0; i < 150 && !settled(); i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  // Snapshot before leaving: the first member's LeaveGroup rebalances the other onto all four.
  const final = { one: assigned.one.slice(), two: assigned.two.slice() };
  for (const c of Object.values(consumers)) await c.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  console.log(JSON.stringify({ seen, assigned: final, committed: offsets[0].partitions }));
}
main().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.skipif(shutil.which("node") is None or not (KAFKAJS / "node_modules" / "kafkajs").exists(),
                    reason="node or kafkajs not installed (.ci/run installs them)")
def test_kafkajs_group_beside_kafka_python_and_confluent_groups(broker, topic_name):
    js_topic, py_topic = f"{topic_name}-js", f"{topic_name}-py"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for t, n in ((js_topic, 4), (py_topic, 2)):
        admin.create_topics([NewTopic(t, n, 1)])[t].result(15)
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(40):
        p.produce(js_topic, value=str(i).encode(), partition=i % 4)
    for i in range(20):
        p.produce(py_topic, value=str(i).encode(), partition=i % 2)
    assert p.flush(10) == 0

    # The Python groups run while the kafkajs group does.
    results: dict[str, list[int]] = {}

    def kafka_python_group():
        c = kafka_python_consumer([py_topic], bootstrap_servers=broker.bootstrap,
                                  group_id=f"py-{topic_name}", auto_offset_reset="earliest",
                                  enable_auto_commit=False, consumer_timeout_ms=20000)
        got = []
        for m in c:
            got.append(int(m.value))
            if len(got) == 20:
                break
        c.commit()
        c.close()
        results["kafka-python"] = sorted(got)

    def confluent_group():
        c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"ck-{topic_name}",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe([py_topic])
        got = []
        deadline = time.monotonic() + 40
        while len(got) < 20 and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is not None and not m.error():
                got.append(int(m.value()))
        c.commit(asynchronous=False)
        c.close()
        results["confluent-kafka"] = sorted(got)

    threads = [threading.Thread(target=f) for f in (kafka_python_group, confluent_group)]
    for t in threads:
        t.start()
    r = subprocess.run(["node", "-e", TWO_MEMBERS_JS, broker.bootstrap, js_topic,
                        f"js-{topic_name}", "40"],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "NODE_PATH": str(KAFKAJS / "node_modules")})
    for t in threads:
        t.join(60)
    assert r.returncode == 0, r.stderr + r.stdout
    out = json.loads(r.stdout.strip().splitlines()[-1])

    values = sorted(v for member in out["seen"].values() for _, v in member)
    assert values == list(range(40)), out["seen"]
    one, two = set(out["assigned"]["one"]), set(out["assigned"]["two"])
    assert one and two and not one & two and one | two == {0, 1, 2, 3}, out["assigned"]
    committed = {c["partition"]: int(c["offset"]) for c in out["committed"]}
    assert committed == {0: 10, 1: 10, 2: 10, 3: 10}, out["committed"]

    assert results == {"kafka-python": list(range(20)), "confluent-kafka": list(range(20))}
    check = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"py-{topic_name}"})
    offsets = check.committed([TopicPartition(py_topic, 0), TopicPartition(py_topic, 1)], timeout=10)
    check.close()
    assert [tp.offset for tp in offsets] == [10, 10]
