package baseline

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// roundTrip encodes v and decodes it into a new value of the same type.
func roundTrip[T any](t *testing.T, v *T) (*T, []byte) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out, b
}

// A series stored and loaded expects exactly what it did, and keeps
// learning exactly as it would have.
func TestJSONRoundTrip(t *testing.T) {
	var cfg Config
	var c Counts
	run(&c, cfg, 30, 1, 21, nil, nil)
	c2, b := roundTrip(t, &c)
	t.Logf("Counts after 21 days: %d bytes", len(b))
	if len(b) > 2048 {
		t.Errorf("Counts encodes in %d bytes, want at most 2 KiB", len(b))
	}
	next := bins(28)[21*288:]
	for i, bin := range next {
		m1, v1, r1 := c.Expect(cfg, bin)
		m2, v2, r2 := c2.Expect(cfg, bin)
		if m1 != m2 || v1 != v2 || r1 != r2 {
			t.Fatalf("bin %v: Expect %v %v %v, after JSON %v %v %v", bin, m1, v1, r1, m2, v2, r2)
		}
		x := float64(i % 50)
		c.Learn(cfg, bin, x)
		c2.Learn(cfg, bin, x)
	}

	var r Ratio
	ratioRun(&r, cfg, 100, flat(0.02), 1, 3, nil)
	r2, b := roundTrip(t, &r)
	t.Logf("Ratio: %d bytes", len(b))
	if p1, _ := r.Expect(cfg); func() bool { p2, _ := r2.Expect(cfg); return p1 != p2 }() {
		t.Errorf("Ratio changed in JSON: %+v -> %+v", r, *r2)
	}

	var l Level
	levelRun(&l, cfg, func(time.Time) float64 { return -2.3 }, 0.2, 1, 3, nil)
	l2, b := roundTrip(t, &l)
	t.Logf("Level: %d bytes", len(b))
	m1, s1, _ := l.Expect(cfg)
	m2, s2, _ := l2.Expect(cfg)
	if m1 != m2 || s1 != s2 {
		t.Errorf("Level changed in JSON: %+v -> %+v", l, *l2)
	}

	ph := PageHinkley{Up: 3.25, Down: 0, N: 17}
	ph2, b := roundTrip(t, &ph)
	t.Logf("PageHinkley: %d bytes", len(b))
	if *ph2 != ph {
		t.Errorf("PageHinkley changed in JSON: %+v -> %+v", ph, *ph2)
	}
}

// testdata/counts.golden.json is a Counts after 21 days at peak 30, as it
// is stored. The file pins the stored format: it must decode, encode to the
// same bytes, and expect what a series learnt now expects (to 1e-9, so that
// a platform that fuses multiply-adds still passes). go test -update
// rewrites it.
func TestCountsGolden(t *testing.T) {
	var cfg Config
	var c Counts
	run(&c, cfg, 30, 1, 21, nil, nil)
	path := filepath.Join("testdata", "counts.golden.json")
	if *update {
		b, err := json.MarshalIndent(&c, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g Counts
	if err := json.Unmarshal(golden, &g); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(&g, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(b, '\n'), golden) {
		t.Errorf("%s does not encode back to itself", path)
	}
	for _, bin := range bins(28)[21*288:] {
		m1, v1, r1 := c.Expect(cfg, bin)
		m2, v2, r2 := g.Expect(cfg, bin)
		if r1 != r2 || math.Abs(m1-m2) > 1e-9*m1 || math.Abs(v1-v2) > 1e-9*v1 {
			t.Fatalf("bin %v: Expect %v %v %v, golden %v %v %v", bin, m1, v1, r1, m2, v2, r2)
		}
	}
}
