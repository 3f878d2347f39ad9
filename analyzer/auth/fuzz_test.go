package auth_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/sensor/http1"
)

// FuzzClassify feeds arbitrary header blocks and targets. Properties: no
// panic, every string in the Result is valid UTF-8 of at most 128 bytes, at
// most four audiences, and the same input gives the same Result. Seeds are
// in testdata/fuzz/FuzzClassify.
//
//	go test -run '^$' -fuzz '^FuzzClassify$' -fuzztime 30s ./analyzer/auth/
func FuzzClassify(f *testing.F) {
	f.Add([]byte("Authorization: Bearer "+jwtValid+"\r\nCookie: sid=1\r\n"), "/?api_key=1", int64(1_700_000_000))
	f.Add([]byte("Authorization: Basic dGVzdDoxOjM0\r\n"), "/", int64(0))
	f.Add([]byte("authorization: Digest username=\"a\\\"b\", realm=x\n"), "/x?token=", int64(-1))
	f.Add([]byte("X-Api-Key: 1\r\nAuthorization: eyJ.eyJ.\r\n"), "http://h/?#", int64(1<<62))
	f.Fuzz(func(t *testing.T, header []byte, target string, unix int64) {
		r := &http1.Request{Target: target}
		r.Header = http1.Header(header)
		now := time.Unix(unix, 0)
		res := auth.Classify(r, now)
		for _, s := range append([]string{res.User, res.AuthScheme, res.APIKeyHeader, res.APIKeyParam,
			res.SessionCookie, res.JWT.Alg, res.JWT.Typ, res.JWT.Iss}, res.JWT.Aud...) {
			if len(s) > 128 || !utf8.ValidString(s) {
				t.Fatalf("bad string %q", s)
			}
		}
		if len(res.JWT.Aud) > 4 {
			t.Fatalf("%d audiences", len(res.JWT.Aud))
		}
		if res.User != "" && !strings.Contains(res.User, "***") {
			t.Fatalf("user %q not masked", res.User)
		}
		again := auth.Classify(r, now)
		if again.Schemes != res.Schemes || again.User != res.User || again.JWT.Exp != res.JWT.Exp {
			t.Fatal("not deterministic")
		}
	})
}
