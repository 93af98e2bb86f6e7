// Command sarama-interop drives Shopify/sarama 1.22 (the Go Kafka client, as packaged by Debian)
// against a fjord broker for tests/interop/test_sarama.py.
//
// Every subcommand prints one JSON object on stdout (the group subcommand prints one per event,
// one per line) so the Python test asserts on what sarama itself returned: offsets, keys,
// values, headers, errors. Exit code 0 means "ran to the end" (sarama errors are reported in the
// JSON, not by the exit code); 2 means a setup failure (bad flags, no connection), with the
// reason on stderr.
//
// Subcommands:
//
//	create-topic  -brokers B -version V -topic T -partitions N   (sarama ClusterAdmin.CreateTopic)
//	produce       -brokers B -version V -topic T -count N -codec C -acks local|all -mode sync|async
//	consume       -brokers B -version V -topic T -partition P -offset oldest|N -count N
//	group         -brokers B -version V -topic T -group G -name M  (runs until SIGTERM)
//	committed     -brokers B -version V -topic T -group G -partitions N  (OffsetFetch)
//
// Build offline against Debian's sources: GO111MODULE=off GOPATH=/usr/share/gocode go build.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

// common holds the flags every subcommand takes.
type common struct {
	brokers string
	version string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.brokers, "brokers", "127.0.0.1:9092", "bootstrap brokers, comma separated")
	fs.StringVar(&c.version, "version", "2.1.0", "sarama Config.Version (Kafka version the client assumes)")
}

// config builds a sarama config for the chosen protocol version.
func (c *common) config() *sarama.Config {
	v, err := sarama.ParseKafkaVersion(c.version)
	if err != nil {
		fail("bad -version %q: %v", c.version, err)
	}
	conf := sarama.NewConfig()
	conf.Version = v
	conf.ClientID = "sarama-interop"
	conf.Metadata.Retry.Backoff = 100 * time.Millisecond
	conf.Net.DialTimeout = 5 * time.Second
	return conf
}

func (c *common) brokerList() []string { return strings.Split(c.brokers, ",") }

var outMu sync.Mutex

// emit prints one JSON object on its own line; safe from several goroutines.
func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		fail("json: %v", err)
	}
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.Write(append(b, '\n'))
}

// fail reports a setup failure and exits with code 2.
func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "sarama-interop: "+format+"\n", args...)
	os.Exit(2)
}

// errString renders an error (nil → "") so JSON carries sarama's own message.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: sarama-interop create-topic|produce|consume|group|committed [flags]")
	}
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "create-topic":
		runCreateTopic(args)
	case "produce":
		runProduce(args)
	case "consume":
		runConsume(args)
	case "group":
		runGroup(args)
	case "committed":
		runCommitted(args)
	default:
		fail("unknown subcommand %q", cmd)
	}
}
