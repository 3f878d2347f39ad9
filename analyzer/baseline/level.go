package baseline

import (
	"math"
	"time"
)

// Level learns a continuous value per bin, such as the log of the median
// latency or of the response bytes: an exponentially weighted mean and
// variance (West's incremental form, the EWMA analogue of Welford's). The
// weights are normalised from the first bin, so a young series is the
// plain mean and variance of what it has seen rather than biased towards
// zero. Test a bin with (x-mean)/sd > ZFor(alpha).
//
// Learning is robust: once ready, Learn clips a value to the mean ± 4
// standard deviations, so a slow backend for an hour moves the mean by a
// fraction of a standard deviation. The standard deviation reported is
// never below Config.MinSD.
//
// The zero Level is an empty series; it encodes in JSON in about 130
// bytes.
type Level struct {
	N    int64     `json:"n"`    // bins learnt
	Last time.Time `json:"last"` // latest bin learnt
	W    float64   `json:"w"`    // sum of EWMA weights, 1 for the newest bin
	Mean float64   `json:"mean"` // EWMA mean of clipped values
	Var  float64   `json:"var"`  // EWMA variance of clipped values
}

// Expect returns the expected value and its standard deviation, and
// whether the series has learnt for long enough to be tested.
func (l *Level) Expect(cfg Config) (mean, sd float64, ready bool) {
	return l.Mean, math.Max(math.Sqrt(l.Var), cfg.minSD()), l.N > 0 && cfg.ready(l.N)
}

// Learn adds a finished bin's value. NaN and infinite values are ignored.
func (l *Level) Learn(cfg Config, bin time.Time, x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return
	}
	if cfg.ready(l.N) && l.N > 0 {
		sd := math.Max(math.Sqrt(l.Var), cfg.minSD())
		x = math.Max(math.Min(x, l.Mean+clipSD*sd), l.Mean-clipSD*sd)
	}
	l.W = l.W*(1-cfg.alpha()) + 1
	a := 1 / l.W
	d := x - l.Mean
	l.Mean += a * d
	l.Var = (1 - a) * (l.Var + a*d*d)
	l.N++
	if bin.After(l.Last) {
		l.Last = bin
	}
}
