package alert

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Finding is one detector firing: a window or a transaction that met a
// detector's condition. Times are packet times.
type Finding struct {
	Type                           Type
	Kind                           Kind     // "": the usual kind of Type (see Type's block in alert.go)
	Severity                       Severity // 0: Medium
	Service, Method, Route, Client string
	Time                           time.Time // packet time the condition was seen
	Evidence                       Evidence
	Example                        *Example // nil: none; copied, so the caller may reuse it
}

// Sink receives every state change of every alert: opened, updated, closed.
// Each call gets its own copy, which the sink may keep.
type Sink interface {
	Send(a *Alert) error
}

// Config sets a Manager's cadences and caps. The zero value works.
type Config struct {
	// UpdateEvery is the least packet time between two events of one
	// alert while it stays open, so a SIEM sees a long attack progress
	// without an event per window. 0 means 15m.
	UpdateEvery time.Duration
	// CloseAfter is how long, in packet time, an alert stays open with no
	// finding for its key; a finding after that opens a new alert. 0 means
	// 30m.
	CloseAfter time.Duration
	// MaxOpenPerHour is the rate, in packet time, at which new alerts may
	// open: a token bucket that refuses the findings of a noisy network
	// instead of burying people under alerts. Updates of open alerts never
	// count. 0 means 60; negative means no limit.
	MaxOpenPerHour int
	// Burst is the bucket's size: how many alerts may open at once after
	// a quiet spell. 0 means 20.
	Burst int
	// MaxOpen caps the open alerts, and so the Manager's memory; findings
	// that would open more are refused and counted. 0 means 10000.
	MaxOpen int
	// Sinks receive every state change, in order.
	Sinks []Sink
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.UpdateEvery < 0 {
		errs = append(errs, fmt.Errorf("update interval %v is negative", c.UpdateEvery))
	}
	if c.CloseAfter < 0 {
		errs = append(errs, fmt.Errorf("close delay %v is negative", c.CloseAfter))
	}
	if c.Burst < 0 {
		errs = append(errs, fmt.Errorf("burst %d is negative", c.Burst))
	}
	if c.MaxOpen < 0 {
		errs = append(errs, fmt.Errorf("open alert cap %d is negative", c.MaxOpen))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.UpdateEvery == 0 {
		c.UpdateEvery = 15 * time.Minute
	}
	if c.CloseAfter == 0 {
		c.CloseAfter = 30 * time.Minute
	}
	if c.MaxOpenPerHour == 0 {
		c.MaxOpenPerHour = 60
	}
	if c.Burst == 0 {
		c.Burst = 20
	}
	if c.MaxOpen == 0 {
		c.MaxOpen = 10000
	}
	return c
}

// Stats counts what a Manager did and refused.
type Stats struct {
	Findings uint64 // raised
	Opened   uint64 // alerts opened (Open events)
	Updated  uint64 // Updated events
	Closed   uint64 // alerts closed (Closed events)
	Open     int    // alerts open now

	// RateLimited counts, per type, the findings that would have opened
	// an alert but found the rate limit's bucket empty.
	RateLimited map[Type]uint64
	// Full counts, per type, the findings that would have opened an alert
	// past MaxOpen.
	Full map[Type]uint64
	// Unsaved counts closed alerts dropped before any Save wrote them:
	// at most MaxOpen closed alerts wait for Save.
	Unsaved uint64

	SinkErrors    uint64 // failed Sends
	LastSinkError error  // the latest of them
}

// Manager turns findings into alerts: one open alert per Key, updated while
// findings keep coming and closed after CloseAfter without one; new alerts
// open under a global rate limit and a cap. Every state change goes to the
// sinks; Save writes them to the store.
//
// Time is packet time throughout: the Manager never reads the clock, so a
// capture replayed tomorrow gives the alerts of today. It advances with
// the findings and with Advance; the latest time seen is "now", and a
// finding older than now (detectors on other shards lag a little) is
// applied to its alert but moves nothing back.
//
// Decisions:
//   - An update is sent at most once per UpdateEvery: a finding goes out
//     at once when UpdateEvery has passed since the alert's last event;
//     otherwise it marks the alert changed, and the change goes out (from
//     Advance or the next Raise) when UpdateEvery has passed, carrying
//     the figures of that moment.
//     A rise in severity goes out at once: it is what triage sorts by,
//     and a severity rises at most four times.
//   - The stronger evidence (by Score, a tie to the later) is kept, the
//     severity is the highest seen, and the first MaxExamples examples.
//   - A Critical finding is not rate-limited (nor takes a token): the
//     limit is there to mute noise, and a critical finding is what must
//     not be muted. MaxOpen still applies, since it bounds memory.
//   - Closing is driven by packet time only. Flush, at the end of input,
//     sends pending updates and closes nothing: the condition was still
//     on when the capture or the process ended, so the alert stays open
//     in the store, and the next run (which Restores it) or the next
//     capture read into the same state closes it when its packets show
//     CloseAfter of quiet. An alert closes at Last+CloseAfter, whenever
//     that is noticed.
//
// A Manager is not safe for concurrent use: detectors sharing one hold a
// lock around its calls.
type Manager struct {
	cfg  Config
	open map[Key]*entry
	// closed holds closed alerts that no Save has written yet, oldest
	// first.
	closed []*Alert

	now  time.Time // the latest packet time seen
	next time.Time // the earliest deadline of an open alert; zero: none

	tokens   float64   // the rate limit's bucket
	refilled time.Time // packet time the bucket was last filled

	stats Stats
}

type entry struct {
	a       Alert
	sent    time.Time // packet time of the alert's last event
	pending bool      // changed since that event
	dirty   bool      // changed since the last Save
}

// New returns a Manager with no alerts.
func New(cfg Config) *Manager {
	cfg = cfg.withDefaults()
	return &Manager{
		cfg:    cfg,
		open:   make(map[Key]*entry),
		tokens: float64(cfg.Burst),
		stats:  Stats{RateLimited: make(map[Type]uint64), Full: make(map[Type]uint64)},
	}
}

// Raise applies a finding: it updates the open alert of its key, or opens
// one when the rate limit and the cap allow. Alerts whose quiet period
// ended before f.Time close first, so a finding after CloseAfter of quiet
// opens a new alert.
func (m *Manager) Raise(f Finding) {
	m.stats.Findings++
	f.Evidence = f.Evidence.Finite()
	if f.Kind == "" {
		f.Kind = defaultKind(f.Type)
	}
	if f.Severity == 0 {
		f.Severity = Medium
	}
	f.Severity = min(max(f.Severity, Info), Critical)
	m.Advance(f.Time)

	k := Key{f.Type, f.Service, f.Method, f.Route, f.Client}
	if e := m.open[k]; e != nil {
		m.update(e, f)
		return
	}
	if len(m.open) >= m.cfg.MaxOpen {
		m.stats.Full[f.Type]++
		return
	}
	if f.Severity < Critical && !m.take(f.Time) {
		m.stats.RateLimited[f.Type]++
		return
	}
	e := &entry{sent: f.Time, dirty: true}
	e.a = Alert{
		ID: NewID(k, f.Time), Type: f.Type, Kind: f.Kind, Severity: f.Severity, State: Open,
		OWASP: f.Type.OWASP(), Service: f.Service, Method: f.Method, Route: f.Route, Client: f.Client,
		First: f.Time, Last: f.Time, Count: 1, Evidence: f.Evidence,
	}
	if f.Example != nil {
		e.a.Examples = []Example{*f.Example}
	}
	m.open[k] = e
	m.stats.Opened++
	m.deadline(e.a.Last.Add(m.cfg.CloseAfter))
	m.send(&e.a)
}

// update applies f to the open alert of its key.
func (m *Manager) update(e *entry, f Finding) {
	a := &e.a
	a.Count++
	if f.Time.After(a.Last) {
		a.Last = f.Time
	}
	if f.Evidence.Score >= a.Evidence.Score {
		a.Evidence = f.Evidence
	}
	if f.Example != nil && len(a.Examples) < MaxExamples {
		a.Examples = append(a.Examples, *f.Example)
	}
	rose := f.Severity > a.Severity
	a.Severity = max(a.Severity, f.Severity)
	e.pending, e.dirty = true, true
	if rose || !m.now.Before(e.sent.Add(m.cfg.UpdateEvery)) {
		m.emitUpdate(e, m.now)
		return
	}
	m.deadline(e.sent.Add(m.cfg.UpdateEvery))
}

// Advance moves packet time to now: alerts quiet for CloseAfter close,
// and pending updates whose UpdateEvery has passed are sent, in the order
// of the moments they fell due. Detectors call it as their windows end,
// so alerts close even when no finding comes.
func (m *Manager) Advance(now time.Time) {
	if now.After(m.now) {
		m.now = now
	}
	if m.next.IsZero() || m.now.Before(m.next) {
		return
	}
	type due struct {
		at    time.Time
		e     *entry
		close bool
	}
	var dues []due
	m.next = time.Time{}
	for _, e := range m.open {
		closeAt := e.a.Last.Add(m.cfg.CloseAfter)
		updateAt := e.sent.Add(m.cfg.UpdateEvery)
		switch {
		case !m.now.Before(closeAt):
			dues = append(dues, due{closeAt, e, true})
		case e.pending && !m.now.Before(updateAt):
			dues = append(dues, due{updateAt, e, false})
		case e.pending:
			m.deadline(updateAt)
			m.deadline(closeAt)
		default:
			m.deadline(closeAt)
		}
	}
	slices.SortFunc(dues, func(x, y due) int {
		return cmp.Or(x.at.Compare(y.at), cmp.Compare(x.e.a.ID, y.e.a.ID))
	})
	for _, d := range dues {
		if d.close {
			m.closeAlert(d.e, d.at)
			continue
		}
		m.emitUpdate(d.e, d.at)
		m.deadline(d.e.a.Last.Add(m.cfg.CloseAfter))
	}
}

// Flush sends the pending updates of all open alerts, whatever their
// cadence, and closes nothing: call it at the end of input, so the sinks
// hold each alert's latest figures. See Manager for why nothing closes.
func (m *Manager) Flush() {
	es := slices.SortedFunc(maps.Values(m.open), func(x, y *entry) int { return cmp.Compare(x.a.ID, y.a.ID) })
	for _, e := range es {
		if e.pending {
			m.emitUpdate(e, later(m.now, e.a.Last))
		}
	}
}

// Alerts returns copies of the open alerts, oldest first.
func (m *Manager) Alerts() []Alert {
	out := make([]Alert, 0, len(m.open))
	for _, e := range m.open {
		out = append(out, clone(&e.a))
	}
	slices.SortFunc(out, func(x, y Alert) int { return cmp.Or(x.First.Compare(y.First), cmp.Compare(x.ID, y.ID)) })
	return out
}

// Stats returns the counters; its maps are copies.
func (m *Manager) Stats() Stats {
	s := m.stats
	s.Open = len(m.open)
	s.RateLimited = maps.Clone(m.stats.RateLimited)
	s.Full = maps.Clone(m.stats.Full)
	return s
}

// take takes a token from the rate limit's bucket, filled at
// MaxOpenPerHour per hour of packet time up to Burst.
func (m *Manager) take(t time.Time) bool {
	if m.cfg.MaxOpenPerHour < 0 {
		return true
	}
	if m.refilled.IsZero() {
		m.refilled = t
	}
	if d := t.Sub(m.refilled); d > 0 {
		m.tokens = min(float64(m.cfg.Burst), m.tokens+d.Hours()*float64(m.cfg.MaxOpenPerHour))
		m.refilled = t
	}
	if m.tokens < 1 {
		return false
	}
	m.tokens--
	return true
}

func (m *Manager) emitUpdate(e *entry, at time.Time) {
	e.a.State = Updated
	e.sent, e.pending, e.dirty = at, false, true
	m.stats.Updated++
	m.send(&e.a)
}

// closeAlert closes e at its Last+CloseAfter and keeps it for Save.
func (m *Manager) closeAlert(e *entry, at time.Time) {
	delete(m.open, e.a.Key())
	e.a.State, e.a.Closed = Closed, at
	m.stats.Closed++
	m.send(&e.a)
	a := e.a
	if len(m.closed) >= m.cfg.MaxOpen {
		m.closed[0] = nil
		m.closed = m.closed[1:]
		m.stats.Unsaved++
	}
	m.closed = append(m.closed, &a)
}

// deadline makes Advance look again at or after t.
func (m *Manager) deadline(t time.Time) {
	if m.next.IsZero() || t.Before(m.next) {
		m.next = t
	}
}

// send hands each sink its own copy of a.
func (m *Manager) send(a *Alert) {
	for _, s := range m.cfg.Sinks {
		c := clone(a)
		if err := s.Send(&c); err != nil {
			m.stats.SinkErrors++
			m.stats.LastSinkError = err
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func clone(a *Alert) Alert {
	c := *a
	c.Examples = slices.Clone(a.Examples)
	return c
}

// Finite returns ev with the figures JSON cannot hold replaced: NaN by 0,
// infinities by the largest float of their sign (a z-score over a zero
// spread is +Inf).
func (ev Evidence) Finite() Evidence {
	for _, p := range []*float64{&ev.Observed, &ev.Baseline, &ev.Spread, &ev.Score, &ev.PValue} {
		switch {
		case math.IsNaN(*p):
			*p = 0
		case math.IsInf(*p, 1):
			*p = math.MaxFloat64
		case math.IsInf(*p, -1):
			*p = -math.MaxFloat64
		}
	}
	return ev
}
