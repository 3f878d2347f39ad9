package jsontok

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

var kindNames = [...]string{"Invalid", "End", "{", "}", "[", "]", "Key", "String", "Number", "true", "false", "null"}

// tokens reads b to End or Invalid and lists the tokens: kind, then raw
// content and flags where there are, then depth.
func tokens(b []byte) string {
	var r Reader
	r.Reset(b)
	var out []string
	for {
		k := r.Next()
		s := kindNames[k]
		switch k {
		case Key, String, Number:
			s += fmt.Sprintf("(%s", r.Raw())
			if f := r.Flags(); f != 0 {
				s += fmt.Sprintf(",%b", f)
			}
			s += ")"
		}
		out = append(out, fmt.Sprintf("%s@%d", s, r.Depth()))
		if k == End || k == Invalid {
			return strings.Join(out, " ")
		}
	}
}

func TestReader(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a":[1,-2.5e3,"x@y"],"b\n":{},"c":[]} `,
			`{@1 Key(a)@1 [@2 Number(1)@2 Number(-2.5e3,100)@2 String(x@y,10)@2 ]@1 Key(b\n,1)@1 {@2 }@1 Key(c)@1 [@2 ]@1 }@0 End@0`},
		{"true\nfalse null \"s\" 0", `true@0 false@0 null@0 String(s)@0 Number(0)@0 End@0`},
		{"", `End@0`},
		{` [ ] `, `[@1 ]@0 End@0`},
		{`{"a" 1}`, `{@1 Invalid@1`},
		{`[1,]`, `[@1 Number(1)@1 Invalid@1`},
		{`{"a":1,}`, `{@1 Key(a)@1 Number(1)@1 Invalid@1`},
		{`[}`, `[@1 Invalid@1`},
		{`"\x"`, `Invalid@0`},
		{`[1 2]`, `[@1 Number(1)@1 Invalid@1`},
	} {
		if got := tokens([]byte(tt.in)); got != tt.want {
			t.Errorf("%q:\ngot  %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

// readOne reads one value and reports whether it was all the body held.
func readOne(b []byte) (bool, *Reader) {
	r := new(Reader)
	r.Reset(b)
	k := r.Next()
	if k == End || k == Invalid {
		return false, r
	}
	if (k == BeginObject || k == BeginArray) && r.Skip() < 0 {
		return false, r
	}
	return r.Next() == End, r
}

// TestValid: one value read to End is exactly what encoding/json.Valid
// accepts, and errors say where.
func TestValid(t *testing.T) {
	for _, tt := range []struct {
		in string
		at int // offset of the error; -1 if valid
	}{
		{`{"a":[1,{"b":null}],"c":"\u00e9\ud83d\ude00"}`, -1}, {`-0.5E+10`, -1}, {`[[],{}]`, -1}, {"\t\"\"\r\n", -1},
		{`{`, 1}, {`{"a":}`, 5}, {`01`, 1}, {`1.`, 2}, {`.5`, 0}, {`-`, 1}, {`1e`, 2}, {`+1`, 0}, {`"\u12"`, 2},
		{"\"a\x01\"", 2}, {`"abc`, 4}, {`"a\`, 2}, {"tru", 0}, {`True`, 0}, {`NaN`, 0}, {`[1,{"b":tru}]`, 8},
		{"\xef\xbb\xbf{}", 0}, {`{"a":1}x`, 7},
	} {
		ok, r := readOne([]byte(tt.in))
		if ok != json.Valid([]byte(tt.in)) {
			t.Errorf("%q: read %v, encoding/json says %v", tt.in, ok, !ok)
		}
		if ok != (tt.at < 0) {
			t.Errorf("%q: valid %v", tt.in, ok)
		}
		if tt.at >= 0 && r.Err() != nil && (r.ErrOffset() != tt.at || !errors.Is(r.Err(), ErrSyntax)) {
			t.Errorf("%q: %v at %d, want ErrSyntax at %d", tt.in, r.Err(), r.ErrOffset(), tt.at)
		}
	}
}

// TestStart: after Invalid, Start is where the token that could not be read
// begins, so the rest of the body can be read another way.
func TestStart(t *testing.T) {
	for _, tt := range []struct {
		in   string
		rest string
	}{
		{`{"a":1, oops "b"}`, `oops "b"}`},
		{`{"a":"x","b":"unterminated`, `"unterminated`},
		{`{"a" 1}`, `1}`},
		{`["ok","bad\q"]`, `"bad\q"]`},
	} {
		var r Reader
		r.Reset([]byte(tt.in))
		for r.Next() != Invalid {
		}
		if got := tt.in[r.Start():]; got != tt.rest {
			t.Errorf("%q: rest %q, want %q", tt.in, got, tt.rest)
		}
	}
}

func TestNesting(t *testing.T) {
	deep := func(n int) []byte { return []byte(strings.Repeat("[", n) + strings.Repeat("]", n)) }
	if ok, r := readOne(deep(MaxNesting)); !ok {
		t.Errorf("%d levels: %v", MaxNesting, r.Err())
	}
	ok, r := readOne(deep(MaxNesting + 1))
	if ok || !errors.Is(r.Err(), ErrNesting) || r.ErrOffset() != MaxNesting {
		t.Errorf("%d levels: %v at %d", MaxNesting+1, r.Err(), r.ErrOffset())
	}
}

// TestSkip: Skip reads to the end of the innermost container and counts
// the tokens inside.
func TestSkip(t *testing.T) {
	var r Reader
	r.Reset([]byte(`{"a":{"b":[1,{"c":2}],"d":3},"e":[]}`))
	r.Next() // {
	r.Next() // "a":
	r.Next() // {
	if n := r.Skip(); n != 10 || r.Depth() != 1 {
		t.Errorf("Skip = %d, depth %d", n, r.Depth())
	}
	if k := r.Next(); k != Key || string(r.Raw()) != "e" {
		t.Errorf("after Skip: %v %q", k, r.Raw())
	}
	r.Next() // [
	if n := r.Skip(); n != 0 || r.Depth() != 1 {
		t.Errorf("empty: Skip = %d, depth %d", n, r.Depth())
	}
	r.Reset([]byte(`[1,2`))
	r.Next()
	if n := r.Skip(); n != -1 {
		t.Errorf("truncated: Skip = %d", n)
	}
	r.Reset([]byte(`1 2`))
	if n := r.Skip(); n != -1 {
		t.Errorf("no container: Skip = %d", n)
	}
}

func TestAllocs(t *testing.T) {
	b := []byte(`{"a":[1,-2.5e3,"x@y"],"b\n":{},"c":[true,false,null]}`)
	var r Reader
	if n := testing.AllocsPerRun(100, func() {
		r.Reset(b)
		for k := r.Next(); k != End && k != Invalid; k = r.Next() {
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// FuzzReader: one value read to End is what encoding/json.Valid accepts,
// token by token or skipped whole; no panic on any input.
//
//	go test -run '^$' -fuzz '^FuzzReader$' -fuzztime 30s ./analyzer/internal/jsontok/
func FuzzReader(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}],"c":"\u00e9"}`, `[1,]`, `"\ud800"`, `-0.0e-0`, "[[[[{}]]]]", `{"a":1}{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		if skipped, _ := readOne(b); skipped != valid {
			t.Fatalf("Skip: %v, encoding/json.Valid %v", skipped, valid)
		}
		var r Reader
		r.Reset(b)
		values := 0
		k := r.Next()
		for ; k != End && k != Invalid; k = r.Next() {
			if r.Depth() == 0 {
				values++
			}
		}
		if read := k == End && values == 1; read != valid {
			t.Fatalf("Next: %v (%d values), encoding/json.Valid %v", read, values, valid)
		}
	})
}

// BenchmarkReader reads every token of a 4 KiB API response.
//
//	go test -run '^$' -bench Reader -count 6 ./analyzer/internal/jsontok/ | tee reader.txt
func BenchmarkReader(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"page":1,"total":1832,"orders":[`)
	for i := 0; sb.Len() < 4000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"%08x-8a3d-4b8e-9b1e-2f9f1c2d3e4f","created_at":"2024-03-01T10:15:00Z","amount":%d.99,`+
			`"customer":{"id":%d,"email":"c%d@example.com","vip":%t},"coupon":null,"items":[{"sku":"SKU-%d","qty":%d}]}`,
			i, 10+i*7, 50_000+i, i, i%2 == 0, 700+i, 1+i%3)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	var r Reader
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r.Reset(body)
		for k := r.Next(); k != End; k = r.Next() {
			if k == Invalid {
				b.Fatal(r.Err())
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
}
