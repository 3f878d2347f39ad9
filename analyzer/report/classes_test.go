package report_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/analyzer/spec"
	"github.com/apitap/apitap/sensor/http1"
)

// TestClasses: documented with drift, zombie by deprecation and by
// version, shadow and orphan, against a small spec.
func TestClasses(t *testing.T) {
	sp, err := spec.Load("testdata/users-v2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	idx := spec.NewIndex(sp)
	inv := inventory.New(inventory.Config{Specs: idx})
	n := 0
	obs := func(target string, status int, body string) {
		n++
		tx := &http1.Transaction{Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(n)}), 999),
			Server: netip.MustParseAddrPort("198.51.100.1:80")}
		tx.Request.Method, tx.Request.Target, tx.Request.Host = "GET", target, "users.example"
		tx.Request.Start = time.Unix(int64(n), 0)
		tx.Response.Status = status
		tx.Response.Header = http1.Header("Content-Type: application/json\r\n")
		tx.Response.Body.Sample = []byte(body)
		inv.Observe(tx)
	}
	obs("/v2/users/7?fields=name", 200, `{"id":7,"name":"a"}`)
	obs("/v2/users/8?debug=1", 418, ``)
	obs("/v2/users/9", 200, `{"id":9,"name":"b","ssn_hint":"x"}`)
	obs("/v2/users/9/avatar", 200, ``)
	obs("/v3/users/9/orders", 200, ``)
	obs("/v2/admin/export", 200, ``)
	rows := report.Build(inv, idx, report.Filter{})
	got := map[string]report.Row{}
	var lines []string
	for _, r := range rows {
		got[r.Method+" "+r.Template] = r
		lines = append(lines, string(r.Class)+" "+r.Why+" "+r.Method+" "+r.Template)
	}
	want := []string{
		"shadow  GET /v2/admin/export",
		"documented  GET /v2/users/{id}",
		"zombie deprecated GET /v2/users/{id}/avatar",
		"orphan  GET /v2/users/{id}/orders",
		"zombie documented in another version GET /v3/users/{id}/orders",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n  %s\nwant\n  %s", strings.Join(lines, "\n  "), strings.Join(want, "\n  "))
	}
	d := got["GET /v2/users/{id}"].Drift
	if d == nil || strings.Join(d.Query, ",") != "debug" || len(d.Statuses) != 1 || d.Statuses[0] != 418 ||
		strings.Join(d.Fields, ",") != "ssn_hint" {
		t.Errorf("drift %+v; want query debug, status 418, field ssn_hint", d)
	}
}
