package inventory_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/storage"
)

func observe(inv *inventory.Inventory, n int, target string) {
	t := &http1.Transaction{
		Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(n >> 8), byte(n)}), 5000),
		Server: netip.MustParseAddrPort("192.0.2.7:8080"),
	}
	t.Request.Method, t.Request.Target, t.Request.Host = "GET", target, "shop.example:8080"
	t.Request.Start = time.Date(2026, 3, 1, 0, 0, n, 0, time.UTC)
	t.Response.Status = 200 + n%2*204
	inv.Observe(t)
}

// save writes what changed in inv to st.
func save(t *testing.T, inv *inventory.Inventory, st *storage.Store) {
	t.Helper()
	var b storage.Batch
	if err := inv.Save(&b); err != nil {
		t.Fatal(err)
	}
	if err := st.Write(&b); err != nil {
		t.Fatal(err)
	}
}

// TestSaveLoadMerge: an inventory saved, loaded by a new process and fed
// more traffic keeps its endpoints (same ids, counts added up).
func TestSaveLoadMerge(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	st, err := storage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory.New(inventory.Config{})
	for i := range 100 {
		observe(inv, i, fmt.Sprintf("/orders/%d?expand=items", 1000+i))
	}
	save(t, inv, st)
	before := inv.Endpoints()
	st.Close()

	st, err = storage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inv2 := inventory.New(inventory.Config{})
	if err := inv2.Load(st); err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 150; i++ {
		observe(inv2, i, fmt.Sprintf("/orders/%d", 1000+i))
	}
	after := inv2.Endpoints()
	if len(before) != 1 || len(after) != 1 {
		t.Fatalf("endpoints before %d, after %d; want 1 and 1", len(before), len(after))
	}
	a, b2 := before[0], after[0]
	if a.ID != b2.ID || a.Template != "/orders/{id}" || b2.Template != a.Template || b2.Service != "shop.example:8080" {
		t.Errorf("endpoint %d %s%s became %d %s%s", a.ID, a.Service, a.Template, b2.ID, b2.Service, b2.Template)
	}
	if b2.Requests != 150 || b2.Statuses[200] != 75 || b2.Statuses[404] != 75 {
		t.Errorf("requests %d, statuses %v; want 150 split 75/75", b2.Requests, b2.Statuses)
	}
	if c := b2.Clients(); c < 145 || c > 155 {
		t.Errorf("distinct clients estimated %d, want about 150", c)
	}
	if q := b2.Query["expand"]; q == nil || q.Count != 100 {
		t.Errorf("query parameter expand: %+v", q)
	}
	if !b2.FirstSeen.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || !b2.LastSeen.Equal(time.Date(2026, 3, 1, 0, 2, 29, 0, time.UTC)) {
		t.Errorf("seen %v .. %v", b2.FirstSeen, b2.LastSeen)
	}
}

// usersSpec documents GET /users/{userId}.
type usersSpec struct{}

func (usersSpec) MatchTemplate(host, method, path string) (string, bool) {
	if method == "GET" && len(path) > len("/users/") && path[:len("/users/")] == "/users/" {
		return "/users/{userId}", true
	}
	return "", false
}

// TestLoadFoldsOnce: two stored endpoints that land on one route (one
// documented under a spec since dropped, one learned) are folded into one
// when loaded, and the folded record is deleted at the next Save, so a
// second load does not count its requests again.
func TestLoadFoldsOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	st, err := storage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inv := inventory.New(inventory.Config{Specs: usersSpec{}})
	for i := range 10 {
		observe(inv, i, fmt.Sprintf("/users/%d", 100+i))
	}
	inv.SetSpecs(nil)
	for i := 10; i < 25; i++ {
		observe(inv, i, fmt.Sprintf("/users/%d", 100+i))
	}
	save(t, inv, st)
	for round := range 2 {
		inv := inventory.New(inventory.Config{})
		if err := inv.Load(st); err != nil {
			t.Fatal(err)
		}
		eps := inv.Endpoints()
		if len(eps) != 1 || eps[0].Requests != 25 {
			for _, e := range eps {
				t.Logf("%d %s %s: %d requests", e.ID, e.Method, e.Template, e.Requests)
			}
			t.Fatalf("round %d: want one endpoint of 25 requests", round)
		}
		save(t, inv, st)
	}
}

// TestMergedValuesLeaveNoTrail: each new word at a parameter position
// starts as an endpoint of its own and is merged later. Merged endpoints
// that were never stored leave nothing behind; those that were have their
// records deleted at the next Save, so the store holds the survivors only.
func TestMergedValuesLeaveNoTrail(t *testing.T) {
	st, err := storage.Open(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inv := inventory.New(inventory.Config{})
	rng := rand.New(rand.NewPCG(5, 6))
	name := func() string {
		b := make([]byte, 6+rng.IntN(6))
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	n := 0
	for range 3 {
		for range 20_000 {
			n++
			observe(inv, n, "/users/"+name())
			observe(inv, n, "/users/me")
		}
		save(t, inv, st)
	}
	eps := inv.Endpoints()
	save(t, inv, st)
	var stored int
	if err := st.ForEach(inventory.BucketEndpoints, func(k, v []byte) error {
		stored++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if stored != len(eps) {
		t.Errorf("%d records stored for %d endpoints", stored, len(eps))
	}
	// Without persistence, merging keeps no record of the merged at all.
	mem := inventory.New(inventory.Config{})
	for i := range 20_000 {
		observe(mem, i, "/users/"+name())
	}
	if got := inventory.PendingDeletes(mem); got != 0 {
		t.Errorf("%d deletions kept by an inventory never saved", got)
	}
}

// noSpec documents nothing.
type noSpec struct{}

func (noSpec) MatchTemplate(host, method, path string) (string, bool) { return "", false }

// TestSpecsWithdrawn: an endpoint documented under specs that no longer
// document it (a reload without them, or a restart under other specs)
// joins the route tree, so the traffic that follows lands on it rather
// than on a second endpoint for the same route.
func TestSpecsWithdrawn(t *testing.T) {
	check := func(t *testing.T, inv *inventory.Inventory) {
		t.Helper()
		eps := inv.Endpoints()
		if len(eps) != 1 || eps[0].Requests != 25 || eps[0].Documented {
			for _, e := range eps {
				t.Logf("%d %s %s: %d requests, documented %v", e.ID, e.Method, e.Template, e.Requests, e.Documented)
			}
			t.Errorf("want one learned endpoint of 25 requests")
		}
	}
	t.Run("reload", func(t *testing.T) {
		inv := inventory.New(inventory.Config{Specs: usersSpec{}})
		for i := range 10 {
			observe(inv, i, fmt.Sprintf("/users/%d", 100+i))
		}
		inv.SetSpecs(noSpec{})
		for i := 10; i < 25; i++ {
			observe(inv, i, fmt.Sprintf("/users/%d", 100+i))
		}
		check(t, inv)
	})
	t.Run("restart", func(t *testing.T) {
		st, err := storage.Open(filepath.Join(t.TempDir(), "state"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		inv := inventory.New(inventory.Config{Specs: usersSpec{}})
		for i := range 10 {
			observe(inv, i, fmt.Sprintf("/users/%d", 100+i))
		}
		save(t, inv, st)
		inv = inventory.New(inventory.Config{Specs: noSpec{}})
		if err := inv.Load(st); err != nil {
			t.Fatal(err)
		}
		for i := 10; i < 25; i++ {
			observe(inv, i, fmt.Sprintf("/users/%d", 100+i))
		}
		check(t, inv)
	})
}

// TestLoadKeepsLiterals: after a restart, a position holding an API's
// busy literal ("/api") beside a handful of one-off words is judged with
// the literal's stored requests, not as if every word were new: the
// reload used to merge "/api" into a parameter with them.
func TestLoadKeepsLiterals(t *testing.T) {
	dir := t.TempDir()
	st, err := storage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inv := inventory.New(inventory.Config{})
	for i := range 400 {
		observe(inv, 2*i, fmt.Sprintf("/api/v3/pet/%d", i))
	}
	for i, w := range []string{"backup", "debug", "jolokia", "internal", "db", "export", "config", "status", "metrics", "admin"} {
		observe(inv, 2*(400+i), "/"+w)
	}
	save(t, inv, st)
	again := inventory.New(inventory.Config{})
	if err := again.Load(st); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range again.Endpoints() {
		got = append(got, e.Template)
	}
	if !slices.Contains(got, "/api/v3/pet/{id}") {
		t.Errorf("templates after a reload: %v, want /api/v3/pet/{id} among them", got)
	}
}
