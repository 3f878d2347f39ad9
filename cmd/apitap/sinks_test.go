package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// hookReceiver is a webhook receiver that can be down (503) and keeps the
// OCSF findings it accepted, deduplicated by Idempotency-Key as a SIEM
// receiver would.
type hookReceiver struct {
	mu   sync.Mutex
	down bool
	seen map[string]bool
	got  []map[string]any
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if k := r.Header.Get("Idempotency-Key"); !h.seen[k] {
		h.seen[k] = true
		var f map[string]any
		if err := json.Unmarshal(body, &f); err == nil {
			h.got = append(h.got, f)
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (h *hookReceiver) findings() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.got...)
}

// TestReadSinks: read --sink sends the alerts of the attack captures to a
// webhook (OCSF) and a rotated file (ECS). While the webhook is down they
// wait in the state directory's spool; the next read, the webhook back up,
// delivers them, none lost, none twice.
func TestReadSinks(t *testing.T) {
	h := &hookReceiver{down: true, seen: map[string]bool{}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	dir := t.TempDir()
	state, file := filepath.Join(dir, "state"), filepath.Join(dir, "alerts.jsonl")
	captures, _ := filepath.Glob(filepath.Join(demoDir, "attacks", "*"))
	args := append([]string{"--state", state, "--sink-timeout", "500ms",
		"--sink", srv.URL + "/apitap?format=ocsf", "--sink", "file://" + file + "?format=ecs"}, captures...)

	var out, errb bytes.Buffer
	if code := cmdRead(args, &out, &errb); code != 0 {
		t.Fatalf("read exited %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "stay queued in "+filepath.Join(state, "spool.db")) {
		t.Errorf("no word of the alerts left queued:\n%s", errb.String())
	}
	ecs, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(ecs)), "\n")
	if len(lines) < 3 || len(h.findings()) != 0 {
		t.Fatalf("file sink: %d records; webhook (down): %d", len(lines), len(h.findings()))
	}
	for _, l := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil || e["@timestamp"] == nil || e["event"] == nil {
			t.Errorf("ECS record %q: %v", l, err)
		}
	}

	// The webhook is back; a read of no new traffic delivers the backlog.
	h.mu.Lock()
	h.down = false
	h.mu.Unlock()
	out.Reset()
	errb.Reset()
	if code := cmdRead([]string{"--state", state, "--sink", srv.URL + "/apitap?format=ocsf", "--sink", "file://" + file + "?format=ecs", filepath.Join(demoDir, "docker-http-upgrade.pcap")}, &out, &errb); code != 0 {
		t.Fatalf("second read exited %d: %s", code, errb.String())
	}
	got := h.findings()
	if len(got) != len(lines) {
		t.Errorf("webhook got %d findings after the outage, the file %d", len(got), len(lines))
	}
	for _, f := range got {
		if f["class_uid"] != float64(2004) || f["finding_info"] == nil {
			t.Errorf("not an OCSF Detection Finding: %v", f)
		}
	}
}

// TestKilledWithAlertsInSpool: apitap is killed (SIGKILL) while its only
// sink hangs, with alerts in the spool; the next start delivers every
// one of them.
func TestKilledWithAlertsInSpool(t *testing.T) {
	bin := buildApitap(t)
	hang := make(chan struct{})
	h := &hookReceiver{seen: map[string]bool{}}
	var once sync.Once
	entered := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang: // released: behave
			h.ServeHTTP(w, r)
		default:
			once.Do(func() { close(entered) })
			select { // hang until the client goes away or the test ends
			case <-r.Context().Done():
			case <-hang:
				http.Error(w, "was hung", http.StatusServiceUnavailable)
			}
		}
	}))
	defer srv.Close()
	state := filepath.Join(t.TempDir(), "state")
	captures, _ := filepath.Glob(filepath.Join(demoDir, "attacks", "*"))
	read := exec.Command(bin, append([]string{"read", "--state", state, "--sink", srv.URL + "/hook?format=ocsf"}, captures...)...)
	if err := read.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered: // the sink took the first batch and hangs: alerts are spooled
	case <-time.After(20 * time.Second):
		t.Fatal("the sink was never called")
	}
	read.Process.Kill()
	read.Wait()

	// What the spool file holds now is what must arrive.
	queued := spoolRecords(t, filepath.Join(state, "spool.db"))
	if queued == 0 {
		t.Fatal("nothing in the spool after the kill")
	}
	close(hang)
	var out, errb bytes.Buffer
	if code := cmdRead([]string{"--state", state, "--sink", srv.URL + "/hook?format=ocsf", filepath.Join(demoDir, "docker-http-upgrade.pcap")}, &out, &errb); code != 0 {
		t.Fatalf("restart exited %d: %s", code, errb.String())
	}
	if got := len(h.findings()); got != queued {
		t.Errorf("delivered %d findings after the restart, %d were spooled", got, queued)
	}
}

// spoolRecords counts the records in a spool file's queues.
func spoolRecords(t *testing.T, path string) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			n += b.Stats().KeyN
			return nil
		})
	})
	return n
}
