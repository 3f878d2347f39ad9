package scenario_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/scenario"
	"github.com/apitap/apitap/analyzer/sensitive"
	"github.com/apitap/apitap/analyzer/spec"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/sensortest"
)

// go test ./analyzer/scenario -update rewrites testdata/summary.golden.json.
var update = flag.Bool("update", false, "rewrite testdata/summary.golden.json")

// corpusSpecs are four real specs of the shared corpus.
func corpusSpecs(t testing.TB) []string {
	return []string{
		sensortest.Corpus(t, "openapi/swagger-petstore/openapi.yaml"),
		sensortest.Corpus(t, "openapi/crapi/crapi-openapi-spec.json"),
		sensortest.Corpus(t, "openapi/vampi/openapi3.yml"),
		sensortest.Corpus(t, "openapi/oai-examples/petstore-expanded.yaml"),
	}
}

func generate(t testing.TB, cfg scenario.Config) ([]byte, scenario.Summary, []scenario.Label) {
	t.Helper()
	var buf bytes.Buffer
	sum, labels, err := scenario.Generate(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := int64(buf.Len()); got != sum.Bytes {
		t.Errorf("wrote %d bytes, Summary.Bytes says %d", got, sum.Bytes)
	}
	return buf.Bytes(), sum, labels
}

// small is a 3-day scenario with one attack of each type, generated in
// tens of milliseconds.
var small = scenario.Config{Seed: 7, Days: 3, Scale: 0.02, Clients: 80, Attacks: scenario.AllAttacks()}

func TestGenerateDeterministic(t *testing.T) {
	a, sa, la := generate(t, small)
	b, sb, lb := generate(t, small)
	if sha256.Sum256(a) != sha256.Sum256(b) || !slices.Equal(la, lb) || sa.Transactions != sb.Transactions {
		t.Fatalf("same config: outputs differ (%d and %d bytes)", len(a), len(b))
	}
	other := small
	other.Seed++
	c, _, _ := generate(t, other)
	if sha256.Sum256(a) == sha256.Sum256(c) {
		t.Fatal("different seeds: identical outputs")
	}
	// The attacks change the traffic, not the model: services, endpoints
	// and populations stay.
	clean := small
	clean.Attacks = nil
	_, sc, lc := generate(t, clean)
	if len(lc) != 0 {
		t.Errorf("no attacks asked for, %d labels", len(lc))
	}
	for i := range sc.Services {
		x, y := sc.Services[i], sa.Services[i]
		if x.Host != y.Host || x.Endpoints != y.Endpoints || x.Clients != y.Clients || x.Login != y.Login {
			t.Errorf("service %d: %+v without attacks, %+v with", i, x, y)
		}
	}
}

// txn is what the tests keep of a transaction.
type txn struct {
	t                    time.Time
	client               string
	host, method, target string
	path                 string
	status               int
	respLen              int64
	latency              time.Duration
	authed               bool
	classes              []sensitive.Class
}

// readBack writes capture to a file and reads it through the pipeline
// `apitap read` runs.
func readBack(t *testing.T, capture []byte) []txn {
	t.Helper()
	name := filepath.Join(t.TempDir(), "scenario.pcap")
	if err := os.WriteFile(name, capture, 0o644); err != nil {
		t.Fatal(err)
	}
	var out []txn
	var fs []sensitive.Finding
	sensortest.Each(t, name, func(x *http1.Transaction) {
		if x.Partial() || x.Anomalies() != 0 || x.Request.Method == "" || x.Response.Status == 0 {
			t.Errorf("transaction %s %s: partial %v, anomalies %v, status %d", x.Request.Method, x.Request.Target, x.Partial(), x.Anomalies(), x.Response.Status)
		}
		path, _ := inventory.SplitTarget(x.Request.Target)
		tx := txn{
			t: x.Request.Start, client: x.Client.Addr().String(),
			host: x.Request.Host, method: x.Request.Method, target: x.Request.Target, path: path,
			status: x.Response.Status, respLen: x.Response.Body.Len, latency: x.Latency(),
			authed: auth.Classify(&x.Request, x.Request.Start).Schemes != 0,
		}
		fs = sensitive.Scan(x.Response.Body.Sample, "application/json", fs[:0])
		for _, f := range fs {
			tx.classes = append(tx.classes, f.Class)
		}
		out = append(out, tx)
	})
	return out
}

// TestReadBack reads a day of the four corpus services back: every
// transaction parses, and authenticated operations always carry
// credentials.
func TestReadBack(t *testing.T) {
	cfg := scenario.Config{Seed: 3, Days: 1, Specs: corpusSpecs(t), Scale: 0.02}
	capture, sum, labels := generate(t, cfg)
	if len(labels) != 0 {
		t.Errorf("%d labels on a learning day", len(labels))
	}
	txs := readBack(t, capture)
	if int64(len(txs)) != sum.Transactions {
		t.Fatalf("read %d transactions, Summary says %d", len(txs), sum.Transactions)
	}
	idx := spec.NewIndex(sum.Specs()...)
	hosts := map[string]bool{}
	methods := map[string]int{}
	statuses := map[int]int{}
	documented := 0
	for _, x := range txs {
		hosts[x.host] = true
		methods[x.method]++
		statuses[x.status]++
		m, ok := idx.Match(x.host, x.method, x.path)
		if !ok {
			continue
		}
		documented++
		if len(m.Op.Security) > 0 && !m.Op.AuthOptional && !x.authed {
			t.Errorf("%s %s %s: documented with %v, sent without credentials", x.host, x.method, x.target, m.Op.Security)
		}
		if x.latency <= 0 || x.latency > 30*time.Second {
			t.Errorf("%s %s: latency %v", x.method, x.target, x.latency)
		}
	}
	if len(hosts) != 4 {
		t.Errorf("hosts %v, want the 4 services", hosts)
	}
	// Only the logins added to specs without one are undocumented.
	if n := len(txs) - documented; n > len(txs)/20 {
		t.Errorf("%d of %d transactions undocumented", n, len(txs))
	}
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		if methods[m] == 0 {
			t.Errorf("no %s: %v", m, methods)
		}
	}
	for _, s := range []int{200, 204, 401, 404} {
		if statuses[s] == 0 {
			t.Errorf("no status %d: %v", s, statuses)
		}
	}
	t.Logf("%d transactions, methods %v, statuses %v", len(txs), methods, statuses)
}

// TestAttacks checks each planted attack against the traffic read back:
// inside the capture, after the learning days, and doing what its label
// says.
func TestAttacks(t *testing.T) {
	cfg := small
	cfg.Specs = corpusSpecs(t)
	capture, sum, labels := generate(t, cfg)
	txs := readBack(t, capture)
	if int64(len(txs)) != sum.Transactions {
		t.Fatalf("read %d transactions, Summary says %d", len(txs), sum.Transactions)
	}
	idx := spec.NewIndex(sum.Specs()...)
	route := func(x *txn) string {
		if r, ok := idx.MatchTemplate(x.host, x.method, x.path); ok {
			return r
		}
		return x.path
	}
	learned := sum.Start.Add(scenario.LearningDays * 24 * time.Hour)
	types := map[string]bool{}
	for _, l := range labels {
		types[l.Type] = true
		if l.Start.Before(learned) || l.End.After(sum.End) || !l.Start.Before(l.End) {
			t.Errorf("%s: window %v to %v outside %v to %v", l.Type, l.Start, l.End, learned, sum.End)
		}
		// The label's traffic: its service, window, route and client.
		var in []*txn
		for i := range txs {
			x := &txs[i]
			if x.host == l.Service && !x.t.Before(l.Start) && x.t.Before(l.End) &&
				(l.Route == "" || route(x) == l.Route && x.method == l.Method) &&
				(l.Client == "" || x.client == l.Client) {
				in = append(in, x)
			}
		}
		count := func(ok func(*txn) bool) int {
			n := 0
			for _, x := range in {
				if ok(x) {
					n++
				}
			}
			return n
		}
		distinct := func(key func(*txn) string) int {
			m := map[string]bool{}
			for _, x := range in {
				m[key(x)] = true
			}
			return len(m)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("%s on %s %s %s (%s): "+format, append([]any{l.Type, l.Service, l.Method, l.Route, l.Detail}, args...)...)
		}
		switch alert.Type(l.Type) {
		case alert.RateDrop:
			if len(in) != 0 {
				fail("%d requests while silent", len(in))
			}
		case alert.RateSpike:
			if len(in) < 20 {
				fail("%d requests", len(in))
			}
		case alert.ErrorSurge:
			if n := count(func(x *txn) bool { return x.status >= 500 }); n == 0 || float64(n) < 0.15*float64(len(in)) {
				fail("%d of %d answered 5xx", n, len(in))
			}
		case alert.AuthFailureSurge:
			if n := count(func(x *txn) bool { return x.status == 401 || x.status == 403 }); n == 0 || float64(n) < 0.15*float64(len(in)) {
				fail("%d of %d answered 401/403", n, len(in))
			}
		case alert.LatencyShift:
			var during, before []time.Duration
			for i := range txs {
				x := &txs[i]
				if x.host == l.Service && x.method == l.Method && route(x) == l.Route && x.status < 400 {
					if !x.t.Before(l.Start) && x.t.Before(l.End) {
						during = append(during, x.latency)
					} else if x.t.Before(l.Start) {
						before = append(before, x.latency)
					}
				}
			}
			if len(during) == 0 || len(before) == 0 || median(during) < 3*median(before) {
				fail("median latency %v during, %v before", median(during), median(before))
			}
		case alert.ResponseSizeJump:
			var others []int64
			for i := range txs {
				x := &txs[i]
				if x.host == l.Service && route(x) == l.Route && x.client != l.Client && x.status == 200 {
					others = append(others, x.respLen)
				}
			}
			var mine []int64
			for _, x := range in {
				mine = append(mine, x.respLen)
			}
			if len(mine) < 20 || median(mine) < 10*median(others) {
				fail("%d responses of median %d bytes, others %d", len(mine), median(mine), median(others))
			}
		case alert.NewClientsSurge:
			fresh := netip.MustParsePrefix("100.64.0.0/10")
			n := distinct(func(x *txn) string {
				if fresh.Contains(netip.MustParseAddr(x.client)) {
					return x.client
				}
				return ""
			})
			if n < 200 {
				fail("%d new clients", n)
			}
		case alert.NewEndpoint:
			for i := range txs {
				if x := &txs[i]; x.host == l.Service && x.path == l.Route && x.t.Before(l.Start) {
					fail("used before its start at %v", x.t)
					break
				}
			}
			if _, ok := idx.Match(l.Service, l.Method, l.Route); ok || len(in) == 0 || count(func(x *txn) bool { return x.status < 300 }) == 0 {
				fail("documented %v, %d requests", ok, len(in))
			}
		case alert.Unauthenticated:
			if n := count(func(x *txn) bool { return !x.authed && x.status < 300 }); n < 20 || n != len(in) {
				fail("%d of %d successful and without credentials", n, len(in))
			}
		case alert.NewSensitiveData:
			n := count(func(x *txn) bool {
				return slices.Contains(x.classes, sensitive.Card) || slices.Contains(x.classes, sensitive.USSSN)
			})
			if n == 0 || n < len(in)/2 {
				fail("%d of %d responses carry the data", n, len(in))
			}
		case alert.Enumeration:
			if n := distinct(func(x *txn) string { return x.path }); n < 200 {
				fail("%d distinct ids", n)
			}
		case alert.BruteForce:
			if n := count(func(x *txn) bool { return x.status == 401 }); n < 100 {
				fail("%d failed logins", n)
			}
		case alert.CredentialStuffing:
			n := count(func(x *txn) bool { return x.status == 401 })
			if c := distinct(func(x *txn) string { return x.client }); c < 50 || float64(n) < 0.8*float64(len(in)) {
				fail("%d clients, %d of %d failed", c, n, len(in))
			}
		case alert.Scanning:
			undocumented := distinct(func(x *txn) string {
				if _, ok := idx.Match(x.host, x.method, x.path); ok {
					return "documented"
				}
				return x.path
			})
			if n := count(func(x *txn) bool { return x.status == 404 }); undocumented < 200 || float64(n) < 0.8*float64(len(in)) {
				fail("%d never-seen paths, %d of %d 404", undocumented, n, len(in))
			}
			if count(func(x *txn) bool { return x.path == "/.env" || x.path == "/.git/HEAD" || x.path == "/wp-login.php" }) == 0 && len(in) > 250 {
				fail("no classic scanner path")
			}
		case alert.Injection:
			n := count(func(x *txn) bool {
				s := strings.ToLower(x.target)
				for _, m := range []string{"%27", "%3cscript", "%3csvg", "..%2f", "%3b", "%7c", "%24%28", "%60", "..%5c", "onerror", "javascript%3a", "%2fetc%2f", "/etc/"} {
					if strings.Contains(s, m) {
						return true
					}
				}
				return x.method != "GET" // payloads in the body
			})
			if len(in) < 50 || n < len(in)*3/4 {
				fail("%d of %d requests carry a payload in the target", n, len(in))
			}
		}
	}
	for _, typ := range scenario.AllAttacks() {
		if !types[typ] {
			t.Errorf("no %s planted", typ)
		}
	}
	// Outside new_sensitive_data, no response carries cards or SSNs.
	for _, x := range txs {
		if slices.Contains(x.classes, sensitive.Card) || slices.Contains(x.classes, sensitive.USSSN) {
			if !slices.ContainsFunc(labels, func(l scenario.Label) bool {
				return l.Type == string(alert.NewSensitiveData) && l.Service == x.host && !x.t.Before(l.Start) && x.t.Before(l.End)
			}) {
				t.Errorf("%s %s %s at %v: card or SSN outside an attack", x.host, x.method, x.target, x.t)
			}
		}
	}
}

func median[T int64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestGolden pins the summary and labels of a small built-in scenario, so
// that a change to the model shows in review.
func TestGolden(t *testing.T) {
	_, sum, labels := generate(t, small)
	got, err := json.MarshalIndent(struct {
		Summary scenario.Summary `json:"summary"`
		Labels  []scenario.Label `json:"labels"`
	}{sum, labels}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "testdata/summary.golden.json"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("summary differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

func TestDefaults(t *testing.T) {
	// A one-day default scenario: the four built-in services.
	_, sum, labels := generate(t, scenario.Config{Days: 1, Attacks: scenario.AllAttacks()})
	if len(sum.Services) != 4 || len(labels) != 0 {
		t.Errorf("%d services, %d labels on a learning day", len(sum.Services), len(labels))
	}
	if want := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC); sum.Start.Before(want) || sum.Start.After(want.Add(time.Minute)) {
		t.Errorf("starts at %v", sum.Start)
	}
	if sum.Transactions < 10_000 || sum.Transactions > 30_000 {
		t.Errorf("%d transactions on a default Monday", sum.Transactions)
	}
	if sum.EndpointDays < float64(sum.Endpoints)*0.99 || sum.EndpointDays > float64(sum.Endpoints) {
		t.Errorf("%d endpoints for %.2f endpoint-days in a day", sum.Endpoints, sum.EndpointDays)
	}
}

func TestValidate(t *testing.T) {
	for _, cfg := range []scenario.Config{
		{Days: -1},
		{Days: 400},
		{Scale: -1},
		{Services: 201},
		{Attacks: []string{"rate_spike", "teleport"}},
		{Start: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("%+v: valid", cfg)
		}
	}
	if err := (scenario.Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	if _, _, err := scenario.Generate(&bytes.Buffer{}, scenario.Config{Specs: []string{"testdata/missing.yaml"}}); err == nil {
		t.Error("missing spec: no error")
	}
}

func TestParseAttacks(t *testing.T) {
	for in, want := range map[string]int{"": 0, "none": 0, "all": len(alert.Types), "scanning": 1, "scanning, brute_force,scanning": 2} {
		got, err := scenario.ParseAttacks(in)
		if err != nil || len(got) != want {
			t.Errorf("ParseAttacks(%q) = %v, %v; want %d types", in, got, err, want)
		}
	}
	if _, err := scenario.ParseAttacks("scanning,nope"); err == nil {
		t.Error("unknown type: no error")
	}
}
