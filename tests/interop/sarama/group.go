package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/Shopify/sarama"
)

// member is a sarama ConsumerGroupHandler that reports every event as a JSON line and marks
// every message it is given, so sarama's offset manager commits it (every
// Consumer.Offsets.CommitInterval, and once more when the session ends).
type member struct {
	name string
}

// Setup runs after a rebalance: report the partitions this member now owns.
func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	claims := map[string][]int32{}
	for topic, parts := range s.Claims() {
		sorted := append([]int32(nil), parts...)
		sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
		claims[topic] = sorted
	}
	emit(map[string]interface{}{"event": "setup", "member": m.name, "member_id": s.MemberID(),
		"generation": s.GenerationID(), "claims": claims})
	return nil
}

// Cleanup runs when the session ends (before the final offset commit).
func (m *member) Cleanup(s sarama.ConsumerGroupSession) error {
	emit(map[string]interface{}{"event": "cleanup", "member": m.name, "generation": s.GenerationID()})
	return nil
}

// ConsumeClaim reports and marks each message of one claimed partition.
func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		emit(map[string]interface{}{"event": "msg", "member": m.name,
			"generation": s.GenerationID(), "message": fromSarama(msg)})
		s.MarkMessage(msg, "")
	}
	return nil
}

// runGroup joins -group as one member subscribed to -topic and consumes until SIGTERM/SIGINT,
// then closes the group (final commit, LeaveGroup) and prints a "closed" event.
func runGroup(args []string) {
	var c common
	fs := flag.NewFlagSet("group", flag.ExitOnError)
	c.register(fs)
	topic := fs.String("topic", "", "topic name")
	group := fs.String("group", "", "consumer group id")
	name := fs.String("name", "m", "member name used in the output")
	commitMs := fs.Int("commit-interval-ms", 500, "Consumer.Offsets.CommitInterval")
	// sarama 1.22 sends OffsetCommit v1 when Consumer.Offsets.Retention is 0 (its default) and v2
	// otherwise; Kafka 4.0 removed OffsetCommit v0-v1 (KIP-896), so only v2 commits there.
	retentionMs := fs.Int64("retention-ms", 0, "Consumer.Offsets.Retention (0: sarama's default)")
	_ = fs.Parse(args)

	conf := c.config()
	conf.Consumer.Return.Errors = true
	conf.Consumer.Offsets.Initial = sarama.OffsetOldest
	conf.Consumer.Offsets.CommitInterval = time.Duration(*commitMs) * time.Millisecond
	conf.Consumer.Offsets.Retention = time.Duration(*retentionMs) * time.Millisecond
	conf.Consumer.Group.Rebalance.Strategy = sarama.BalanceStrategyRange
	cg, err := sarama.NewConsumerGroup(c.brokerList(), *group, conf)
	if err != nil {
		fail("consumer group: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		cancel()
	}()
	go func() {
		for err := range cg.Errors() {
			emit(map[string]interface{}{"event": "error", "member": *name, "error": err.Error()})
		}
	}()
	handler := &member{name: *name}
	for ctx.Err() == nil {
		// Consume returns at every rebalance; call it again to rejoin.
		if err := cg.Consume(ctx, []string{*topic}, handler); err != nil {
			emit(map[string]interface{}{"event": "error", "member": *name, "error": err.Error()})
			time.Sleep(200 * time.Millisecond)
		}
	}
	closeErr := cg.Close()
	emit(map[string]interface{}{"event": "closed", "member": *name, "error": errString(closeErr)})
}
