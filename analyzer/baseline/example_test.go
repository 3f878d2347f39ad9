package baseline_test

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/apitap/apitap/analyzer/baseline"
)

// A detector tests each finished bin against what the series expects,
// then teaches it the bin. Here an endpoint serves a steady 20 requests a
// bin for eight days, then 60.
func ExampleCounts() {
	// 5-minute bins, 24 h of learning, 72 h half-life; one false alert a
	// day over 10 000 series tested every bin.
	var cfg baseline.Config
	alpha := baseline.Alpha(1, 10000*288)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

	var s baseline.Counts
	for i := range 8 * 288 {
		s.Learn(cfg, start.Add(time.Duration(i)*cfg.Bin), float64(18+i%5)) // 18..22
	}

	bin := start.Add(8 * 24 * time.Hour)
	mean, variance, ready := s.Expect(cfg, bin)
	p := baseline.NegBinomUpper(60, mean, variance)
	fmt.Printf("expected %.1f, ready %v; P(X >= 60) = %.1e, alert %v\n", mean, ready, p, p < alpha)
	s.Learn(cfg, bin, 60)
	// Output: expected 20.0, ready true; P(X >= 60) = 4.2e-13, alert true
}

// The share of 5xx among an endpoint's requests.
func ExampleRatio() {
	var cfg baseline.Config
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var r baseline.Ratio
	for i := range 2 * 288 {
		r.Learn(cfg, start.Add(time.Duration(i)*cfg.Bin), float64(i%2), 100) // 1 in 200
	}
	p, ready := r.Expect(cfg)
	fmt.Printf("p %.4f, ready %v\n", p, ready)
	fmt.Printf("P(6 or more 5xx of 100) = %.1e\n", baseline.BinomialUpper(6, 100, p))
	// Output:
	// p 0.0050, ready true
	// P(6 or more 5xx of 100) = 1.3e-05
}

// The log of an endpoint's median latency per bin.
func ExampleLevel() {
	var cfg baseline.Config
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var l baseline.Level
	for i := range 2 * 288 {
		ms := 100 + 10*float64(i%3-1) // 90, 100, 110 ms
		l.Learn(cfg, start.Add(time.Duration(i)*cfg.Bin), math.Log(ms))
	}
	mean, sd, _ := l.Expect(cfg)
	z := (math.Log(250) - mean) / sd
	fmt.Printf("median %.0f ms; 250 ms is z %.1f, above ZFor(1e-6) = %.2f: %v\n",
		math.Exp(mean), z, baseline.ZFor(1e-6), z > baseline.ZFor(1e-6))
	// Output: median 100 ms; 250 ms is z 11.2, above ZFor(1e-6) = 4.75: true
}

// Latency creeping up by one standard deviation goes unnoticed bin by bin
// but not by Page-Hinkley; the state is stored as JSON between runs.
func ExamplePageHinkley() {
	var ph baseline.PageHinkley
	for i := 1; ; i++ {
		z := 1.0 // each bin one sd above the baseline: never alarming alone
		if alarm, stat := ph.Add(z, baseline.PageHinkleyDelta, baseline.PageHinkleyLambda); alarm {
			fmt.Printf("shift up found after %d bins (stat %.1f)\n", i, stat)
			break
		}
		if i == 10 {
			b, _ := json.Marshal(&ph)
			fmt.Printf("stored %s\n", b)
		}
	}
	// Output:
	// stored {"up":5,"down":0,"n":10}
	// shift up found after 25 bins (stat 12.5)
}
