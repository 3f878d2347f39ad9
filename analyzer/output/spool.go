package output

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"

	"github.com/apitap/apitap/analyzer/alert"
)

// ErrSpoolClosed is returned by Send after Close.
var ErrSpoolClosed = errors.New("spool closed")

// Filter selects the alerts a destination receives. The zero value
// accepts every alert.
type Filter struct {
	// MinSeverity is the least severity sent; 0 sends every severity.
	MinSeverity alert.Severity
	// Types are the alert types sent; empty sends every type.
	Types []alert.Type
}

// Accepts reports whether f lets a through.
func (f Filter) Accepts(a *alert.Alert) bool {
	if a.Severity < f.MinSeverity {
		return false
	}
	return len(f.Types) == 0 || slices.Contains(f.Types, a.Type)
}

// Destination is one configured sink: where and how alerts go.
type Destination struct {
	// Name identifies the destination in logs, in metrics (the sink
	// label) and in the spool file (its queue): the sink URL without its
	// secrets or query. Names are unique; renaming a destination leaves
	// its old queue in the spool file, logged at start.
	Name      string
	Format    Format
	Transport Transport // the spool closes it
	Filter    Filter
	// Batch is the most records handed to one Send. 0 means 100.
	Batch int
}

// SpoolConfig sets where the spool keeps its records and how it retries.
// Only Path has no working zero value.
type SpoolConfig struct {
	// Path is the spool's bbolt file, e.g. <state dir>/spool.db; its
	// directory is created (0700) when missing.
	Path string
	// MaxRecords bounds the records queued over all destinations (an
	// alert queued for two destinations is two records). When it is
	// reached, the oldest record of the lowest severity goes first.
	// 0 means 100000.
	MaxRecords int
	// BackoffMin and BackoffMax bound the wait before a failed batch is
	// sent again: it doubles from BackoffMin to BackoffMax, with jitter.
	// A transport's Retryer error sets the wait itself (up to
	// BackoffMax). 0 means 1s and 5m.
	BackoffMin, BackoffMax time.Duration
}

const (
	defaultMaxRecords = 100000
	defaultBatch      = 100
	defaultBackoffMin = time.Second
	defaultBackoffMax = 5 * time.Minute
)

// Validate reports a configuration that cannot work.
func (c SpoolConfig) Validate() error {
	switch {
	case c.Path == "":
		return errors.New("spool: no path")
	case c.MaxRecords < 0:
		return fmt.Errorf("spool: max records %d is negative", c.MaxRecords)
	case c.BackoffMin < 0 || c.BackoffMax < 0:
		return errors.New("spool: negative backoff")
	case c.BackoffMax != 0 && c.BackoffMin > c.BackoffMax:
		return fmt.Errorf("spool: backoff min %v above max %v", c.BackoffMin, c.BackoffMax)
	}
	return nil
}

func (c *SpoolConfig) setDefaults() {
	if c.MaxRecords == 0 {
		c.MaxRecords = defaultMaxRecords
	}
	if c.BackoffMin == 0 {
		c.BackoffMin = defaultBackoffMin
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = max(defaultBackoffMax, c.BackoffMin)
	}
}

// The spool file has one bucket per destination, named spoolQueuePrefix+Name,
// and a meta bucket whose sequence numbers records. A record's key is its
// sequence number, big-endian, so a queue's cursor reads it in the order
// alerts were queued, and the same alert has the same key in every queue
// (which makes "oldest" comparable across queues). Its value is
//
//	version (1) | severity (1) | queued, Unix ns, big-endian (8) | the Alert as JSON
const (
	spoolQueuePrefix   = "queue/"
	spoolMetaBucket    = "meta"
	spoolRecordVersion = 1
	spoolHeaderLen     = 10
)

// nSev is the number of severity classes of the index: 0 (unknown or
// below Info) to 5 (Critical).
const nSev = int(alert.Critical) + 1

func sevIndex(s alert.Severity) int { return min(max(int(s), 0), nSev-1) }

// spoolEntry is one queued record in the in-memory index.
type spoolEntry struct {
	seq uint64
	at  int64 // queued, Unix ns
}

// spoolQueue is one destination's queue.
type spoolQueue struct {
	dest   Destination
	bucket []byte
	m      sinkMetrics
	keyed  Keyed         // the transport, when it partitions
	wake   chan struct{} // 1: a record was queued

	// Guarded by Spool.mu: the records queued, per severity, by seq.
	bySev [nSev][]spoolEntry

	// Owned by the queue's goroutine.
	buf []byte
}

// Spool is the durable, bounded queue between the alert manager and the
// destinations. It is an alert.Sink: Send returns once the alert is
// written (fsynced) to the spool file for every destination whose filter
// accepts it; one goroutine per destination then delivers the records in
// order, retrying with backoff until the destination acknowledges them.
// A transport that is Keyed (Kafka) gets each record's endpoint,
// "service method route", as its key, so one endpoint's alerts keep their
// order in one partition.
// Records left in the file by a crash are delivered by the next Spool
// opened on it: delivery is at least once, and a SIEM deduplicates by the
// alert's ID and state.
type Spool struct {
	cfg    SpoolConfig
	db     *bolt.DB
	log    *zap.Logger
	queues []*spoolQueue
	reg    prometheus.Registerer
	colls  []prometheus.Collector

	stop       chan struct{} // closed by Close: no new batch
	sendCtx    context.Context
	cancelSend context.CancelFunc // aborts the sends in flight
	wg         sync.WaitGroup

	mu       sync.Mutex // guards what follows, the queues' indexes, and orders Send's writes
	closed   bool
	fullDrop int       // records dropped for room since the last log
	fullLog  time.Time // when that was last logged
}

var _ alert.Sink = (*Spool)(nil)

// NewSpool opens (creating when needed) the spool file, indexes the
// records it holds, and starts delivering them and whatever Send queues to
// dests. Close it to stop.
//
// The spool has its own file rather than a bucket of the state store:
// it is written and fsynced on every alert and emptied continually, which
// would fragment the state file and serialize its writes with the
// inventory's; and an operator can delete a backlog without touching the
// learned baselines.
func NewSpool(cfg SpoolConfig, dests []Destination, log *zap.Logger, reg prometheus.Registerer) (*Spool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	if len(dests) == 0 {
		return nil, errors.New("spool: no destination")
	}
	if cfg.MaxRecords < len(dests) {
		return nil, fmt.Errorf("spool: max records %d below the %d destinations", cfg.MaxRecords, len(dests))
	}
	s := &Spool{cfg: cfg, log: log.Named("output"), stop: make(chan struct{}), reg: reg}
	s.sendCtx, s.cancelSend = context.WithCancel(context.Background())
	m := newMetrics()
	seen := make(map[string]bool, len(dests))
	for _, d := range dests {
		switch {
		case d.Name == "":
			return nil, errors.New("spool: destination without a name")
		case seen[d.Name]:
			return nil, fmt.Errorf("spool: destination %q configured twice", d.Name)
		case d.Format == nil || d.Transport == nil:
			return nil, fmt.Errorf("spool: destination %q without a format or transport", d.Name)
		case d.Batch < 0:
			return nil, fmt.Errorf("spool: destination %q: batch %d is negative", d.Name, d.Batch)
		}
		seen[d.Name] = true
		if d.Batch == 0 {
			d.Batch = defaultBatch
		}
		q := &spoolQueue{dest: d, bucket: []byte(spoolQueuePrefix + d.Name), m: m.sink(d.Name), wake: make(chan struct{}, 1)}
		q.keyed, _ = d.Transport.(Keyed)
		s.queues = append(s.queues, q)
		s.colls = append(s.colls, queueGauges(d.Name, s.queuedFunc(q), s.ageFunc(q))...)
	}
	s.colls = append(s.colls, m.sent, m.failed, m.retried, m.dropped)

	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o700); err != nil {
		return nil, fmt.Errorf("open spool %s: %w", cfg.Path, err)
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open spool %s: in use by another apitap process", cfg.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("open spool %s: %w", cfg.Path, err)
	}
	s.db = db
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open spool %s: %w", cfg.Path, err)
	}
	if err := registerAll(reg, s.colls...); err != nil {
		s.unregister()
		db.Close()
		return nil, err
	}
	for _, q := range s.queues {
		s.wg.Add(1)
		go s.run(q)
	}
	return s, nil
}

// load creates the buckets, indexes the records left in the file, logs
// the queues of destinations no longer configured, and trims the spool to
// MaxRecords (which may have been lowered).
func (s *Spool) load() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists([]byte(spoolMetaBucket)); err != nil {
			return err
		}
		mine := make(map[string]bool, len(s.queues))
		for _, q := range s.queues {
			mine[string(q.bucket)] = true
			b, err := tx.CreateBucketIfNotExists(q.bucket)
			if err != nil {
				return err
			}
			if err := b.ForEach(func(k, v []byte) error {
				if len(k) != 8 {
					return nil // not a record: skipped by run too
				}
				sev, at := 0, int64(0)
				if len(v) >= spoolHeaderLen && v[0] == spoolRecordVersion {
					sev, at = sevIndex(alert.Severity(v[1])), int64(binary.BigEndian.Uint64(v[2:spoolHeaderLen]))
				}
				q.bySev[sev] = append(q.bySev[sev], spoolEntry{binary.BigEndian.Uint64(k), at})
				return nil
			}); err != nil {
				return err
			}
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if n := string(name); len(n) > len(spoolQueuePrefix) && n[:len(spoolQueuePrefix)] == spoolQueuePrefix && !mine[n] {
				s.log.Warn("spool queue of an unconfigured sink kept",
					zap.String("dst", n[len(spoolQueuePrefix):]), zap.Int("count", b.Stats().KeyN), zap.String("path", s.cfg.Path))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	total := s.queued()
	if total > 0 {
		s.log.Info("spool records left from the last run", zap.Int("count", total), zap.String("path", s.cfg.Path))
	}
	if need := total - s.cfg.MaxRecords; need > 0 {
		victims := s.pickVictims(need, nSev-1)
		if err := s.db.Update(func(tx *bolt.Tx) error { return deleteVictims(tx, victims) }); err != nil {
			return err
		}
		s.evicted(victims, 0)
		s.logFull(true)
	}
	return nil
}

// Send queues a for every destination whose filter accepts it and returns
// once that is on disk. When the spool is full, it first removes the
// oldest records of the lowest severity, up to a's own; if only more
// severe records are queued, a itself is dropped. Either way the drop is
// counted (apitap_output_dropped_total{reason="spool_full"}) and logged.
func (s *Spool) Send(a *alert.Alert) error {
	var qs []*spoolQueue
	for _, q := range s.queues {
		if q.dest.Filter.Accepts(a) {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return nil
	}
	js, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("spool alert %s: %w", a.ID, err)
	}
	sev := sevIndex(a.Severity)
	now := time.Now().UnixNano()
	val := make([]byte, spoolHeaderLen, spoolHeaderLen+len(js))
	val[0], val[1] = spoolRecordVersion, byte(sev)
	binary.BigEndian.PutUint64(val[2:], uint64(now))
	val = append(val, js...)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrSpoolClosed
	}
	var victims []spoolVictim
	keep := len(qs)
	if need := s.queued() + len(qs) - s.cfg.MaxRecords; need > 0 {
		victims = s.pickVictims(need, sev)
		keep -= need - len(victims)
	}
	var seq uint64
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := deleteVictims(tx, victims); err != nil {
			return err
		}
		if keep == 0 {
			return nil
		}
		var err error
		if seq, err = tx.Bucket([]byte(spoolMetaBucket)).NextSequence(); err != nil {
			return err
		}
		k := seqKey(seq)
		for _, q := range qs[:keep] {
			if err := tx.Bucket(q.bucket).Put(k, val); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("spool alert %s: %w", a.ID, err)
	}
	for _, q := range qs[:keep] {
		q.bySev[sev] = append(q.bySev[sev], spoolEntry{seq, now})
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	for _, q := range qs[keep:] {
		q.m.droppedFull.Inc()
	}
	s.evicted(victims, len(qs)-keep)
	if len(victims) > 0 || keep < len(qs) {
		s.logFull(false)
	}
	return nil
}

// spoolVictim is a record chosen to make room.
type spoolVictim struct {
	q   *spoolQueue
	sev int
	e   spoolEntry
}

// pickVictims chooses up to need records to remove, the lowest severity first
// and, within one, the oldest over all queues, considering severities up
// to upTo only. s.mu is held; the index is not changed.
func (s *Spool) pickVictims(need, upTo int) []spoolVictim {
	var out []spoolVictim
	skip := make([][nSev]int, len(s.queues))
	for sev := 0; sev <= upTo && len(out) < need; sev++ {
		for len(out) < need {
			best := -1
			for i, q := range s.queues {
				l := q.bySev[sev]
				if j := skip[i][sev]; j < len(l) && (best < 0 || l[j].seq < s.queues[best].bySev[sev][skip[best][sev]].seq) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			q := s.queues[best]
			out = append(out, spoolVictim{q, sev, q.bySev[sev][skip[best][sev]]})
			skip[best][sev]++
		}
	}
	return out
}

func deleteVictims(tx *bolt.Tx, vs []spoolVictim) error {
	for _, v := range vs {
		if err := tx.Bucket(v.q.bucket).Delete(seqKey(v.e.seq)); err != nil {
			return err
		}
	}
	return nil
}

// evicted removes the victims, now deleted, from the index and counts
// them with the new records dropped. s.mu is held.
func (s *Spool) evicted(vs []spoolVictim, droppedNew int) {
	for _, v := range vs {
		v.q.remove(v.sev, v.e.seq)
		v.q.m.droppedFull.Inc()
	}
	s.fullDrop += len(vs) + droppedNew
}

// logFull logs the records dropped for room, at most once a minute.
// s.mu is held.
func (s *Spool) logFull(force bool) {
	now := time.Now()
	if s.fullDrop == 0 || !force && now.Sub(s.fullLog) < time.Minute {
		return
	}
	s.log.Warn("spool full, dropped the oldest records of the lowest severity",
		zap.Int("count", s.fullDrop), zap.Int("max_records", s.cfg.MaxRecords), zap.String("path", s.cfg.Path))
	s.fullDrop, s.fullLog = 0, now
}

// remove takes seq out of the index, if there (a record delivered may
// have been evicted meanwhile). s.mu is held.
func (q *spoolQueue) remove(sev int, seq uint64) {
	l := q.bySev[sev]
	if len(l) > 0 && l[0].seq == seq { // the usual case: records leave oldest first
		q.bySev[sev] = l[1:]
		return
	}
	i, ok := slices.BinarySearchFunc(l, seq, func(e spoolEntry, seq uint64) int {
		switch {
		case e.seq < seq:
			return -1
		case e.seq > seq:
			return 1
		}
		return 0
	})
	if ok {
		q.bySev[sev] = slices.Delete(l, i, i+1)
	}
}

// len is the number of records queued. s.mu is held.
func (q *spoolQueue) len() int {
	n := 0
	for _, l := range q.bySev {
		n += len(l)
	}
	return n
}

// queued is the number of records queued over all queues. s.mu is held.
func (s *Spool) queued() int {
	n := 0
	for _, q := range s.queues {
		n += q.len()
	}
	return n
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func (s *Spool) queuedFunc(q *spoolQueue) func() float64 {
	return func() float64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return float64(q.len())
	}
}

func (s *Spool) ageFunc(q *spoolQueue) func() float64 {
	return func() float64 {
		s.mu.Lock()
		oldest := spoolEntry{seq: ^uint64(0)}
		for _, l := range q.bySev {
			if len(l) > 0 && l[0].seq < oldest.seq {
				oldest = l[0]
			}
		}
		s.mu.Unlock()
		if oldest.at == 0 {
			return 0
		}
		return max(time.Since(time.Unix(0, oldest.at)).Seconds(), 0)
	}
}

// spoolRecord is a queued record read for delivery.
type spoolRecord struct {
	key []byte
	sev int
	a   *alert.Alert // nil: unreadable
}

// run delivers q's records until Close.
func (s *Spool) run(q *spoolQueue) {
	defer s.wg.Done()
	var (
		failures  int       // consecutive failed attempts
		downSince time.Time // first of them
		lastLog   time.Time
	)
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		recs, err := s.read(q)
		if err == nil && len(recs) == 0 {
			select {
			case <-q.wake:
				continue
			case <-s.stop:
				return
			}
		}
		if err == nil {
			err = s.deliver(q, recs)
		}
		if err == nil {
			if failures > 0 {
				s.log.Info("sink back up", zap.String("dst", q.dest.Name),
					zap.Int("count", failures), zap.Duration("duration", time.Since(downSince)))
			}
			failures = 0
			continue
		}
		if s.sendCtx.Err() != nil {
			return // Close gave up waiting
		}
		failures++
		if failures == 1 {
			downSince = time.Now()
		}
		if failures == 1 || time.Since(lastLog) >= time.Minute {
			s.log.Warn("sink down, retrying", zap.String("dst", q.dest.Name),
				zap.Int("count", failures), zap.Duration("duration", time.Since(downSince)), zap.Error(err))
			lastLog = time.Now()
		}
		t := time.NewTimer(s.backoff(failures, err))
		select {
		case <-t.C:
		case <-s.stop:
			t.Stop()
			return
		}
	}
}

// backoff is the wait after the n-th consecutive failure.
func (s *Spool) backoff(n int, err error) time.Duration {
	var r Retryer
	if errors.As(err, &r) {
		if sec := r.RetryAfter(); sec > 0 {
			return min(time.Duration(sec*float64(time.Second)), s.cfg.BackoffMax)
		}
	}
	d := s.cfg.BackoffMax
	if n-1 < 32 && s.cfg.BackoffMin<<(n-1) < d && s.cfg.BackoffMin<<(n-1) > 0 {
		d = s.cfg.BackoffMin << (n - 1)
	}
	// Equal jitter: between half and all of d, so destinations that went
	// down together do not come back in step.
	return d/2 + rand.N(d/2+1)
}

// read returns up to Batch records from the head of q.
func (s *Spool) read(q *spoolQueue) ([]spoolRecord, error) {
	var recs []spoolRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(q.bucket).Cursor()
		for k, v := c.First(); k != nil && len(recs) < q.dest.Batch; k, v = c.Next() {
			r := spoolRecord{key: slices.Clone(k)}
			if len(k) == 8 && len(v) >= spoolHeaderLen && v[0] == spoolRecordVersion {
				r.sev = sevIndex(alert.Severity(v[1]))
				var a alert.Alert
				if json.Unmarshal(v[spoolHeaderLen:], &a) == nil {
					r.a = &a
				}
			}
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	return recs, nil
}

// deliver encodes and sends recs, and removes them once sent or rejected
// for good. A nil error means the records left the queue.
func (s *Spool) deliver(q *spoolQueue, recs []spoolRecord) error {
	var (
		keys, records [][]byte
		bad           int
		badErr        error
	)
	buf := q.buf[:0]
	for _, r := range recs {
		if r.a == nil {
			bad++
			badErr = errors.New("unreadable spool record")
			continue
		}
		start := len(buf)
		var err error
		if buf, err = q.dest.Format.Append(buf, r.a); err != nil {
			buf = buf[:start]
			bad++
			badErr = fmt.Errorf("encode alert %s as %s: %w", r.a.ID, q.dest.Format.Name(), err)
			continue
		}
		records = append(records, buf[start:len(buf):len(buf)])
		if q.keyed != nil {
			keys = append(keys, []byte(r.a.Service+" "+r.a.Method+" "+r.a.Route))
		}
	}
	q.buf = buf

	var err error
	switch {
	case len(records) == 0:
	case q.keyed != nil:
		err = q.keyed.SendKeyed(s.sendCtx, keys, records)
	default:
		err = q.dest.Transport.Send(s.sendCtx, records)
	}
	rejected := errors.Is(err, ErrRejected)
	if err != nil && !rejected {
		q.m.retried.Add(float64(len(records)))
		return fmt.Errorf("send %d records: %w", len(records), err)
	}
	if derr := s.remove(q, recs); derr != nil {
		// Sent but still queued: sent again later, which at least once allows.
		return derr
	}
	if bad > 0 {
		q.m.failed.Add(float64(bad))
		q.m.droppedRejected.Add(float64(bad))
		s.log.Warn("alert records dropped: the format refused them", zap.String("dst", q.dest.Name),
			zap.Int("count", bad), zap.String("reason", reasonRejected), zap.Error(badErr))
	}
	if rejected {
		q.m.failed.Add(float64(len(records)))
		q.m.droppedRejected.Add(float64(len(records)))
		s.log.Warn("alert batch rejected by the sink, dropped", zap.String("dst", q.dest.Name),
			zap.Int("count", len(records)), zap.String("reason", reasonRejected), zap.Error(err))
		return nil
	}
	q.m.sent.Add(float64(len(records)))
	return nil
}

// remove deletes recs from q's bucket and index.
func (s *Spool) remove(q *spoolQueue, recs []spoolRecord) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(q.bucket)
		for _, r := range recs {
			if err := b.Delete(r.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove sent records from the spool: %w", err)
	}
	s.mu.Lock()
	for _, r := range recs {
		if len(r.key) == 8 {
			q.remove(r.sev, binary.BigEndian.Uint64(r.key))
		}
	}
	s.mu.Unlock()
	return nil
}

// Queued returns the records waiting over all destinations.
func (s *Spool) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queued()
}

// Drain waits until every queue is empty or ctx ends, and returns the
// records still queued: a command that ends (apitap read) gives its sinks
// the time to take what it raised, and says what it leaves in the spool
// for the next run.
func (s *Spool) Drain(ctx context.Context) int {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		n := s.Queued()
		if n == 0 {
			return 0
		}
		select {
		case <-ctx.Done():
			return n
		case <-t.C:
		}
	}
}

// Close stops the spool: Send fails from now on, no new batch starts, and
// Close waits for the batches in flight until ctx ends, when it cancels
// them (the records they held stay queued). It then closes the transports
// and the spool file. Records not delivered are delivered by the next
// Spool opened on the file.
func (s *Spool) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)

	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var errs []error
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("close spool: %w", ctx.Err()))
	}
	s.cancelSend()
	for _, q := range s.queues {
		if err := q.dest.Transport.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close sink %s: %w", q.dest.Name, err))
		}
	}
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close spool %s: %w", s.cfg.Path, err))
	}
	s.unregister()
	return errors.Join(errs...)
}

func (s *Spool) unregister() {
	if s.reg == nil {
		return
	}
	for _, c := range s.colls {
		s.reg.Unregister(c)
	}
}
