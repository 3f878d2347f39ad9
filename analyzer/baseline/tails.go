package baseline

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// The tails are exact: each is a regularised incomplete gamma or beta
// function from gonum's mathext (ports of Cephes), never a normal
// approximation, because the counts a detector tests are often small (a
// handful of errors, a few new clients) and a normal approximation of a
// Poisson with mean 0.5 misjudges P(X >= 4) by orders of magnitude.
//
// Every tail takes a fractional count as the integer it must be: an upper
// tail P(X >= k) rounds k up, a lower tail P(X <= k) rounds k down. Invalid
// input (NaN, a negative mean, a probability outside [0, 1]) gives 1, "no
// evidence", so a bad baseline can never raise an alarm.

// PoissonUpper returns P(X >= k) for X ~ Poisson(mean).
func PoissonUpper(k, mean float64) float64 {
	if math.IsNaN(k) || math.IsNaN(mean) || mean < 0 {
		return 1
	}
	k = math.Ceil(k)
	switch {
	case k <= 0:
		return 1
	case math.IsInf(k, 1):
		return 0
	case mean == 0:
		return 0
	case math.IsInf(mean, 1):
		return 1
	}
	// P(X >= k) = P(Gamma(k, 1) <= mean).
	return mathext.GammaIncReg(k, mean)
}

// PoissonLower returns P(X <= k) for X ~ Poisson(mean).
func PoissonLower(k, mean float64) float64 {
	if math.IsNaN(k) || math.IsNaN(mean) || mean < 0 {
		return 1
	}
	k = math.Floor(k)
	switch {
	case k < 0:
		return 0
	case math.IsInf(k, 1):
		return 1
	case mean == 0:
		return 1
	case math.IsInf(mean, 1):
		return 0
	}
	// P(X <= k) = P(Gamma(k+1, 1) > mean).
	return mathext.GammaIncRegComp(k+1, mean)
}

// nbPoisson reports whether a negative binomial of this mean and variance
// is a Poisson for our purposes: variance not above the mean, or so little
// above it (size r above 1e9) that the beta function's parameters would
// only cost precision.
func nbPoisson(mean, variance float64) bool {
	return !(variance > mean) || mean*mean/(variance-mean) > 1e9
}

// NegBinomUpper returns P(X >= k) for X negative binomial with the given
// mean and variance (size r = mean²/(variance-mean), success probability
// mean/variance). With variance <= mean it is PoissonUpper; a NaN or
// infinite variance gives 1.
func NegBinomUpper(k, mean, variance float64) float64 {
	if math.IsNaN(variance) || math.IsInf(variance, 0) {
		return 1
	}
	if nbPoisson(mean, variance) || mean <= 0 || math.IsInf(mean, 1) || math.IsNaN(k) {
		return PoissonUpper(k, mean)
	}
	k = math.Ceil(k)
	switch {
	case k <= 0:
		return 1
	case math.IsInf(k, 1):
		return 0
	}
	r := mean * mean / (variance - mean)
	q := (variance - mean) / variance // 1-p without cancellation
	// P(X >= k) = 1 - I_p(r, k) = I_q(k, r).
	return incBeta(k, r, q, 0)
}

// NegBinomLower returns P(X <= k) for X negative binomial with the given
// mean and variance. With variance <= mean it is PoissonLower.
func NegBinomLower(k, mean, variance float64) float64 {
	if math.IsNaN(variance) || math.IsInf(variance, 0) {
		return 1
	}
	if nbPoisson(mean, variance) || mean <= 0 || math.IsInf(mean, 1) || math.IsNaN(k) {
		return PoissonLower(k, mean)
	}
	k = math.Floor(k)
	switch {
	case k < 0:
		return 0
	case math.IsInf(k, 1):
		return 1
	}
	r := mean * mean / (variance - mean)
	p := mean / variance
	// P(X <= k) = I_p(r, k+1).
	return incBeta(r, k+1, p, 1)
}

// BinomialUpper returns P(X >= k) for X ~ Binomial(n, p); n is rounded to
// the nearest integer.
func BinomialUpper(k, n, p float64) float64 {
	if math.IsNaN(k) || math.IsNaN(n) || math.IsNaN(p) || p < 0 || p > 1 || n < 0 || math.IsInf(n, 0) {
		return 1
	}
	k, n = math.Ceil(k), math.Round(n)
	switch {
	case k <= 0:
		return 1
	case k > n, p == 0:
		return 0
	case p == 1:
		return 1
	}
	// P(X >= k) = I_p(k, n-k+1).
	return incBeta(k, n-k+1, p, 1)
}

// BinomialLower returns P(X <= k) for X ~ Binomial(n, p); n is rounded to
// the nearest integer.
func BinomialLower(k, n, p float64) float64 {
	if math.IsNaN(k) || math.IsNaN(n) || math.IsNaN(p) || p < 0 || p > 1 || n < 0 || math.IsInf(n, 0) {
		return 1
	}
	k, n = math.Floor(k), math.Round(n)
	switch {
	case k < 0:
		return 0
	case k >= n, p == 0:
		return 1
	case p == 1:
		return 0
	}
	// P(X <= k) = I_{1-p}(n-k, k+1).
	return incBeta(n-k, k+1, 1-p, 1)
}

// incBeta is mathext.RegIncBeta(a, b, x) where it is defined, and
// degenerate otherwise: parameters that underflowed to 0 or overflowed
// (a negative binomial of size 1e-320) would make it panic. Where the
// continued fraction fails (parameters near 1e300) the answer is 1, no
// evidence, and rounding past [0, 1] is clamped.
func incBeta(a, b, x, degenerate float64) float64 {
	if !(a > 0) || !(b > 0) || math.IsInf(a, 1) || math.IsInf(b, 1) || !(x >= 0 && x <= 1) {
		return degenerate
	}
	v := mathext.RegIncBeta(a, b, x)
	if math.IsNaN(v) {
		return 1
	}
	return math.Max(0, math.Min(1, v))
}

// Alpha returns the per-test p-value a detector must beat so that
// testsPerDay independent tests of clean data raise budgetPerDay false
// alerts a day on average: budgetPerDay/testsPerDay (a Bonferroni split of
// the budget, which holds whatever the tests' correlation). It is at most
// 1, 0 for a budget of 0 or less, and counts fewer than one test a day as
// one.
func Alpha(budgetPerDay, testsPerDay float64) float64 {
	if !(budgetPerDay > 0) {
		return 0
	}
	if !(testsPerDay > 1) {
		testsPerDay = 1
	}
	return math.Min(1, budgetPerDay/testsPerDay)
}

// ZFor returns the one-sided standard normal quantile z with P(Z > z) =
// alpha, the threshold a Level test's z-score must pass: ZFor(1e-3) is
// 3.09. alpha <= 0 (or NaN) gives +Inf, alpha >= 1 gives -Inf.
func ZFor(alpha float64) float64 {
	switch {
	case !(alpha > 0):
		return math.Inf(1)
	case alpha >= 1:
		return math.Inf(-1)
	}
	return math.Sqrt2 * math.Erfcinv(2*alpha)
}
