package sensitive_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apitap/apitap/analyzer/sensitive"
	"github.com/apitap/apitap/sensor/http1"
)

// FuzzScan feeds arbitrary bodies to Scan (as JSON, form and text), and
// as query and header block to ScanQuery and ScanHeaders. Properties: no
// panic, the input is not modified, at most MaxFindings findings, one per
// class and path, every mask holds a '*', paths and masks are valid UTF-8
// of bounded length. Seeds are in testdata/fuzz/FuzzScan.
//
//	go test -run '^$' -fuzz '^FuzzScan$' -fuzztime 30s ./analyzer/sensitive/
func FuzzScan(f *testing.F) {
	f.Add([]byte(`{"user":{"email":"john@example.com","cards":[{"number":"4111 1111 1111 1111"}],"password":"x"}}`), "application/json")
	f.Add([]byte("username=bob&password=hunter2&email=bob%40example.com&p=%2B1+415+555+2671"), "application/x-www-form-urlencoded")
	f.Add([]byte("call (415) 555-2671, IBAN DE89 3704 0044 0532 0130 00, ssn 078-05-1120, "+awsKey), "text/plain")
	f.Add([]byte(`[{"k\u0041":"\ud83d\ude00 `+jwtTok+`"},-1.5e3,true,null,"-----BEGIN EC PRIVATE KEY-----"]`), "")
	f.Add([]byte(`{"a":[[[[{"b":"`), "application/json")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		orig := bytes.Clone(body)
		check := func(what string, out []sensitive.Finding) {
			if len(out) > sensitive.MaxFindings {
				t.Fatalf("%s: %d findings", what, len(out))
			}
			seen := map[string]bool{}
			for _, x := range out {
				key := x.Class.String() + "\x00" + x.Path
				if seen[key] {
					t.Fatalf("%s: duplicate %v", what, x)
				}
				seen[key] = true
				if !strings.Contains(x.Masked, "*") || !utf8.ValidString(x.Masked) || len(x.Masked) > 300 {
					t.Fatalf("%s: mask %q", what, x.Masked)
				}
				if !utf8.ValidString(x.Path) || len(x.Path) > 600 {
					t.Fatalf("%s: path %q", what, x.Path)
				}
			}
		}
		for _, c := range []string{ct, "application/json", "application/x-www-form-urlencoded", "text/plain"} {
			check(c, sensitive.Scan(body, c, nil))
		}
		check("query", sensitive.ScanQuery("/?"+string(body), nil))
		check("headers", sensitive.ScanHeaders(http1.Header(body), nil))
		if !bytes.Equal(body, orig) {
			t.Fatal("input modified")
		}
	})
}
