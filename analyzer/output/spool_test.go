package output

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"

	"github.com/apitap/apitap/analyzer/alert"
)

// idFormat encodes an alert as its ID, so tests read what arrived.
type idFormat struct{}

func (idFormat) Name() string { return "id" }
func (idFormat) Append(dst []byte, a *alert.Alert) ([]byte, error) {
	if a.ID == "unencodable" {
		return dst, errors.New("cannot encode")
	}
	return append(dst, a.ID...), nil
}

// memSink is an in-memory destination that can be made to fail.
type memSink struct {
	mu       sync.Mutex
	got      []string // records received, in order
	keys     []string // their keys, when keyed
	calls    int
	failN    int   // fail this many more sends
	down     bool  // fail every send
	err      error // the failure; nil: a retryable "connection refused"
	block    bool  // block until ctx ends
	closed   bool
	batchMax int // largest batch seen
}

type retryErr struct{ after float64 }

func (e retryErr) Error() string       { return "http status 503" }
func (e retryErr) RetryAfter() float64 { return e.after }

func (m *memSink) Send(ctx context.Context, records [][]byte) error {
	m.mu.Lock()
	m.calls++
	if m.block {
		m.mu.Unlock()
		<-ctx.Done()
		return ctx.Err()
	}
	defer m.mu.Unlock()
	if m.down || m.failN > 0 {
		if m.failN > 0 {
			m.failN--
		}
		if m.err != nil {
			return m.err
		}
		return errors.New("connection refused")
	}
	m.batchMax = max(m.batchMax, len(records))
	for _, r := range records {
		m.got = append(m.got, string(r))
	}
	return nil
}

func (m *memSink) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

func (m *memSink) set(f func(m *memSink)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m)
}

func (m *memSink) received() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.got)
}

// keyedSink is a memSink that partitions.
type keyedSink struct{ memSink }

func (k *keyedSink) SendKeyed(ctx context.Context, keys, records [][]byte) error {
	k.mu.Lock()
	for _, key := range keys {
		k.keys = append(k.keys, string(key))
	}
	k.mu.Unlock()
	return k.Send(ctx, records)
}

func testAlert(id string, sev alert.Severity, typ alert.Type) *alert.Alert {
	return &alert.Alert{ID: id, Type: typ, Severity: sev, State: alert.Open, Service: "shop", Method: "GET", Route: "/api/orders/{id}"}
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func dest(name string, t Transport) Destination {
	return Destination{Name: name, Format: idFormat{}, Transport: t}
}

func newTestSpool(t *testing.T, cfg SpoolConfig, dests ...Destination) *Spool {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "spool.db")
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin, cfg.BackoffMax = time.Millisecond, 10*time.Millisecond
	}
	s, err := NewSpool(cfg, dests, zaptest.NewLogger(t), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return s
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func sendAll(t *testing.T, s *Spool, names []string, sev alert.Severity) {
	t.Helper()
	for _, id := range names {
		if err := s.Send(testAlert(id, sev, alert.Enumeration)); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *Spool) queueOf(name string) *spoolQueue {
	for _, q := range s.queues {
		if q.dest.Name == name {
			return q
		}
	}
	return nil
}

// queued lists the IDs queued for name, oldest first, from the file.
func (s *Spool) queuedIDs(t *testing.T, name string) []string {
	t.Helper()
	q := s.queueOf(name)
	recs, err := s.read(&spoolQueue{bucket: q.bucket, dest: Destination{Batch: 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.a.ID)
	}
	return out
}

func TestSpoolOrderAfterOutage(t *testing.T) {
	m := &memSink{down: true, err: fmt.Errorf("post: %w", retryErr{0.001})}
	d := dest("https://siem/x", m)
	d.Batch = 7
	s := newTestSpool(t, SpoolConfig{}, d)
	want := ids("a", 50)
	sendAll(t, s, want[:20], alert.High)
	q := s.queueOf(d.Name)
	waitFor(t, "retries", func() bool { return testutil.ToFloat64(q.m.retried) >= 3*7 })
	if got := testutil.ToFloat64(s.colls[0]); got != 20 {
		t.Errorf("queued during the outage = %v, want 20", got)
	}
	sendAll(t, s, want[20:], alert.High)
	m.set(func(m *memSink) { m.down = false })
	waitFor(t, "all records", func() bool { return len(m.received()) >= len(want) })
	if got := m.received(); !slices.Equal(got, want) {
		t.Errorf("received %v\nwant %v", got, want)
	}
	if m.batchMax > 7 {
		t.Errorf("batch of %d records, want at most 7", m.batchMax)
	}
	waitFor(t, "an empty queue", func() bool { return testutil.ToFloat64(s.colls[0]) == 0 })
	if got := testutil.ToFloat64(q.m.sent); got != 50 {
		t.Errorf("sent_total = %v, want 50", got)
	}
	if got := testutil.ToFloat64(q.m.failed); got != 0 {
		t.Errorf("failed_total = %v, want 0", got)
	}
	if got := testutil.ToFloat64(s.colls[1]); got != 0 {
		t.Errorf("oldest_queued_age_seconds = %v, want 0 once empty", got)
	}
}

func TestSpoolOthersGoOn(t *testing.T) {
	down, up := &memSink{down: true}, &memSink{}
	s := newTestSpool(t, SpoolConfig{}, dest("kafka://down/t", down), dest("file:///up", up))
	want := ids("a", 30)
	sendAll(t, s, want, alert.Medium)
	waitFor(t, "the live sink", func() bool { return len(up.received()) == len(want) })
	if got := down.received(); len(got) != 0 {
		t.Fatalf("the down sink received %v", got)
	}
	qd := s.queueOf("kafka://down/t")
	if got := testutil.ToFloat64(s.colls[0]); got != 30 { // the down sink's queued gauge
		t.Errorf("queued = %v, want 30", got)
	}
	time.Sleep(20 * time.Millisecond)
	if age := testutil.ToFloat64(s.colls[1]); age <= 0 {
		t.Errorf("oldest_queued_age_seconds = %v, want > 0", age)
	}
	down.set(func(m *memSink) { m.down = false })
	waitFor(t, "the sink back up", func() bool { return len(down.received()) == len(want) })
	if got := down.received(); !slices.Equal(got, want) {
		t.Errorf("received %v\nwant %v", got, want)
	}
	if got := testutil.ToFloat64(qd.m.retried); got == 0 {
		t.Errorf("retried_total = 0, want > 0")
	}
}

func TestSpoolFullDropsLowSeverityFirst(t *testing.T) {
	m := &memSink{down: true}
	s := newTestSpool(t, SpoolConfig{MaxRecords: 5}, dest("file:///a", m))
	for _, a := range []struct {
		id  string
		sev alert.Severity
	}{
		{"low1", alert.Low}, {"high1", alert.High}, {"low2", alert.Low}, {"high2", alert.High}, {"high3", alert.High},
		{"med1", alert.Medium},    // evicts low1
		{"crit1", alert.Critical}, // evicts low2
		{"med2", alert.Medium},    // evicts med1
		{"info1", alert.Info},     // only more severe records queued: dropped itself
		{"high4", alert.High},     // evicts med2
	} {
		if err := s.Send(testAlert(a.id, a.sev, alert.Injection)); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"high1", "high2", "high3", "crit1", "high4"}
	if got := s.queuedIDs(t, "file:///a"); !slices.Equal(got, want) {
		t.Errorf("queued %v, want %v", got, want)
	}
	q := s.queueOf("file:///a")
	if got := testutil.ToFloat64(q.m.droppedFull); got != 5 {
		t.Errorf("dropped_total{reason=spool_full} = %v, want 5", got)
	}
	m.set(func(m *memSink) { m.down = false })
	waitFor(t, "delivery", func() bool { return len(m.received()) == len(want) })
	if got := m.received(); !slices.Equal(got, want) {
		t.Errorf("received %v, want %v", got, want)
	}
}

func TestSpoolFullAcrossQueues(t *testing.T) {
	a, b := &memSink{down: true}, &memSink{down: true}
	da, db := dest("https://a/", a), dest("https://b/", b)
	da.Filter.Types = []alert.Type{alert.Injection}
	s := newTestSpool(t, SpoolConfig{MaxRecords: 4}, da, db)
	for _, x := range []*alert.Alert{
		testAlert("inj-low", alert.Low, alert.Injection),   // a, b
		testAlert("scan-low", alert.Low, alert.Scanning),   // b
		testAlert("scan-high", alert.High, alert.Scanning), // b: full
		testAlert("inj-high", alert.High, alert.Injection), // a, b: the two oldest lows go, inj-low in a then in b
	} {
		if err := s.Send(x); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := s.queuedIDs(t, da.Name), []string{"inj-high"}; !slices.Equal(got, want) {
		t.Errorf("a queued %v, want %v", got, want)
	}
	if got, want := s.queuedIDs(t, db.Name), []string{"scan-low", "scan-high", "inj-high"}; !slices.Equal(got, want) {
		t.Errorf("b queued %v, want %v", got, want)
	}
	for _, d := range []Destination{da, db} {
		if got := testutil.ToFloat64(s.queueOf(d.Name).m.droppedFull); got != 1 {
			t.Errorf("%s: dropped_total{reason=spool_full} = %v, want 1", d.Name, got)
		}
	}
}

func TestSpoolFilter(t *testing.T) {
	all, high, types := &memSink{}, &memSink{}, &memSink{}
	dh, dt := dest("high", high), dest("types", types)
	dh.Filter.MinSeverity = alert.High
	dt.Filter.Types = []alert.Type{alert.Enumeration, alert.Injection}
	s := newTestSpool(t, SpoolConfig{}, dest("all", all), dh, dt)
	for _, x := range []*alert.Alert{
		testAlert("enum-low", alert.Low, alert.Enumeration),
		testAlert("scan-crit", alert.Critical, alert.Scanning),
		testAlert("inj-high", alert.High, alert.Injection),
		testAlert("spike-med", alert.Medium, alert.RateSpike),
	} {
		if err := s.Send(x); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "delivery", func() bool { return len(all.received()) == 4 })
	waitFor(t, "delivery", func() bool { return len(high.received()) == 2 && len(types.received()) == 2 })
	if got, want := high.received(), []string{"scan-crit", "inj-high"}; !slices.Equal(got, want) {
		t.Errorf("min_severity=high received %v, want %v", got, want)
	}
	if got, want := types.received(), []string{"enum-low", "inj-high"}; !slices.Equal(got, want) {
		t.Errorf("types=enumeration,injection received %v, want %v", got, want)
	}
}

func TestSpoolRejected(t *testing.T) {
	m := &memSink{down: true}
	d := dest("https://hec/", m)
	d.Batch = 3
	s := newTestSpool(t, SpoolConfig{}, d)
	sendAll(t, s, []string{"r1", "r2", "r3"}, alert.High)
	q := s.queueOf(d.Name)
	waitFor(t, "a retry", func() bool { return testutil.ToFloat64(q.m.retried) > 0 })
	retried := testutil.ToFloat64(q.m.retried)
	m.set(func(m *memSink) { m.down, m.failN, m.err = false, 1, fmt.Errorf("hec: %w", ErrRejected) })
	waitFor(t, "the rejection", func() bool { return testutil.ToFloat64(q.m.failed) > 0 })
	sendAll(t, s, []string{"ok1", "unencodable", "ok2"}, alert.High)
	waitFor(t, "delivery", func() bool { return slices.Contains(m.received(), "ok2") })
	if got, want := m.received(), []string{"ok1", "ok2"}; !slices.Equal(got, want) {
		t.Errorf("received %v, want %v", got, want)
	}
	waitFor(t, "the count", func() bool { return testutil.ToFloat64(q.m.failed) == 4 })
	if got := testutil.ToFloat64(q.m.droppedRejected); got != 4 {
		t.Errorf("dropped_total{reason=rejected} = %v, want 4", got)
	}
	if got := testutil.ToFloat64(q.m.retried); got > retried+3 {
		t.Errorf("retried_total = %v, want at most %v: a rejection is not retried", got, retried+3)
	}
}

func TestSpoolKeyed(t *testing.T) {
	k := &keyedSink{}
	s := newTestSpool(t, SpoolConfig{}, dest("kafka://b:9092/t", k))
	sendAll(t, s, []string{"k1", "k2"}, alert.High)
	waitFor(t, "delivery", func() bool { return len(k.received()) == 2 })
	k.mu.Lock()
	defer k.mu.Unlock()
	if want := []string{"shop GET /api/orders/{id}", "shop GET /api/orders/{id}"}; !slices.Equal(k.keys, want) {
		t.Errorf("keys %q, want %q", k.keys, want)
	}
}

func TestSpoolCloseWaitsUntilCtx(t *testing.T) {
	m := &memSink{block: true}
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := NewSpool(SpoolConfig{Path: path}, []Destination{dest("file:///x", m)}, zaptest.NewLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	sendAll(t, s, []string{"c1", "c2"}, alert.Low)
	waitFor(t, "the send in flight", func() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.calls > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want a deadline error", err)
	}
	if !m.closed {
		t.Error("transport not closed")
	}
	if err := s.Send(testAlert("late", alert.High, alert.Injection)); !errors.Is(err, ErrSpoolClosed) {
		t.Errorf("Send after Close = %v, want ErrSpoolClosed", err)
	}
	// The records in flight stay queued for the next run.
	m2 := &memSink{}
	newTestSpool(t, SpoolConfig{Path: path}, dest("file:///x", m2))
	waitFor(t, "delivery", func() bool { return len(m2.received()) == 2 })
	if got := m2.received(); !slices.Equal(got, []string{"c1", "c2"}) {
		t.Errorf("received %v", got)
	}
}

// TestSpoolKilled queues alerts in a child process that kills itself with
// SIGKILL (no Close, no flush), then delivers the leftovers from its file.
func TestSpoolKilled(t *testing.T) {
	if path := os.Getenv("APITAP_SPOOL_CHILD"); path != "" {
		m := &memSink{block: true}
		s, err := NewSpool(SpoolConfig{Path: path}, []Destination{dest("file:///k", m), dest("file:///other", &memSink{down: true})}, nil, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		for _, id := range ids("k", 40) {
			if err := s.Send(testAlert(id, alert.High, alert.Injection)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	path := filepath.Join(t.TempDir(), "spool.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpoolKilled$")
	cmd.Env = append(os.Environ(), "APITAP_SPOOL_CHILD="+path)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed\n%s", err, out)
	}
	m := &memSink{}
	s := newTestSpool(t, SpoolConfig{Path: path}, dest("file:///k", m))
	want := ids("k", 40)
	waitFor(t, "the leftovers", func() bool { return len(m.received()) >= len(want) })
	if got := m.received(); !slices.Equal(got, want) {
		t.Errorf("received %v\nwant %v", got, want)
	}
	// The queue of the sink no longer configured is kept, not delivered.
	q := &spoolQueue{bucket: []byte(spoolQueuePrefix + "file:///other"), dest: Destination{Batch: 1 << 30}}
	if recs, err := s.read(q); err != nil || len(recs) != 40 {
		t.Errorf("the unconfigured queue holds %d records (%v), want 40", len(recs), err)
	}
}

func TestSpoolTrimsOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := NewSpool(SpoolConfig{Path: path}, []Destination{dest("d", &memSink{down: true})}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sendAll(t, s, []string{"m1", "m2"}, alert.Medium)
	sendAll(t, s, []string{"l1", "l2"}, alert.Low)
	s.Close(context.Background())
	m := &memSink{down: true}
	s2 := newTestSpool(t, SpoolConfig{Path: path, MaxRecords: 3}, dest("d", m))
	if got, want := s2.queuedIDs(t, "d"), []string{"m1", "m2", "l2"}; !slices.Equal(got, want) {
		t.Errorf("queued %v, want %v", got, want)
	}
	if got := testutil.ToFloat64(s2.queueOf("d").m.droppedFull); got != 1 {
		t.Errorf("dropped = %v, want 1", got)
	}
}

func TestSpoolBackoff(t *testing.T) {
	s := &Spool{cfg: SpoolConfig{BackoffMin: time.Second, BackoffMax: 5 * time.Minute}}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second, 10: 5 * time.Minute, 100: 5 * time.Minute} {
		if d := s.backoff(n, errors.New("down")); d < want/2 || d > want {
			t.Errorf("backoff(%d) = %v, want within [%v, %v]", n, d, want/2, want)
		}
	}
	if d := s.backoff(1, fmt.Errorf("x: %w", retryErr{30})); d != 30*time.Second {
		t.Errorf("Retry-After 30 gives %v", d)
	}
	if d := s.backoff(1, retryErr{3600}); d != 5*time.Minute {
		t.Errorf("Retry-After 3600 gives %v, want the 5m cap", d)
	}
}

func TestSpoolConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		cfg   SpoolConfig
		dests []Destination
		want  string
	}{
		{SpoolConfig{}, []Destination{dest("a", &memSink{})}, "spool: no path"},
		{SpoolConfig{Path: dir + "/s.db"}, nil, "spool: no destination"},
		{SpoolConfig{Path: dir + "/s.db"}, []Destination{dest("a", &memSink{}), dest("a", &memSink{})}, `spool: destination "a" configured twice`},
		{SpoolConfig{Path: dir + "/s.db", MaxRecords: 1}, []Destination{dest("a", &memSink{}), dest("b", &memSink{})}, "spool: max records 1 below the 2 destinations"},
		{SpoolConfig{Path: dir + "/s.db", BackoffMin: time.Minute, BackoffMax: time.Second}, []Destination{dest("a", &memSink{})}, "spool: backoff min 1m0s above max 1s"},
	} {
		_, err := NewSpool(c.cfg, c.dests, nil, nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("NewSpool(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
}

// TestSpoolToFile runs the real pieces: a sink URL, its OCSF format and
// File transport, behind a spool.
func TestSpoolToFile(t *testing.T) {
	dir := t.TempDir()
	spec, err := ParseSink("file://" + filepath.Join(dir, "alerts.jsonl") + "?format=ocsf&min_severity=medium")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(spec, nil, alert.ProductInfo{})
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSpool(t, SpoolConfig{Path: filepath.Join(dir, "spool.db")}, d)
	first := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i, sev := range []alert.Severity{alert.High, alert.Low, alert.Critical} {
		a := testAlert("f"+strconv.Itoa(i), sev, alert.Injection)
		a.First, a.Last, a.Count = first, first.Add(time.Minute), 1
		if err := s.Send(a); err != nil {
			t.Fatal(err)
		}
	}
	q := s.queueOf(d.Name)
	waitFor(t, "the file", func() bool { return testutil.ToFloat64(q.m.sent) == 2 })
	b, err := os.ReadFile(filepath.Join(dir, "alerts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"f0"`) || !strings.Contains(lines[1], `"f2"`) {
		t.Errorf("file holds %d lines, want f0 and f2:\n%s", len(lines), b)
	}
}

func TestSpoolMetricNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := NewSpool(SpoolConfig{Path: filepath.Join(t.TempDir(), "spool.db")},
		[]Destination{dest("file:///a", &memSink{down: true}), dest("kafka://b/t", &memSink{})}, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	sendAll(t, s, []string{"m1"}, alert.High)
	for name, want := range map[string]int{
		"apitap_output_sent_total": 2, "apitap_output_failed_total": 2, "apitap_output_retried_total": 2,
		"apitap_output_dropped_total": 4, "apitap_output_queued": 2, "apitap_output_oldest_queued_age_seconds": 2,
	} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n != want {
			t.Errorf("%s: %d series (%v), want %d", name, n, err, want)
		}
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := testutil.GatherAndCount(reg); n != 0 {
		t.Errorf("%d series registered after Close, want 0", n)
	}
}

// TestSpoolDrain: Drain returns once the destinations took everything,
// and reports what a destination that stays down leaves queued.
func TestSpoolDrain(t *testing.T) {
	up, down := &drainDest{}, &drainDest{fail: true}
	sp, err := NewSpool(SpoolConfig{Path: filepath.Join(t.TempDir(), "spool.db"), BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond},
		[]Destination{{Name: "up", Format: NewOCSF(alert.ProductInfo{}), Transport: up}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := sp.Send(&alert.Alert{ID: fmt.Sprint(i), Type: alert.Injection, Severity: alert.High}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n := sp.Drain(ctx); n != 0 || up.got() != 5 {
		t.Errorf("drained with %d left, %d delivered; want 0 and 5", n, up.got())
	}
	sp.Close(ctx)

	sp, err = NewSpool(SpoolConfig{Path: filepath.Join(t.TempDir(), "spool.db"), BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond},
		[]Destination{{Name: "down", Format: NewOCSF(alert.ProductInfo{}), Transport: down}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close(context.Background())
	sp.Send(&alert.Alert{ID: "x", Type: alert.Injection, Severity: alert.High})
	short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if n := sp.Drain(short); n != 1 {
		t.Errorf("a destination down: Drain left %d, want 1", n)
	}
}

// drainDest counts the records it takes, or fails every Send.
type drainDest struct {
	mu   sync.Mutex
	n    int
	fail bool
}

func (d *drainDest) Send(_ context.Context, recs [][]byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail {
		return errors.New("down")
	}
	d.n += len(recs)
	return nil
}

func (d *drainDest) Close() error { return nil }

func (d *drainDest) got() int { d.mu.Lock(); defer d.mu.Unlock(); return d.n }
