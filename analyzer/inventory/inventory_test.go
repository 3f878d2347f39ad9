package inventory

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/http1"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// txn builds a transaction; the client varies with n.
func txn(host, method, target string, status, n int) *http1.Transaction {
	t := &http1.Transaction{
		Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(n >> 8), byte(n)}), 40000),
		Server: netip.MustParseAddrPort("192.0.2.1:80"),
	}
	t.Request.Method, t.Request.Target, t.Request.Host = method, target, host
	t.Request.Start = t0.Add(time.Duration(n) * time.Second)
	t.Response.Status = status
	return t
}

func templates(inv *Inventory) []string {
	var out []string
	for _, e := range inv.Endpoints() {
		out = append(out, e.Method+" "+e.Service+e.Template)
	}
	return out
}

func TestTemplates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s%s", []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}[i%8], []string{"", "x", "y", "z", "w"}[i/8%5])+fmt.Sprint(i/40))
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		traffic func(obs func(method, target string))
		want    []string
	}{
		{"typed segments", func(obs func(string, string)) {
			for i := range 50 {
				obs("GET", fmt.Sprintf("/users/%d/orders/%x", 1000+i, rng.Uint64()|1<<63))
				obs("GET", fmt.Sprintf("/items/%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()>>16, rng.Uint32()>>16, rng.Uint32()>>16, rng.Uint64()>>16))
				obs("GET", fmt.Sprintf("/reports/2024-01-%02d?fmt=csv", 1+i%28))
			}
		}, []string{"GET api/items/{uuid}", "GET api/reports/{date}", "GET api/users/{id}/orders/{hash}"}},
		{"a word next to typed values stays literal", func(obs func(string, string)) {
			for i := range 40 {
				obs("GET", fmt.Sprintf("/users/%d", i))
			}
			obs("GET", "/users/me")
		}, []string{"GET api/users/me", "GET api/users/{id}"}},
		{"versions stay literal", func(obs func(string, string)) {
			for v := 1; v <= 40; v++ {
				obs("GET", fmt.Sprintf("/v%d/status", v))
			}
		}, func() (w []string) {
			for v := 1; v <= 40; v++ {
				w = append(w, fmt.Sprintf("GET api/v%d/status", v))
			}
			slices.Sort(w)
			return
		}()},
		{"many words become a parameter, frequent siblings stay", func(obs func(string, string)) {
			for i, n := range names(200) {
				obs("GET", "/users/v1/"+n)
				if i%2 == 0 {
					obs("PUT", "/users/v1/"+n+"/email")
				}
				obs("GET", "/users/v1/_debug")
				if i%3 == 0 {
					obs("POST", "/users/v1/login")
				}
			}
		}, []string{"GET api/users/v1/_debug", "GET api/users/v1/{name}", "POST api/users/v1/login", "PUT api/users/v1/{name}/email"}},
		{"a frequent word among word values stays literal", func(obs func(string, string)) {
			for _, n := range names(400) {
				obs("GET", "/accounts/"+n)
				obs("GET", "/accounts/me")
			}
		}, []string{"GET api/accounts/me", "GET api/accounts/{name}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := New(Config{})
			n := 0
			tc.traffic(func(method, target string) {
				n++
				inv.Observe(txn("api", method, target, 200, n))
			})
			got := templates(inv)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("templates\n  %q\nwant\n  %q", got, tc.want)
			}
			// A second report judges the same traffic the same way.
			again := templates(inv)
			slices.Sort(again)
			if !slices.Equal(again, got) {
				t.Errorf("second report\n  %q\nfirst\n  %q", again, got)
			}
			var total uint64
			for _, e := range inv.Endpoints() {
				total += e.Requests
			}
			if total != uint64(n) {
				t.Errorf("%d requests counted, %d observed: a merge lost counts", total, n)
			}
		})
	}
}

// TestRandomPathFlood: a scanner's million random paths end as a bounded
// number of endpoints, with bounded memory.
func TestRandomPathFlood(t *testing.T) {
	inv := New(Config{MaxEndpoints: 500, MaxNodes: 5000})
	rng := rand.New(rand.NewPCG(3, 4))
	const alpha = "abcdefghijklmnopqrstuvwxyz-_"
	seg := func() string {
		b := make([]byte, 3+rng.IntN(10))
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return string(b)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const N = 1_000_000
	for i := range N {
		path := ""
		for range 1 + rng.IntN(6) {
			path += "/" + seg()
		}
		inv.Observe(txn("victim", "GET", path, 404, i))
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	eps := inv.Endpoints()
	var total uint64
	for _, e := range eps {
		total += e.Requests
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	for _, e := range eps[:min(len(eps), 8)] {
		t.Logf("  %s %s%s %d", e.Method, e.Service, e.Template, e.Requests)
	}
	t.Logf("%d random paths -> %d endpoints, %d overflowed, heap grew %d KiB", N, len(eps), inv.Stats().Overflow, grown>>10)
	if len(eps) > 501 {
		t.Errorf("%d endpoints, cap 500 (+1 overflow)", len(eps))
	}
	if total != N {
		t.Errorf("%d requests counted of %d", total, N)
	}
	if grown > 64<<20 {
		t.Errorf("heap grew %d MiB", grown>>20)
	}
}

// TestTotalEndpointCap: the cap over all services holds; the rest counts
// towards each service's overflow endpoint.
func TestTotalEndpointCap(t *testing.T) {
	inv := New(Config{MaxTotalEndpoints: 10})
	n := 0
	for s := range 5 {
		for p := range 6 {
			n++
			inv.Observe(txn(fmt.Sprintf("svc%d", s), "GET", fmt.Sprintf("/op%d", p), 200, n))
		}
	}
	var real, over int
	var total uint64
	for _, e := range inv.Endpoints() {
		total += e.Requests
		if e.Template == OverflowTemplate {
			over++
		} else {
			real++
		}
	}
	if real != 10 || total != uint64(n) || inv.Stats().Overflow != uint64(n-10) {
		t.Errorf("%d endpoints, %d overflow endpoints, %d of %d requests, overflow %d", real, over, total, n, inv.Stats().Overflow)
	}
}

// TestServiceCap: past MaxServices, transactions count towards one
// overflow service, each once in Stats.Overflow.
func TestServiceCap(t *testing.T) {
	inv := New(Config{MaxServices: 2})
	for i := range 5 {
		inv.Observe(txn(fmt.Sprintf("h%d", i), "GET", "/x", 200, i))
	}
	got := templates(inv)
	want := []string{"GET h0/x", "GET h1/x", "GET {overflow}/{overflow}"}
	if !slices.Equal(got, want) || inv.Stats().Overflow != 3 {
		t.Errorf("endpoints %q, overflow %d; want %q and 3", got, inv.Stats().Overflow, want)
	}
}

// TestMaxDepth: a path deeper than MaxDepth counts towards the overflow
// endpoint, at no cost growing with its depth.
func TestMaxDepth(t *testing.T) {
	inv := New(Config{MaxDepth: 4})
	inv.Observe(txn("api", "GET", "/a/b/c/d", 200, 1))
	deep := txn("api", "GET", strings.Repeat("/a", 5000), 200, 2)
	for range sampleAll + sampleEvery { // as in TestObserveAllocs
		inv.Observe(deep)
	}
	if n := testing.AllocsPerRun(sampleEvery-2, func() { inv.Observe(deep) }); n != 0 {
		t.Errorf("%v allocations per deep path", n)
	}
	got := templates(inv)
	const over = sampleAll + 2*sampleEvery - 1
	if want := []string{"GET api/a/b/c/d", "GET api/{overflow}"}; !slices.Equal(got, want) || inv.Stats().Overflow != over {
		t.Errorf("endpoints %q, overflow %d; want %q and %d", got, inv.Stats().Overflow, want, over)
	}
}

func TestMaskValue(t *testing.T) {
	for v, want := range map[string]string{
		"": "", "ab": "**", "abc": "***", "alice": "al***", "abcdefghijklmnop": "ab********",
	} {
		if got := maskValue(v); got != want {
			t.Errorf("maskValue(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestObserveAllocs: once an endpoint is known and past body sampling, a
// transaction costs no allocation, with or without a Host header and
// through a mirror's tunnel.
func TestObserveAllocs(t *testing.T) {
	inv := New(Config{})
	tunnelled := txn("api.example", "GET", "/users/7", 200, 1)
	tunnelled.Tunnel = decap.Tunnel{Kind: decap.KindVXLAN, ID: 5001}
	for name, tx := range map[string]*http1.Transaction{
		"host":      txn("api.example", "GET", "/users/7", 200, 1),
		"no host":   txn("", "GET", "/users/7", 200, 1),
		"tunnelled": tunnelled,
	} {
		for range sampleAll + sampleEvery { // the last one is sampled
			inv.Observe(tx)
		}
		// AllocsPerRun makes one call more than its runs: all of them fall
		// before the next sample.
		if n := testing.AllocsPerRun(sampleEvery-2, func() { inv.Observe(tx) }); n != 0 {
			t.Errorf("%s: %v allocations per Observe", name, n)
		}
	}
}

// TestNotFoundLearnsNothing: a scanner's 404s on a thousand made-up paths
// under /api/v3 neither become endpoints nor turn /api/v3/pet and
// /api/v3/user into a parameter; they count on the not-found endpoint. A
// 404 on a known route (an id that does not exist) still counts there.
func TestNotFoundLearnsNothing(t *testing.T) {
	inv := New(Config{})
	n := 0
	obs := func(target string, status int) {
		n++
		inv.Observe(txn("api.example", "GET", target, status, n))
	}
	for i := range 50 {
		obs(fmt.Sprintf("/api/v3/pet/%d", i), 200)
		obs(fmt.Sprintf("/api/v3/user/%d", i), 200)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		obs(fmt.Sprintf("/api/v3/%x", rng.Uint64()), 404)
		obs(fmt.Sprintf("/%x/admin.php", rng.Uint64()), 404)
	}
	obs("/api/v3/pet/999999", 404)
	got := map[string]uint64{}
	for _, e := range inv.Endpoints() {
		got[e.Method+" "+e.Template] = e.Requests
	}
	want := map[string]uint64{"GET /api/v3/pet/{id}": 51, "GET /api/v3/user/{id}": 50, "GET " + NotFoundTemplate: 2000}
	if !maps.Equal(got, want) {
		t.Errorf("endpoints %v, want %v", got, want)
	}
	if s := inv.Stats(); s.NotFound != 2000 {
		t.Errorf("NotFound = %d, want 2000", s.NotFound)
	}
}

// TestLikely: once /users/{name} has proved to hold values, a new name
// waits as a literal until the next judgement, but the Observation names
// the {name} endpoint as the one it will most likely join; a busy literal
// beside it ("/users/me") stands for itself.
func TestLikely(t *testing.T) {
	inv := New(Config{})
	n := 0
	obs := func(target string) Observation {
		n++
		return inv.Observe(txn("api.example", "GET", target, 200, n))
	}
	for i := range 200 {
		obs(fmt.Sprintf("/users/%s.%s%d", []string{"ann", "bob", "cyd", "dee"}[i%4], []string{"lee", "kim", "ito"}[i%3], i))
		obs("/users/me")
	}
	o := obs("/users/zebra.quagga")
	if o.Likely == nil || o.Likely.Route() != "/users/{name}" {
		t.Fatalf("a new name: endpoint %s, likely %v, want /users/{name}", o.Endpoint.Route(), o.Likely)
	}
	if o := obs("/users/me"); o.Likely != nil || o.Endpoint.Route() != "/users/me" {
		t.Errorf("/users/me: endpoint %s, likely %v", o.Endpoint.Route(), o.Likely)
	}
}
