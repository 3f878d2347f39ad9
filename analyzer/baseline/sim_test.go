package baseline

import (
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// monday is a Monday 00:00 UTC, where simulations start.
var monday = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// rhythm is a true rate per 5-minute bin: a smooth diurnal swing from
// night to an afternoon peak 3 times higher (minimum at 02:00, maximum at
// 14:00 UTC), halved at weekends.
func rhythm(peak float64) func(time.Time) float64 {
	return func(t time.Time) float64 {
		h := float64(t.Hour()) + float64(t.Minute())/60
		r := peak * (2 - math.Cos(2*math.Pi*(h-2)/24)) / 3
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			r /= 2
		}
		return r
	}
}

// poisson draws from Poisson(mean) with src.
func poisson(src *rand.PCG, mean float64) float64 {
	if mean <= 0 {
		return 0
	}
	return distuv.Poisson{Lambda: mean, Src: src}.Rand()
}

// bins returns the start of each 5-minute bin of the given number of days
// from monday.
func bins(days int) []time.Time {
	out := make([]time.Time, days*288)
	for i := range out {
		out[i] = monday.Add(time.Duration(i) * 5 * time.Minute)
	}
	return out
}

// run feeds days of simulated Poisson traffic with the given peak rate to
// a Counts, calling each(bin, true rate, count, series before learning)
// before each bin is learnt. burst, if not nil, multiplies the true rate.
func run(c *Counts, cfg Config, peak float64, seed uint64, days int, burst func(time.Time) float64, each func(time.Time, float64, float64, *Counts)) {
	src := rand.NewPCG(seed, 1)
	rate := rhythm(peak)
	for _, b := range bins(days) {
		lam := rate(b)
		if burst != nil {
			lam *= burst(b)
		}
		x := poisson(src, lam)
		if each != nil {
			each(b, lam, x, c)
		}
		c.Learn(cfg, b, x)
	}
}
