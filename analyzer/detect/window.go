package detect

import (
	"fmt"
	"math"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/baseline"
)

// The window tests add up the last winBins bins. A quiet endpoint's
// single bin holds too few requests for any test to see a tenfold rate,
// a 5xx burst or a fivefold latency; an hour of them does. Busy
// endpoints are still caught by the single-bin tests first.
const winBins = 12

// windowSpan names the window in findings' details.
var windowSpan = fmt.Sprintf("%d bins", winBins)

// A drop is an endpoint losing most of its traffic (an outage, a client
// gone, a mirror cut), not a quiet Saturday: the count must fall to
// dropShare of the expected one besides being unlikely. Until a series
// has learnt the week's rhythm (two weeks), only silence counts: its first
// weekend would otherwise look like an outage.
const dropShare = 0.25

// minExcessEvents is the absolute floor of the 5xx and 401/403 surges:
// errors beyond those expected.
const minExcessEvents = 3

// binSums is one bin's figures, as the window tests add them up.
type binSums struct {
	n, mean, variance float64 // requests, and their expectation
	e5, denied, huge  float64
	p5, pDenied       float64 // expected shares at the time
	latN, latSum      float64 // requests with a latency; sum of log ms
	ready             bool
}

// Moments follows the mean and variance of single values (a log latency,
// a log size), exponentially weighted once it holds momentsCap values.
// Values beyond 4 standard deviations are clipped as they are learnt, so
// an attack teaches it little.
type Moments struct {
	N    float64 `json:"n"`
	Mean float64 `json:"mean"`
	Var  float64 `json:"var"`
}

const (
	momentsCap   = 5000
	momentsReady = 20
)

func (m *Moments) add(x float64) {
	if m.N >= momentsReady {
		sd := math.Sqrt(m.Var)
		x = max(m.Mean-4*sd, min(m.Mean+4*sd, x))
	}
	m.N = min(m.N+1, momentsCap)
	d := x - m.Mean
	m.Mean += d / m.N
	m.Var += (d*(x-m.Mean) - m.Var) / m.N
}

// expect returns the mean and standard deviation, with a floor on the
// latter (a constant latency must not make a 1 % change an alarm).
func (m *Moments) expect() (mean, sd float64, ok bool) {
	return m.Mean, max(math.Sqrt(m.Var), 0.1), m.N >= momentsReady
}

// pushWindow records the closed bin.
func (ep *endpoint) pushWindow(b binSums) {
	ep.win[ep.wi%winBins] = b
	ep.wi++
}

// testWindow runs the window tests over the last winBins bins.
func (d *Detector) testWindow(ep *endpoint, f func(alert.Type, alert.Severity, alert.Evidence, string)) {
	var w binSums
	bins := 0
	for _, b := range ep.win {
		if !b.ready {
			continue
		}
		bins++
		w.n += b.n
		w.mean += b.mean
		w.variance += b.variance
		w.e5 += b.e5
		w.denied += b.denied
		w.huge += b.huge
		w.p5 += b.p5 * b.n
		w.pDenied += b.pDenied * b.n
		w.latN += b.latN
		w.latSum += b.latSum
	}
	if bins < winBins {
		return
	}
	d.stats.Tested += 5
	sd := math.Sqrt(w.variance)
	// Over an hour, sessions and retries make counts burstier than bins
	// taken apart suggest: a window spike must triple the expected count
	// and exceed it by 15.
	if w.n-w.mean >= max(15, 2*w.mean) {
		if p := baseline.NegBinomUpper(w.n, w.mean, w.variance); p < d.alpha {
			f(alert.RateSpike, alert.Medium, countEvidence("requests", w.n, w.mean, sd, p,
				fmt.Sprintf("%.0f requests in the last %s where %.1f were expected", w.n, windowSpan, w.mean)), "")
		}
	}
	weekly := ep.s.Requests.Season(d.cfg.Baseline, d.bin) == baseline.SeasonWeek
	// Silence is the silence test's (see silence); before the weekly
	// rhythm is known, a partial drop is not tested at all.
	if weekly && w.n > 0 && w.mean-w.n >= 10 && w.n <= dropShare*w.mean {
		if p := baseline.NegBinomLower(w.n, w.mean, w.variance); p < d.alpha {
			f(alert.RateDrop, alert.Low, countEvidence("requests", w.n, w.mean, sd, p,
				fmt.Sprintf("%.0f requests in the last %s where %.1f were expected", w.n, windowSpan, w.mean)), "")
		}
	}
	for _, r := range []struct {
		events, expected float64
		metric           string
		t                alert.Type
	}{{w.e5, w.p5, "error_ratio_5xx", alert.ErrorSurge}, {w.denied, w.pDenied, "error_ratio_401_403", alert.AuthFailureSurge}} {
		if w.n == 0 || r.events-r.expected < minExcessEvents || r.events < 0.1*w.n {
			continue
		}
		p0 := max(r.expected/w.n, 1e-4)
		if p := baseline.BinomialUpper(r.events, w.n, p0); p < d.alpha {
			f(r.t, alert.Medium, countEvidence(r.metric, r.events/w.n, p0, math.Sqrt(p0*(1-p0)/w.n), p,
				fmt.Sprintf("%.0f of %.0f requests (%.1f%%) in the last %s where %.2f%% is usual", r.events, w.n, 100*r.events/w.n, windowSpan, 100*p0)), "")
		}
	}
	if m, sdl, ok := ep.s.LogLatency.expect(); ok && w.latN >= 8 {
		x := w.latSum / w.latN
		z := (x - m) / (sdl / math.Sqrt(w.latN))
		if ratio := math.Exp(x - m); math.Abs(z) > d.z && (ratio >= 2 || ratio <= 0.5) {
			f(alert.LatencyShift, alert.Low, alert.Evidence{
				Metric: "latency_geomean_ms", Observed: math.Exp(x), Baseline: math.Exp(m), Spread: sdl, Score: z, ScoreKind: "z",
				Detail: fmt.Sprintf("latency %.1f ms (geometric mean of %.0f requests in the last %s) where %.1f ms is usual", math.Exp(x), w.latN, windowSpan, math.Exp(m)),
			}, "")
		}
	}
	if p0, ok := d.share(ep, &ep.s.Huge); ok && w.huge >= 3 {
		p0 = max(p0, 1e-4)
		if p := baseline.BinomialUpper(w.huge, w.n, p0); p < d.alpha {
			m, _, _ := ep.s.LogSize.expect()
			f(alert.ResponseSizeJump, alert.High, countEvidence("huge_responses", w.huge, w.n*p0, math.Sqrt(w.n*p0*(1-p0)), p,
				fmt.Sprintf("%.0f responses over %d× the usual %.0f bytes in the last %s", w.huge, hugeFactor, math.Exp(m), windowSpan)), ep.hugeBy.String())
		}
	}
}
