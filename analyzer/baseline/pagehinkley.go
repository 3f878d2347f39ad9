package baseline

import "math"

// PageHinkley detects a slow, sustained shift of a standardised series
// ((x-mean)/sd against a baseline), in either direction: latency creeping
// up by one standard deviation over a day, which no single bin's test
// would flag. With the mean known to be 0, the Page-Hinkley statistic is
// Page's CUSUM: Up accumulates z-delta and Down -z-delta, each floored at
// 0, and an alarm is raised when either passes lambda.
//
// Each z is clipped to ±4 first: a single wild bin is the point tests'
// business, and clipped it can move a statistic by at most 4-delta, so an
// alarm takes a run of bins.
//
// With PageHinkleyDelta and PageHinkleyLambda (0.5 and 12) a 1-sd shift is
// found after about 24 bins on average, and independent N(0,1) values
// raise a false alarm about once in 500 000 bins (Siegmund's approximation
// of the two-sided run length). Real standardised values are neither
// independent nor exactly normal, so expect more.
//
// The zero PageHinkley is ready to use; it encodes in JSON in about 40
// bytes.
type PageHinkley struct {
	Up   float64 `json:"up"`   // upward statistic
	Down float64 `json:"down"` // downward statistic
	N    int64   `json:"n"`    // values since the last reset
}

// Defaults for PageHinkley.Add: detect a 1-sd shift, rarely alarm on noise.
const (
	PageHinkleyDelta  = 0.5
	PageHinkleyLambda = 12
)

// phClip bounds a single value's contribution.
const phClip = 4

// Add adds a standardised value z with allowance delta and threshold
// lambda. It returns whether an alarm was raised and the statistic: Up
// when Up is the larger, -Down otherwise, so its sign says the direction.
// After an alarm both statistics restart from 0. NaN is ignored.
func (p *PageHinkley) Add(z float64, delta, lambda float64) (alarm bool, stat float64) {
	if math.IsNaN(z) {
		return false, p.stat()
	}
	z = math.Max(-phClip, math.Min(phClip, z))
	p.Up = math.Max(0, p.Up+z-delta)
	p.Down = math.Max(0, p.Down-z-delta)
	p.N++
	stat = p.stat()
	if p.Up > lambda || p.Down > lambda {
		*p = PageHinkley{}
		return true, stat
	}
	return false, stat
}

func (p *PageHinkley) stat() float64 {
	if p.Up >= p.Down {
		return p.Up
	}
	return -p.Down
}
