package output_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/output"
)

// go test ./analyzer/output -run Golden -update rewrites
// testdata/format/*.golden.*.
//
// The flag is registered in init, and only when no other test file of the
// package has registered it already: init runs after every package-level
// flag.Bool, so the two never collide.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func fmtTestUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var fmtTestProduct = alert.ProductInfo{Version: "1.2.3"}

// fmtTestAlerts are a statistical alert with examples in its three states,
// a service-wide rule alert without any, and an injection on an IPv6
// service whose example's query and detail carry characters the formats
// must escape.
func fmtTestAlerts() []alert.Alert {
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
			{Time: first.Add(time.Second), Client: "203.0.113.9:50413", Server: "10.0.0.5:8080", Method: "GET", Target: "/orders/1002", Status: 404, Bytes: 0},
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
	inj := alert.Alert{
		Type: alert.Injection, Kind: alert.Rule, Severity: alert.Medium, State: alert.Open, OWASP: "API8:2023",
		Service: "[2001:db8::5]:8443", Method: "GET", Route: "/search", Client: "2001:db8::99",
		First: first, Last: first, Count: 1,
		Evidence: alert.Evidence{Metric: "injection", Observed: 1, Score: 1, ScoreKind: "count", Subtype: "sqli",
			Detail: `q=' OR 1=1 -- | \ <script>`},
		Examples: []alert.Example{
			{Time: first, Client: "[2001:db8::99]:41000", Server: "[2001:db8::5]:8443", Method: "GET", Target: "/search?q=%27%20OR%201%3D1&x=a|b", Status: 500, Bytes: 87},
		},
	}
	inj.ID = alert.NewID(inj.Key(), inj.First)
	return []alert.Alert{a, upd, closed, rule, inj}
}

func fmtTestFormats(t testing.TB) []output.Format {
	var fs []output.Format
	for _, name := range output.FormatNames {
		f, err := output.NewFormat(name, fmtTestProduct)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	return fs
}

// fmtTestGolden names each format's golden file.
var fmtTestGolden = map[string]string{
	"ocsf": "testdata/format/ocsf.golden.jsonl",
	"ecs":  "testdata/format/ecs.golden.jsonl",
	"cef":  "testdata/format/cef.golden.txt",
	"eve":  "testdata/format/eve.golden.jsonl",
}

func TestFormatGolden(t *testing.T) {
	for _, f := range fmtTestFormats(t) {
		t.Run(f.Name(), func(t *testing.T) {
			path := fmtTestGolden[f.Name()]
			var got []byte
			for _, a := range fmtTestAlerts() {
				var err error
				if got, err = f.Append(got, &a); err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
			}
			if fmtTestUpdate() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (go test ./analyzer/output -run Golden -update rewrites it):\n%s",
					f.Name(), path, fmtTestFirstDiff(got, want))
			}
		})
	}
}

// fmtTestFirstDiff shows the first line where got and want differ.
func fmtTestFirstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, gl, wl)
		}
	}
	return "(same lines)"
}

// The OCSF format is alert.MarshalOCSF, byte for byte.
func TestFormatOCSFIsMarshalOCSF(t *testing.T) {
	f := output.NewOCSF(fmtTestProduct)
	for _, a := range fmtTestAlerts() {
		want, err := alert.MarshalOCSF(&a, fmtTestProduct)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Append([]byte("prefix"), &a)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "prefix"+string(want) {
			t.Errorf("Append = %s\nwant prefix%s", got, want)
		}
	}
}

func TestFormatByName(t *testing.T) {
	for _, tt := range []struct {
		name    string
		wantErr string
	}{
		{"ocsf", ""},
		{"ecs", ""},
		{"cef", ""},
		{"eve", ""},
		{"OCSF", `unknown format "OCSF": want one of ocsf, ecs, cef, eve`},
		{"", `unknown format "": want one of ocsf, ecs, cef, eve`},
		{"leef", `unknown format "leef": want one of ocsf, ecs, cef, eve`},
	} {
		f, err := output.FormatByName(tt.name)
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("FormatByName(%q) error = %v, want %q", tt.name, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("FormatByName(%q): %v", tt.name, err)
		case f.Name() != tt.name:
			t.Errorf("FormatByName(%q).Name() = %q", tt.name, f.Name())
		}
	}
}

// fmtTestNasty is an alert of type typ in state s with every string field
// holding what breaks naive encoders: line breaks, pipes, backslashes,
// equals signs, quotes, a NUL, invalid UTF-8, and figures JSON cannot
// carry.
func fmtTestNasty(typ alert.Type, s alert.State, sev alert.Severity, examples bool) alert.Alert {
	first := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	bad := "a|b\\c=d\ne\rf\"g\x00h\xffi\u2028j"
	a := alert.Alert{
		ID: "id" + bad, Type: typ, Kind: alert.Rule, Severity: sev, State: s, OWASP: typ.OWASP(),
		Service: "svc" + bad + ":80@vxlan=1", Method: "GET" + bad, Route: "/r" + bad, Client: "c" + bad,
		First: first, Last: first.Add(time.Minute), Count: 7,
		Evidence: alert.Evidence{
			Metric: bad, Observed: math.NaN(), Baseline: math.Inf(1), Spread: math.Inf(-1), Score: math.NaN(),
			ScoreKind: bad, PValue: math.NaN(), Window: bad, Detail: bad, Subtype: bad, Distinct: 3,
		},
	}
	if s == alert.Closed {
		a.Closed = a.Last.Add(30 * time.Minute)
	}
	if examples {
		a.Examples = []alert.Example{{Time: first, Client: "c" + bad, Server: "s" + bad, Method: bad, Target: "/t?" + bad, Status: 500, Bytes: 1}}
	}
	return a
}

// Every format encodes every type in every state, with and without
// examples, the plain fixtures and the nasty ones, without an error and as
// one line: no raw line break, since transports frame records by lines
// (file, syslog octet counting aside, HEC raw). JSON formats give valid
// JSON.
func TestFormatEveryTypeAndStateIsOneLine(t *testing.T) {
	types := append(append([]alert.Type(nil), alert.Types...), alert.Type("future_type|x"))
	var alerts []alert.Alert
	for _, typ := range types {
		for _, s := range []alert.State{alert.Open, alert.Updated, alert.Closed, alert.State("weird")} {
			for _, sev := range []alert.Severity{0, alert.Info, alert.Low, alert.Medium, alert.High, alert.Critical, 9} {
				alerts = append(alerts, fmtTestNasty(typ, s, sev, true), fmtTestNasty(typ, s, sev, false))
			}
			a := fmtTestAlerts()[0]
			a.Type, a.State = typ, s
			alerts = append(alerts, a, alert.Alert{Type: typ, State: s})
		}
	}
	for _, f := range fmtTestFormats(t) {
		for i := range alerts {
			a := &alerts[i]
			b, err := f.Append(nil, a)
			if err != nil {
				t.Errorf("%s: %s %s: %v", f.Name(), a.Type, a.State, err)
				continue
			}
			if len(b) == 0 || bytes.ContainsAny(b, "\r\n") {
				t.Errorf("%s: %s %s: not one line: %q", f.Name(), a.Type, a.State, b)
			}
			if f.Name() != "cef" && !json.Valid(b) {
				t.Errorf("%s: %s %s: invalid JSON: %s", f.Name(), a.Type, a.State, b)
			}
		}
	}
}

// Append appends: what dst held stays, and a nil dst works.
func TestFormatAppendKeepsPrefix(t *testing.T) {
	a := fmtTestAlerts()[0]
	for _, f := range fmtTestFormats(t) {
		whole, err := f.Append(nil, &a)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Append([]byte("head "), &a)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "head "+string(whole) {
			t.Errorf("%s: Append dropped or changed the prefix: %q", f.Name(), got)
		}
	}
}

func ExampleFormatByName() {
	f, err := output.FormatByName("cef")
	if err != nil {
		fmt.Println(err)
		return
	}
	first := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := &alert.Alert{
		ID: "3da43dfefcacfe96329f6331", Type: alert.BruteForce, Kind: alert.Rule, Severity: alert.High, State: alert.Open, OWASP: "API2:2023",
		Service: "login.example", Method: "POST", Route: "/login", Client: "198.51.100.7",
		First: first, Last: first, Count: 1,
		Evidence: alert.Evidence{Metric: "failed_logins", Observed: 60, Window: "5m0s", Detail: "60 failed logins in 5m"},
	}
	b, err := f.Append(nil, a)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	_, err = output.FormatByName("leef")
	fmt.Println(err)
	// Output:
	// CEF:0|apitap|apitap||brute_force|Login brute force|8|rt=1772355600000 start=1772355600000 end=1772355600000 msg=Login brute force on POST /login at login.example from 198.51.100.7: 60 failed logins in 5m act=alert cat=API2:2023 app=HTTP proto=TCP src=198.51.100.7 dhost=login.example requestMethod=POST cs1=3da43dfefcacfe96329f6331 cs1Label=id cs2=open cs2Label=state cs3=API2:2023 Broken Authentication cs3Label=owasp cs4=60 failed logins in 5m cs4Label=evidence cs5=/login cs5Label=route cs6=login.example cs6Label=service cn1=1 cn1Label=count cfp1=60 cfp1Label=observed
	// unknown format "leef": want one of ocsf, ecs, cef, eve
}
