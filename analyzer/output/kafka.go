package output

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// KafkaConfig configures a Kafka transport.
type KafkaConfig struct {
	// Brokers are the seed brokers, "host:port".
	Brokers []string
	// Topic receives every record.
	Topic string
	// TLS, if set, is the client's TLS config (a custom CA: see LoadCA);
	// nil connects in plain text.
	TLS *tls.Config
	// SASL, if set, authenticates the client.
	SASL *KafkaSASL
	// ClientID names the client to the brokers; zero means "apitap".
	ClientID string
	// Timeout bounds one Send, retries included; zero means 30s, and
	// less than 1s is an error. Past it the records fail and Send returns
	// an error.
	Timeout time.Duration
}

// KafkaSASL is a SASL mechanism and its credentials.
type KafkaSASL struct {
	// Mechanism is "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	Mechanism string
	User      string
	Password  string
}

const defaultKafkaTimeout = 30 * time.Second

// Validate checks the brokers, the topic and the SASL mechanism.
func (c *KafkaConfig) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafka: no broker")
	}
	for _, b := range c.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return fmt.Errorf("kafka broker %q: %w", b, err)
		}
	}
	if c.Topic == "" {
		return errors.New("kafka: no topic")
	}
	if c.Timeout != 0 && c.Timeout < time.Second {
		return fmt.Errorf("kafka timeout %v: want at least 1s", c.Timeout)
	}
	if c.SASL != nil {
		if _, err := c.SASL.mechanism(); err != nil {
			return err
		}
	}
	return nil
}

func (s *KafkaSASL) mechanism() (sasl.Mechanism, error) {
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		return plain.Auth{User: s.User, Pass: s.Password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("kafka sasl mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
}

// Kafka produces records to a topic with franz-go's idempotent producer,
// acks from all in-sync replicas, so a retried produce neither loses nor
// duplicates a record within a partition. SendKeyed gives each record its
// key, and the key's hash (Kafka's murmur2, as the Java client's) picks
// the partition: one endpoint's alerts stay in order in one partition.
// Send produces without keys, spread over the partitions.
//
// Send returns once every record is acknowledged, or with an error once
// the brokers refused one or Timeout (or ctx) ended. Then the whole batch
// is sent again, and records that did get in are in the topic twice:
// delivery is at least once, and consumers deduplicate by the record's own
// id. franz-go does not give up on records it may have written to a
// broker that stopped answering, so a Send that times out closes the
// client in the background and the next Send starts a new one.
type Kafka struct {
	opts    []kgo.Opt
	topic   string
	timeout time.Duration

	mu     sync.Mutex
	client *kgo.Client // nil after Close
}

var (
	_ Transport = (*Kafka)(nil)
	_ Keyed     = (*Kafka)(nil)
)

// NewKafka returns a Kafka transport. It connects lazily: a cluster that
// is down makes Send fail, not NewKafka.
func NewKafka(cfg KafkaConfig) (*Kafka, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "apitap"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultKafkaTimeout
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		kgo.DefaultProduceTopic(cfg.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(cfg.Timeout),
		kgo.ProducerLinger(0),
	}
	if cfg.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(cfg.TLS.Clone()))
	}
	if cfg.SASL != nil {
		m, _ := cfg.SASL.mechanism()
		opts = append(opts, kgo.SASL(m))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return &Kafka{opts: opts, topic: cfg.Topic, timeout: cfg.Timeout, client: cl}, nil
}

// Send produces the records without keys.
func (k *Kafka) Send(ctx context.Context, records [][]byte) error {
	return k.SendKeyed(ctx, nil, records)
}

var errKafkaClosed = errors.New("kafka: closed")

// SendKeyed produces records[i] with key keys[i]; keys may be nil (no
// keys), otherwise it has one key per record.
func (k *Kafka) SendKeyed(ctx context.Context, keys, records [][]byte) error {
	if keys != nil && len(keys) != len(records) {
		return fmt.Errorf("kafka: %d keys for %d records", len(keys), len(records))
	}
	if len(records) == 0 {
		return nil
	}
	k.mu.Lock()
	cl := k.client
	k.mu.Unlock()
	if cl == nil {
		return errKafkaClosed
	}
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()

	// The records are copies: an abandoned client may still hold them
	// after Send returns.
	var (
		mu    sync.Mutex
		first error
		left  = len(records)
		done  = make(chan struct{})
	)
	promise := func(_ *kgo.Record, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil && first == nil {
			first = err
		}
		if left--; left == 0 {
			close(done)
		}
	}
	for i, v := range records {
		r := &kgo.Record{Topic: k.topic, Value: bytes.Clone(v)}
		if keys != nil {
			r.Key = bytes.Clone(keys[i])
		}
		cl.Produce(ctx, r, promise)
	}
	select {
	case <-done:
		mu.Lock()
		err := first
		mu.Unlock()
		if err != nil {
			return fmt.Errorf("kafka produce to %s: %w", k.topic, err)
		}
		return nil
	case <-ctx.Done():
		k.reset(cl)
		return fmt.Errorf("kafka produce to %s: %w", k.topic, ctx.Err())
	}
}

// reset replaces the client cl, which did not finish a Send in time, by
// a new one, and closes cl in the background: closing fails the records
// it still buffers.
func (k *Kafka) reset(cl *kgo.Client) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.client != cl {
		return // closed, or already replaced
	}
	nc, err := kgo.NewClient(k.opts...)
	if err != nil {
		return // the options worked once; keep the old client
	}
	k.client = nc
	go cl.Close()
}

// Close closes the connections. Send already waited for its records.
func (k *Kafka) Close() error {
	k.mu.Lock()
	cl := k.client
	k.client = nil
	k.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
	return nil
}
