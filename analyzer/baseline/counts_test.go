package baseline

import (
	"math"
	"testing"
	"time"
)

// Expected means against the true rate, as the mean absolute relative
// error over the bins of a span, for a quiet, a moderate and a busy
// endpoint (peaks of 3, 30 and 300 requests a 5-minute bin). Measured with
// seed 1:
//
//	peak  days 3-5 (weekdays, hour of day)  days 15-21 (hour of week)
//	   3              0.14                         0.17
//	  30              0.05                         0.07
//	 300              0.04                         0.04
//
// At peak 300 the error is mostly the rhythm moving within an hour, which
// hourly factors cannot follow; at peak 3 it is Poisson noise in factors
// that have seen an hour or two of a handful of requests.
func TestCountsTracksRhythm(t *testing.T) {
	for _, c := range []struct {
		peak           float64
		weekdays, week float64 // bounds on the error
	}{
		{3, 0.25, 0.25},
		{30, 0.10, 0.10},
		{300, 0.06, 0.06},
	} {
		var s Counts
		var cfg Config
		var wdErr, wErr float64
		var wdN, wN int
		run(&s, cfg, c.peak, 1, 21, nil, func(b time.Time, lam, _ float64, s *Counts) {
			m, _, ready := s.Expect(cfg, b)
			if !ready {
				return
			}
			day := int(b.Sub(monday) / (24 * time.Hour))
			e := math.Abs(m-lam) / lam
			switch {
			case day >= 2 && day < 5:
				wdErr += e
				wdN++
			case day >= 14:
				wErr += e
				wN++
			}
		})
		wd, w := wdErr/float64(wdN), wErr/float64(wN)
		t.Logf("peak %v: error days 3-5 %.3f, days 15-21 %.3f", c.peak, wd, w)
		if wd > c.weekdays || w > c.week {
			t.Errorf("peak %v: error days 3-5 %.3f (bound %v), days 15-21 %.3f (bound %v)", c.peak, wd, c.weekdays, w, c.week)
		}
	}
}

// The profiles switch on at 2 and 14 days of history, and the hour-of-week
// profile is what makes weekends right: under the hour-of-day profile the
// weekends of days 5-6 and 12-13 are expected 77 % off (about twice their
// traffic), under the hour-of-week profile days 19-20 are 3.8 % off
// (measured at peak 300).
func TestCountsWeekProfile(t *testing.T) {
	var cfg Config
	var s Counts
	weekendErr := map[Season]float64{}
	weekendN := map[Season]int{}
	seasons := map[int]Season{}
	run(&s, cfg, 300, 1, 21, nil, func(b time.Time, lam, _ float64, s *Counts) {
		day := int(b.Sub(monday) / (24 * time.Hour))
		if b.Hour() == 12 && b.Minute() == 0 {
			seasons[day] = s.Season(cfg, b)
		}
		if wd := b.Weekday(); wd == time.Saturday || wd == time.Sunday {
			m, _, _ := s.Expect(cfg, b)
			weekendErr[s.Season(cfg, b)] += math.Abs(m-lam) / lam
			weekendN[s.Season(cfg, b)]++
		}
	})
	for _, c := range []struct {
		day  int
		want Season
	}{
		{0, SeasonNone}, {1, SeasonNone}, {2, SeasonDay}, {13, SeasonDay}, {14, SeasonWeek}, {20, SeasonWeek},
	} {
		if seasons[c.day] != c.want {
			t.Errorf("day %d: season %v, want %v", c.day, seasons[c.day], c.want)
		}
	}
	day := weekendErr[SeasonDay] / float64(weekendN[SeasonDay])
	week := weekendErr[SeasonWeek] / float64(weekendN[SeasonWeek])
	t.Logf("weekend error: hour of day %.3f, hour of week %.3f", day, week)
	if day < 0.5 || week > 0.05 {
		t.Errorf("weekend error: hour of day %.3f (want > 0.5), hour of week %.3f (want < 0.05)", day, week)
	}
}

// Over clean traffic, the share of bins whose count a detector would flag
// at alpha = 1e-3 must be about alpha, on either side, from the first day
// the series is ready: the seasonal model must not cry wolf at the daily
// peak, nor at the first weekend, before it knows about weekends. 5760
// bins are tested, so alpha predicts 5.8; the bound is twice that.
// Measured with seeds 1-3, high/low:
//
//	peak    3: 1/0, 3/0, 3/0
//	peak   30: 0/4, 0/2, 0/4  (weekend mornings under the hour-of-day profile)
//	peak  300: 0/0, 0/0, 0/0
//	peak 3000: 0/0, 0/0, 0/0
func TestCountsCalibration(t *testing.T) {
	const alpha = 1e-3
	for _, peak := range []float64{3, 30, 300, 3000} {
		for seed := uint64(1); seed <= 3; seed++ {
			var cfg Config
			var s Counts
			var n, hi, lo int
			run(&s, cfg, peak, seed, 21, nil, func(b time.Time, _, x float64, s *Counts) {
				m, v, ready := s.Expect(cfg, b)
				if !ready {
					return
				}
				n++
				if NegBinomUpper(x, m, v) < alpha {
					hi++
				}
				if NegBinomLower(x, m, v) < alpha {
					lo++
				}
			})
			t.Logf("peak %v seed %d: %d bins, %d high, %d low", peak, seed, n, hi, lo)
			if bound := 2 * alpha * float64(n); float64(hi) > bound || float64(lo) > bound {
				t.Errorf("peak %v seed %d: %d high and %d low of %d bins at alpha %v", peak, seed, hi, lo, n, alpha)
			}
		}
	}
}

// A 2-hour burst of 20 times the traffic on day 22 (a Tuesday, both
// profiles learnt) is clipped as it is learnt. Measured against a twin
// series without the burst, the level ends it 5.6 %, 2.8 % and 1.6 %
// higher at peaks 3, 30 and 3000, and the same hours a week later are
// expected 10 %, 12 % and 8 % higher: the hour-of-week factor moves by its
// EWMA weight times the clipped excess.
func TestCountsRobust(t *testing.T) {
	start := monday.Add(22*24*time.Hour + 10*time.Hour)
	burst := func(b time.Time) float64 {
		if !b.Before(start) && b.Before(start.Add(2*time.Hour)) {
			return 20
		}
		return 1
	}
	for _, c := range []struct {
		peak       float64
		level, hrs float64 // bounds on the relative change
	}{
		{3, 0.10, 0.2},
		{30, 0.10, 0.2},
		{3000, 0.10, 0.2},
	} {
		var cfg Config
		var clean, hit Counts
		run(&clean, cfg, c.peak, 1, 23, nil, nil)
		run(&hit, cfg, c.peak, 1, 23, burst, nil)
		lvl := hit.Level(cfg)/clean.Level(cfg) - 1
		// The profiles at the burst's first hour, a day and a week later.
		day, week := start.Add(24*time.Hour), start.Add(7*24*time.Hour)
		m0, _, _ := clean.Expect(cfg, day)
		m1, _, _ := hit.Expect(cfg, day)
		w0, _, _ := clean.Expect(cfg, week)
		w1, _, _ := hit.Expect(cfg, week)
		t.Logf("peak %v: level %+.3f, next day %+.3f, next week %+.3f", c.peak, lvl, m1/m0-1, w1/w0-1)
		if math.Abs(lvl) > c.level || m1/m0-1 > c.hrs || w1/w0-1 > c.hrs {
			t.Errorf("peak %v: burst moved the level %+.3f, the next day %+.3f, the next week %+.3f", c.peak, lvl, m1/m0-1, w1/w0-1)
		}
	}
}

func TestCountsEdges(t *testing.T) {
	var cfg Config
	var empty Counts
	if m, v, ready := empty.Expect(cfg, monday); m != 0 || v != 0 || ready {
		t.Errorf("empty: Expect = %v, %v, %v", m, v, ready)
	}

	// A series that never counted anything (the 5xx of a healthy endpoint)
	// expects a little: a single event is unusual, not impossible.
	var zero Counts
	for _, b := range bins(3) {
		zero.Learn(cfg, b, 0)
	}
	m, v, ready := zero.Expect(cfg, monday.Add(72*time.Hour))
	p1, p3 := NegBinomUpper(1, m, v), NegBinomUpper(3, m, v)
	t.Logf("never counted: mean %.3g, P(X >= 1) %.3g, P(X >= 3) %.3g", m, p1, p3)
	if !ready || !(m > 0) || m > 1e-3 || !(p1 > 0) || p3 > 1e-9 {
		t.Errorf("never counted: mean %v, P(X >= 1) %v, P(X >= 3) %v, ready %v", m, p1, p3, ready)
	}
	if got := zero.Age(cfg); got != 72*time.Hour {
		t.Errorf("Age = %v, want 72h", got)
	}

	// Invalid counts are not learnt.
	before := zero
	for _, x := range []float64{math.NaN(), -1, math.Inf(1)} {
		zero.Learn(cfg, monday.Add(73*time.Hour), x)
	}
	if zero != before {
		t.Errorf("invalid counts changed the series")
	}

	// A bin of 5 minutes is the default; an hour's bins learn the same
	// level at a twelfth of the steps.
	hourly := Config{Bin: time.Hour}
	var h Counts
	for i := range 24 * 3 {
		h.Learn(hourly, monday.Add(time.Duration(i)*time.Hour), 120)
	}
	if m, _, ready := h.Expect(hourly, monday.Add(72*time.Hour)); !ready || math.Abs(m-120) > 0.1 {
		t.Errorf("hourly bins: mean %v ready %v, want 120 true", m, ready)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{Bin: time.Minute, Learning: time.Hour, HalfLife: time.Hour, MinSD: 0.1}, true},
		{Config{Bin: 2 * time.Hour}, true},
		{Config{Bin: 7 * time.Minute}, false},
		{Config{Bin: 90 * time.Minute}, false},
		{Config{Bin: -time.Minute}, false},
		{Config{HalfLife: -time.Hour}, false},
		{Config{MinSD: -1}, false},
		{Config{MinSD: math.NaN()}, false},
	} {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: Validate() = %v", c.cfg, err)
		}
	}
}
