package baseline

import (
	"math/rand/v2"
	"testing"
	"time"
)

// simulated returns 21 days of bins and Poisson counts at peak 30.
func simulated() ([]time.Time, []float64) {
	bs := bins(21)
	xs := make([]float64, len(bs))
	src := rand.NewPCG(1, 1)
	rate := rhythm(30)
	for i, b := range bs {
		xs[i] = poisson(src, rate(b))
	}
	return bs, xs
}

// A detector tests and then learns every bin of every series: both must be
// free of allocations.
func TestCountsAllocs(t *testing.T) {
	var cfg Config
	bs, xs := simulated()
	var c Counts
	i := 0
	n := testing.AllocsPerRun(len(bs)-1, func() {
		m, v, _ := c.Expect(cfg, bs[i])
		_ = NegBinomUpper(xs[i], m, v)
		c.Learn(cfg, bs[i], xs[i])
		i++
	})
	if n != 0 {
		t.Fatalf("Expect+NegBinomUpper+Learn: %v allocations a bin", n)
	}
}

// BenchmarkCounts is the per-bin cost of a series: Expect then Learn, over
// 21 simulated days, restarting the series at the end.
//
//	go test -run '^$' -bench . -benchmem -count 6 ./analyzer/baseline | tee bench.txt
func BenchmarkCounts(b *testing.B) {
	var cfg Config
	bs, xs := simulated()
	var c Counts
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(bs) {
			i, c = 0, Counts{}
		}
		c.Expect(cfg, bs[i])
		c.Learn(cfg, bs[i], xs[i])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bins/s")
}

// BenchmarkCountsTest adds the tail a detector computes for each bin.
func BenchmarkCountsTest(b *testing.B) {
	var cfg Config
	bs, xs := simulated()
	var c Counts
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(bs) {
			i, c = 0, Counts{}
		}
		m, v, _ := c.Expect(cfg, bs[i])
		NegBinomUpper(xs[i], m, v)
		NegBinomLower(xs[i], m, v)
		c.Learn(cfg, bs[i], xs[i])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bins/s")
}

// BenchmarkTails is the cost of each exact tail at a typical size.
func BenchmarkTails(b *testing.B) {
	for _, c := range []struct {
		name string
		f    func() float64
	}{
		{"PoissonUpper", func() float64 { return PoissonUpper(45, 30) }},
		{"NegBinomUpper", func() float64 { return NegBinomUpper(45, 30, 60) }},
		{"NegBinomUpper/k=3000", func() float64 { return NegBinomUpper(3000, 2000, 60000) }},
		{"BinomialUpper", func() float64 { return BinomialUpper(5, 100, 0.02) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.f()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tests/s")
		})
	}
}
