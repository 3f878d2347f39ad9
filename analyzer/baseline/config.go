package baseline

import (
	"fmt"
	"math"
	"time"
)

// Config of a series family (say, the request counts of every endpoint).
// Zero values mean the defaults. The same Config must be passed to every
// call on a series: it is not stored in the series, so a series stays small
// and a family's settings can change in one place.
type Config struct {
	// Bin is the width of a bin, the unit a series learns and tests. It
	// must divide an hour or be whole hours. Default 5m.
	Bin time.Duration
	// Learning is the history a series needs before Expect reports ready.
	// Default 24h.
	Learning time.Duration
	// HalfLife is the EWMA half-life of level and spread. The seasonal
	// profiles of Counts use the same half-life counted in cycles
	// (HalfLife/24h days for the hour-of-day profile, as many weeks for the
	// hour-of-week one), so each of their factors averages as many bins as
	// the level does. Default 72h.
	HalfLife time.Duration
	// MinSD is the smallest standard deviation Level reports: a latency
	// that never varied must not turn a 1 % change into an alarm. Default
	// 0.05, 5 % on the log scale Level is meant for.
	MinSD float64
}

// Defaults of Config.
const (
	DefaultBin      = 5 * time.Minute
	DefaultLearning = 24 * time.Hour
	DefaultHalfLife = 72 * time.Hour
	DefaultMinSD    = 0.05
)

// Validate reports a setting the statistics cannot work with.
func (c Config) Validate() error {
	switch {
	case c.Bin < 0 || c.Learning < 0 || c.HalfLife < 0:
		return fmt.Errorf("baseline: negative duration in %+v", c)
	case c.Bin > 0 && time.Hour%c.Bin != 0 && c.Bin%time.Hour != 0:
		return fmt.Errorf("baseline: bin %v neither divides an hour nor is whole hours", c.Bin)
	case c.MinSD < 0 || math.IsNaN(c.MinSD):
		return fmt.Errorf("baseline: min sd %v below 0", c.MinSD)
	}
	return nil
}

func (c Config) bin() time.Duration {
	if c.Bin <= 0 {
		return DefaultBin
	}
	return c.Bin
}

func (c Config) learning() time.Duration {
	if c.Learning <= 0 {
		return DefaultLearning
	}
	return c.Learning
}

func (c Config) halfLife() time.Duration {
	if c.HalfLife <= 0 {
		return DefaultHalfLife
	}
	return c.HalfLife
}

func (c Config) minSD() float64 {
	if c.MinSD <= 0 {
		return DefaultMinSD
	}
	return c.MinSD
}

// alpha is the EWMA weight of one bin: after HalfLife of bins the weight of
// the oldest has halved.
func (c Config) alpha() float64 {
	return -math.Expm1(-math.Ln2 * float64(c.bin()) / float64(c.halfLife()))
}

// profileAlpha is the EWMA weight of one cycle of a seasonal profile
// factor: the half-life is HalfLife counted in cycles.
func (c Config) profileAlpha() float64 {
	return -math.Expm1(-math.Ln2 * float64(24*time.Hour) / float64(c.halfLife()))
}

// slowAlpha is the EWMA weight of one bin for the reference the profiles
// are learnt against: half-life 7·HalfLife, so that a week's rhythm barely
// ripples it.
func (c Config) slowAlpha() float64 {
	return -math.Expm1(-math.Ln2 * float64(c.bin()) / float64(7*c.halfLife()))
}

// ready reports whether n bins are enough history to test.
func (c Config) ready(n int64) bool {
	return time.Duration(n)*c.bin() >= c.learning()
}

// clipSD is how far from the model's mean, in standard deviations, a value
// is clipped before it is learnt; clipFloor is the smallest upper clip of a
// count, so that a quiet series (mean 0.1) may still learn a bin of 3.
const (
	clipSD    = 4
	clipFloor = 5
)
