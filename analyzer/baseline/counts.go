package baseline

import (
	"math"
	"time"
)

// Counts learns a count per bin: the requests of an endpoint, its errors,
// its new clients. The expected count of a bin is a level times a seasonal
// factor, and its variance is learnt from the model's own prediction
// errors, so a series that the seasonal model fits badly (or not yet) gets
// a wide spread rather than false alarms.
//
// The level is the ratio of two EWMAs (half-life Config.HalfLife), of the
// counts and of the factors the model expected them with, plus half a count
// of prior over the history, so a series that never counted anything
// expects a little, not nothing. The factors come from two profiles: after
// 2 days of history an hour-of-day profile (24 factors), after 14 days an
// hour-of-week profile (168 factors). Each factor is an EWMA over the
// cycles of its hour's count relative to a slow reference (an EWMA of the
// counts with 7 times the half-life, which a week's rhythm barely moves),
// shrunk towards 1 by 2 pseudo-counts so that a quiet series keeps a flat
// profile rather than a noisy one. A profile starts learning once the
// reference spans one of its cycles, the hour-of-day profile on day 2 and
// the hour-of-week profile on day 8, because an hour's share of a cycle
// cannot be known before the cycle's mean is; each is kept at mean 1. When
// the hour-of-week profile takes over, the level restarts at the
// reference, since the hour-of-day factors it was learnt with average 1
// over a day, not over a week. Hours are UTC: a daylight-saving change
// shifts the rhythm by an hour, which the profiles relearn.
//
// The spread is the larger of two fits of the squared prediction errors:
// quasi-Poisson, variance = D·mean (bursty clients), and negative binomial,
// variance = mean + k·mean² (a rate that wanders, and profile errors, which
// grow with the mean). Neither is ever below the Poisson variance, the
// mean. In its first week a series has not seen every day of the week, so
// k is at least 0.1 (a standard deviation of 30 % of the mean): the first
// weekend at half a weekday's traffic is then not an anomaly at α = 10^-3,
// and a weekend seen once is in the learnt spread for the days after.
//
// Learning is robust: once the series is ready, Learn clips a count to the
// model's mean ± 4 standard deviations (the upper clip never below 5)
// before it updates anything, so an attack in progress, or an outage,
// moves the level by a few standard deviations' worth a bin rather than
// teaching the baseline that it is normal; a profile's hour is clipped
// again, as a sum, to 4 standard deviations of what its factor expects. A
// real and lasting change is still learnt, more slowly: a doubling of a
// busy endpoint's traffic, ten standard deviations, is learnt at about 4/10
// of the usual rate until the spread has grown to cover it. While the
// series learns (not ready) nothing is clipped, so an attack in its first
// day is learnt as normal.
//
// The zero Counts is an empty series. Fields are exported for JSON (about
// 1.5 KiB once both profiles are learnt); factors are float32 rounded to 4
// significant digits, so that a stored series is exactly what a running
// one computes with.
type Counts struct {
	N    int64     `json:"n"`    // bins learnt
	Last time.Time `json:"last"` // latest bin learnt

	SX float64 `json:"sx"` // EWMA of clipped counts
	SF float64 `json:"sf"` // EWMA of the seasonal factors they were expected with

	R2  float64 `json:"r2"`  // EWMA of squared prediction errors
	MU  float64 `json:"mu"`  // EWMA of predicted means
	MU2 float64 `json:"mu2"` // EWMA of squared predicted means

	RX float64 `json:"rx"` // slow EWMA (half-life 7·HalfLife) of clipped counts
	RW float64 `json:"rw"` // its weight: RX/RW is the reference the profiles are learnt against

	Model Season `json:"model"` // profile in use: none, then day, then week

	First int64   `json:"first"` // hour (since the Unix epoch) of the first bin
	Hour  int64   `json:"hour"`  // hour whose bins are being summed
	HourX float64 `json:"hx"`    // clipped counts of Hour so far
	HourE float64 `json:"he"`    // reference expectations of Hour so far
	HourN int64   `json:"hn"`    // bins of Hour so far

	Day  [24]float32  `json:"day"`  // hour-of-day factors (UTC); 0: not yet seen
	Week [168]float32 `json:"week"` // hour-of-week factors from Monday 00 UTC; 0: not yet seen
}

// History a Counts needs before a profile is used, and the history in
// which its variance allows for days of the week not yet seen.
const (
	DayProfileAfter  = 2 * 24 * time.Hour
	WeekProfileAfter = 14 * 24 * time.Hour
	FirstWeek        = 7 * 24 * time.Hour
)

// profileShrink is the pseudo-count, at factor 1, added to each hour's
// count and expectation before a profile learns their ratio.
const profileShrink = 2

// firstWeekK is the least relative variance (variance = mean + k·mean²)
// of a series in its FirstWeek: a standard deviation of 30 % of the mean.
const firstWeekK = 0.1

// Season says which seasonal profile an expectation comes from.
type Season uint8

// Seasons.
const (
	SeasonNone Season = iota // flat: level only
	SeasonDay                // hour-of-day profile
	SeasonWeek               // hour-of-week profile
)

func (s Season) String() string {
	switch s {
	case SeasonDay:
		return "hour_of_day"
	case SeasonWeek:
		return "hour_of_week"
	}
	return "none"
}

// Expect returns the mean and variance of the count expected in the bin
// starting at bin, and whether the series has learnt for long enough to be
// tested. Feed them to NegBinomUpper and NegBinomLower.
func (c *Counts) Expect(cfg Config, bin time.Time) (mean, variance float64, ready bool) {
	mean, variance, _, _ = c.predict(bin, cfg.alpha(), c.Age(cfg) < FirstWeek)
	return mean, variance, c.SF > 0 && cfg.ready(c.N)
}

// Learn adds the count of a finished bin; every bin must be learnt,
// including those that counted nothing, or the level overestimates. A
// bin the sensor did not see (a capture gap) should not be learnt at all.
// A negative, infinite or NaN count is ignored.
func (c *Counts) Learn(cfg Config, bin time.Time, count float64) {
	if !(count >= 0) || math.IsInf(count, 1) {
		return
	}
	a, as := cfg.alpha(), cfg.slowAlpha()
	mean, variance, _, f := c.predict(bin, a, c.Age(cfg) < FirstWeek)
	x := count
	if cfg.ready(c.N) && c.SF > 0 {
		sd := math.Sqrt(variance)
		x = math.Min(x, math.Max(mean+clipSD*sd, clipFloor))
		x = math.Max(x, mean-clipSD*sd)
	}
	if c.SF > 0 {
		r := x - mean
		c.R2 += a * (r*r - c.R2)
		c.MU += a * (mean - c.MU)
		c.MU2 += a * (mean*mean - c.MU2)
	}
	c.SX += a * (x - c.SX)
	c.SF += a * (f - c.SF)

	h := hourOf(bin)
	if c.N == 0 {
		c.First, c.Hour = h, h
	}
	if h != c.Hour {
		c.flush(cfg)
		c.Hour, c.HourX, c.HourE, c.HourN = h, 0, 0, 0
	}
	if c.RW > 0 {
		c.HourX += x
		c.HourE += c.reference(as)
		c.HourN++
	}
	c.RX += as * (x - c.RX)
	c.RW += as * (1 - c.RW)

	c.N++
	if bin.After(c.Last) {
		c.Last = bin
	}
	switch age := c.Age(cfg); {
	case c.Model < SeasonWeek && age >= WeekProfileAfter:
		// The level so far is relative to the hour-of-day profile, whose
		// factors average 1 over a day, not a week: restart it at the
		// reference, which the hour-of-week factors average 1 against.
		c.Model = SeasonWeek
		c.SF = (c.SX + a/2) / c.reference(as)
	case c.Model < SeasonDay && age >= DayProfileAfter:
		c.Model = SeasonDay
	}
}

// reference is the slow mean count a bin the profiles are learnt against,
// with the same half-count prior as the level.
func (c *Counts) reference(as float64) float64 {
	return (c.RX + as/2) / c.RW
}

// Age returns the history learnt: the bins learnt times the bin width.
func (c *Counts) Age(cfg Config) time.Duration {
	return time.Duration(c.N) * cfg.bin()
}

// Level returns the deseasonalised level, the expected count of a bin
// whose seasonal factor is 1; 0 before anything was learnt.
func (c *Counts) Level(cfg Config) float64 {
	if c.SF <= 0 {
		return 0
	}
	return (c.SX + cfg.alpha()/2) / c.SF
}

// Season returns the profile Expect uses for the bin starting at bin.
func (c *Counts) Season(cfg Config, bin time.Time) Season {
	_, s := c.factor(bin)
	return s
}

// predict returns the expected mean and variance of bin, the level and the
// seasonal factor; a is cfg.alpha(), young whether the series is in its
// first week.
func (c *Counts) predict(bin time.Time, a float64, young bool) (mean, variance, level, f float64) {
	f, _ = c.factor(bin)
	if c.SF <= 0 {
		return 0, 0, 0, f
	}
	level = (c.SX + a/2) / c.SF
	mean = level * f
	v := c.variance(mean)
	if young {
		v = math.Max(v, mean+firstWeekK*mean*mean)
	}
	return mean, v, level, f
}

// variance is the larger of the quasi-Poisson and negative binomial fits
// of the squared errors, each at least the Poisson variance.
func (c *Counts) variance(mean float64) float64 {
	v := mean
	if c.MU > 0 {
		v = math.Max(v, c.R2/c.MU*mean)
	}
	if c.MU2 > 0 {
		v = math.Max(v, mean+(c.R2-c.MU)/c.MU2*mean*mean)
	}
	return v
}

func (c *Counts) factor(bin time.Time) (float64, Season) {
	h := hourOf(bin)
	if c.Model >= SeasonWeek {
		if w := c.Week[hourOfWeek(h)]; w > 0 {
			return float64(w), SeasonWeek
		}
	}
	if c.Model >= SeasonDay {
		if d := c.Day[hourOfDay(h)]; d > 0 {
			return float64(d), SeasonDay
		}
	}
	return 1, SeasonNone
}

// flush teaches the profiles the hour just summed. A profile learns once
// the reference covers a whole cycle of it: the hour-of-day profile from
// the second day, the hour-of-week profile from the second week.
func (c *Counts) flush(cfg Config) {
	if c.HourE <= 0 || c.HourN <= 0 {
		return
	}
	pa := cfg.profileAlpha()
	ready := cfg.ready(c.N)
	since := c.Hour - c.First
	if m := since/24 - 1; m >= 0 {
		c.learnFactor(c.Day[:], hourOfDay(c.Hour), m, pa, ready)
	}
	if m := since/168 - 1; m >= 0 {
		c.learnFactor(c.Week[:], hourOfWeek(c.Hour), m, pa, ready)
	}
}

// learnFactor moves factor i of profile p towards the hour's ratio of
// counts to reference, shrunk towards 1 by profileShrink pseudo-counts.
// The factor has been learnt in about m earlier cycles; until 1/(m+1)
// falls below the EWMA weight pa it is their plain average, so a young
// profile is not biased towards its first value.
//
// Bins were clipped one by one as they were learnt, but an hour of clipped
// bins can still be several times the factor: once ready, the hour's count
// is clipped again, to 4 standard deviations of the hour's sum expected
// with the factor (bins taken as independent), before it is learnt.
func (c *Counts) learnFactor(p []float32, i int, m int64, pa float64, ready bool) {
	old := float64(p[i])
	x := c.HourX
	a := 1.0
	if old > 0 {
		if m > 0 {
			a = math.Max(pa, 1/float64(m+1))
		}
		if ready {
			n := float64(c.HourN)
			e := old * c.HourE
			sd := math.Sqrt(n * c.variance(e/n))
			x = math.Max(math.Min(x, math.Max(e+clipSD*sd, clipFloor)), e-clipSD*sd)
		}
	}
	r := (x + profileShrink) / (c.HourE + profileShrink)
	p[i] = round4(old + a*(r-old))

	var sum float64
	for _, v := range p {
		if v == 0 {
			return // incomplete: its mean means nothing yet
		}
		sum += float64(v)
	}
	mean := sum / float64(len(p))
	if math.Abs(mean-1) < 0.01 {
		return // drift the level absorbs; renormalising costs 168 roundings
	}
	for j, v := range p {
		p[j] = round4(float64(v) / mean)
	}
}

// round4 rounds a positive factor to 4 significant digits, so that it
// encodes in JSON as at most 6 characters and decodes to the same float32.
func round4(v float64) float32 {
	if !(v > 0) || math.IsInf(v, 1) {
		return 0
	}
	e := math.Pow10(3 - int(math.Floor(math.Log10(v))))
	r := float32(math.Round(v*e) / e)
	if r == 0 { // below float32's range: keep the factor known
		return math.SmallestNonzeroFloat32
	}
	return r
}

// hourOf returns the hours since the Unix epoch of t's hour.
func hourOf(t time.Time) int64 {
	s := t.Unix()
	h := s / 3600
	if s%3600 < 0 {
		h--
	}
	return h
}

func hourOfDay(h int64) int {
	return int(((h % 24) + 24) % 24)
}

// hourOfWeek counts from Monday 00:00 UTC; the epoch was a Thursday.
func hourOfWeek(h int64) int {
	return int((((h + 72) % 168) + 168) % 168)
}
