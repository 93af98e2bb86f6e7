package main

import (
	"flag"
	"strings"

	"github.com/Shopify/sarama"
)

// runCreateTopic creates a topic with sarama's ClusterAdmin (CreateTopics request).
func runCreateTopic(args []string) {
	var c common
	fs := flag.NewFlagSet("create-topic", flag.ExitOnError)
	c.register(fs)
	topic := fs.String("topic", "", "topic name")
	partitions := fs.Int("partitions", 1, "partition count")
	var configs configFlags
	fs.Var(&configs, "config", "topic config k=v (repeatable)")
	_ = fs.Parse(args)

	entries := map[string]*string{}
	for _, kv := range configs {
		parts := strings.SplitN(kv, "=", 2)
		if len(parts) != 2 {
			fail("bad -config %q: want k=v", kv)
		}
		value := parts[1]
		entries[parts[0]] = &value
	}
	admin, err := sarama.NewClusterAdmin(c.brokerList(), c.config())
	if err != nil {
		fail("cluster admin: %v", err)
	}
	defer admin.Close()
	err = admin.CreateTopic(*topic, &sarama.TopicDetail{
		NumPartitions:     int32(*partitions),
		ReplicationFactor: 1,
		ConfigEntries:     entries,
	}, false)
	emit(map[string]interface{}{"error": errString(err)})
}

// runCommitted reads a group's committed offsets with an OffsetFetch request sent to the
// group's coordinator (found by sarama's FindCoordinator), partitions 0..N-1 of one topic.
func runCommitted(args []string) {
	var c common
	fs := flag.NewFlagSet("committed", flag.ExitOnError)
	c.register(fs)
	topic := fs.String("topic", "", "topic name")
	group := fs.String("group", "", "consumer group id")
	partitions := fs.Int("partitions", 1, "partition count")
	_ = fs.Parse(args)

	client, err := sarama.NewClient(c.brokerList(), c.config())
	if err != nil {
		fail("client: %v", err)
	}
	defer client.Close()
	coordinator, err := client.Coordinator(*group)
	if err != nil {
		fail("coordinator for %s: %v", *group, err)
	}
	req := &sarama.OffsetFetchRequest{Version: 1, ConsumerGroup: *group}
	for p := 0; p < *partitions; p++ {
		req.AddPartition(*topic, int32(p))
	}
	resp, err := coordinator.FetchOffset(req)
	if err != nil {
		fail("offset fetch: %v", err)
	}
	committed := map[int32]int64{}
	errs := map[int32]string{}
	for p := 0; p < *partitions; p++ {
		block := resp.GetBlock(*topic, int32(p))
		if block == nil {
			errs[int32(p)] = "missing from response"
			continue
		}
		committed[int32(p)] = block.Offset
		if block.Err != sarama.ErrNoError {
			errs[int32(p)] = block.Err.Error()
		}
	}
	emit(map[string]interface{}{"committed": committed, "errors": errs})
}

// configFlags collects repeated -config k=v flags.
type configFlags []string

func (c *configFlags) String() string { return strings.Join(*c, ",") }

// Set appends one k=v.
func (c *configFlags) Set(v string) error {
	*c = append(*c, v)
	return nil
}
