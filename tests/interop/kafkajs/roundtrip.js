// kafkajs 2.2.4 against a real fjord broker: admin create, produce (none and gzip, headers with a
// duplicate key), then a consumer group reads everything back from the beginning and commits.
// Usage: node roundtrip.js BOOTSTRAP TOPIC GROUP. Prints one JSON line with what it saw.
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, topic, group] = process.argv.slice(2);
  const kafka = new Kafka({ clientId: 'fjord-interop', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const sent = [];
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    const messages = [];
    for (let i = 0; i < 10; i++) {
      const n = sent.length + messages.length;
      messages.push({ key: `k${n}`, value: `v${n}`, partition: n % 2, headers: { h1: 'a', dup: ['first', 'second'] } });
    }
    await producer.send({ topic, compression, acks: -1, messages });
    sent.push(...messages);
  }
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${seen.length} of ${sent.length}`)), 30000);
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers = {};
        for (const [k, v] of Object.entries(message.headers)) {
          headers[k] = Array.isArray(v) ? v.map(String) : String(v);
        }
        seen.push({ partition, offset: message.offset, key: String(message.key), value: String(message.value), headers });
        if (seen.length === sent.length) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  console.log(JSON.stringify({ sent: sent.length, seen, committed: offsets[0].partitions }));
}

main().catch((e) => { console.error(e); process.exit(1); });
