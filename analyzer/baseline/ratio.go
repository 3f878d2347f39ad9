package baseline

import (
	"math"
	"time"
)

// Ratio learns the share of events among trials per bin: 5xx among
// requests, unauthenticated among requests, 401/403 among login attempts.
// The share is the ratio of two EWMAs, of events and of trials, with a
// Jeffreys prior of half an event in one trial over the whole history, so
// an endpoint that never erred in 10^5 requests expects p ≈ 5·10^-6, small
// but not zero, and a single 5xx is not a certainty of trouble. Test a bin
// with BinomialUpper(events, trials, p).
//
// Learning is robust: once ready, Learn clips a bin's events to trials·p
// plus 4 binomial standard deviations (never below 5 events), so a
// credential-stuffing hour does not teach the series that failed logins
// are normal. Fewer events than expected are learnt as they are. Bins
// without trials are not learnt and do not age the series.
//
// The zero Ratio is an empty series; it encodes in JSON in about 120 bytes.
type Ratio struct {
	N    int64     `json:"n"`    // bins learnt (with trials)
	Last time.Time `json:"last"` // latest bin learnt
	E    float64   `json:"e"`    // EWMA of clipped events
	T    float64   `json:"t"`    // EWMA of trials
}

// Expect returns the expected share of events among trials, and whether
// the series has learnt for long enough to be tested. An empty series
// expects 1/2, the prior.
func (r *Ratio) Expect(cfg Config) (p float64, ready bool) {
	return r.p(cfg), r.T > 0 && cfg.ready(r.N)
}

func (r *Ratio) p(cfg Config) float64 {
	a := cfg.alpha()
	return (r.E + a/2) / (r.T + a)
}

// Learn adds a finished bin's events among its trials. Events above
// trials count as trials; a bin without trials, or with NaN or negative
// numbers, is ignored.
func (r *Ratio) Learn(cfg Config, bin time.Time, events, trials float64) {
	if !(trials > 0) || !(events >= 0) || math.IsInf(trials, 1) {
		return
	}
	events = math.Min(events, trials)
	if cfg.ready(r.N) && r.T > 0 {
		p := r.p(cfg)
		hi := trials*p + clipSD*math.Sqrt(trials*p*(1-p))
		events = math.Min(events, math.Max(hi, clipFloor))
	}
	a := cfg.alpha()
	r.E += a * (events - r.E)
	r.T += a * (trials - r.T)
	r.N++
	if bin.After(r.Last) {
		r.Last = bin
	}
}
