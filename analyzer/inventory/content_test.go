package inventory_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/sensortest"
)

// TestContent: authentication, sensitive data and body schemas of real
// traffic land on the right endpoints, with nothing secret kept.
func TestContent(t *testing.T) {
	inv := inventory.New(inventory.Config{})
	for _, f := range []string{"suricata-verify/http-post-file/input.pcap", "arkime/http-basicauth.pcap"} {
		sensortest.Each(t, sensortest.Corpus(t, f), func(x *http1.Transaction) { inv.Observe(x) })
	}
	got := map[string]*inventory.Endpoint{}
	for _, e := range inv.Endpoints() {
		got[e.Method+" "+e.Template] = e
	}
	login := got["POST /api/v4/users/login"]
	if login == nil {
		t.Fatalf("no login endpoint in %v", got)
	}
	if login.Auth["none"] != 1 || len(login.Auth) != 1 {
		t.Errorf("login auth %v, want none:1", login.Auth)
	}
	s := login.SensitiveList()
	if len(s) != 2 || s[0] != (inventory.Sensitive{Dir: "request", Class: "password", Path: "password", Count: 1, Masked: "********"}) ||
		s[1].Dir != "response" || s[1].Class != "email" || s[1].Masked != "t***@titi.fr" {
		t.Errorf("login sensitive data %+v", s)
	}
	if login.ReqSchema == nil || login.RespSchema == nil {
		t.Fatal("login body schemas missing")
	}
	var paths []string
	for _, f := range login.ReqSchema.Fields() {
		paths = append(paths, f.Path)
	}
	if len(paths) < 2 {
		t.Errorf("login request fields %v", paths)
	}
	if up := got["POST /api/v4/uploads"]; up == nil || up.Auth["bearer_opaque"] != 1 {
		t.Errorf("uploads auth: %+v", up)
	}
	for k, e := range got {
		if e.Auth["basic"] > 0 && e.Auth["session_cookie"] == 0 {
			t.Errorf("%s: basic without its session cookie: %v", k, e.Auth)
		}
	}
}

// TestObservation: Observe says which endpoint a transaction counted
// towards, whether it made it, and what the detectors need of its content.
func TestObservation(t *testing.T) {
	inv := inventory.New(inventory.Config{})
	cl, sv := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	ok := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
	resp := func(body string) string { return fmt.Sprintf(ok, len(body), body) }
	steps := []struct {
		req, resp string
		want      string // template, new, authenticated, analysed, classes
	}{
		{"GET /users/7 HTTP/1.1\r\nHost: api.example\r\n\r\n", resp(`{"id":7}`), "/users/{id} new=true auth=false analysed=true classes=0"},
		{"GET /users/8 HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer abcdefghijklmnop\r\n\r\n",
			resp(`{"id":8,"email":"ann@example.com","card":"4111 1111 1111 1111"}`), "/users/{id} new=false auth=true analysed=true classes=1010"}, // email (1) and card (3)
		{"GET /orders HTTP/1.1\r\nHost: api.example\r\n\r\n", "", "/orders new=true auth=false analysed=true classes=0"},
	}
	for i, s := range steps {
		o := inv.Observe(sensortest.Exchange(t, cl, sv, at.Add(time.Duration(i)*time.Second), time.Millisecond, s.req, s.resp))
		got := fmt.Sprintf("%s new=%v auth=%v analysed=%v classes=%b", o.Endpoint.Route(), o.New, o.Authenticated, o.Analysed, o.RespClasses)
		if got != s.want {
			t.Errorf("step %d: got %s, want %s", i, got, s.want)
		}
	}
	if o := inv.Observe(&http1.Transaction{}); o.Endpoint != nil {
		t.Errorf("a response alone counted towards %v", o.Endpoint.Route())
	}
}
