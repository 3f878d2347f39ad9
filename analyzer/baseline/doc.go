// Package baseline is the online statistics that anomaly detectors use to
// learn what normal looks like for a series of an API endpoint (its
// requests, errors, new clients, latency) and to test a new time bin
// against it.
//
// A detector (package detect) cuts each series into bins of packet time
// (Config.Bin, 5 minutes by default) and, when a bin ends, first asks the
// series what it expected (Expect), tests the bin against that with an
// exact tail (NegBinomUpper and NegBinomLower for a Counts,
// BinomialUpper for a Ratio, a z-score against ZFor for a Level) at the
// per-test level Alpha derives from a false-alert budget, and then teaches
// the series the bin (Learn), which clips what it learns so that an attack
// in progress does not become normal. Slow shifts that no single bin
// shows are left to a PageHinkley fed with the bins' z-scores. Between
// runs the detector stores each series as JSON (in bbolt) and carries on
// where it stopped: a Counts takes about 1.5 KiB, a Ratio or Level about
// 100 bytes.
//
// Counts has a level, an hour-of-day and an hour-of-week profile and a
// spread learnt from its own prediction errors; Ratio and Level are plain
// exponentially weighted means (and variance) with a prior. All of them
// take time from the bins they are given, never from the wall clock, and
// learn nothing and age no further from bins they are not given.
//
// The tails are regularised incomplete gamma and beta functions from
// gonum's mathext (gonum.org/v1/gonum, ports of Cephes), not hand-written
// special functions and not normal approximations; they are tested
// against sums of the probability mass functions in 256-bit floats. Value
// distributions of their own (latency, sizes) are kept as DDSketches by
// package inventory; this package does not duplicate them.
//
// # Caveats
//
// Nothing here is safe for concurrent use; a detector owns its series.
// Series hold no slices or pointers: a Counts is a value of 904 bytes
// and copying it copies everything, so a detector may keep series by value
// in a map and hand out copies freely. Decoding a stored series into a
// value that was in use replaces every field.
//
// A Config is not stored in a series: pass the same Config to every call
// on it, or its ages and weights change meaning.
//
// Every bin of a Counts must be learnt, including those that counted
// nothing, or its level is too high; a bin the sensor did not see (a
// capture gap) should not be learnt at all. Learn does not check that bins
// come in order or only once.
//
// Each series is tested against itself. A detector testing thousands of
// series must pass Alpha the number of tests it makes a day across all of
// them, or its false alerts add up.
//
// Clipping protects the level far better than the profiles: an hour of
// attack moves that hour's factor by its EWMA weight (a fifth to a half)
// times the clipped excess, so the same hour a week later expects about a
// tenth more (TestCountsRobust). Right after a profile takes over, the
// spread is still wide from the errors made before, and the clips with it.
//
// The calibration shown by the tests is for the simulated traffic they
// use: Poisson counts and independent normal values. Real series are
// burstier and autocorrelated, which the learnt spread absorbs for single
// bins but PageHinkley does not: expect its false alarms to be more
// frequent than on white noise.
package baseline
