package alert_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
)

// go test ./analyzer/alert -update rewrites testdata/*.golden.json.
var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

const ocsfGolden = "testdata/ocsf.golden.json"

var product = alert.ProductInfo{Version: "1.2.3"}

// fixedAlerts are a statistical alert with examples in its three states
// and a service-wide rule alert without any.
func fixedAlerts() []alert.Alert {
	first := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := alert.Alert{
		Type: alert.RateSpike, Kind: alert.Statistical, Severity: alert.High, State: alert.Open, OWASP: "API4:2023",
		Service: "shop.example:8080@vxlan=7", Method: "GET", Route: "/orders/{id}", Client: "203.0.113.9",
		First: first, Last: first, Count: 1,
		Evidence: alert.Evidence{
			Metric: "requests", Observed: 940, Baseline: 120, Spread: 30, Score: 27.33, ScoreKind: "z", Window: "5m0s",
			Detail: "940 requests in 5m from one client, 120 expected",
		},
		Examples: []alert.Example{
			{Time: first, Client: "203.0.113.9:50412", Server: "10.0.0.5:8080", Method: "GET", Target: "/orders/1001?expand=items", Status: 200, Bytes: 512},
			{Time: first.Add(time.Second), Client: "203.0.113.9:50413", Server: "[2001:db8::5]:8080", Method: "GET", Target: "/orders/1002", Status: 404, Bytes: 0},
		},
	}
	a.ID = alert.NewID(a.Key(), a.First)
	upd := a
	upd.State, upd.Last, upd.Count = alert.Updated, first.Add(15*time.Minute), 4
	closed := upd
	closed.State, closed.Closed = alert.Closed, upd.Last.Add(30*time.Minute)
	rule := alert.Alert{
		Type: alert.CredentialStuffing, Kind: alert.Rule, Severity: alert.Critical, State: alert.Open, OWASP: "API2:2023",
		Service: "login.example", First: first, Last: first, Count: 1,
		Evidence: alert.Evidence{Metric: "failed_logins", Observed: 412, Score: 412, ScoreKind: "count", Window: "10m0s", Distinct: 97},
	}
	rule.ID = alert.NewID(rule.Key(), rule.First)
	return []alert.Alert{a, upd, closed, rule}
}

func TestAlertOCSFGolden(t *testing.T) {
	var all []json.RawMessage
	for _, a := range fixedAlerts() {
		b, err := alert.MarshalOCSF(&a, product)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b)
	}
	got, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(ocsfGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(ocsfGolden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("OCSF differs from %s (go test ./analyzer/alert -update rewrites it): %s", ocsfGolden, firstDiff(got, want))
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d\ngot:  %s\nwant: %s", i+1, gl, wl)
		}
	}
	return "no line differs"
}

// required are the attributes OCSF 1.5.0 requires of a Detection Finding
// (base event and finding class), and those of the objects apitap fills,
// as dotted paths; an array element is checked in each element.
var required = []string{
	"activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time",
	"finding_info.uid", "finding_info.title", "finding_info.analytic.type_id",
	"metadata.product.name", "metadata.product.vendor_name", "metadata.version",
}

// lookup returns the value at a dotted path of a decoded JSON object.
func lookup(v any, path string) (any, bool) {
	for p := range strings.SplitSeq(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = o[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

// checkOCSF checks one encoded Detection Finding.
func checkOCSF(t *testing.T, line []byte) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(line, &v); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	for _, p := range required {
		if x, ok := lookup(v, p); !ok || x == "" || x == nil {
			t.Errorf("%s missing in %s", p, line)
		}
	}
	n := func(p string) int {
		x, _ := lookup(v, p)
		f, _ := x.(float64)
		return int(f)
	}
	if n("class_uid") != 2004 || n("category_uid") != 2 || n("type_uid") != 200400+n("activity_id") {
		t.Errorf("class %d category %d type %d activity %d", n("class_uid"), n("category_uid"), n("type_uid"), n("activity_id"))
	}
	if a := n("activity_id"); a < 1 || a > 3 {
		t.Errorf("activity_id %d", a)
	}
	if s := n("severity_id"); s < 1 || s > 5 {
		t.Errorf("severity_id %d", s)
	}
	if x, _ := lookup(v, "metadata.version"); x != alert.OCSFVersion {
		t.Errorf("metadata.version %v", x)
	}
	evs, _ := v["evidences"].([]any)
	if len(evs) == 0 {
		t.Errorf("no evidences in %s", line)
	}
	for _, e := range evs { // OCSF: at least one of these per evidence
		_, src := lookup(e, "src_endpoint")
		_, dst := lookup(e, "dst_endpoint")
		if !src && !dst {
			t.Errorf("evidence without an endpoint in %s", line)
		}
	}
	for _, a := range anySlice(v["anomaly_analyses"]) {
		for _, p := range []string{"analysis_target.name", "anomalies"} {
			if _, ok := lookup(a, p); !ok {
				t.Errorf("anomaly_analyses: %s missing in %s", p, line)
			}
		}
		for _, an := range append(anySlice(a.(map[string]any)["anomalies"]), anySlice(a.(map[string]any)["baselines"])...) {
			for _, p := range []string{"observed_attribute", "observations"} {
				if _, ok := lookup(an, p); !ok {
					t.Errorf("anomaly or baseline: %s missing in %s", p, line)
				}
			}
		}
	}
}

func anySlice(v any) []any { s, _ := v.([]any); return s }

// TestAlertOCSFRequired: every event the manager sends, for every type, kind and state, with and without examples
// and clients, is a Detection Finding with the required attributes.
func TestAlertOCSFRequired(t *testing.T) {
	var r recorder
	m := alert.New(alert.Config{Sinks: []alert.Sink{&r}, MaxOpenPerHour: -1})
	for i, typ := range alert.Types {
		for j, kind := range []alert.Kind{alert.Rule, alert.Statistical} {
			f := alert.Finding{
				Type: typ, Kind: kind, Severity: alert.Severity(1 + i%5), Service: "api.example", Time: at(float64(i)),
				Evidence: alert.Evidence{Metric: "m", Observed: 2, Baseline: 1, Window: "1m0s"},
			}
			if j == 1 {
				f.Method, f.Route, f.Client = "POST", "/login", "10.0.0.1"
				f.Example = &alert.Example{Client: "10.0.0.1:1234", Server: "10.0.0.2:80", Method: "POST", Target: "/login?x=1", Status: 401}
			}
			m.Raise(f)
			f.Time = at(float64(i) + 16)
			m.Raise(f)
		}
	}
	m.Advance(at(1000))
	states := map[float64]int{}
	for _, a := range r.alerts {
		b, err := alert.MarshalOCSF(a, product)
		if err != nil {
			t.Fatal(err)
		}
		checkOCSF(t, b)
		var v struct {
			ActivityID float64 `json:"activity_id"`
		}
		json.Unmarshal(b, &v)
		states[v.ActivityID]++
	}
	n := 2 * len(alert.Types)
	if fmt.Sprint(states) != fmt.Sprintf("map[1:%d 2:%d 3:%d]", n, n, n) {
		t.Errorf("events by activity %v; want %d of each", states, n)
	}
	for _, a := range fixedAlerts() {
		b, err := alert.MarshalOCSF(&a, alert.ProductInfo{})
		if err != nil {
			t.Fatal(err)
		}
		checkOCSF(t, b)
	}
}
