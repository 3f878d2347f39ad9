package baseline

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// levelRun feeds days of bins of N(mean(bin), sd) values to l, calling
// each before a bin is learnt.
func levelRun(l *Level, cfg Config, mean func(time.Time) float64, sd float64, seed uint64, days int, each func(b time.Time, x float64, l *Level)) {
	rng := rand.New(rand.NewPCG(seed, 3))
	for _, b := range bins(days) {
		x := mean(b) + sd*rng.NormFloat64()
		if each != nil {
			each(b, x, l)
		}
		l.Learn(cfg, b, x)
	}
}

// Log latency around ln(0.1 s) with sd 0.2: the mean and sd are learnt to
// within a few percent of the sd, and over clean bins a one-sided z test at
// alpha 1e-3 flags about alpha on each side (measured over 5760 bins: 4
// high, 6 low; alpha predicts 5.8).
func TestLevelTracksAndCalibrates(t *testing.T) {
	const alpha, mu, sigma = 1e-3, -2.3, 0.2
	var cfg Config
	var l Level
	var n, hi, lo int
	z := ZFor(alpha)
	levelRun(&l, cfg, func(time.Time) float64 { return mu }, sigma, 1, 21, func(_ time.Time, x float64, l *Level) {
		m, sd, ready := l.Expect(cfg)
		if !ready {
			return
		}
		n++
		if (x-m)/sd > z {
			hi++
		}
		if (m-x)/sd > z {
			lo++
		}
	})
	m, sd, _ := l.Expect(cfg)
	t.Logf("learnt mean %.4f sd %.4f; %d high, %d low of %d", m, sd, hi, lo, n)
	if math.Abs(m-mu) > 0.05*sigma || math.Abs(sd/sigma-1) > 0.1 {
		t.Errorf("learnt mean %.4f sd %.4f, want %v %v", m, sd, mu, sigma)
	}
	if bound := 2 * alpha * float64(n); float64(hi) > bound || float64(lo) > bound {
		t.Errorf("%d high, %d low of %d at alpha %v", hi, lo, n, alpha)
	}
}

// A backend 10 sd slower for two hours moves the mean by 0.10 sd and the
// sd by 19 % (measured): values are clipped to 4 sd.
func TestLevelRobust(t *testing.T) {
	const mu, sigma = -2.3, 0.2
	start := monday.Add(5*24*time.Hour + 10*time.Hour)
	slow := func(b time.Time) float64 {
		if !b.Before(start) && b.Before(start.Add(2*time.Hour)) {
			return mu + 10*sigma
		}
		return mu
	}
	var cfg Config
	var clean, hit Level
	levelRun(&clean, cfg, func(time.Time) float64 { return mu }, sigma, 1, 6, nil)
	levelRun(&hit, cfg, slow, sigma, 1, 6, nil)
	m0, sd0, _ := clean.Expect(cfg)
	m1, sd1, _ := hit.Expect(cfg)
	t.Logf("slow backend moved the mean %+.3f sd, the sd %+.3f", (m1-m0)/sd0, sd1/sd0-1)
	if (m1-m0)/sd0 > 0.25 || sd1/sd0-1 > 0.25 {
		t.Errorf("slow backend moved the mean %+.3f sd, the sd %+.3f", (m1-m0)/sd0, sd1/sd0-1)
	}
}

func TestLevelEdges(t *testing.T) {
	var cfg Config
	var l Level
	if m, sd, ready := l.Expect(cfg); m != 0 || sd != DefaultMinSD || ready {
		t.Errorf("empty: Expect = %v, %v, %v", m, sd, ready)
	}
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		l.Learn(cfg, monday, x)
	}
	if l != (Level{}) {
		t.Errorf("invalid values were learnt: %+v", l)
	}
	// A value that never varies: the sd is the floor, not 0.
	for _, b := range bins(2) {
		l.Learn(cfg, b, 3)
	}
	if m, sd, ready := l.Expect(cfg); m != 3 || sd != DefaultMinSD || !ready {
		t.Errorf("constant: Expect = %v, %v, %v", m, sd, ready)
	}
	if m, sd, _ := l.Expect(Config{MinSD: 0.2}); m != 3 || sd != 0.2 {
		t.Errorf("constant, MinSD 0.2: Expect = %v, %v", m, sd)
	}
	// The first values are averaged as they come, not biased towards 0.
	var y Level
	y.Learn(cfg, monday, 10)
	y.Learn(cfg, monday.Add(5*time.Minute), 20)
	if m, sd, _ := y.Expect(cfg); math.Abs(m-15) > 0.01 || math.Abs(sd-5) > 0.01 {
		t.Errorf("two values 10, 20: mean %v sd %v, want 15 and 5", m, sd)
	}
}
