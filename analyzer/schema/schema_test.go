package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/schema"
)

// fields formats the fields of s as "path types format count seen" lines.
func fields(s *schema.Schema) string {
	var b strings.Builder
	for _, f := range s.Fields() {
		fmt.Fprintf(&b, "%s %s %s %d %.2f\n", f.Path, f.Types, f.Format, f.Count, f.Seen)
	}
	return b.String()
}

func observe(t testing.TB, s *schema.Schema, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if err := s.Observe([]byte(b)); err != nil {
			t.Fatalf("%.60s: %v", b, err)
		}
	}
}

func marshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestObserve(t *testing.T) {
	tests := []struct {
		name   string
		bodies []string
		want   string
	}{
		{"scalars and formats", []string{`{"id":7,"price":9.99,"ok":true,"none":null,"when":"2024-03-01T10:15:00.123+01:00",` +
			`"day":"2024-03-01","uid":"123E4567-e89b-12d3-a456-426614174000","mail":"a.b@example.com","site":"https://example.com/x?y=1",` +
			`"ip":"192.168.0.1","name":"Alice","exp":1e3}`}, `
 object  1 1.00
day string date 1 1.00
exp number  1 1.00
id integer  1 1.00
ip string ipv4 1 1.00
mail string email 1 1.00
name string  1 1.00
none null  1 1.00
ok boolean  1 1.00
price number  1 1.00
site string uri 1 1.00
uid string uuid 1 1.00
when string date-time 1 1.00
`},
		{"merged shapes: optional keys, type unions, format conflicts", []string{
			`{"id":1,"name":"a","tags":["x","y"],"at":"2024-01-01"}`,
			`{"id":"u-1","email":null,"tags":[],"at":"2024-01-02T00:00:00Z"}`,
			`{"id":2,"tags":["z"],"at":"2024-01-03"}`}, `
 object  3 1.00
at string  3 1.00
email null  1 0.33
id string,integer  3 1.00
name string  1 0.33
tags array  3 1.00
tags[] string  3 1.00
`},
		{"arrays of objects: presence among elements", []string{`{"items":[{"id":1,"n":"a"},{"id":2},{"id":3,"n":null}]}`}, `
 object  1 1.00
items array  1 1.00
items[] object  3 1.00
items[].id integer  3 1.00
items[].n string,null  2 0.67
`},
		{"root array, nested arrays, mixed elements", []string{`[[1,2],[3.5],"x",{"a":[]}]`}, `
 array  1 1.00
[] object,array,string  4 1.00
[].a array  1 1.00
[][] integer,number  3 1.00
`},
		{"keys: escapes, dots, brackets, empty, unicode", []string{`{"a.b":1,"c[]":2,"":3,"x\u0041":4,"back\\slash":5,"é\ud83d\ude00":6,"\ud800":7}`}, `
 object  1 1.00
"" integer  1 1.00
a\.b integer  1 1.00
back\\slash integer  1 1.00
c\[\] integer  1 1.00
xA integer  1 1.00
é😀 integer  1 1.00
� integer  1 1.00
`},
		{"scalar root, surrounding white space", []string{" \t\n\"2024-01-01\"\r\n", "42"}, `
 string,integer date 2 1.00
`},
		{"escaped strings have no format", []string{`{"d":"2024\u002d01-01"}`}, `
 object  1 1.00
d string  1 1.00
`},
		{"uri schemes without authority, in any case", []string{`{"a":"URN:isbn:0451450523","b":"Mailto:ops","c":"ftp:x"}`}, `
 object  1 1.00
a string uri 1 1.00
b string uri 1 1.00
c string  1 1.00
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s schema.Schema
			observe(t, &s, tt.bodies...)
			if got := fields(&s); "\n"+got != tt.want {
				t.Errorf("got:\n%s\nwant:%s", got, tt.want)
			}
			if s.Observations != uint64(len(tt.bodies)) {
				t.Errorf("Observations = %d", s.Observations)
			}
		})
	}
}

func TestFields(t *testing.T) {
	var s schema.Schema
	observe(t, &s, `{"a":{"b":1},"c":[{"d":null}]}`, `{"c":[]}`)
	want := []schema.Field{
		{Path: "", Types: schema.Object, Count: 2, Seen: 1},
		{Path: "a", Types: schema.Object, Count: 1, Seen: 0.5, Optional: true},
		{Path: "a.b", Types: schema.Integer, Count: 1, Seen: 1},
		{Path: "c", Types: schema.Array, Count: 2, Seen: 1},
		{Path: "c[]", Types: schema.Object, Count: 1, Seen: 1},
		{Path: "c[].d", Types: schema.Null, Count: 1, Seen: 1},
	}
	if got := fmt.Sprint(s.Fields()); got != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if got := (schema.Integer | schema.Number | schema.Null).Names(); fmt.Sprint(got) != "[number null]" {
		t.Errorf("Names folds integer into number: %v", got)
	}
}

func TestInvalid(t *testing.T) {
	for _, in := range []string{
		"", " ", "{", "}", "[", `{"a":}`, `{"a" 1}`, `{a:1}`, `{"a":1,}`, `[1,]`, `[,1]`, `01`, `1.`, `.5`, `-`, `1e`, `+1`,
		`"\x"`, `"\u12"`, "\"a\x01\"", `"abc`, "tru", "nul", "True", `{"a":1}x`, `{"a":1} {}`, `[1 2]`, `{"a":1 "b":2}`,
		`[}`, `{]`, `[[[]]`, "\xef\xbb\xbf{}", `NaN`, `{"a":[1,{"b":tru}]}`,
		strings.Repeat("[", 11) + "1," + strings.Repeat("]", 11), // an error below MaxDepth
	} {
		var s schema.Schema
		observe(t, &s, `{"keep":1}`)
		before := marshal(t, &s)
		err := s.Observe([]byte(in))
		if !errors.Is(err, schema.ErrSyntax) {
			t.Errorf("%q: err = %v, want ErrSyntax", in, err)
		}
		if json.Valid([]byte(in)) {
			t.Errorf("%q: encoding/json accepts it", in)
		}
		if after := marshal(t, &s); after != before {
			t.Errorf("%q changed the schema:\n%s\n%s", in, before, after)
		}
	}
}

// TestInvalidLeavesNoPaths: a body that goes wrong after new paths were
// seen adds none of them.
func TestInvalidLeavesNoPaths(t *testing.T) {
	var s schema.Schema
	if err := s.Observe([]byte(`{"a":1,"b":{"c":[1,2,3]},"d":`)); err == nil {
		t.Fatal("no error")
	}
	if len(s.Fields()) != 0 || s.Observations != 0 {
		t.Fatalf("recorded: %s", fields(&s))
	}
	observe(t, &s, `{"a":"x"}`)
	if got := fields(&s); got != " object  1 1.00\na string  1 1.00\n" {
		t.Errorf("got %s", got)
	}
}

func TestJSONSchema(t *testing.T) {
	var s schema.Schema
	observe(t, &s,
		`{"id":"0b6f3a4e-8a3d-4b8e-9b1e-2f9f1c2d3e4f","total":3,"users":[{"email":"a@example.com","age":30,"tags":["x"]},{"email":"b@example.com","age":null}]}`,
		`{"id":"8c2a1f0e-1111-4222-8333-944455556666","total":2.5,"users":[],"next":null}`)
	got := marshal(t, s.JSONSchema())
	want := `{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{` +
		`"id":{"format":"uuid","type":"string"},"next":{"type":"null"},"total":{"type":"number"},` +
		`"users":{"items":{"properties":{"age":{"type":["integer","null"]},"email":{"format":"email","type":"string"},` +
		`"tags":{"items":{"type":"string"},"type":"array"}},"required":["age","email"],"type":"object"},"type":"array"}},` +
		`"required":["id","total","users"],"type":"object"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var empty schema.Schema
	if got := marshal(t, empty.JSONSchema()); got != `{"$schema":"https://json-schema.org/draft/2020-12/schema"}` {
		t.Errorf("empty: %s", got)
	}
}

func TestMerge(t *testing.T) {
	bodies := []string{`{"a":1,"b":[{"c":"x"}]}`, `{"a":"s","d":true}`, `[1]`, `{"b":[{"c":null,"e":1}]}`}
	var all, x, y schema.Schema
	observe(t, &all, bodies...)
	observe(t, &x, bodies[:2]...)
	observe(t, &y, bodies[2:]...)
	x.Merge(&y)
	if got, want := fields(&x), fields(&all); got != want {
		t.Errorf("merged:\n%s\nobserved together:\n%s", got, want)
	}
	if x.Observations != 4 {
		t.Errorf("Observations = %d", x.Observations)
	}
	// Merging into an empty schema copies; merging with itself doubles.
	var z schema.Schema
	z.Merge(&all)
	if fields(&z) != fields(&all) {
		t.Error("merge into empty")
	}
	z.Merge(&z)
	if f := z.Fields()[0]; f.Count != 8 || z.Observations != 8 {
		t.Errorf("self merge: %+v", f)
	}
}

func TestMergeOverflow(t *testing.T) {
	var a, b schema.Schema
	observe(t, &a, keysBody(0, 200))
	observe(t, &b, keysBody(150, 300))
	b.Merge(&a) // b: root + 150 keys, a brings 150 new: 105 stored, 45 not
	if len(b.Fields()) != schema.MaxPaths || b.Overflow != 45 {
		t.Fatalf("%d paths, Overflow %d", len(b.Fields()), b.Overflow)
	}
	a.Merge(&b) // a: root + 200 keys, b brings 100 new: 55 stored, 45 not, and b's 45
	if n := len(a.Fields()); n != schema.MaxPaths {
		t.Fatalf("%d paths", n)
	}
	if a.Overflow != 90 || a.Observations != 3 {
		t.Errorf("Overflow = %d (b's %d), Observations = %d", a.Overflow, b.Overflow, a.Observations)
	}
}

// keysBody returns an object with keys k<from>..k<to-1>.
func keysBody(from, to int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := from; i < to; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteByte('}')
	return b.String()
}

func TestRoundTrip(t *testing.T) {
	var s schema.Schema
	observe(t, &s, `{"a":{"b.c":[1,"2024-01-01"]},"":null,"x":[[{"y":true}]]}`, `{"a":{"d":"e@example.com"}}`, keysBody(0, 300))
	data := marshal(t, &s)
	var r schema.Schema
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		t.Fatal(err)
	}
	if again := marshal(t, &r); again != data {
		t.Errorf("round trip:\n%s\n%s", data, again)
	}
	if fields(&r) != fields(&s) || r.Overflow != s.Overflow || r.Observations != s.Observations {
		t.Error("fields differ after round trip")
	}
	if marshal(t, r.JSONSchema()) != marshal(t, s.JSONSchema()) {
		t.Error("JSON Schema differs after round trip")
	}
	// A restored schema goes on observing.
	observe(t, &r, `{"a":{"b.c":[2]}}`)
	if f := r.Fields(); f[0].Count != 4 {
		t.Errorf("%+v", f[0])
	}
	var empty schema.Schema
	if err := json.Unmarshal([]byte(marshal(t, &empty)), &r); err != nil || len(r.Fields()) != 0 {
		t.Errorf("empty: %v", err)
	}
}

func TestUnmarshalInvalid(t *testing.T) {
	for _, in := range []string{
		`{"paths":[{"path":"a","parent":0,"key":"a","types":["object"],"count":1}]}`,                           // no root
		`{"paths":[{"path":"","parent":-1,"types":["object"]},{"parent":5,"key":"a","types":[]}]}`,             // bad parent
		`{"paths":[{"path":"","parent":-1,"types":["thing"]}]}`,                                                // bad type
		`{"paths":[{"path":"","parent":-1,"types":["string"],"format":"phone"}]}`,                              // bad format
		`{"paths":[{"path":"","parent":-1,"types":[]},{"parent":0,"key":"a"},{"parent":0,"key":"a"}]}`,         // duplicate
		`{"paths":[{"path":"","parent":-1,"types":[]},{"parent":0,"elem":true,"key":"a"}]}`,                    // elem with key
		`{"paths":[{"path":"","parent":-1,"types":[]},{"parent":0,"key":"` + strings.Repeat("k", 129) + `"}]}`, // long key
		`{"paths":[` + strings.TrimSuffix(strings.Repeat(`{"parent":-1},`, 257), ",") + `]}`,                   // too many
		`[]`,
	} {
		var s schema.Schema
		if err := json.Unmarshal([]byte(in), &s); err == nil {
			t.Errorf("%.80s: no error", in)
		}
	}
	deep := `{"paths":[{"path":"","parent":-1,"types":["array"]}`
	for i := range 11 {
		deep += fmt.Sprintf(`,{"parent":%d,"elem":true,"types":["array"]}`, i)
	}
	var s schema.Schema
	if err := json.Unmarshal([]byte(deep+"]}"), &s); err == nil {
		t.Error("too deep: no error")
	}
}

// TestHostileKeys: one million distinct keys are counted, not stored, in
// bounded time and memory.
func TestHostileKeys(t *testing.T) {
	var b strings.Builder
	b.WriteByte('{')
	for i := range 1_000_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"key%d":%d`, i, i)
	}
	b.WriteByte('}')
	body := []byte(b.String())
	var s schema.Schema
	start := time.Now()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	err := s.Observe(body)
	runtime.ReadMemStats(&m1)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if n := len(s.Fields()); n != schema.MaxPaths {
		t.Errorf("%d paths", n)
	}
	if s.Overflow != 1_000_000-(schema.MaxPaths-1) {
		t.Errorf("Overflow = %d", s.Overflow)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes for a %d-byte body", alloc, len(body))
	}
	t.Logf("%d bytes, %d keys: %v", len(body), 1_000_000, elapsed)
	if elapsed > 5*time.Second {
		t.Errorf("took %v", elapsed)
	}
}

// TestHostileDepth: deep nesting is checked without recursion and recorded
// MaxDepth levels deep.
func TestHostileDepth(t *testing.T) {
	nest := func(n int, open, close, inner string) []byte {
		return []byte(strings.Repeat(open, n) + inner + strings.Repeat(close, n))
	}
	var s schema.Schema
	if err := s.Observe(nest(10_000, "[", "]", "1")); err != nil {
		t.Fatalf("10000 levels: %v", err)
	}
	if n := len(s.Fields()); n != schema.MaxDepth+1 || s.TooDeep != 1 {
		t.Errorf("%d paths, TooDeep %d: %s", n, s.TooDeep, fields(&s))
	}
	if err := s.Observe(nest(10_000, `{"a":`, "}", "1")); err != nil {
		t.Fatalf("10000 object levels: %v", err)
	}
	if f := s.Fields(); f[len(f)-1].Path != "a.a.a.a.a.a.a.a.a.a" {
		t.Errorf("deepest path %q", f[len(f)-1].Path)
	}
	for _, in := range [][]byte{nest(10_001, "[", "]", ""), nest(1_000_000, "[", "]", ""), []byte(strings.Repeat(`{"a":[`, 600_000))} {
		start := time.Now()
		err := s.Observe(in)
		if !errors.Is(err, schema.ErrNesting) {
			t.Errorf("%d bytes: err = %v", len(in), err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%d bytes: %v", len(in), d)
		}
		if json.Valid(in) {
			t.Error("encoding/json accepts it")
		}
	}
	if s.Observations != 2 {
		t.Errorf("Observations = %d", s.Observations)
	}
}

func TestArraySampling(t *testing.T) {
	var b strings.Builder
	b.WriteByte('[')
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"k%d":1}`, i)
	}
	b.WriteString(`,{"late":"x"}]`)
	var s schema.Schema
	observe(t, &s, b.String())
	f := s.Fields()
	if len(f) != 2+schema.MaxItems || f[1].Path != "[]" || f[1].Count != schema.MaxItems {
		t.Errorf("%s", fields(&s))
	}
	if err := s.Observe([]byte(`[` + strings.Repeat(`1,`, 100) + `x]`)); err == nil {
		t.Error("an error past the sampled elements is still an error")
	}
}

// TestAllocs: observing a body of known shape does not allocate.
func TestAllocs(t *testing.T) {
	body := []byte(ordersJSON())
	var s schema.Schema
	observe(t, &s, string(body))
	if n := testing.AllocsPerRun(50, func() { s.Observe(body) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
