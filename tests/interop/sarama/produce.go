package main

import (
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/Shopify/sarama"
)

// timestampBaseMs is the create time of message 0; message i gets base + i ms, so the consumer
// side can check that sarama's timestamps survive the broker (magic 2 batches store them).
const timestampBaseMs = 1700000000000

// produceResult is what sarama reported for one message, in send order.
type produceResult struct {
	Index     int    `json:"index"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Error     string `json:"error"`
}

var codecs = map[string]sarama.CompressionCodec{
	"none":   sarama.CompressionNone,
	"gzip":   sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy,
	"lz4":    sarama.CompressionLZ4,
	"zstd":   sarama.CompressionZSTD,
}

var acksByName = map[string]sarama.RequiredAcks{
	"none":  sarama.NoResponse,
	"local": sarama.WaitForLocal,
	"all":   sarama.WaitForAll,
}

// message builds message i: key k<i>, value <prefix><i>, headers h1=a, dup=first, dup=second
// (a repeated key, which must survive as two headers), idx=<i>; partition i % partitions.
func message(topic, prefix string, i, partitions int) *sarama.ProducerMessage {
	return &sarama.ProducerMessage{
		Topic:     topic,
		Partition: int32(i % partitions),
		Key:       sarama.StringEncoder(fmt.Sprintf("k%d", i)),
		Value:     sarama.StringEncoder(fmt.Sprintf("%s%d", prefix, i)),
		Headers: []sarama.RecordHeader{
			{Key: []byte("h1"), Value: []byte("a")},
			{Key: []byte("dup"), Value: []byte("first")},
			{Key: []byte("dup"), Value: []byte("second")},
			{Key: []byte("idx"), Value: []byte(fmt.Sprint(i))},
		},
		Timestamp: time.Unix(0, (timestampBaseMs+int64(i))*int64(time.Millisecond)),
		Metadata:  i,
	}
}

// runProduce sends -count messages with a SyncProducer (one SendMessages call) or an
// AsyncProducer (Successes and Errors channels), and reports each message's partition/offset.
func runProduce(args []string) {
	var c common
	fs := flag.NewFlagSet("produce", flag.ExitOnError)
	c.register(fs)
	topic := fs.String("topic", "", "topic name")
	count := fs.Int("count", 10, "number of messages")
	partitions := fs.Int("partitions", 1, "message i goes to partition i % partitions")
	prefix := fs.String("prefix", "v", "value prefix")
	codec := fs.String("codec", "none", "none|gzip|snappy|lz4|zstd")
	acks := fs.String("acks", "local", "none|local|all")
	mode := fs.String("mode", "sync", "sync|async")
	_ = fs.Parse(args)

	conf := c.config()
	cc, ok := codecs[*codec]
	if !ok {
		fail("unknown -codec %q", *codec)
	}
	ra, ok := acksByName[*acks]
	if !ok {
		fail("unknown -acks %q", *acks)
	}
	conf.Producer.Compression = cc
	conf.Producer.RequiredAcks = ra
	conf.Producer.Partitioner = sarama.NewManualPartitioner
	conf.Producer.Return.Successes = true
	conf.Producer.Return.Errors = true
	conf.Producer.Retry.Max = 2
	conf.Producer.Retry.Backoff = 100 * time.Millisecond

	msgs := make([]*sarama.ProducerMessage, *count)
	for i := range msgs {
		msgs[i] = message(*topic, *prefix, i, *partitions)
	}
	var results []produceResult
	switch *mode {
	case "sync":
		results = produceSync(c.brokerList(), conf, msgs)
	case "async":
		results = produceAsync(c.brokerList(), conf, msgs)
	default:
		fail("unknown -mode %q", *mode)
	}
	sort.Slice(results, func(a, b int) bool { return results[a].Index < results[b].Index })
	emit(map[string]interface{}{"results": results})
}

func produceSync(brokers []string, conf *sarama.Config, msgs []*sarama.ProducerMessage) []produceResult {
	producer, err := sarama.NewSyncProducer(brokers, conf)
	if err != nil {
		fail("sync producer: %v", err)
	}
	sendErr := producer.SendMessages(msgs)
	failed := map[*sarama.ProducerMessage]error{}
	if perrs, ok := sendErr.(sarama.ProducerErrors); ok {
		for _, pe := range perrs {
			failed[pe.Msg] = pe.Err
		}
	} else if sendErr != nil {
		fail("SendMessages: %v", sendErr)
	}
	_ = producer.Close()
	results := make([]produceResult, len(msgs))
	for i, m := range msgs {
		results[i] = produceResult{Index: i, Partition: m.Partition, Offset: m.Offset,
			Error: errString(failed[m])}
		if failed[m] != nil {
			results[i].Offset = -1
		}
	}
	return results
}

func produceAsync(brokers []string, conf *sarama.Config, msgs []*sarama.ProducerMessage) []produceResult {
	producer, err := sarama.NewAsyncProducer(brokers, conf)
	if err != nil {
		fail("async producer: %v", err)
	}
	go func() {
		for _, m := range msgs {
			producer.Input() <- m
		}
	}()
	results := make([]produceResult, 0, len(msgs))
	timeout := time.After(60 * time.Second)
	for len(results) < len(msgs) {
		select {
		case m := <-producer.Successes():
			results = append(results, produceResult{Index: m.Metadata.(int), Partition: m.Partition,
				Offset: m.Offset})
		case pe := <-producer.Errors():
			results = append(results, produceResult{Index: pe.Msg.Metadata.(int),
				Partition: pe.Msg.Partition, Offset: -1, Error: errString(pe.Err)})
		case <-timeout:
			fail("async producer: %d of %d results after 60s", len(results), len(msgs))
		}
	}
	_ = producer.Close() // every message already reported; Close drains both channels
	return results
}
