package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The live tests build a SPAN port out of network namespaces: a client and
// a server joined by a Linux bridge whose ageing time is 0, so it floods
// every frame to every port as a hub or mirror port does, and a third
// port whose far end `apitap run` captures in its own namespace. The
// bridge has a namespace of its own too, so nothing is added to the host's
// (and two test processes cannot collide there). They need root and
// iproute2; CI runs as root.

// ipcmd runs ip(8) and fails the test on error.
func ipcmd(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

type span struct {
	t      *testing.T
	prefix string
}

// newSpan builds the topology; names are unique per test process.
func newSpan(t *testing.T) *span {
	if os.Geteuid() != 0 {
		if os.Getenv("APITAP_REQUIRE_NETNS") != "" {
			t.Fatal("live tests need root, and APITAP_REQUIRE_NETNS is set")
		}
		t.Skip("live tests need root (CI runs them)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("iproute2 missing: %v", err)
	}
	s := &span{t: t, prefix: fmt.Sprintf("at%d", os.Getpid()%100000)}
	p := s.prefix
	hub := p + "hub" // the bridge's namespace
	t.Cleanup(func() {
		for _, ns := range []string{"cli", "srv", "mon", "hub"} {
			exec.Command("ip", "netns", "del", p+ns).Run()
		}
	})
	ipcmd(t, "netns", "add", hub)
	ipcmd(t, "-n", hub, "link", "add", p+"br", "type", "bridge", "ageing_time", "0")
	ipcmd(t, "-n", hub, "link", "set", p+"br", "up")
	for i, ns := range []string{"cli", "srv", "mon"} {
		ipcmd(t, "netns", "add", p+ns)
		ipcmd(t, "-n", hub, "link", "add", p+ns+"0", "type", "veth", "peer", "name", p+ns+"b")
		ipcmd(t, "-n", hub, "link", "set", p+ns+"0", "netns", p+ns)
		ipcmd(t, "-n", hub, "link", "set", p+ns+"b", "master", p+"br")
		ipcmd(t, "-n", hub, "link", "set", p+ns+"b", "up")
		ipcmd(t, "-n", p+ns, "link", "set", "lo", "up")
		ipcmd(t, "-n", p+ns, "link", "set", p+ns+"0", "up")
		if ns != "mon" {
			ipcmd(t, "-n", p+ns, "addr", "add", fmt.Sprintf("10.213.0.%d/24", i+1), "dev", p+ns+"0")
		}
	}
	return s
}

// inNS starts this test binary in a namespace as one of the helpers.
func (s *span) inNS(ns, helper string, env ...string) *exec.Cmd {
	cmd := exec.Command("ip", "netns", "exec", s.prefix+ns, os.Args[0], "-test.run=^TestHelper$")
	cmd.Env = append(append(os.Environ(), "APITAP_HELPER="+helper), env...)
	return cmd
}

// startServer runs the REST server in the server namespace until the test
// ends.
func (s *span) startServer() {
	srv := s.inNS("srv", "server")
	if err := srv.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
}

// items has the client namespace fetch n items on a keep-alive connection.
func (s *span) items(n int) {
	s.t.Helper()
	if out, err := s.inNS("cli", "items", fmt.Sprintf("APITAP_N=%d", n)).CombinedOutput(); err != nil {
		s.t.Fatalf("client: %v\n%s", err, out)
	}
}

// TestHelper is not a test: the live tests run it in their namespaces as
// the REST server or client.
func TestHelper(t *testing.T) {
	switch os.Getenv("APITAP_HELPER") {
	case "":
		t.Skip("a helper for the live tests")
	case "server":
		helperServer()
	case "client":
		helperClient(t)
	case "items":
		helperItems(t)
	case "fetch":
		resp, err := http.Get(os.Getenv("APITAP_URL"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(os.Stdout, resp.Body)
		resp.Body.Close()
		os.Exit(0) // before the test framework prints PASS on stdout
	}
}

// helperItems sends APITAP_N item requests on a keep-alive connection.
func helperItems(t *testing.T) {
	var n int
	fmt.Sscan(os.Getenv("APITAP_N"), &n)
	for i := range n {
		resp, err := http.Get(fmt.Sprintf("http://10.213.0.2:8080/api/v1/items/%d", 5000+i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	fmt.Println("sent", n)
}

func helperServer() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"name":"widget","price":9.5}`, r.PathValue("id"))
	})
	mux.HandleFunc("POST /api/v1/orders", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprint(w, `{"order":"created","email":"buyer@example.com"}`)
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	http.ListenAndServe("10.213.0.2:8080", mux)
}

// helperClient sends keep-alive and pipelined REST traffic, and prints how
// many requests it sent of each kind.
func helperClient(t *testing.T) {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	for i := range 40 {
		resp, err := c.Get(fmt.Sprintf("http://10.213.0.2:8080/api/v1/items/%d", 1000+i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range 10 {
		resp, err := c.Post("http://10.213.0.2:8080/api/v1/orders", "application/json", strings.NewReader(`{"item":1001,"qty":2}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Pipelined: ten requests written at once on one connection.
	conn, err := net.Dial("tcp", "10.213.0.2:8080")
	if err != nil {
		t.Fatal(err)
	}
	var req bytes.Buffer
	for range 10 {
		req.WriteString("GET /health HTTP/1.1\r\nHost: 10.213.0.2:8080\r\n\r\n")
	}
	conn.Write(req.Bytes())
	br := bufio.NewReader(conn)
	for range 10 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	conn.Close()
	fmt.Println("sent 40 items, 10 orders, 10 pipelined health")
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// addVXLAN floods the bridge's frames also into a VXLAN device (VNI 4242)
// whose tunnel ends in the monitor namespace, as AWS or Azure traffic
// mirroring delivers them. It returns the monitor's interface.
func (s *span) addVXLAN() string {
	t, p := s.t, s.prefix
	hub := p + "hub"
	ipcmd(t, "-n", hub, "link", "add", p+"ul", "type", "veth", "peer", "name", p+"mon1")
	ipcmd(t, "-n", hub, "link", "set", p+"mon1", "netns", p+"mon")
	ipcmd(t, "-n", hub, "addr", "add", "10.214.0.1/24", "dev", p+"ul")
	ipcmd(t, "-n", hub, "link", "set", p+"ul", "up")
	ipcmd(t, "-n", p+"mon", "addr", "add", "10.214.0.2/24", "dev", p+"mon1")
	ipcmd(t, "-n", p+"mon", "link", "set", p+"mon1", "up")
	ipcmd(t, "-n", hub, "link", "add", p+"vx", "type", "vxlan", "id", "4242", "local", "10.214.0.1", "remote", "10.214.0.2",
		"dstport", "4789", "dev", p+"ul")
	ipcmd(t, "-n", hub, "link", "set", p+"vx", "master", p+"br")
	ipcmd(t, "-n", hub, "link", "set", p+"vx", "up")
	return p + "mon1"
}

// TestRunSPAN: apitap run on a mirror port, and on a VXLAN cloud mirror of
// the same traffic, reports what a real client sent a real server,
// keep-alive and pipelined; the mirrored copy is tagged with its VNI.
func TestRunSPAN(t *testing.T) {
	s := newSpan(t)
	vx := s.addVXLAN()
	bin := buildApitap(t)
	state := filepath.Join(t.TempDir(), "state")
	s.startServer()
	run, runErr := s.startRun(bin, state, "--iface", s.prefix+"mon0,"+vx)
	time.Sleep(300 * time.Millisecond) // the server listening
	out, err := s.inNS("cli", "client").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sent 40 items") {
		t.Fatalf("client: %v\n%s", err, out)
	}
	time.Sleep(500 * time.Millisecond)
	run.Process.Signal(syscall.SIGTERM)
	if err := run.Wait(); err != nil {
		t.Fatalf("apitap run: %v\n%s", err, runErr.String())
	}
	rows := inventoryRows(t, bin, state)
	if !strings.Contains(runErr.String(), "stopping") {
		t.Errorf("no clean stop in the log:\n%s", runErr.String())
	}
	want := map[string]int{}
	for _, svc := range []string{"10.213.0.2:8080", "10.213.0.2:8080@vxlan=4242"} {
		want[svc+" GET /api/v1/items/{id}"] = 40
		want[svc+" POST /api/v1/orders"] = 10
		want[svc+" GET /health"] = 10
	}
	got := map[string]int{}
	for _, r := range rows {
		got[r.Service+" "+r.Method+" "+r.Template] += r.Requests
		if r.Method == "POST" && (len(r.Sensitive) != 1 || r.Sensitive[0].Class != "email") {
			t.Errorf("%s %s: sensitive data %v, want the email of the response", r.Service, r.Template, r.Sensitive)
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d requests seen, the client sent %d (all: %v)\nlog:\n%s", k, got[k], n, got, runErr.String())
		}
	}
	if len(got) != len(want) {
		t.Errorf("endpoints %v, want %v", got, want)
	}
}

type invRow struct {
	Service, Method, Template string
	Requests                  int
	Statuses                  map[string]int
	Sensitive                 []struct{ Class string }
}

func inventoryRows(t *testing.T, bin, state string) []invRow {
	t.Helper()
	out, err := exec.Command(bin, "inventory", "--state", state, "--format", "json").Output()
	if err != nil {
		t.Fatalf("inventory: %v", err)
	}
	var rows []invRow
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}

// buildApitap builds the command into a temporary directory.
func buildApitap(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "apitap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startRun starts apitap run in the monitor namespace and waits until it
// captures.
func (s *span) startRun(bin, state string, extra ...string) (*exec.Cmd, *lockedBuffer) {
	return s.startRunArgs(bin, append([]string{"--iface", s.prefix + "mon0",
		"--workers", "2", "--state", state, "--flush-interval", "500ms", "--log-format", "console"}, extra...)...)
}

// startRunArgs starts apitap run with just these arguments.
func (s *span) startRunArgs(bin string, runArgs ...string) (*exec.Cmd, *lockedBuffer) {
	t := s.t
	var log lockedBuffer
	args := append([]string{"netns", "exec", s.prefix + "mon", bin, "run"}, runArgs...)
	run := exec.Command("ip", args...)
	run.Stderr = &log
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Process.Kill(); run.Wait() })
	waitFor(t, func() bool { return strings.Contains(log.String(), "capturing") })
	return run, &log
}

// TestRunRestart: a kill -9 in the middle of traffic loses at most one
// flush interval; the next start continues from the stored inventory.
func TestRunRestart(t *testing.T) {
	s := newSpan(t)
	bin := buildApitap(t)
	state := filepath.Join(t.TempDir(), "state")
	s.startServer()
	run, log := s.startRun(bin, state)
	time.Sleep(300 * time.Millisecond)
	s.items(30)
	time.Sleep(1500 * time.Millisecond) // three flush intervals: the 30 are stored
	s.items(7)
	run.Process.Signal(syscall.SIGKILL) // at once: the last 7 may be lost
	run.Wait()
	first := requestsOf(inventoryRows(t, bin, state), "GET /api/v1/items/{id}")
	if first < 30 || first > 37 {
		t.Fatalf("after kill -9 the store holds %d requests; want 30 to 37\n%s", first, log.String())
	}
	run2, log2 := s.startRun(bin, state)
	time.Sleep(300 * time.Millisecond)
	s.items(20)
	time.Sleep(300 * time.Millisecond)
	run2.Process.Signal(syscall.SIGTERM)
	if err := run2.Wait(); err != nil {
		t.Fatalf("apitap run: %v\n%s", err, log2.String())
	}
	rows := inventoryRows(t, bin, state)
	if got := requestsOf(rows, "GET /api/v1/items/{id}"); got != first+20 {
		t.Errorf("after the restart %d requests; want %d + 20", got, first)
	}
	if len(rows) != 1 {
		t.Errorf("%d endpoints after the restart, want the same one: %+v", len(rows), rows)
	}
}

func requestsOf(rows []invRow, key string) int {
	n := 0
	for _, r := range rows {
		if r.Method+" "+r.Template == key {
			n += r.Requests
		}
	}
	return n
}

// TestRunMetrics: /metrics, /healthz, /readyz and /api/v1/endpoints
// answer on the listen address, and the metrics pass promtool's checks.
func TestRunMetrics(t *testing.T) {
	s := newSpan(t)
	bin := buildApitap(t)
	s.startServer()
	alertsFile := filepath.Join(t.TempDir(), "alerts.jsonl")
	run, _ := s.startRun(bin, filepath.Join(t.TempDir(), "state"), "--listen", "127.0.0.1:9187", "--alerts", alertsFile)
	time.Sleep(300 * time.Millisecond)
	s.items(12)
	// One SQL injection attempt: the alert is served, written as OCSF
	// and counted.
	if out, err := s.inNS("cli", "fetch", "APITAP_URL=http://10.213.0.2:8080/api/v1/items/7?q=1%27%20OR%20%271%27%3D%271").CombinedOutput(); err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	time.Sleep(600 * time.Millisecond) // workers publish their counters every 250ms
	fetch := func(path string) string {
		out, err := s.inNS("mon", "fetch", "APITAP_URL=http://127.0.0.1:9187"+path).Output()
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return string(out)
	}
	if h := fetch("/healthz"); !strings.Contains(h, "ok") {
		t.Errorf("/healthz: %q", h)
	}
	if r := fetch("/readyz"); !strings.Contains(r, "ready") {
		t.Errorf("/readyz: %q", r)
	}
	var rows []invRow
	if err := json.Unmarshal([]byte(fetch("/api/v1/endpoints")), &rows); err != nil || requestsOf(rows, "GET /api/v1/items/{id}") != 13 {
		t.Errorf("/api/v1/endpoints: %v %+v", err, rows)
	}
	var open []struct {
		Type, Route, Client string
		Evidence            struct{ Subtype string }
	}
	if err := json.Unmarshal([]byte(fetch("/api/v1/alerts")), &open); err != nil || len(open) != 1 ||
		open[0].Type != "injection" || open[0].Evidence.Subtype != "sqli" || open[0].Client != "10.213.0.1" {
		t.Errorf("/api/v1/alerts: %v %+v", err, open)
	}
	m := fetch("/metrics")
	for _, want := range []string{"apitap_http_transactions_total 13", "apitap_http_requests_total 13", "apitap_flow_connections_total",
		`apitap_alert_events_total{event="opened"} 1`, "apitap_alert_open 1", "apitap_detect_findings_total 1",
		"apitap_output_queue_dropped_total 0", `apitap_output_queued{sink="file://`, `apitap_output_sent_total{sink="file://`,
		`apitap_capture_kernel_packets_total{interface="` + s.prefix + `mon0"}`, "apitap_inventory_transactions_total 13",
		`apitap_capture_interface_frames_total{interface="` + s.prefix + `mon0"}`, `apitap_capture_tunnel_frames_total{tunnel="none"}`,
		`apitap_capture_ring_backlog_bytes{interface="` + s.prefix + `mon0"}`, `apitap_capture_ring_usage_ratio{interface="` + s.prefix + `mon0"}`,
		"apitap_flow_pressure_flushes_total 0", `apitap_flow_source_connections_total{source="none"} 2`,
		`apitap_flow_source_payload_bytes_total{source="none"}`, `apitap_flow_source_retransmitted_bytes_total{source="none"}`,
		`apitap_flow_source_gap_bytes_total{source="none"} 0`, `apitap_flow_source_one_sided_total{source="none"} 0`,
		`apitap_flow_source_ignored_bytes_total{source="none"} 0`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	t.Run("promtool", func(t *testing.T) {
		promtool, err := exec.LookPath("promtool")
		if err != nil {
			if os.Getenv("APITAP_REQUIRE_PROMTOOL") != "" {
				t.Fatal("promtool not found, and APITAP_REQUIRE_PROMTOOL is set")
			}
			t.Skip("promtool not installed (CI installs it)")
		}
		check := exec.Command(promtool, "check", "metrics")
		check.Stdin = strings.NewReader(m)
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})
	run.Process.Signal(syscall.SIGTERM)
	run.Wait()
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		ClassUID    int `json:"class_uid"`
		FindingInfo struct {
			Types []string `json:"types"`
		} `json:"finding_info"`
	}
	if err := json.Unmarshal(bytes.SplitN(b, []byte("\n"), 2)[0], &f); err != nil || f.ClassUID != 2004 || !slices.Contains(f.FindingInfo.Types, "injection") {
		t.Errorf("--alerts file: %v %+v\n%s", err, f, b)
	}
}

// TestRunFilter: a capture filter applied in the kernel keeps what it
// matches and nothing else.
func TestRunFilter(t *testing.T) {
	s := newSpan(t)
	bin := buildApitap(t)
	s.startServer()
	keep := filepath.Join(t.TempDir(), "keep")
	drop := filepath.Join(t.TempDir(), "drop")
	runKeep, _ := s.startRun(bin, keep, "--filter", "tcp port 8080", "--listen", "127.0.0.1:9188")
	runDrop, _ := s.startRun(bin, drop, "--filter", "tcp port 9999", "--listen", "127.0.0.1:9189")
	time.Sleep(300 * time.Millisecond)
	s.items(5)
	time.Sleep(300 * time.Millisecond)
	for _, r := range []*exec.Cmd{runKeep, runDrop} {
		r.Process.Signal(syscall.SIGTERM)
		r.Wait()
	}
	if n := requestsOf(inventoryRows(t, bin, keep), "GET /api/v1/items/{id}"); n != 5 {
		t.Errorf("with 'tcp port 8080': %d requests, want 5", n)
	}
	if rows := inventoryRows(t, bin, drop); len(rows) != 0 {
		t.Errorf("with 'tcp port 9999': %+v, want nothing", rows)
	}
}

// TestRunReloadSpecs: SIGHUP reloads the specs: an endpoint that was a
// shadow API becomes documented once its spec is in place, whether the
// spec file given with --spec was edited or the --config file now names
// another one.
func TestRunReloadSpecs(t *testing.T) {
	for _, mode := range []string{"--spec", "--config"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, content string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			doc := func(path string) string {
				return "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  " + path + ":\n    get:\n      responses: {'200': {description: ok}}\n"
			}
			health := write("health.yaml", doc("/health"))
			args := []string{"--spec", health}
			documentItems := func() { write("health.yaml", doc("/api/v1/items/{itemId}")) }
			if mode == "--config" {
				args = []string{"--config", write("apitap.yaml", "spec: ["+health+"]\n")}
				documentItems = func() {
					items := write("items.yaml", doc("/api/v1/items/{itemId}"))
					write("apitap.yaml", "spec: ["+items+"]\n")
				}
			}
			s := newSpan(t)
			bin := buildApitap(t)
			s.startServer()
			run, log := s.startRun(bin, filepath.Join(dir, "state"), append(args, "--listen", "127.0.0.1:9191")...)
			time.Sleep(300 * time.Millisecond)
			s.items(3)
			time.Sleep(600 * time.Millisecond)
			classOf := func() string {
				out, err := s.inNS("mon", "fetch", "APITAP_URL=http://127.0.0.1:9191/api/v1/endpoints").Output()
				if err != nil {
					t.Fatal(err)
				}
				var rows []struct{ Class, Template string }
				json.Unmarshal(out, &rows)
				for _, r := range rows {
					if strings.HasPrefix(r.Template, "/api/v1/items/") {
						return r.Class
					}
				}
				return "missing"
			}
			if c := classOf(); c != "shadow" {
				t.Fatalf("before the reload: %s, want shadow", c)
			}
			documentItems()
			run.Process.Signal(syscall.SIGHUP)
			waitFor(t, func() bool { return strings.Contains(log.String(), "configuration reloaded") })
			if c := classOf(); c != "documented" {
				t.Errorf("after the reload: %s, want documented\n%s", c, log.String())
			}
		})
	}
}

// TestRunReloadConfig: SIGHUP applies a new capture filter from the
// --config file to the running sockets (the traffic it refused arrives
// once it admits it), warns that a changed workers key needs a restart,
// and keeps everything as it is when the file's new filter is invalid.
func TestRunReloadConfig(t *testing.T) {
	s := newSpan(t)
	bin := buildApitap(t)
	s.startServer()
	cfg := filepath.Join(t.TempDir(), "apitap.yaml")
	write := func(filter string, workers int) {
		conf := fmt.Sprintf("iface: %smon0\nworkers: %d\nlisten: 127.0.0.1:9192\nlog-format: console\nfilter: %s\n", s.prefix, workers, filter)
		if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tcp port 9999", 1)
	run, log := s.startRunArgs(bin, "--config", cfg)
	requests := func() int {
		out, err := s.inNS("mon", "fetch", "APITAP_URL=http://127.0.0.1:9192/api/v1/endpoints").Output()
		if err != nil {
			t.Fatal(err)
		}
		var rows []invRow
		if err := json.Unmarshal(out, &rows); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return requestsOf(rows, "GET /api/v1/items/{id}")
	}
	hup := func(want string) {
		t.Helper()
		n := strings.Count(log.String(), want)
		run.Process.Signal(syscall.SIGHUP)
		waitFor(t, func() bool { return strings.Count(log.String(), want) > n })
	}
	time.Sleep(300 * time.Millisecond) // the server listening
	s.items(3)
	time.Sleep(400 * time.Millisecond) // workers flush their batches every 250ms
	if n := requests(); n != 0 {
		t.Fatalf("with 'tcp port 9999': %d requests seen, want none", n)
	}

	write("tcp port 8080", 2)
	hup("configuration reloaded")
	if l := log.String(); !strings.Contains(l, "configuration keys need a restart") || !strings.Contains(l, `"keys": ["workers"]`) {
		t.Errorf("no warning that workers needs a restart:\n%s", l)
	}
	s.items(4)
	waitFor(t, func() bool { return requests() == 4 })

	write("portt 8080", 2) // invalid: the running filter stays
	hup("configuration not reloaded")
	if l := log.String(); !strings.Contains(l, `--filter: filter \"portt 8080\"`) {
		t.Errorf("the invalid filter is not named in the log:\n%s", l)
	}
	s.items(2)
	waitFor(t, func() bool { return requests() == 6 })
	if l := log.String(); strings.Count(l, "\terror\t") != 1 {
		t.Errorf("errors in the log besides the invalid filter:\n%s", l)
	}
}
