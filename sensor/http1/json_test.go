package http1

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAppendTimeMatchesFormat(t *testing.T) {
	for _, ts := range []time.Time{
		time.Unix(0, 0), time.Unix(1700000000, 123456789), time.Date(2009, 11, 10, 23, 0, 0, 1, time.FixedZone("x", 3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		want := ts.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
		if got := string(appendTime(nil, ts)); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", ts, got, want)
		}
	}
}

// The hand-written encoder must produce JSON that encoding/json reads back
// to the same strings, whatever bytes a request target holds.
func TestAppendStringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "/a?b=c&d", "quote\" back\\slash", "ctl\x00\x01\x1f\t\n\r", "utf8 é ☃", "bad \xff\xfe utf8", "\u2028"} {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want := string([]rune(s)) // invalid bytes become U+FFFD
		if got != want {
			t.Errorf("round trip of %q = %q, want %q", s, got, want)
		}
	}
}
