package http1

import (
	"slices"
	"testing"
)

// TestLastCoding: codings come off a Content-Encoding list last applied
// first, trimmed, without identity or empty elements.
func TestLastCoding(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want []string
	}{
		{"", nil},
		{"identity", nil},
		{" , IDENTITY ,", nil},
		{"gzip", []string{"gzip"}},
		{"gzip, identity ,\tbr\r", []string{"br", "gzip"}},
		{"deflate,,x-gzip", []string{"x-gzip", "deflate"}},
	} {
		var got []string
		for rest, c := lastCoding(tc.v); c != ""; rest, c = lastCoding(rest) {
			got = append(got, c)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: codings %q, want %q", tc.v, got, tc.want)
		}
		if encoded(tc.v) != (len(tc.want) > 0) {
			t.Errorf("%q: encoded = %v", tc.v, encoded(tc.v))
		}
	}
	if n := testing.AllocsPerRun(100, func() { encoded("gzip, br") }); n != 0 {
		t.Errorf("%v allocations to read an encoding, want 0", n)
	}
}
