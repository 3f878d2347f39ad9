package alert_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/storage"
)

func openStore(t *testing.T, dir string) *storage.Store {
	t.Helper()
	st, err := storage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// save writes what changed in m to st.
func save(t *testing.T, m *alert.Manager, st *storage.Store) {
	t.Helper()
	var b storage.Batch
	if err := m.Save(&b); err != nil {
		t.Fatal(err)
	}
	if err := st.Write(&b); err != nil {
		t.Fatal(err)
	}
}

// scanOnly hides storage.Store's ForEachFrom, so Load reads the whole
// bucket.
type scanOnly struct{ r alert.Reader }

func (s scanOnly) ForEach(bucket string, fn func(k, v []byte) error) error {
	return s.r.ForEach(bucket, fn)
}

func ids(as []alert.Alert) string {
	var s []string
	for _, a := range as {
		s = append(s, string(a.Type)+"/"+a.Client+":"+string(a.State))
	}
	return strings.Join(s, " ")
}

// TestAlertPersistence: alerts saved by one manager are listed by Load, and
// a second manager that Restores them updates the open ones instead of
// opening duplicates, then saves their updates and closes over the same
// records.
func TestAlertPersistence(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	st := openStore(t, dir)
	m := alert.New(alert.Config{})
	raise := func(m *alert.Manager, typ alert.Type, client string, min float64) {
		m.Raise(alert.Finding{Type: typ, Service: "shop.example:8080", Method: "GET", Route: "/orders/{id}", Client: client,
			Time: at(min), Evidence: alert.Evidence{Metric: "distinct_ids", Observed: min, Score: 1}})
	}
	raise(m, alert.Scanning, "a", 0)     // closes at 30
	raise(m, alert.Enumeration, "b", 10) // still open at the end
	raise(m, alert.Enumeration, "b", 35)
	raise(m, alert.Injection, "c", 40) // still open
	save(t, m, st)
	if st.Close() != nil {
		t.Fatal("close")
	}

	st = openStore(t, dir)
	defer st.Close()
	all, err := alert.Load(st, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(all), "scanning/a:closed enumeration/b:updated injection/c:open"; got != want {
		t.Errorf("stored %s, want %s", got, want)
	}
	for _, c := range []struct {
		since time.Time
		want  string
	}{
		{at(10), "enumeration/b:updated injection/c:open"},
		{at(10).Add(time.Nanosecond), "injection/c:open"},
		{at(-1000), "scanning/a:closed enumeration/b:updated injection/c:open"},
		{at(1000), ""},
	} {
		for _, r := range []alert.Reader{st, scanOnly{st}} {
			got, err := alert.Load(r, c.since)
			if err != nil || ids(got) != c.want {
				t.Errorf("Load(%T, since %s) = %s, %v; want %s", r, mins(c.since), ids(got), err, c.want)
			}
		}
	}

	var r recorder
	m2 := alert.New(alert.Config{Sinks: []alert.Sink{&r}})
	if err := m2.Restore(st); err != nil {
		t.Fatal(err)
	}
	open := m2.Alerts()
	if ids(open) != "enumeration/b:updated injection/c:open" {
		t.Fatalf("restored %s", ids(open))
	}
	b := open[0]
	raise(m2, alert.Enumeration, "b", 60) // within CloseAfter of 35: the same alert
	raise(m2, alert.Injection, "c", 71)   // 31 minutes after 40: a new alert
	want := []string{
		"updated enumeration/b n=3 sev=3 first=10 last=60",
		"closed injection/c n=1 sev=3 first=40 last=40 closed=70",
		"open injection/c n=1 sev=3 first=71 last=71",
	}
	if got := strings.Join(r.events, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("after restore, events\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	if a := m2.Alerts()[0]; a.ID != b.ID || a.Count != 3 {
		t.Errorf("restored alert became %s count %d; want %s count 3", a.ID, a.Count, b.ID)
	}
	save(t, m2, st)
	all, err = alert.Load(st, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(all), "scanning/a:closed enumeration/b:updated injection/c:closed injection/c:open"; got != want {
		t.Errorf("stored %s, want %s", got, want)
	}
	var b2 storage.Batch
	if err := m2.Save(&b2); err != nil {
		t.Fatal(err)
	}
	if err := st.Write(&b2); err != nil {
		t.Fatal(err)
	}
	n := 0
	st.ForEach(alert.BucketAlerts, func(k, v []byte) error { n++; return nil })
	if n != 4 {
		t.Errorf("%d stored alerts after an idle Save, want 4", n)
	}
}

// TestAlertUnsaved: closed alerts wait for Save up to MaxOpen of them.
func TestAlertUnsaved(t *testing.T) {
	m := alert.New(alert.Config{MaxOpen: 2, MaxOpenPerHour: -1})
	for i := range 5 {
		m.Raise(alert.Finding{Type: alert.Scanning, Client: string(rune('a' + i)), Time: at(float64(40 * i))})
	}
	if s := m.Stats(); s.Closed != 4 || s.Unsaved != 2 {
		t.Errorf("closed %d, unsaved %d; want 4 and 2", s.Closed, s.Unsaved)
	}
	var b storage.Batch
	st := openStore(t, t.TempDir())
	defer st.Close()
	if err := m.Save(&b); err != nil {
		t.Fatal(err)
	}
	if err := st.Write(&b); err != nil {
		t.Fatal(err)
	}
	all, _ := alert.Load(st, time.Time{})
	if got := ids(all); got != "scanning/c:closed scanning/d:closed scanning/e:open" {
		t.Errorf("stored %s", got)
	}
}

// TestAlertRestoreDuplicates: two open records of one key (two processes
// that did not Restore) leave one open alert, the later; the earlier is
// closed in the store.
func TestAlertRestoreDuplicates(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	for _, min := range []float64{50, 0} {
		m := alert.New(alert.Config{})
		m.Raise(alert.Finding{Type: alert.Scanning, Client: "a", Time: at(min)})
		save(t, m, st)
	}
	m := alert.New(alert.Config{})
	if err := m.Restore(st); err != nil {
		t.Fatal(err)
	}
	if open := m.Alerts(); len(open) != 1 || !open[0].First.Equal(at(50)) {
		t.Fatalf("restored %v", open)
	}
	save(t, m, st)
	all, _ := alert.Load(st, time.Time{})
	if got := ids(all); got != "scanning/a:closed scanning/a:open" {
		t.Errorf("stored %s", got)
	}
}
