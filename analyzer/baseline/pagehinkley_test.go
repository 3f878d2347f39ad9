package baseline

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// With the default parameters a 1-sd shift is found after 24 values on
// average (median 23, 95th percentile 41; measured over 2000 runs each
// way). On N(0,1) noise the mean run to a false alarm is about 490 000
// values (measured over 40 runs, Siegmund's approximation gives 520 000), so
// 10 000 values stay silent in 98 % of runs: of 100 runs of 10 000, 1 raised
// an alarm (measured; the bound allows 6).
func TestPageHinkley(t *testing.T) {
	for _, c := range []struct {
		name  string
		shift float64
	}{
		{"up", 1},
		{"down", -1},
	} {
		rng := rand.New(rand.NewPCG(1, 4))
		var delays []int
		for range 2000 {
			var ph PageHinkley
			for i := 1; ; i++ {
				alarm, stat := ph.Add(c.shift+rng.NormFloat64(), PageHinkleyDelta, PageHinkleyLambda)
				if alarm {
					if math.Signbit(stat) != math.Signbit(c.shift) {
						t.Fatalf("%s: alarm with stat %v", c.name, stat)
					}
					delays = append(delays, i)
					break
				}
				if i > 200 {
					t.Fatalf("%s: no alarm after 200 values", c.name)
				}
			}
		}
		slices.Sort(delays)
		var sum int
		for _, d := range delays {
			sum += d
		}
		mean := float64(sum) / float64(len(delays))
		t.Logf("%s: mean delay %.1f, median %d, 95th percentile %d", c.name, mean, delays[len(delays)/2], delays[len(delays)*95/100])
		if mean > 30 {
			t.Errorf("%s: mean delay %.1f, want at most 30", c.name, mean)
		}
	}

	var alarms int
	for seed := uint64(1); seed <= 100; seed++ {
		rng := rand.New(rand.NewPCG(seed, 5))
		var ph PageHinkley
		for range 10000 {
			if alarm, _ := ph.Add(rng.NormFloat64(), PageHinkleyDelta, PageHinkleyLambda); alarm {
				alarms++
				break
			}
		}
	}
	t.Logf("noise: %d of 100 runs of 10 000 raised an alarm", alarms)
	if alarms > 6 {
		t.Errorf("noise: %d of 100 runs of 10 000 raised an alarm, want about 2", alarms)
	}
}

func TestPageHinkleyEdges(t *testing.T) {
	var ph PageHinkley
	if alarm, stat := ph.Add(math.NaN(), PageHinkleyDelta, PageHinkleyLambda); alarm || stat != 0 || ph.N != 0 {
		t.Errorf("NaN: alarm %v stat %v n %d", alarm, stat, ph.N)
	}
	// One wild value is clipped: it cannot raise an alarm alone.
	if alarm, stat := ph.Add(1e6, PageHinkleyDelta, PageHinkleyLambda); alarm || stat != 3.5 {
		t.Errorf("1e6: alarm %v stat %v", alarm, stat)
	}
	// Four in a row can; then the statistics restart.
	var alarm bool
	for range 3 {
		alarm, _ = ph.Add(1e6, PageHinkleyDelta, PageHinkleyLambda)
	}
	if !alarm || ph != (PageHinkley{}) {
		t.Errorf("four wild values: alarm %v, after %+v", alarm, ph)
	}
}
