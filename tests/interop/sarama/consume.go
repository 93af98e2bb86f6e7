package main

import (
	"flag"
	"strconv"
	"time"

	"github.com/Shopify/sarama"
)

// consumedMessage is one record as sarama's consumer returned it.
type consumedMessage struct {
	Partition   int32       `json:"partition"`
	Offset      int64       `json:"offset"`
	Key         string      `json:"key"`
	Value       string      `json:"value"`
	Headers     [][2]string `json:"headers"`
	TimestampMs int64       `json:"timestamp_ms"`
}

func fromSarama(m *sarama.ConsumerMessage) consumedMessage {
	headers := make([][2]string, 0, len(m.Headers))
	for _, h := range m.Headers {
		headers = append(headers, [2]string{string(h.Key), string(h.Value)})
	}
	return consumedMessage{
		Partition:   m.Partition,
		Offset:      m.Offset,
		Key:         string(m.Key),
		Value:       string(m.Value),
		Headers:     headers,
		TimestampMs: m.Timestamp.UnixNano() / int64(time.Millisecond),
	}
}

// parseOffset maps "oldest"/"newest" to sarama's sentinels, anything else to an absolute offset.
func parseOffset(s string) int64 {
	switch s {
	case "oldest":
		return sarama.OffsetOldest
	case "newest":
		return sarama.OffsetNewest
	}
	o, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fail("bad -offset %q", s)
	}
	return o
}

// runConsume reads one partition with sarama's partition consumer from -offset until -count
// messages arrived or nothing new came for -idle seconds.
func runConsume(args []string) {
	var c common
	fs := flag.NewFlagSet("consume", flag.ExitOnError)
	c.register(fs)
	topic := fs.String("topic", "", "topic name")
	partition := fs.Int("partition", 0, "partition")
	offset := fs.String("offset", "oldest", "oldest|newest|<offset>")
	count := fs.Int("count", 1, "stop after this many messages")
	idle := fs.Float64("idle", 5, "stop after this many seconds without a message")
	_ = fs.Parse(args)

	conf := c.config()
	conf.Consumer.Return.Errors = true
	consumer, err := sarama.NewConsumer(c.brokerList(), conf)
	if err != nil {
		fail("consumer: %v", err)
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(*topic, int32(*partition), parseOffset(*offset))
	if err != nil {
		emit(map[string]interface{}{"consume_error": err.Error()})
		return
	}
	messages := []consumedMessage{}
	errs := []string{}
	idleFor := time.Duration(*idle * float64(time.Second))
	timer := time.NewTimer(idleFor)
loop:
	for len(messages) < *count {
		select {
		case m := <-pc.Messages():
			messages = append(messages, fromSarama(m))
			timer.Reset(idleFor)
		case e := <-pc.Errors():
			errs = append(errs, e.Err.Error())
		case <-timer.C:
			break loop
		}
	}
	hwm := pc.HighWaterMarkOffset()
	_ = pc.Close()
	emit(map[string]interface{}{"messages": messages, "errors": errs, "high_water_mark": hwm})
}
