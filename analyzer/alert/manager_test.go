package alert_test

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
)

// t0 is packet time zero of the tests; step times are minutes after it.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(min float64) time.Time { return t0.Add(time.Duration(min * float64(time.Minute))) }

func mins(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return strconv.FormatFloat(t.Sub(t0).Minutes(), 'g', -1, 64)
}

// recorder is a Sink that keeps one line per event.
type recorder struct {
	events []string
	alerts []*alert.Alert
	err    error
}

func (r *recorder) Send(a *alert.Alert) error {
	s := fmt.Sprintf("%s %s/%s n=%d sev=%d first=%s last=%s", a.State, a.Type, a.Client, a.Count, a.Severity, mins(a.First), mins(a.Last))
	if a.State == alert.Closed {
		s += " closed=" + mins(a.Closed)
	}
	r.events = append(r.events, s)
	r.alerts = append(r.alerts, a)
	return r.err
}

// finding is the finding a test step raises: "enumeration 10.0.0.1" with
// optional "sev=5" and "score=3.5".
func finding(t *testing.T, when float64, args []string) alert.Finding {
	t.Helper()
	f := alert.Finding{
		Type: alert.Type(args[0]), Client: args[1], Service: "shop.example:8080", Method: "GET", Route: "/orders/{id}",
		Time: at(when), Evidence: alert.Evidence{Metric: "distinct_ids", Score: 1, ScoreKind: "count"},
	}
	for _, a := range args[2:] {
		k, v, _ := strings.Cut(a, "=")
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("step argument %q: %v", a, err)
		}
		switch k {
		case "sev":
			f.Severity = alert.Severity(x)
		case "score":
			f.Evidence.Score = x
		default:
			t.Fatalf("step argument %q", a)
		}
	}
	return f
}

// run plays steps on m: "MIN raise TYPE CLIENT [sev=N] [score=X]",
// "MIN advance", "flush".
func run(t *testing.T, m *alert.Manager, steps []string) {
	t.Helper()
	for _, s := range steps {
		f := strings.Fields(s)
		if f[0] == "flush" {
			m.Flush()
			continue
		}
		when, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("step %q: %v", s, err)
		}
		switch f[1] {
		case "raise":
			m.Raise(finding(t, when, f[2:]))
		case "advance":
			m.Advance(at(when))
		default:
			t.Fatalf("step %q", s)
		}
	}
}

func TestAlertManager(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   alert.Config
		steps []string
		want  []string
		stats string // fmt of the counters checked, when set
	}{{
		name: "dedup by key",
		steps: []string{
			"0 raise enumeration 10.0.0.1", "1 raise enumeration 10.0.0.1", "2 raise enumeration 10.0.0.1",
			"2 raise enumeration 10.0.0.2", "3 raise brute_force 10.0.0.1",
		},
		want: []string{
			"open enumeration/10.0.0.1 n=1 sev=3 first=0 last=0",
			"open enumeration/10.0.0.2 n=1 sev=3 first=2 last=2",
			"open brute_force/10.0.0.1 n=1 sev=3 first=3 last=3",
		},
		stats: "findings=5 opened=3 updated=0 closed=0 open=3",
	}, {
		name: "an update per UpdateEvery, with the figures of the moment it fell due",
		steps: []string{
			"0 raise enumeration c", "5 raise enumeration c", "10 raise enumeration c", "15 raise enumeration c",
			"20 raise enumeration c", "25 raise enumeration c", "30 raise enumeration c", "35 raise enumeration c",
			"40 raise enumeration c", "100 advance",
		},
		want: []string{
			"open enumeration/c n=1 sev=3 first=0 last=0",
			"updated enumeration/c n=3 sev=3 first=0 last=10",
			"updated enumeration/c n=6 sev=3 first=0 last=25",
			"closed enumeration/c n=9 sev=3 first=0 last=40 closed=70",
		},
		stats: "findings=9 opened=1 updated=2 closed=1 open=0",
	}, {
		name:  "pending update sent by Advance alone",
		steps: []string{"0 raise enumeration c", "1 raise enumeration c", "14 advance", "15 advance", "16 advance"},
		want: []string{
			"open enumeration/c n=1 sev=3 first=0 last=0",
			"updated enumeration/c n=2 sev=3 first=0 last=1",
		},
	}, {
		name:  "UpdateEvery set",
		cfg:   alert.Config{UpdateEvery: time.Minute},
		steps: []string{"0 raise enumeration c", "1 raise enumeration c", "1.5 raise enumeration c", "3 advance"},
		want: []string{
			"open enumeration/c n=1 sev=3 first=0 last=0",
			"updated enumeration/c n=2 sev=3 first=0 last=1",
			"updated enumeration/c n=3 sev=3 first=0 last=1.5",
		},
	}, {
		name:  "a rise in severity goes out at once, a fall never lowers it",
		steps: []string{"0 raise injection c sev=2", "1 raise injection c sev=4", "2 raise injection c sev=1", "20 advance"},
		want: []string{
			"open injection/c n=1 sev=2 first=0 last=0",
			"updated injection/c n=2 sev=4 first=0 last=1",
			"updated injection/c n=3 sev=4 first=0 last=2",
		},
	}, {
		name: "hysteresis: open through gaps shorter than CloseAfter, a new alert after a longer one",
		steps: []string{
			"0 raise scanning c", "29 raise scanning c", "58 raise scanning c", "89 raise scanning c",
		},
		want: []string{
			"open scanning/c n=1 sev=3 first=0 last=0",
			"updated scanning/c n=2 sev=3 first=0 last=29",
			"updated scanning/c n=3 sev=3 first=0 last=58",
			"closed scanning/c n=3 sev=3 first=0 last=58 closed=88",
			"open scanning/c n=1 sev=3 first=89 last=89",
		},
	}, {
		name:  "CloseAfter set; Advance closes in deadline order",
		cfg:   alert.Config{CloseAfter: 10 * time.Minute},
		steps: []string{"0 raise scanning b", "1 raise scanning a", "5 advance", "100 advance"},
		want: []string{
			"open scanning/b n=1 sev=3 first=0 last=0",
			"open scanning/a n=1 sev=3 first=1 last=1",
			"closed scanning/b n=1 sev=3 first=0 last=0 closed=10",
			"closed scanning/a n=1 sev=3 first=1 last=1 closed=11",
		},
	}, {
		name: "late findings update without moving time back",
		steps: []string{
			"10 raise enumeration c", "5 raise enumeration c", "41 advance",
		},
		want: []string{
			"open enumeration/c n=1 sev=3 first=10 last=10",
			"closed enumeration/c n=2 sev=3 first=10 last=10 closed=40",
		},
	}, {
		name: "rate limit: a burst, then MaxOpenPerHour; updates and criticals pass",
		cfg:  alert.Config{MaxOpenPerHour: 60, Burst: 2},
		steps: []string{
			"0 raise enumeration a", "0 raise enumeration b", "0 raise enumeration c", "0 raise scanning d",
			"0 raise enumeration a", // an update: no token needed
			"0 raise injection e sev=5",
			"0.5 raise enumeration c", // half a token
			"1 raise enumeration c",
			"1 raise enumeration f",
		},
		want: []string{
			"open enumeration/a n=1 sev=3 first=0 last=0",
			"open enumeration/b n=1 sev=3 first=0 last=0",
			"open injection/e n=1 sev=5 first=0 last=0",
			"open enumeration/c n=1 sev=3 first=1 last=1",
		},
		stats: "findings=9 opened=4 updated=0 closed=0 open=4 limited=map[enumeration:3 scanning:1] full=map[]",
	}, {
		name:  "no rate limit",
		cfg:   alert.Config{MaxOpenPerHour: -1, Burst: 1},
		steps: []string{"0 raise scanning a", "0 raise scanning b", "0 raise scanning c"},
		want: []string{
			"open scanning/a n=1 sev=3 first=0 last=0",
			"open scanning/b n=1 sev=3 first=0 last=0",
			"open scanning/c n=1 sev=3 first=0 last=0",
		},
	}, {
		name: "MaxOpen caps open alerts, criticals too; a close makes room",
		cfg:  alert.Config{MaxOpen: 2},
		steps: []string{
			"0 raise scanning a", "1 raise scanning b", "2 raise scanning c", "3 raise injection d sev=5",
			"2 raise scanning b", "31 raise scanning c",
		},
		want: []string{
			"open scanning/a n=1 sev=3 first=0 last=0",
			"open scanning/b n=1 sev=3 first=1 last=1",
			"updated scanning/b n=2 sev=3 first=1 last=2", // due at 16
			"closed scanning/a n=1 sev=3 first=0 last=0 closed=30",
			"open scanning/c n=1 sev=3 first=31 last=31",
		},
		stats: "findings=6 opened=3 updated=1 closed=1 open=2 limited=map[] full=map[injection:1 scanning:1]",
	}, {
		name:  "Flush sends pending updates and closes nothing",
		steps: []string{"0 raise enumeration a", "1 raise enumeration a", "2 raise scanning b", "flush", "flush"},
		want: []string{
			"open enumeration/a n=1 sev=3 first=0 last=0",
			"open scanning/b n=1 sev=3 first=2 last=2",
			"updated enumeration/a n=2 sev=3 first=0 last=1",
		},
		stats: "findings=3 opened=2 updated=1 closed=0 open=2",
	}} {
		t.Run(c.name, func(t *testing.T) {
			var r recorder
			c.cfg.Sinks = []alert.Sink{&r}
			m := alert.New(c.cfg)
			run(t, m, c.steps)
			if got, want := strings.Join(r.events, "\n"), strings.Join(c.want, "\n"); got != want {
				t.Errorf("events\n%s\nwant\n%s", got, want)
			}
			if c.stats != "" {
				s := m.Stats()
				got := fmt.Sprintf("findings=%d opened=%d updated=%d closed=%d open=%d", s.Findings, s.Opened, s.Updated, s.Closed, s.Open)
				if strings.Contains(c.stats, "limited=") {
					got += fmt.Sprintf(" limited=%v full=%v", s.RateLimited, s.Full)
				}
				if got != c.stats {
					t.Errorf("stats %s\nwant  %s", got, c.stats)
				}
			}
		})
	}
}

// TestAlertFields: the alert keeps the stronger evidence, the first
// examples, the OWASP category and an ID fixed at opening; sinks get
// copies.
func TestAlertFields(t *testing.T) {
	var r recorder
	m := alert.New(alert.Config{Sinks: []alert.Sink{&r}})
	f := alert.Finding{Type: alert.Enumeration, Service: "shop.example:8080", Method: "GET", Route: "/orders/{id}", Client: "10.0.0.9"}
	for i, score := range []float64{3, 7, 5, 7, 2, 1, 4} {
		f.Time = at(float64(i))
		f.Evidence = alert.Evidence{Metric: "distinct_ids", Observed: float64(10 * i), Score: score}
		f.Example = &alert.Example{Target: fmt.Sprintf("/orders/%d", i)}
		m.Raise(f)
		f.Example.Target = "reused by the caller"
	}
	open := m.Alerts()
	if len(open) != 1 {
		t.Fatalf("%d open alerts, want 1", len(open))
	}
	a := open[0]
	if a.Evidence.Score != 7 || a.Evidence.Observed != 30 {
		t.Errorf("evidence %+v; want the later of the two strongest (score 7, observed 30)", a.Evidence)
	}
	var targets []string
	for _, x := range a.Examples {
		targets = append(targets, x.Target)
	}
	if got := strings.Join(targets, " "); got != "/orders/0 /orders/1 /orders/2 /orders/3 /orders/4" {
		t.Errorf("examples %s", got)
	}
	if a.OWASP != "API1:2023" || alert.OWASPName(a.OWASP) != "Broken Object Level Authorization" {
		t.Errorf("OWASP %q (%s)", a.OWASP, alert.OWASPName(a.OWASP))
	}
	if a.Kind != alert.Rule || a.Severity != alert.Medium {
		t.Errorf("kind %q severity %d; want the defaults rule and medium", a.Kind, a.Severity)
	}
	if want := alert.NewID(a.Key(), at(0)); a.ID != want {
		t.Errorf("ID %s, want NewID(key, First) %s", a.ID, want)
	}
	r.alerts[0].Examples[0].Target = "changed by a sink"
	if m.Alerts()[0].Examples[0].Target != "/orders/0" {
		t.Error("a sink's copy shares the alert's examples")
	}
}

// TestAlertOWASP: the categories the manager sets, by type.
func TestAlertOWASP(t *testing.T) {
	want := map[alert.Type]string{
		alert.Enumeration: "API1:2023", alert.BruteForce: "API2:2023", alert.CredentialStuffing: "API2:2023",
		alert.Unauthenticated: "API2:2023", alert.NewSensitiveData: "API3:2023", alert.ResponseSizeJump: "API3:2023",
		alert.RateSpike: "API4:2023", alert.Injection: "API8:2023", alert.NewEndpoint: "API9:2023",
	}
	for _, typ := range alert.Types {
		if got := typ.OWASP(); got != want[typ] {
			t.Errorf("%s: OWASP %q, want %q", typ, got, want[typ])
		}
		if id := typ.OWASP(); id != "" && alert.OWASPName(id) == "" {
			t.Errorf("%s: %s has no name", typ, id)
		}
		if typ.Title() == string(typ) {
			t.Errorf("%s has no title", typ)
		}
	}
}

func TestAlertSinkErrors(t *testing.T) {
	bad := &recorder{err: errors.New("disk full")}
	var good recorder
	m := alert.New(alert.Config{Sinks: []alert.Sink{bad, &good}})
	m.Raise(alert.Finding{Type: alert.Scanning, Client: "a", Time: at(0)})
	m.Raise(alert.Finding{Type: alert.Scanning, Client: "b", Time: at(0)})
	s := m.Stats()
	if s.SinkErrors != 2 || s.LastSinkError == nil || s.LastSinkError.Error() != "disk full" {
		t.Errorf("sink errors %d, last %v", s.SinkErrors, s.LastSinkError)
	}
	if len(good.events) != 2 {
		t.Errorf("the good sink got %d events, want 2", len(good.events))
	}
}

// TestAlertNonFinite: figures JSON cannot hold are replaced, so the alert
// can be stored and sent.
func TestAlertNonFinite(t *testing.T) {
	m := alert.New(alert.Config{})
	m.Raise(alert.Finding{Type: alert.RateSpike, Time: at(0), Evidence: alert.Evidence{
		Observed: math.NaN(), Score: math.Inf(1), Baseline: math.Inf(-1),
	}})
	ev := m.Alerts()[0].Evidence
	if ev.Observed != 0 || ev.Score != math.MaxFloat64 || ev.Baseline != -math.MaxFloat64 {
		t.Errorf("evidence %+v", ev)
	}
}

func TestAlertConfigValidate(t *testing.T) {
	if err := (alert.Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	err := alert.Config{UpdateEvery: -1, CloseAfter: -1, Burst: -1, MaxOpen: -1}.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 3 {
		t.Errorf("Validate = %v; want four errors", err)
	}
}
