package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/analyzer/spec"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/storage"
	"github.com/prometheus/client_golang/prometheus"
)

// analysis is what read and run do with transactions: the inventory, the
// detectors that follow it and the alerts they raise, kept in one store.
// Its methods lock, so run's workers may call observe concurrently.
type analysis struct {
	mu     sync.Mutex // guards inv, idx, det and alerts
	inv    *inventory.Inventory
	idx    *spec.Index
	det    *detect.Detector
	alerts *alert.Manager
	st     *storage.Store // nil without --state
	sv     *saver
}

// openAnalysis makes the analysis, loading the stored state when state is
// set: inventory, baselines and open alerts.
func openAnalysis(state string, idx *spec.Index, icfg inventory.Config, dcfg detect.Config, acfg alert.Config) (*analysis, error) {
	var st *storage.Store
	if state != "" {
		var err error
		if st, err = storage.Open(state); err != nil {
			return nil, err
		}
	}
	inv, err := loadInventory(st, idx, icfg)
	if err != nil {
		if st != nil {
			st.Close()
		}
		return nil, err
	}
	a := &analysis{inv: inv, idx: idx, st: st, alerts: alert.New(acfg)}
	a.det = detect.New(dcfg, a.alerts)
	if st != nil {
		if err := a.det.Load(st); err != nil {
			st.Close()
			return nil, fmt.Errorf("load baselines from %s: %w", state, err)
		}
		if err := a.alerts.Restore(st); err != nil {
			st.Close()
			return nil, fmt.Errorf("load alerts from %s: %w", state, err)
		}
	}
	a.sv = &saver{st: st, lock: &a.mu, parts: []func(*storage.Batch) error{
		func(b *storage.Batch) error { return a.inv.Save(b) },
		func(b *storage.Batch) error { return a.det.Save(b) },
		func(b *storage.Batch) error { return a.alerts.Save(b) },
	}}
	return a, nil
}

// observe adds one transaction.
func (a *analysis) observe(t *http1.Transaction) {
	a.mu.Lock()
	a.det.Observe(t, a.inv.Observe(t))
	a.mu.Unlock()
}

// advance moves the detectors' and alerts' packet time to now: a live
// sensor calls it on a quiet link, so silence closes bins and alerts.
func (a *analysis) advance(now time.Time) {
	a.mu.Lock()
	a.det.Advance(now)
	a.alerts.Advance(now)
	a.mu.Unlock()
}

// setSpecs swaps the documented APIs (SIGHUP).
func (a *analysis) setSpecs(idx *spec.Index) {
	a.mu.Lock()
	a.idx = idx
	a.inv.SetSpecs(matcherOf(idx))
	a.mu.Unlock()
}

// finish sends the alerts' pending updates (end of input).
func (a *analysis) finish() {
	a.mu.Lock()
	a.alerts.Flush()
	a.mu.Unlock()
}

// save writes what changed since the last save; without a store it does
// nothing.
func (a *analysis) save() error {
	if a.st == nil {
		return nil
	}
	return a.sv.save()
}

func (a *analysis) close() error {
	if a.st == nil {
		return nil
	}
	return a.st.Close()
}

// markLearning fills the rows' Baseline from the detector: learning or
// ready as of the inventory's latest transaction (packet time).
func markLearning(rows []report.Row, det *detect.Detector, inv *inventory.Inventory) {
	var now time.Time
	for _, e := range inv.Endpoints() {
		if e.LastSeen.After(now) {
			now = e.LastSeen
		}
	}
	for i := range rows {
		r := &rows[i]
		until, ok := det.Learning(r.Service, r.Method, r.Template)
		switch {
		case !ok:
		case now.Before(until):
			r.Baseline = "learning until " + until.UTC().Format(time.RFC3339)
		default:
			r.Baseline = "ready"
		}
	}
}

// refused says how many findings the alert manager's rate limit or cap
// turned away, for read's summary; "" when none.
func (a *analysis) refused() string {
	a.mu.Lock()
	st := a.alerts.Stats()
	a.mu.Unlock()
	var n uint64
	for _, t := range alert.Types {
		n += st.RateLimited[t] + st.Full[t]
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d findings refused by the rate limit", n)
}

// alertLog is a sink that keeps the latest state of every alert of a run,
// for read's report. It keeps at most maxLogged alerts; the rest are
// counted.
type alertLog struct {
	byID    map[string]int
	alerts  []alert.Alert
	dropped int
}

const maxLogged = 10000

func (l *alertLog) Send(a *alert.Alert) error {
	if i, ok := l.byID[a.ID]; ok {
		l.alerts[i] = *a
		return nil
	}
	if len(l.alerts) >= maxLogged {
		l.dropped++
		return nil
	}
	if l.byID == nil {
		l.byID = map[string]int{}
	}
	l.byID[a.ID] = len(l.alerts)
	l.alerts = append(l.alerts, *a)
	return nil
}

// analysisCollector exposes the counters of the inventory, the detectors
// and the alerts. Labels are bounded: alert events and types are fixed
// vocabularies.
type analysisCollector struct{ a *analysis }

var analysisDescs = map[string]*prometheus.Desc{
	"inv_txns":     desc("inventory_transactions_total", "Transactions added to the inventory."),
	"inv_over":     desc("inventory_overflow_total", "Transactions counted towards an overflow endpoint or service."),
	"inv_missing":  desc("inventory_not_found_total", "404s on paths no route matches, counted on the not-found endpoint."),
	"tests":        desc("detect_tests_total", "Statistical tests run on closed bins."),
	"findings":     desc("detect_findings_total", "Detector firings handed to the alert manager."),
	"bins":         desc("detect_bins_total", "Time bins closed."),
	"evicted":      desc("detect_endpoints_evicted_total", "Endpoint baselines dropped from memory at the cap (saved first)."),
	"untracked":    desc("detect_clients_untracked_total", "Transactions whose client the abuse rules could not follow (client cap)."),
	"events":       desc("alert_events_total", "Alert state changes sent to the sinks.", "event"),
	"open":         desc("alert_open", "Alerts open now."),
	"rate_limited": desc("alert_rate_limited_total", "Findings that would have opened an alert, refused by the rate limit or the cap.", "type"),
	"sink_errors":  desc("alert_sink_errors_total", "Alert events a sink failed to take."),
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("apitap_"+name, help, labels, nil)
}

func (c analysisCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range analysisDescs {
		ch <- d
	}
}

func (c analysisCollector) Collect(ch chan<- prometheus.Metric) {
	c.a.mu.Lock()
	is, ds, as := c.a.inv.Stats(), c.a.det.Stats(), c.a.alerts.Stats()
	c.a.mu.Unlock()
	counter := func(name string, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(analysisDescs[name], prometheus.CounterValue, float64(v), labels...)
	}
	counter("inv_txns", is.Transactions)
	counter("inv_over", is.Overflow)
	counter("inv_missing", is.NotFound)
	counter("tests", ds.Tested)
	counter("findings", ds.Findings)
	counter("bins", ds.Bins)
	counter("evicted", ds.EvictedEPs)
	counter("untracked", ds.ClientsFull)
	counter("events", as.Opened, "opened")
	counter("events", as.Updated, "updated")
	counter("events", as.Closed, "closed")
	ch <- prometheus.MustNewConstMetric(analysisDescs["open"], prometheus.GaugeValue, float64(as.Open))
	for _, t := range alert.Types {
		counter("rate_limited", as.RateLimited[t]+as.Full[t], string(t))
	}
	counter("sink_errors", as.SinkErrors)
}
