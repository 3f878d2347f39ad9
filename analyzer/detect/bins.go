package detect

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/baseline"
	"github.com/apitap/apitap/analyzer/inventory"
)

// maxGap is the longest silence bins are closed one by one over; past it
// (a capture with a hole, a clock jump) the detector starts afresh at the
// new time, and the baselines see no bins for the hole rather than a run
// of zeros.
const maxGap = 7 * 24 * time.Hour

// Advance closes every bin that ended by now (packet time): each
// endpoint's bin is tested against its baseline, then learnt. Observe
// calls it; a live sensor calls it on a quiet link too, so that silence
// is seen.
func (d *Detector) Advance(now time.Time) {
	if d.bin.IsZero() {
		return
	}
	w := d.cfg.Baseline.Bin
	if now.Sub(d.bin) > maxGap {
		d.closeBin(false)
		d.bin = now.Truncate(w)
		return
	}
	for !now.Before(d.bin.Add(w)) {
		d.closeBin(true)
		d.bin = d.bin.Add(w)
	}
}

// closeBin tests and learns the bin d.bin of every endpoint and service;
// with learn false it only clears them.
func (d *Detector) closeBin(learn bool) {
	d.stats.Bins++
	cfg := d.cfg.Baseline
	for _, ep := range d.eps {
		if ep.n > 0 { // a quiet endpoint's template has not moved
			d.refreshRoute(ep)
		}
		// The catch-all endpoints (overflow, 404s on unknown paths) are
		// no API: a scanner's burst followed by quiet is no outage.
		if learn && !inventory.IsBucket(ep.s.Route) {
			d.testEndpoint(ep)
			d.learnEndpoint(ep)
		}
		ep.reset(d.stats.Bins)
	}
	for name, s := range d.svcs {
		if learn {
			d.testService(name, s)
			s.newBin.Learn(cfg, d.bin, s.newN)
			s.dirty = true
		}
		s.newN, s.example = 0, sample{}
	}
	d.sweepClients()
}

func (ep *endpoint) reset(bins uint64) {
	for c, b := range ep.failIPs {
		if bins-b >= winBins {
			delete(ep.failIPs, c)
		}
	}
	ep.n, ep.e5, ep.denied, ep.huge = 0, 0, 0, 0
	ep.failRing[ep.wi%len(ep.failRing)], ep.fails = ep.fails, 0
	ep.lat, ep.size = ep.lat[:0], ep.size[:0]
	clear(ep.top)
	ep.hugeMax, ep.example, ep.maxIDs = 0, sample{}, 0
	ep.fired = ep.fired[:0]
}

// testEndpoint runs the statistical tests of one endpoint's bin.
func (d *Detector) testEndpoint(ep *endpoint) {
	cfg := d.cfg.Baseline
	s := ep.s
	f := func(t alert.Type, sev alert.Severity, ev alert.Evidence, client string) {
		ep.fired = append(ep.fired, t)
		ev.Window = cfg.Bin.String()
		d.find(alert.Finding{
			Type: t, Kind: alert.Statistical, Severity: sev, Service: s.Service, Method: s.Method, Route: s.Route,
			Client: client, Time: d.bin.Add(cfg.Bin), Evidence: ev, Example: ep.example.example(),
		})
	}
	if mean, variance, ok := s.Requests.Expect(cfg, d.bin); ok {
		d.stats.Tested += 2
		sd := math.Sqrt(variance)
		// A spike needs an absolute excess too, so a quiet endpoint's
		// 3 requests where 0.2 were expected stay unremarked.
		if ep.n-mean >= max(10, mean) {
			if p := baseline.NegBinomUpper(ep.n, mean, variance); p < d.alpha {
				client := ""
				if c, share := ep.topClient(); share >= 0.5 {
					client = c.String()
				}
				f(alert.RateSpike, alert.Medium, countEvidence("requests", ep.n, mean, sd, p,
					fmt.Sprintf("%.0f requests in %s where %.1f were expected", ep.n, cfg.Bin, mean)), client)
			}
		}
		if ep.n > 0 && mean-ep.n >= 10 && ep.n <= dropShare*mean && s.Requests.Season(cfg, d.bin) == baseline.SeasonWeek {
			if p := baseline.NegBinomLower(ep.n, mean, variance); p < d.alpha {
				f(alert.RateDrop, alert.Low, countEvidence("requests", ep.n, mean, sd, p,
					fmt.Sprintf("%.0f requests in %s where %.1f were expected", ep.n, cfg.Bin, mean)), "")
			}
		}
	}
	d.silence(ep, f)
	d.ratioTest(ep, &s.Err5xx, ep.e5, "error_ratio_5xx", alert.ErrorSurge, f)
	d.ratioTest(ep, &s.Denied, ep.denied, "error_ratio_401_403", alert.AuthFailureSurge, f)
	if len(ep.lat) >= 10 {
		x := math.Log(max(median(ep.lat), 0.01))
		if m, sd, ok := s.Latency.Expect(cfg); ok && sd > 0 {
			d.stats.Tested++
			z := (x - m) / sd
			ratio := math.Exp(x - m)
			if alarm, stat := s.Drift.Add(max(-5, min(5, z)), 0.5, 30); alarm && (ratio >= 1.5 || ratio <= 0.67) {
				f(alert.LatencyShift, alert.Low, alert.Evidence{
					Metric: "latency_p50_ms", Observed: math.Exp(x), Baseline: math.Exp(m), Spread: sd, Score: stat, ScoreKind: "page_hinkley",
					Detail: fmt.Sprintf("median latency drifted to %.1f ms from %.1f ms", math.Exp(x), math.Exp(m)),
				}, "")
			}
		}
	}
	b := binSums{n: ep.n, e5: ep.e5, denied: ep.denied, huge: ep.huge}
	if mean, variance, ok := s.Requests.Expect(cfg, d.bin); ok {
		b.mean, b.variance, b.ready = mean, variance, true
		b.p5, _ = s.Err5xx.Expect(cfg)
		b.pDenied, _ = s.Denied.Expect(cfg)
	}
	for _, l := range ep.lat {
		b.latN++
		b.latSum += math.Log(max(l, 0.01))
	}
	ep.pushWindow(b)
	d.testWindow(ep, f)
}

// share returns a ratio baseline's expected share, ready once the
// endpoint is past its learning period and the ratio has seen minRatioBins
// bins with requests. baseline.Ratio itself waits for a learning period's
// worth of bins with requests, which a quiet endpoint (a few requests an
// hour) takes a week to collect; its estimate, which starts from a prior
// of one bin, is sound long before.
func (d *Detector) share(ep *endpoint, r *baseline.Ratio) (float64, bool) {
	p, _ := r.Expect(d.cfg.Baseline)
	return p, r.N >= minRatioBins && d.bin.Sub(ep.s.First) >= d.cfg.Baseline.Learning
}

const minRatioBins = 20

// silence follows a run of bins without a request: the expected requests
// add up over the run, and once none at all is unlikely enough, the
// endpoint has gone silent (an outage, a client or a mirror gone). This
// finds an hour's silence of an endpoint expecting a handful of requests
// per bin, which no single bin can show, and needs no weekly rhythm.
func (d *Detector) silence(ep *endpoint, f func(alert.Type, alert.Severity, alert.Evidence, string)) {
	mean, variance, ok := ep.s.Requests.Expect(d.cfg.Baseline, d.bin)
	if !ok || ep.n > 0 {
		ep.silentMean, ep.silentVar, ep.silentBins = 0, 0, 0
		return
	}
	ep.silentMean += mean
	ep.silentVar += variance
	ep.silentBins++
	// Until the week's rhythm is learnt, a weekend hour may expect half
	// what the model says: the test takes half, so a quiet Sunday
	// morning is not an outage.
	// That halving is the allowance for the rhythm not yet learnt, in
	// place of the model's own spread.
	m, v := ep.silentMean, ep.silentVar
	if ep.s.Requests.Season(d.cfg.Baseline, d.bin) != baseline.SeasonWeek {
		m /= 2
		v = m
	}
	if m < 10 {
		return
	}
	if p := baseline.NegBinomLower(0, m, v); p < d.alpha {
		span := time.Duration(ep.silentBins) * d.cfg.Baseline.Bin
		f(alert.RateDrop, alert.Medium, countEvidence("requests", 0, ep.silentMean, math.Sqrt(ep.silentVar), p,
			fmt.Sprintf("no request for %s where %.1f were expected", span, ep.silentMean)), "")
	}
}

// ratioTest tests a bin's share of events (5xx, 401/403) among requests
// against the baseline share, with a binomial tail and an absolute floor.
func (d *Detector) ratioTest(ep *endpoint, r *baseline.Ratio, events float64, metric string, t alert.Type, f func(alert.Type, alert.Severity, alert.Evidence, string)) {
	p0, ok := d.share(ep, r)
	if !ok || ep.n == 0 {
		return
	}
	d.stats.Tested++
	p0 = max(p0, 1e-4)
	if events-ep.n*p0 < minExcessEvents || events < 0.1*ep.n {
		return
	}
	if p := baseline.BinomialUpper(events, ep.n, p0); p < d.alpha {
		f(t, alert.Medium, countEvidence(metric, events/ep.n, p0, math.Sqrt(p0*(1-p0)/ep.n), p,
			fmt.Sprintf("%.0f of %.0f requests (%.1f%%) where %.2f%% is usual", events, ep.n, 100*events/ep.n, 100*p0)), "")
	}
}

// learnEndpoint adds the bin to the endpoint's baselines. The baselines
// clip outliers themselves, so a bin that alerted teaches them little.
func (d *Detector) learnEndpoint(ep *endpoint) {
	cfg := d.cfg.Baseline
	s := ep.s
	if d.bin.Before(s.First) {
		return
	}
	// A bin that fired teaches the baseline nothing of what fired: the
	// baselines clip outliers, but a clipped spike still widens the
	// spread a quiet endpoint is tested against, and each attack would
	// blunt the test for the next. The count learnt is the expected one.
	fired := func(ts ...alert.Type) bool {
		for _, t := range ts {
			if slices.Contains(ep.fired, t) {
				return true
			}
		}
		return false
	}
	n := ep.n
	if fired(alert.RateSpike, alert.RateDrop) {
		n, _, _ = s.Requests.Expect(cfg, d.bin)
	}
	s.Requests.Learn(cfg, d.bin, n)
	if ep.n > 0 {
		if !fired(alert.ErrorSurge) {
			s.Err5xx.Learn(cfg, d.bin, ep.e5, ep.n)
		}
		if !fired(alert.AuthFailureSurge) {
			s.Denied.Learn(cfg, d.bin, ep.denied, ep.n)
		}
		if !fired(alert.ResponseSizeJump) {
			s.Huge.Learn(cfg, d.bin, ep.huge, ep.n)
		}
	}
	if !fired(alert.LatencyShift) {
		if len(ep.lat) >= 3 {
			s.Latency.Learn(cfg, d.bin, math.Log(max(median(ep.lat), 0.01)))
		}
		for _, l := range ep.lat {
			s.LogLatency.add(math.Log(max(l, 0.01)))
		}
	}
	if !fired(alert.ResponseSizeJump) {
		for _, z := range ep.size {
			s.LogSize.add(math.Log(max(z, 1)))
		}
	}
	if ep.maxIDs > 0 {
		s.IDs.Learn(cfg, d.bin, math.Log(float64(ep.maxIDs)))
	}
	ep.dirty = true
}

// testService tests a service's bin: a surge of clients never seen
// before.
func (d *Detector) testService(name string, s *service) {
	cfg := d.cfg.Baseline
	mean, variance, ok := s.newBin.Expect(cfg, d.bin)
	if !ok {
		return
	}
	d.stats.Tested++
	if s.newN-mean < max(20, 2*mean) {
		return
	}
	if p := baseline.NegBinomUpper(s.newN, mean, variance); p < d.alpha {
		d.find(alert.Finding{
			Type: alert.NewClientsSurge, Kind: alert.Statistical, Severity: alert.Low, Service: name, Time: d.bin.Add(cfg.Bin),
			Evidence: countEvidence("new_clients", s.newN, mean, math.Sqrt(variance), p,
				fmt.Sprintf("%.0f clients never seen before in %s where %.1f are usual", s.newN, cfg.Bin, mean)),
			Example: s.example.example(),
		})
	}
}

// countEvidence fills the evidence of a count test.
func countEvidence(metric string, observed, expected, sd, p float64, detail string) alert.Evidence {
	return alert.Evidence{
		Metric: metric, Observed: observed, Baseline: expected, Spread: sd,
		Score: -math.Log10(max(p, 1e-300)), ScoreKind: "neg_log10_p", PValue: p, Detail: detail,
	}
}

// topClient returns the client with the most requests in the bin and its
// share of them.
func (ep *endpoint) topClient() (netip.Addr, float64) {
	var best netip.Addr
	var n float64
	for c, k := range ep.top {
		if k > n || k == n && c.Less(best) {
			best, n = c, k
		}
	}
	if ep.n == 0 {
		return best, 0
	}
	return best, n / ep.n
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}
