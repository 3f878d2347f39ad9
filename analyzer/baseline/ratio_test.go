package baseline

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// ratioRun feeds days of bins with Poisson(trials) trials and
// Binomial(p(bin)) events to r, calling each before a bin is learnt.
func ratioRun(r *Ratio, cfg Config, trials float64, p func(time.Time) float64, seed uint64, days int, each func(b time.Time, events, trials float64, r *Ratio)) {
	src := rand.NewPCG(seed, 2)
	for _, b := range bins(days) {
		n := poisson(src, trials)
		var k float64
		if n > 0 {
			k = distuv.Binomial{N: n, P: p(b), Src: src}.Rand()
		}
		if each != nil {
			each(b, k, n, r)
		}
		r.Learn(cfg, b, k, n)
	}
}

func flat(p float64) func(time.Time) float64 { return func(time.Time) float64 { return p } }

// The learnt share is within a few percent of the true one, and over clean
// bins BinomialUpper flags about alpha of them: measured over 5760 bins at
// alpha 1e-3, 2 (p 0.02, 100 trials), 1 (p 0.001, 20 trials) and 0 (p 0.3,
// 5 trials).
func TestRatioTracksAndCalibrates(t *testing.T) {
	const alpha = 1e-3
	for _, c := range []struct {
		p, trials float64
	}{
		{0.02, 100},
		{0.001, 20},
		{0.3, 5},
	} {
		var cfg Config
		var r Ratio
		var n, flagged int
		ratioRun(&r, cfg, c.trials, flat(c.p), 1, 21, func(_ time.Time, k, trials float64, r *Ratio) {
			p, ready := r.Expect(cfg)
			if !ready {
				return
			}
			n++
			if BinomialUpper(k, trials, p) < alpha {
				flagged++
			}
		})
		p, _ := r.Expect(cfg)
		t.Logf("p %v, %v trials: learnt %.4g, %d of %d bins flagged", c.p, c.trials, p, flagged, n)
		if math.Abs(p/c.p-1) > 0.1 || float64(flagged) > 2*alpha*float64(n) {
			t.Errorf("p %v, %v trials: learnt %.4g, %d of %d bins flagged", c.p, c.trials, p, flagged, n)
		}
	}
}

// An endpoint that never erred expects a small share, not zero: one error
// among a bin's 100 requests is unusual, five are an alarm at any budget.
func TestRatioNeverErred(t *testing.T) {
	var cfg Config
	var r Ratio
	ratioRun(&r, cfg, 100, flat(0), 1, 7, nil)
	p, ready := r.Expect(cfg)
	p1, p5 := BinomialUpper(1, 100, p), BinomialUpper(5, 100, p)
	t.Logf("never erred: p %.3g, P(1 of 100) %.3g, P(5 of 100) %.3g", p, p1, p5)
	if !ready || !(p > 0) || p > 1e-5 || p1 < 1e-4 || p5 > 1e-15 {
		t.Errorf("never erred: p %v, ready %v, P(1 of 100) %v, P(5 of 100) %v", p, ready, p1, p5)
	}
}

// Two hours of half the requests failing (25 times the usual share) move
// the learnt share by 6.7 % (measured): events are clipped to 4 binomial
// standard deviations.
func TestRatioRobust(t *testing.T) {
	start := monday.Add(5*24*time.Hour + 10*time.Hour)
	attack := func(b time.Time) float64 {
		if !b.Before(start) && b.Before(start.Add(2*time.Hour)) {
			return 0.5
		}
		return 0.02
	}
	var cfg Config
	var clean, hit Ratio
	ratioRun(&clean, cfg, 100, flat(0.02), 1, 6, nil)
	ratioRun(&hit, cfg, 100, attack, 1, 6, nil)
	p0, _ := clean.Expect(cfg)
	p1, _ := hit.Expect(cfg)
	t.Logf("attack moved p %.4g -> %.4g (%+.3f)", p0, p1, p1/p0-1)
	if p1/p0-1 > 0.1 {
		t.Errorf("attack moved p %.4g -> %.4g", p0, p1)
	}
}

func TestRatioEdges(t *testing.T) {
	var cfg Config
	var r Ratio
	if p, ready := r.Expect(cfg); p != 0.5 || ready {
		t.Errorf("empty: Expect = %v, %v; want the prior 0.5, false", p, ready)
	}
	for _, c := range [][2]float64{{0, 0}, {1, 0}, {math.NaN(), 10}, {-1, 10}, {1, math.Inf(1)}} {
		r.Learn(cfg, monday, c[0], c[1])
	}
	if r != (Ratio{}) {
		t.Errorf("invalid bins were learnt: %+v", r)
	}
	// More events than trials: all trials failed, and the prior is half an
	// event in one trial.
	r.Learn(cfg, monday, 20, 10)
	if p, _ := r.Expect(cfg); math.Abs(p-10.5/11) > 1e-9 {
		t.Errorf("20 events of 10 trials: p %v", p)
	}
}
