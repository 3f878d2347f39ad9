package output

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const kafkaTopic = "apitap-alerts"

func newFakeKafka(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(3), kfake.SeedTopics(6, kafkaTopic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

type kafkaRecord struct {
	Endpoint string `json:"endpoint"`
	Seq      int    `json:"seq"`
}

// consumeAll reads the topic from the start until it has n records or
// 10s pass.
func consumeAll(t *testing.T, brokers []string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(kafkaTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d records of %d: %v", len(recs), n, ctx.Err())
		}
		fs.EachError(func(topic string, p int32, err error) { t.Errorf("fetch %s/%d: %v", topic, p, err) })
		recs = append(recs, fs.Records()...)
	}
	// Anything more would be a duplicate: look briefly.
	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	recs = append(recs, cl.PollFetches(short).Records()...)
	return recs
}

// checkOrder checks that each endpoint's records are in one partition, in
// order, each once, and returns how many records there were by endpoint.
func checkOrder(t *testing.T, recs []*kgo.Record) map[string]int {
	t.Helper()
	part := map[string]int32{}
	next := map[string]int{}
	for _, r := range recs {
		var kr kafkaRecord
		if err := json.Unmarshal(r.Value, &kr); err != nil {
			t.Fatalf("record %s: %v", r.Value, err)
		}
		if string(r.Key) != kr.Endpoint {
			t.Errorf("record %s has key %q", r.Value, r.Key)
		}
		if p, ok := part[kr.Endpoint]; ok && p != r.Partition {
			t.Errorf("endpoint %q in partitions %d and %d", kr.Endpoint, p, r.Partition)
		}
		part[kr.Endpoint] = r.Partition
		if kr.Seq != next[kr.Endpoint] {
			t.Errorf("endpoint %q: seq %d after %d", kr.Endpoint, kr.Seq, next[kr.Endpoint]-1)
		}
		next[kr.Endpoint] = kr.Seq + 1
	}
	return next
}

// keyedBatch makes n records spread over endpoints, numbering each
// endpoint's records from seq[endpoint] on.
func keyedBatch(endpoints []string, n int, seq map[string]int) (keys, records [][]byte) {
	for i := range n {
		ep := endpoints[i%len(endpoints)]
		keys = append(keys, []byte(ep))
		records = append(records, fmt.Appendf(nil, `{"endpoint":%q,"seq":%d}`, ep, seq[ep]))
		seq[ep]++
	}
	return keys, records
}

var kafkaEndpoints = []string{
	"GET /orders/{id} at shop.test", "POST /login at shop.test", "GET /users at api.test",
	"DELETE /users/{id} at api.test", "GET /health at api.test",
}

func TestKafkaKeyed(t *testing.T) {
	c := newFakeKafka(t)
	k, err := NewKafka(KafkaConfig{Brokers: c.ListenAddrs(), Topic: kafkaTopic})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	ctx := context.Background()
	seq := map[string]int{}
	for range 8 {
		keys, recs := keyedBatch(kafkaEndpoints, 25, seq)
		if err := k.SendKeyed(ctx, keys, recs); err != nil {
			t.Fatal(err)
		}
	}
	got := consumeAll(t, c.ListenAddrs(), 200)
	if len(got) != 200 {
		t.Fatalf("consumed %d records, want 200", len(got))
	}
	counts := checkOrder(t, got)
	for _, ep := range kafkaEndpoints {
		if counts[ep] != 40 {
			t.Errorf("endpoint %q: %d records, want 40", ep, counts[ep])
		}
	}

	if err := k.SendKeyed(ctx, [][]byte{[]byte("k")}, testRecords(2)); err == nil {
		t.Error("SendKeyed with a key short succeeded")
	}
}

func TestKafkaSend(t *testing.T) {
	c := newFakeKafka(t)
	k, err := NewKafka(KafkaConfig{Brokers: c.ListenAddrs(), Topic: kafkaTopic})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	recs := testRecords(5)
	if err := k.Send(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := k.Send(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	got := consumeAll(t, c.ListenAddrs(), 5)
	if len(got) != 5 {
		t.Fatalf("consumed %d records, want 5", len(got))
	}
	seen := map[string]bool{}
	for _, r := range got {
		if r.Key != nil {
			t.Errorf("record %s has key %q", r.Value, r.Key)
		}
		seen[string(r.Value)] = true
	}
	for _, r := range recs {
		if !seen[string(r)] {
			t.Errorf("record %s not consumed", r)
		}
	}
}

// TestKafkaFailure: while the brokers fail every produce, Send returns an
// error within Timeout; once they take records again, the batch sent
// again gets in, in order, once.
func TestKafkaFailure(t *testing.T) {
	c := newFakeKafka(t)
	var failing atomic.Bool
	var refused atomic.Int64
	c.ControlKey(int16(kmsg.Produce), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if !failing.Load() {
			return nil, nil, false
		}
		refused.Add(1)
		req := kr.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.NotEnoughReplicas.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	k, err := NewKafka(KafkaConfig{Brokers: c.ListenAddrs(), Topic: kafkaTopic, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	ctx := context.Background()
	seq := map[string]int{}
	keys, recs := keyedBatch(kafkaEndpoints, 20, seq)
	if err := k.SendKeyed(ctx, keys, recs); err != nil {
		t.Fatal(err)
	}

	failing.Store(true)
	keys, recs = keyedBatch(kafkaEndpoints, 20, seq)
	start := time.Now()
	err = k.SendKeyed(ctx, keys, recs)
	if err == nil {
		t.Fatal("SendKeyed succeeded while the brokers refused every produce")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("SendKeyed failed after %v, want about the 1s Timeout", d)
	}
	if refused.Load() == 0 {
		t.Fatal("no produce request refused")
	}

	// The timed-out Send closes its client in the background: give that
	// a moment, or the old client's retries may yet land copies.
	time.Sleep(300 * time.Millisecond)
	failing.Store(false)
	if err := k.SendKeyed(ctx, keys, recs); err != nil {
		t.Fatalf("SendKeyed after the brokers came back: %v", err)
	}
	keys, recs = keyedBatch(kafkaEndpoints, 20, seq)
	if err := k.SendKeyed(ctx, keys, recs); err != nil {
		t.Fatal(err)
	}
	got := consumeAll(t, c.ListenAddrs(), 60)
	if len(got) != 60 {
		t.Fatalf("consumed %d records, want 60", len(got))
	}
	for ep, n := range checkOrder(t, got) {
		if n != 12 {
			t.Errorf("endpoint %q: %d records, want 12", ep, n)
		}
	}
}

// TestKafkaDown: with the cluster gone, Send fails within Timeout; once
// a cluster listens on the same addresses again, Send succeeds.
func TestKafkaDown(t *testing.T) {
	c := newFakeKafka(t, kfake.NumBrokers(1))
	addrs := c.ListenAddrs()
	k, err := NewKafka(KafkaConfig{Brokers: addrs, Topic: kafkaTopic, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.Send(context.Background(), testRecords(1)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := k.Send(ctx, testRecords(1)); err == nil {
		t.Fatal("Send succeeded with the cluster closed")
	}
	if ctx.Err() != nil {
		t.Fatal("Send outlived Timeout")
	}

	_, port, _ := net.SplitHostPort(addrs[0])
	p, _ := strconv.Atoi(port)
	c2 := newFakeKafka(t, kfake.NumBrokers(1), kfake.Ports(p))
	var sendErr error
	for range 10 {
		if sendErr = k.Send(context.Background(), testRecords(2)); sendErr == nil {
			break
		}
	}
	if sendErr != nil {
		t.Fatalf("Send to the restarted cluster: %v", sendErr)
	}
	if got := consumeAll(t, c2.ListenAddrs(), 2); len(got) != 2 {
		t.Fatalf("restarted cluster has %d records, want 2", len(got))
	}
}

func TestKafkaSASL(t *testing.T) {
	c := newFakeKafka(t, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "apitap", "pw"))
	k, err := NewKafka(KafkaConfig{
		Brokers: c.ListenAddrs(), Topic: kafkaTopic,
		SASL: &KafkaSASL{Mechanism: "SCRAM-SHA-256", User: "apitap", Password: "pw"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.Send(context.Background(), testRecords(1)); err != nil {
		t.Fatal(err)
	}

	bad, err := NewKafka(KafkaConfig{
		Brokers: c.ListenAddrs(), Topic: kafkaTopic, Timeout: time.Second,
		SASL: &KafkaSASL{Mechanism: "SCRAM-SHA-256", User: "apitap", Password: "wrong"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bad.Send(ctx, testRecords(1)); err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
}

func TestKafkaConfig(t *testing.T) {
	for _, cfg := range []KafkaConfig{
		{Topic: kafkaTopic},
		{Brokers: []string{"kafka.test"}, Topic: kafkaTopic},
		{Brokers: []string{"kafka.test:9092"}},
		{Brokers: []string{"kafka.test:9092"}, Topic: kafkaTopic, SASL: &KafkaSASL{Mechanism: "GSSAPI"}},
	} {
		if _, err := NewKafka(cfg); err == nil {
			t.Errorf("NewKafka(%+v) succeeded", cfg)
		}
	}
}
