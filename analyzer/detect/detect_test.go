package detect

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/sensor/sensortest"
)

// recorder keeps the findings raised, as "type route client".
type recorder struct{ got []alert.Finding }

func (r *recorder) Raise(f alert.Finding) { r.got = append(r.got, f) }

func (r *recorder) types() []string {
	var out []string
	for _, f := range r.got {
		s := string(f.Type)
		if f.Route != "" {
			s += " " + f.Method + " " + f.Route
		}
		if f.Client != "" {
			s += " " + f.Client
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// world drives an inventory and a detector with parsed transactions.
type world struct {
	t   *testing.T
	inv *inventory.Inventory
	d   *Detector
	rec *recorder
	now time.Time
	rng *rand.Rand
}

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday

func newWorld(t *testing.T) *world {
	rec := &recorder{}
	return &world{t: t, inv: inventory.New(inventory.Config{}), d: New(Config{}, rec), rec: rec, now: t0, rng: rand.New(rand.NewPCG(1, 2))}
}

var server = netip.MustParseAddrPort("10.9.0.1:80")

func clientAddr(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), uint16(40000+i%20000))
}

// do sends one exchange at w.now.
func (w *world) do(client int, method, target string, auth bool, status int, body string, latency time.Duration) {
	w.t.Helper()
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: api.example\r\n", method, target)
	if auth {
		req += "Authorization: Bearer tok-abcdefghijklmnop\r\n"
	}
	req += "\r\n"
	resp := fmt.Sprintf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", status, len(body), body)
	x := sensortest.Exchange(w.t, clientAddr(client), server, w.now, latency, req, resp)
	w.d.Observe(x, w.inv.Observe(x))
}

// normal runs d days of ordinary traffic: per 5-minute bin, a few dozen
// authenticated GETs of /users/{id} and /orders from 50 clients, some
// failed logins, with a daily rhythm.
func (w *world) normal(days float64) {
	end := w.now.Add(time.Duration(days * 24 * float64(time.Hour)))
	for w.now.Before(end) {
		hour := w.now.Hour()
		n := 6
		if hour >= 8 && hour < 20 {
			n = 18
		}
		for range n + w.rng.IntN(5) {
			c := w.rng.IntN(50)
			switch w.rng.IntN(4) {
			case 0:
				w.do(c, "GET", "/orders", true, 200, `{"orders":[]}`, 20*time.Millisecond)
			case 1:
				if w.rng.IntN(10) == 0 {
					w.do(c, "POST", "/auth/login", false, 401, `{"error":"bad"}`, 30*time.Millisecond)
				} else {
					w.do(c, "POST", "/auth/login", false, 200, `{"token":"x"}`, 30*time.Millisecond)
				}
			default:
				w.do(c, "GET", fmt.Sprintf("/users/%d", 1+w.rng.IntN(3)), true, 200, `{"id":1,"name":"ann"}`, 10*time.Millisecond)
			}
			w.now = w.now.Add(time.Duration(w.rng.IntN(int(5*time.Minute) / (n + 2))))
		}
		w.now = w.now.Truncate(5 * time.Minute).Add(5 * time.Minute)
	}
	w.d.Advance(w.now)
}

func TestCleanTrafficIsQuiet(t *testing.T) {
	w := newWorld(t)
	w.normal(4)
	if got := w.rec.types(); len(got) > 0 {
		t.Errorf("clean traffic raised %v", got)
	}
	if w.d.Stats().Tested == 0 {
		t.Error("no statistical test ran")
	}
}

func TestAttacks(t *testing.T) {
	cases := []struct {
		name   string
		attack func(w *world)
		want   string
	}{
		{"enumeration", func(w *world) {
			for i := range 120 {
				w.do(900, "GET", fmt.Sprintf("/users/%d", 1000+i), true, 200, `{"id":1}`, 10*time.Millisecond)
				w.now = w.now.Add(2 * time.Second)
			}
		}, "enumeration GET /users/{id} 10.1.3.132"},
		{"brute force", func(w *world) {
			for range 40 {
				w.do(901, "POST", "/auth/login", false, 401, `{"error":"bad"}`, 30*time.Millisecond)
				w.now = w.now.Add(3 * time.Second)
			}
		}, "brute_force POST /auth/login 10.1.3.133"},
		{"credential stuffing", func(w *world) {
			for i := range 120 {
				w.do(1000+i, "POST", "/auth/login", false, 401, `{"error":"bad"}`, 30*time.Millisecond)
				w.now = w.now.Add(2 * time.Second)
			}
		}, "credential_stuffing POST /auth/login"},
		{"scanning", func(w *world) {
			for _, p := range []string{"/.env", "/.git/HEAD", "/wp-admin/", "/admin", "/phpinfo.php", "/server-status", "/backup.zip", "/config.json", "/.aws/credentials", "/actuator/env", "/debug", "/console"} {
				w.do(902, "GET", p, false, 404, `{}`, time.Millisecond)
				w.now = w.now.Add(time.Second)
			}
		}, "scanning 10.1.3.134"},
		{"injection", func(w *world) {
			w.do(903, "GET", "/orders?id=1%27%20OR%20%271%27%3D%271", true, 200, `{}`, time.Millisecond)
		}, "injection GET /orders 10.1.3.135"},
		{"unauthenticated", func(w *world) {
			w.do(904, "GET", "/orders", false, 200, `{"orders":[]}`, time.Millisecond)
		}, "unauthenticated_access GET /orders 10.1.3.136"},
		{"new sensitive data", func(w *world) {
			// Busy endpoints have one body in 16 analysed: the leak
			// is found within a few dozen responses.
			for range 32 {
				w.do(3, "GET", "/users/2", true, 200, `{"id":2,"card":"4111 1111 1111 1111"}`, time.Millisecond)
			}
		}, "new_sensitive_data GET /users/{id} 10.1.0.3"},
		{"new endpoint", func(w *world) {
			for range 3 {
				w.do(5, "GET", "/internal/export", true, 200, `{}`, time.Millisecond)
			}
		}, "new_endpoint GET /internal/export 10.1.0.5"},
		{"rate spike", func(w *world) {
			for range 400 {
				w.do(7, "GET", "/orders", true, 200, `{"orders":[]}`, 20*time.Millisecond)
				w.now = w.now.Add(500 * time.Millisecond)
			}
			w.now = w.now.Add(10 * time.Minute)
			w.d.Advance(w.now)
		}, "rate_spike GET /orders 10.1.0.7"},
		{"error surge", func(w *world) {
			for i := range 100 {
				w.do(i%50, "GET", "/orders", true, 503, `{}`, 20*time.Millisecond)
				w.now = w.now.Add(2 * time.Second)
			}
			w.now = w.now.Add(10 * time.Minute)
			w.d.Advance(w.now)
		}, "error_surge GET /orders"},
		{"response size", func(w *world) {
			big := `{"orders":[` + strings.Repeat(`{"id":12345,"item":"tea","qty":2},`, 2000) + `{}]}`
			for range 20 {
				w.do(8, "GET", "/orders", true, 200, big, 20*time.Millisecond)
				w.now = w.now.Add(5 * time.Second)
			}
			w.now = w.now.Add(10 * time.Minute)
			w.d.Advance(w.now)
		}, "response_size_jump GET /orders 10.1.0.8"},
		{"latency", func(w *world) {
			for i := range 60 {
				w.do(i%50, "GET", "/orders", true, 200, `{"orders":[]}`, 400*time.Millisecond)
				w.now = w.now.Add(4 * time.Second)
			}
			w.now = w.now.Add(10 * time.Minute)
			w.d.Advance(w.now)
		}, "latency_shift GET /orders"},
	}
	// Learn once, then run each attack on a copy of nothing: a fresh
	// world per case keeps the cases apart.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.normal(2)
			if got := w.rec.types(); len(got) > 0 {
				t.Fatalf("learning raised %v", got)
			}
			w.now = w.now.Add(7 * time.Minute)
			c.attack(w)
			got := w.rec.types()
			if !slices.Contains(got, c.want) {
				t.Errorf("got %v, want %q", got, c.want)
			}
		})
	}
}

// memStore is a Writer and Reader over a map, as storage.Store is over
// bbolt (the storage package has its own tests; this one is about what
// the detector keeps).
type memStore map[string]map[string][]byte

func (m memStore) Put(bucket, key string, value []byte) {
	if m[bucket] == nil {
		m[bucket] = map[string][]byte{}
	}
	m[bucket][key] = slices.Clone(value)
}

func (m memStore) ForEach(bucket string, fn func(k, v []byte) error) error {
	for k, v := range m[bucket] {
		if err := fn([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// TestRestartKeepsBaselines: a detector restarted from its saved state
// detects at once what a fresh one could not (it would be learning), and
// does not take the known clients of a service for new ones.
func TestRestartKeepsBaselines(t *testing.T) {
	w := newWorld(t)
	w.normal(2)
	st := memStore{}
	if err := w.d.Save(st); err != nil {
		t.Fatal(err)
	}
	if len(st[BucketBaselines]) < 3 || len(st[BucketServices]) != 1 {
		t.Fatalf("saved %d baselines and %d services", len(st[BucketBaselines]), len(st[BucketServices]))
	}

	// A new process: a fresh inventory and detector, the state loaded.
	restarted := func(load bool) *world {
		r := newWorld(t)
		r.now = w.now
		if load {
			if err := r.d.Load(st); err != nil {
				t.Fatal(err)
			}
		}
		r.normal(0.1)
		for i := range 100 {
			r.do(i%50, "GET", "/orders", true, 503, `{}`, 20*time.Millisecond)
			r.now = r.now.Add(2 * time.Second)
		}
		r.now = r.now.Add(10 * time.Minute)
		r.d.Advance(r.now)
		return r
	}
	if got := restarted(true).rec.types(); !slices.Contains(got, "error_surge GET /orders") || slices.Contains(got, "new_clients_surge") {
		t.Errorf("restarted from the saved state: %v, want the error surge and no new-clients surge", got)
	}
	if got := restarted(false).rec.types(); len(got) != 0 {
		t.Errorf("restarted without state: %v, want nothing while learning", got)
	}
}
