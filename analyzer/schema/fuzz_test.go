package schema_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/apitap/apitap/analyzer/schema"
)

// FuzzObserve feeds arbitrary bodies to a schema that already holds one.
// Properties: no panic; Observe accepts exactly what encoding/json.Valid
// accepts; a rejected body leaves the schema as it was; at most MaxPaths
// paths; the schema and its JSON Schema survive an encoding/json round
// trip, and the restored schema goes on observing as the original does;
// the input is not modified. Seeds are in testdata/fuzz/FuzzObserve.
//
//	go test -run '^$' -fuzz '^FuzzObserve$' -fuzztime 30s ./analyzer/schema/
func FuzzObserve(f *testing.F) {
	f.Add([]byte(`{"id":1,"tags":["a"],"user":{"email":"a@example.com","at":"2024-01-01T00:00:00Z"}}`))
	f.Add([]byte(`[1,2.5,"x",null,true,{"a.b":[[]]}]`))
	f.Add([]byte(`{"k\u0041\ud83d\ude00":"\u0000","":{}}`))
	f.Add([]byte(`[[[[[[[[[[[[{"deep":1}]]]]]]]]]]]]`))
	f.Add([]byte(`{"a":1,}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var s schema.Schema
		if err := s.Observe([]byte(`{"base":[{"x":1}],"t":"2024-01-01"}`)); err != nil {
			t.Fatal(err)
		}
		before, _ := json.Marshal(&s)
		orig := bytes.Clone(body)
		err := s.Observe(body)
		if valid := json.Valid(body); (err == nil) != valid {
			t.Fatalf("Observe error %v, json.Valid %v", err, valid)
		}
		after, jerr := json.Marshal(&s)
		if jerr != nil {
			t.Fatal(jerr)
		}
		if err != nil && !bytes.Equal(before, after) {
			t.Fatalf("rejected body changed the schema:\n%s\n%s", before, after)
		}
		if !bytes.Equal(body, orig) {
			t.Fatal("input modified")
		}
		if n := len(s.Fields()); n > schema.MaxPaths {
			t.Fatalf("%d paths", n)
		}
		var r schema.Schema
		if err := json.Unmarshal(after, &r); err != nil {
			t.Fatalf("unmarshal: %v\n%s", err, after)
		}
		if again, _ := json.Marshal(&r); !bytes.Equal(again, after) {
			t.Fatalf("round trip:\n%s\n%s", after, again)
		}
		// The lookup caches of s, kept through the walk (and its
		// rollback), agree with those rebuilt by Unmarshal.
		for _, more := range [][]byte{body, []byte(`{"base":[{"x":2,"y":[1]}],"z":{},"t":null}`)} {
			e1, e2 := s.Observe(more), r.Observe(more)
			if (e1 == nil) != (e2 == nil) {
				t.Fatalf("%v %v", e1, e2)
			}
		}
		m1, _ := json.Marshal(&s)
		m2, _ := json.Marshal(&r)
		if !bytes.Equal(m1, m2) {
			t.Fatalf("diverged:\n%s\n%s", m1, m2)
		}
		js1, err1 := json.Marshal(s.JSONSchema())
		js2, err2 := json.Marshal(r.JSONSchema())
		if err1 != nil || err2 != nil || !bytes.Equal(js1, js2) {
			t.Fatalf("JSON Schema: %v %v\n%s\n%s", err1, err2, js1, js2)
		}
	})
}
