package inventory_test

import (
	"testing"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/sensor/sensortest"
)

// TestContent: authentication, sensitive data and body schemas of real
// traffic land on the right endpoints, with nothing secret kept.
func TestContent(t *testing.T) {
	inv := inventory.New(inventory.Config{})
	for _, f := range []string{"suricata-verify/http-post-file/input.pcap", "arkime/http-basicauth.pcap"} {
		sensortest.Each(t, sensortest.Corpus(t, f), inv.Observe)
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
