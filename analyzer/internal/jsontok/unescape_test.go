package jsontok

import (
	"encoding/json"
	"testing"
)

// Unescape agrees with encoding/json on valid strings, and copies what it
// cannot read on invalid ones without panicking.
func TestUnescape(t *testing.T) {
	for _, raw := range []string{`plain`, `a\"b\\c\/d`, `\b\f\n\r\t`, `\u00e9\u2603`, `\ud83d\ude00`, `\ud800x`, `\u12`, `\q`, `\`} {
		dst := make([]byte, 64)
		got := string(dst[:Unescape(dst, []byte(raw))])
		var want string
		if json.Unmarshal([]byte(`"`+raw+`"`), &want) == nil && got != want {
			t.Errorf("Unescape(%q) = %q, encoding/json says %q", raw, got, want)
		}
	}
	small := make([]byte, 3)
	if n := Unescape(small, []byte(`abcdef`)); n != 3 {
		t.Errorf("wrote %d bytes into 3", n)
	}
}
