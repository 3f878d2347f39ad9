package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/storage"
)

// go test ./cmd/apitap -update also rewrites testdata/alerts.golden and
// testdata/alerts.golden.json.
const (
	alertsGolden     = "testdata/alerts.golden"
	alertsJSONGolden = "testdata/alerts.golden.json"
)

func runAlerts(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := cmdAlerts(args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// alertStore writes a store of alerts as a sensor would leave it: one
// closed, one updated and still open, two open, in packet time from
// 2026-03-01 09:00 UTC.
func alertStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	st, err := storage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return start.Add(time.Duration(min) * time.Minute) }
	m := alert.New(alert.Config{})
	for _, f := range []alert.Finding{
		{Type: alert.Scanning, Severity: alert.Low, Service: "shop.example:8080", Client: "198.51.100.4", Time: at(0),
			Evidence: alert.Evidence{Metric: "not_found_paths", Observed: 212, Score: 212, ScoreKind: "count", Window: "5m0s", Distinct: 212}},
		{Type: alert.Enumeration, Severity: alert.High, Service: "shop.example:8080", Method: "GET", Route: "/orders/{id}", Client: "203.0.113.9", Time: at(60),
			Evidence: alert.Evidence{Metric: "distinct_ids", Observed: 80, Score: 80, ScoreKind: "count", Window: "5m0s", Detail: "80 distinct order ids in 5m"}},
		{Type: alert.Enumeration, Severity: alert.High, Service: "shop.example:8080", Method: "GET", Route: "/orders/{id}", Client: "203.0.113.9", Time: at(80),
			Evidence: alert.Evidence{Metric: "distinct_ids", Observed: 140, Score: 140, ScoreKind: "count", Window: "5m0s",
				Detail: "203.0.113.9 read 140 distinct order ids in 5m, each once, most of them 200 with another customer's order"}},
		{Type: alert.RateSpike, Kind: alert.Statistical, Severity: alert.Medium, Service: "api.example", Method: "POST", Route: "/v1/search", Time: at(90),
			Evidence: alert.Evidence{Metric: "requests", Observed: 940, Baseline: 120, Spread: 30, Score: 27.3, ScoreKind: "z", Window: "5m0s"}},
		{Type: alert.Injection, Severity: alert.Critical, Service: "api.example", Method: "GET", Route: "/v1/items", Client: "192.0.2.66", Time: at(95),
			Evidence: alert.Evidence{Metric: "payloads", Observed: 1, Score: 1, ScoreKind: "count", Subtype: "sqli", Detail: "sqli in query parameter q"}},
	} {
		m.Raise(f)
	}
	var b storage.Batch
	if err := m.Save(&b); err != nil {
		t.Fatal(err)
	}
	if err := st.Write(&b); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkGolden compares out with a golden file that -update rewrites.
func checkGolden(t *testing.T, path, out string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("output differs from %s (go test ./cmd/apitap -update rewrites it)\ngot:\n%s\nwant:\n%s", path, out, want)
	}
}

func TestAlertsCommand(t *testing.T) {
	dir := alertStore(t)
	r := runAlerts("--state", dir)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, alertsGolden, r.stdout)

	r = runAlerts("--state", dir, "--format", "json")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("json: exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, alertsJSONGolden, r.stdout)
	var got []alert.Alert
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	stored, err := loadAlerts(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(stored) || len(got) != 4 {
		t.Fatalf("%d alerts listed, %d stored; want 4", len(got), len(stored))
	}
	for i := range got { // newest first: the store's order reversed
		if got[i].ID != stored[len(stored)-1-i].ID {
			t.Errorf("alert %d is %s, want %s", i, got[i].ID, stored[len(stored)-1-i].ID)
		}
	}
}

func loadAlerts(t *testing.T, dir string) ([]alert.Alert, error) {
	t.Helper()
	st, err := storage.Open(dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return alert.Load(st, time.Time{})
}

// TestAlertsSince: --since takes a time, or a duration counted back from
// the latest stored activity (10:35, the injection), in packet time.
func TestAlertsSince(t *testing.T) {
	dir := alertStore(t)
	for _, c := range []struct {
		since string
		types string
	}{
		{"2026-03-01T10:00:00Z", "injection rate_spike enumeration"},
		{"2026-03-01T10:00:01Z", "injection rate_spike"},
		{"2026-03-01T10:00:00+01:00", "injection rate_spike enumeration scanning"},
		{"2027-01-01T00:00:00Z", ""},
		{"10m", "injection rate_spike"},
		{"35m", "injection rate_spike enumeration"},
		{"1000h", "injection rate_spike enumeration scanning"},
	} {
		r := runAlerts("--state", dir, "--since", c.since, "--format", "json")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("--since %s: exit status %d, stderr:\n%s", c.since, r.code, r.stderr)
		}
		var got []alert.Alert
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, a := range got {
			types = append(types, string(a.Type))
		}
		if s := strings.Join(types, " "); s != c.types {
			t.Errorf("--since %s: %q, want %q", c.since, s, c.types)
		}
	}
	r := runAlerts("--state", dir, "--since", "2027-01-01T00:00:00Z")
	if r.code != 0 || !strings.HasSuffix(r.stdout, "\n0 alerts: 0 open, 0 updated, 0 closed (times UTC, packet time)\n") {
		t.Errorf("empty table: exit status %d, stdout:\n%s", r.code, r.stdout)
	}
}

func TestAlertsErrors(t *testing.T) {
	dir := alertStore(t)
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, "usage: apitap alerts"},
		{[]string{"--state", dir, "extra"}, 2, "usage: apitap alerts"},
		{[]string{"--state", dir, "--format", "csv"}, 2, `--format "csv": want table or json`},
		{[]string{"--state", dir, "--since", "yesterday"}, 2, `--since "yesterday": want an RFC 3339 time`},
		{[]string{"--state", dir, "--since", "-1h"}, 2, `--since "-1h"`},
		{[]string{"--state", filepath.Join(dir, "typo")}, 1, "no store in"},
	} {
		r := runAlerts(c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("alerts %q: exit status %d, stderr %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "typo")); !os.IsNotExist(err) {
		t.Errorf("alerts created the mistyped state directory: %v", err)
	}
	if r := runAlerts("-h"); r.code != 0 {
		t.Errorf("-h: exit status %d", r.code)
	}
}
