package baseline

import (
	"math"
	"math/big"
	"testing"
)

// The references sum the probability mass function term by term in
// 256-bit floats, starting from the term at 0 and stepping by the ratio of
// successive terms, so they share no code with the functions under test.

const refPrec = 256

func bigf(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }

// bigExp returns e^x for x far below float64's range.
func bigExp(x float64) *big.Float {
	e := math.Floor(x / math.Ln2)
	return new(big.Float).SetPrec(refPrec).SetMantExp(bigf(math.Exp(x-e*math.Ln2)), int(e))
}

// refTail sums terms i in [lo, hi] of a pmf given by its first term and
// the ratio of term i+1 to term i.
func refTail(first *big.Float, ratio func(i int) float64, lo, hi int) float64 {
	term, sum := first, bigf(0)
	for i := 0; i <= hi; i++ {
		if i >= lo {
			sum.Add(sum, term)
		}
		term.Mul(term, bigf(ratio(i)))
	}
	f, _ := sum.Float64()
	return f
}

func refPoissonUpper(k int, mean float64) float64 {
	return refTail(bigExp(-mean), func(i int) float64 { return mean / float64(i+1) }, k, k+2000)
}

func refPoissonLower(k int, mean float64) float64 {
	return refTail(bigExp(-mean), func(i int) float64 { return mean / float64(i+1) }, 0, k)
}

func refNegBinom(k int, mean, variance float64, upper bool) float64 {
	r, p := mean*mean/(variance-mean), mean/variance
	ratio := func(i int) float64 { return (float64(i) + r) / float64(i+1) * (1 - p) }
	if upper {
		return refTail(bigExp(r*math.Log(p)), ratio, k, k+20000)
	}
	return refTail(bigExp(r*math.Log(p)), ratio, 0, k)
}

func refBinomUpper(k, n int, p float64) float64 {
	return refTail(bigExp(float64(n)*math.Log1p(-p)), func(i int) float64 {
		return float64(n-i) / float64(i+1) * p / (1 - p)
	}, k, n)
}

func near(got, want, rel float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

func TestTailsAgainstSums(t *testing.T) {
	for _, c := range []struct {
		k, mean float64
	}{
		{1, 0.5}, {4, 0.5}, {10, 3}, {3, 3}, {0, 3}, {25, 3}, {60, 10}, {130, 100}, {70, 100}, {1200, 1000}, {800, 1000},
	} {
		k := int(c.k)
		if got, want := PoissonUpper(c.k, c.mean), refPoissonUpper(k, c.mean); !near(got, want, 1e-10) {
			t.Errorf("PoissonUpper(%v, %v) = %.12g, sum %.12g", c.k, c.mean, got, want)
		}
		if got, want := PoissonLower(c.k, c.mean), refPoissonLower(k, c.mean); !near(got, want, 1e-10) {
			t.Errorf("PoissonLower(%v, %v) = %.12g, sum %.12g", c.k, c.mean, got, want)
		}
		for _, disp := range []float64{1.5, 4, 30} {
			v := c.mean * disp
			if got, want := NegBinomUpper(c.k, c.mean, v), refNegBinom(k, c.mean, v, true); !near(got, want, 1e-9) {
				t.Errorf("NegBinomUpper(%v, %v, %v) = %.12g, sum %.12g", c.k, c.mean, v, got, want)
			}
			if got, want := NegBinomLower(c.k, c.mean, v), refNegBinom(k, c.mean, v, false); !near(got, want, 1e-9) {
				t.Errorf("NegBinomLower(%v, %v, %v) = %.12g, sum %.12g", c.k, c.mean, v, got, want)
			}
		}
	}
	for _, c := range []struct {
		k, n int
		p    float64
	}{
		{5, 20, 0.05}, {1, 100, 5e-6}, {2, 100, 5e-6}, {30, 100, 0.1}, {0, 10, 0.3}, {10, 10, 0.3}, {60, 1000, 0.02},
	} {
		if got, want := BinomialUpper(float64(c.k), float64(c.n), c.p), refBinomUpper(c.k, c.n, c.p); !near(got, want, 1e-10) {
			t.Errorf("BinomialUpper(%v, %v, %v) = %.12g, sum %.12g", c.k, c.n, c.p, got, want)
		}
		if c.k > 0 {
			if got, want := BinomialLower(float64(c.k-1), float64(c.n), c.p), 1-refBinomUpper(c.k, c.n, c.p); !near(got, want, 1e-10) {
				t.Errorf("BinomialLower(%v, %v, %v) = %.12g, sum %.12g", c.k-1, c.n, c.p, got, want)
			}
		}
	}
}

// Values known in closed form or from tables: e^-3; R's ppois(9, 3,
// lower.tail=FALSE) = 0.001102488 and pbinom(4, 20, 0.05,
// lower.tail=FALSE) = 0.002573940 (the five terms by hand: 1 - 0.358486 -
// 0.377354 - 0.188677 - 0.059582 - 0.013328); the negative binomial of
// size 2 and p 0.4 (mean 3, variance 7.5), whose P(X >= n) is
// 0.16·0.6^n·((n+1) - 0.6n)/0.16 = 0.6^10·5 at n = 10; qnorm(1e-3,
// lower.tail=FALSE) = 3.090232.
func TestTailsKnownValues(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"PoissonUpper(10, 3)", PoissonUpper(10, 3), 0.001102488},
		{"PoissonLower(0, 3)", PoissonLower(0, 3), 0.04978707},
		{"BinomialUpper(5, 20, 0.05)", BinomialUpper(5, 20, 0.05), 0.002573940},
		{"NegBinomUpper(10, 3, 7.5)", NegBinomUpper(10, 3, 7.5), math.Pow(0.6, 10) * 5},
		{"ZFor(1e-3)", ZFor(1e-3), 3.090232},
		{"ZFor(0.5)", ZFor(0.5), 0},
		{"Alpha(1, 1e6)", Alpha(1, 1e6), 1e-6},
	} {
		if !near(c.got, c.want, 1e-6) && math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %.10g, want %.7g", c.name, c.got, c.want)
		}
	}
}

func TestTailsEdges(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"PoissonUpper k 0", PoissonUpper(0, 3), 1},
		{"PoissonUpper k -1", PoissonUpper(-1, 3), 1},
		{"PoissonUpper mean 0", PoissonUpper(1, 0), 0},
		{"PoissonUpper mean 0 k 0", PoissonUpper(0, 0), 1},
		{"PoissonUpper huge k", PoissonUpper(1e6, 3), 0},
		{"PoissonUpper k inf", PoissonUpper(inf, 3), 0},
		{"PoissonUpper fractional k rounds up", PoissonUpper(9.2, 3), PoissonUpper(10, 3)},
		{"PoissonUpper NaN k", PoissonUpper(nan, 3), 1},
		{"PoissonUpper NaN mean", PoissonUpper(3, nan), 1},
		{"PoissonUpper negative mean", PoissonUpper(3, -1), 1},
		{"PoissonUpper mean inf", PoissonUpper(3, inf), 1},
		{"PoissonLower k -1", PoissonLower(-1, 3), 0},
		{"PoissonLower mean 0", PoissonLower(0, 0), 1},
		{"PoissonLower huge k", PoissonLower(1e6, 3), 1},
		{"PoissonLower fractional k rounds down", PoissonLower(2.9, 3), PoissonLower(2, 3)},
		{"PoissonLower mean inf", PoissonLower(3, inf), 0},
		{"NegBinomUpper variance below mean", NegBinomUpper(10, 3, 2), PoissonUpper(10, 3)},
		{"NegBinomUpper variance at mean", NegBinomUpper(10, 3, 3), PoissonUpper(10, 3)},
		{"NegBinomUpper variance a hair above", NegBinomUpper(10, 3, 3+1e-12), PoissonUpper(10, 3)},
		{"NegBinomUpper mean 0", NegBinomUpper(1, 0, 0), 0},
		{"NegBinomUpper k 0", NegBinomUpper(0, 3, 10), 1},
		{"NegBinomUpper huge k", NegBinomUpper(1e9, 3, 10), 0},
		{"NegBinomUpper NaN variance", NegBinomUpper(5, 3, nan), 1},
		{"NegBinomUpper inf variance", NegBinomUpper(5, 3, inf), 1},
		{"NegBinomLower k -1", NegBinomLower(-1, 3, 10), 0},
		{"NegBinomLower mean 0", NegBinomLower(0, 0, 0), 1},
		{"NegBinomLower huge k", NegBinomLower(1e9, 3, 10), 1},
		{"BinomialUpper k above n", BinomialUpper(11, 10, 0.5), 0},
		{"BinomialUpper p 0", BinomialUpper(1, 10, 0), 0},
		{"BinomialUpper p 1", BinomialUpper(10, 10, 1), 1},
		{"BinomialUpper n 0", BinomialUpper(1, 0, 0.5), 0},
		{"BinomialUpper k 0 n 0", BinomialUpper(0, 0, 0.5), 1},
		{"BinomialUpper p above 1", BinomialUpper(1, 10, 1.5), 1},
		{"BinomialUpper NaN", BinomialUpper(nan, 10, 0.5), 1},
		{"BinomialLower k n", BinomialLower(10, 10, 0.5), 1},
		{"BinomialLower p 1", BinomialLower(9, 10, 1), 0},
		{"Alpha budget 0", Alpha(0, 100), 0},
		{"Alpha no tests", Alpha(2, 0), 1},
		{"Alpha NaN", Alpha(nan, 100), 0},
		{"ZFor 0", ZFor(0), inf},
		{"ZFor 1", ZFor(1), math.Inf(-1)},
		{"ZFor NaN", ZFor(nan), inf},
	} {
		if c.got != c.want && !(math.Abs(c.got-c.want) < 1e-15) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// The tails must never return NaN or leave [0, 1], whatever they are fed.
func TestTailsNaNFree(t *testing.T) {
	vals := []float64{math.NaN(), math.Inf(-1), -1, 0, 1e-300, 0.3, 1, 2.5, 7, 1e3, 1e9, 1e300, math.Inf(1)}
	in := func(v float64) bool { return v >= 0 && v <= 1 }
	for _, a := range vals {
		for _, b := range vals {
			if v := PoissonUpper(a, b); !in(v) {
				t.Errorf("PoissonUpper(%v, %v) = %v", a, b, v)
			}
			if v := PoissonLower(a, b); !in(v) {
				t.Errorf("PoissonLower(%v, %v) = %v", a, b, v)
			}
			for _, c := range vals {
				if v := NegBinomUpper(a, b, c); !in(v) {
					t.Errorf("NegBinomUpper(%v, %v, %v) = %v", a, b, c, v)
				}
				if v := NegBinomLower(a, b, c); !in(v) {
					t.Errorf("NegBinomLower(%v, %v, %v) = %v", a, b, c, v)
				}
				p := c / 10
				if v := BinomialUpper(a, b, p); !in(v) {
					t.Errorf("BinomialUpper(%v, %v, %v) = %v", a, b, p, v)
				}
				if v := BinomialLower(a, b, p); !in(v) {
					t.Errorf("BinomialLower(%v, %v, %v) = %v", a, b, p, v)
				}
			}
		}
	}
}
