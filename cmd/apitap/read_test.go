package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/sensortest"
)

// go test ./cmd/apitap -update rewrites testdata/read-summary.golden.
var update = flag.Bool("update", false, "rewrite testdata/read-summary.golden")

const (
	demoDir = "../../testdata/demo"
	golden  = "testdata/read-summary.golden"
)

func demo(name string) string { return filepath.Join(demoDir, name) }

// corpus returns the path of a capture of the shared corpus (see
// sensortest.Corpus: CI requires it).
func corpus(t testing.TB, name string) string {
	t.Helper()
	return sensortest.Corpus(t, name)
}

type result struct {
	code           int
	stdout, stderr string
}

func read(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := cmdRead(args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// mustRead runs a read that has to succeed and returns its stdout.
func mustRead(t testing.TB, args ...string) string {
	t.Helper()
	r := read(args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("read %q: exit status %d, stderr:\n%s", args, r.code, r.stderr)
	}
	return r.stdout
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// fields are the keys of an --emit transactions line, in order (README;
// http1.AppendJSON).
var fields = []string{"ts", "src", "dst", "tunnel", "method", "host", "target",
	"status", "req_bytes", "resp_bytes", "latency_ms", "partial", "anomalies"}

// tsFormat is RFC 3339 in UTC with exactly nine fractional digits.
var tsFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$`)

func TestReadEmitTransactions(t *testing.T) {
	gz := gzipCopy(t, demo("docker-http-upgrade.pcap"))
	tests := []struct {
		name   string
		path   func(t *testing.T) string
		n      int    // transactions: tshark finds as many requests (SOURCES.md)
		tunnel string // of every line
	}{
		{"demo ipv6 loopback", func(*testing.T) string { return demo("mattermost-api-v4.pcap") }, 3, ""},
		{"demo upgrade", func(*testing.T) string { return demo("docker-http-upgrade.pcap") }, 6, ""},
		{"vxlan", func(*testing.T) string { return demo("vxlan-encapsulated-http.pcap") }, 1, "vxlan=1"},
		{"pcapng", func(t *testing.T) string { return corpus(t, "ndpi/http_ua_splitted_in_two_pkts.pcapng") }, 37, ""},
		{"gzip", func(*testing.T) string { return gz }, 6, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			out := mustRead(t, "--emit", "transactions", path)
			times, first, last := packetTimes(t, path)
			ls := lines(out)
			if len(ls) != tt.n {
				t.Fatalf("%d transactions, want %d:\n%s", len(ls), tt.n, out)
			}
			for i, line := range ls {
				checkLine(t, line, times, first, last, tt.tunnel)
				if t.Failed() {
					t.Fatalf("line %d: %s", i+1, line)
				}
			}
		})
	}
	t.Run("gzip is transparent", func(t *testing.T) {
		plain := mustRead(t, "--emit", "transactions", demo("docker-http-upgrade.pcap"))
		if got := mustRead(t, "--emit", "transactions", gz); got != plain {
			t.Errorf("gzip copy:\n%s\nplain:\n%s", got, plain)
		}
	})
}

// checkLine checks one --emit transactions line: the documented fields in
// order with their JSON types, ts a packet time, tunnel as given.
func checkLine(t *testing.T, line string, times map[int64]bool, first, last time.Time, tunnel string) {
	t.Helper()
	// Key order, which a map hides.
	dec := json.NewDecoder(strings.NewReader(line))
	var keys []string
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %v %v", tok, err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(keys, fields) {
		t.Errorf("keys %q, want %q", keys, fields)
	}

	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ts", "src", "dst", "tunnel", "method", "host", "target"} {
		if _, ok := m[k].(string); !ok {
			t.Errorf("%s = %#v, want a string", k, m[k])
		}
	}
	for _, k := range []string{"status", "req_bytes", "resp_bytes"} {
		if v, ok := m[k].(float64); !ok || v < 0 || v != math.Trunc(v) {
			t.Errorf("%s = %#v, want a non-negative integer", k, m[k])
		}
	}
	if v, ok := m["latency_ms"].(float64); !ok || v < 0 {
		t.Errorf("latency_ms = %#v, want a non-negative number", m["latency_ms"])
	}
	if _, ok := m["partial"].(bool); !ok {
		t.Errorf("partial = %#v, want a bool", m["partial"])
	}
	if an, ok := m["anomalies"].([]any); !ok {
		t.Errorf("anomalies = %#v, want an array", m["anomalies"])
	} else {
		for _, a := range an {
			if s, ok := a.(string); !ok || s == "" {
				t.Errorf("anomaly %#v, want a non-empty string", a)
			}
		}
	}
	if t.Failed() {
		return
	}

	ts := m["ts"].(string)
	tm, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil || !tsFormat.MatchString(ts) {
		t.Errorf("ts %q: want RFC 3339 UTC with nanoseconds (%v)", ts, err)
	} else if !times[tm.UnixNano()] {
		t.Errorf("ts %s is no packet's time (capture spans %s to %s)", ts,
			first.UTC().Format(time.RFC3339Nano), last.UTC().Format(time.RFC3339Nano))
	}
	for _, k := range []string{"src", "dst"} {
		if _, err := netip.ParseAddrPort(m[k].(string)); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if m["tunnel"] != tunnel {
		t.Errorf("tunnel %q, want %q", m["tunnel"], tunnel)
	}
	// Every capture above has a response for each request.
	if m["method"] == "" || m["status"].(float64) < 100 {
		t.Errorf("method %q status %v: want a request and its response", m["method"], m["status"])
	}
}

// packetTimes returns the set of packet times of a capture, in Unix
// nanoseconds, and the first and last.
func packetTimes(t *testing.T, path string) (set map[int64]bool, first, last time.Time) {
	t.Helper()
	f, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set = make(map[int64]bool)
	for {
		pk, err := f.Next()
		if err == io.EOF {
			return set, first, last
		}
		if err != nil {
			t.Fatal(err)
		}
		ts := pk.Info.Timestamp
		set[ts.UnixNano()] = true
		if first.IsZero() || ts.Before(first) {
			first = ts
		}
		if ts.After(last) {
			last = ts
		}
	}
}

func gzipCopy(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path)+".gz")
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// tookLine is the summary's last line; its wall time varies from run to run.
var tookLine = regexp.MustCompile(`(?m)^took +(\S+)\n\z`)

// normalizeSummary replaces the wall time of the took line by "X" after
// checking that it is there, last, and a duration.
func normalizeSummary(t *testing.T, out string) string {
	t.Helper()
	m := tookLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("summary does not end with a took line:\n%s", out)
	}
	if _, err := time.ParseDuration(m[1]); err != nil {
		t.Errorf("took %q: %v", m[1], err)
	}
	return tookLine.ReplaceAllString(out, "took          X\n")
}

func demoCaptures(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures in %s: %v", dir, err)
	}
	return files
}

func TestReadSummaryGolden(t *testing.T) {
	got := normalizeSummary(t, mustRead(t, demoCaptures(t, demoDir)...))
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("summary of %s/*.pcap differs from %s (go test ./cmd/apitap -update rewrites it)\ngot:\n%s\nwant:\n%s",
			demoDir, golden, got, want)
	}
}

// pcapRecords returns the offsets of the records of a classic little-endian
// pcap, and of its end.
func pcapRecords(t *testing.T, data []byte) []int {
	t.Helper()
	if binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 {
		t.Fatalf("not a little-endian microsecond pcap")
	}
	var offs []int
	for off := 24; off < len(data); off += 16 + int(binary.LittleEndian.Uint32(data[off+8:])) {
		offs = append(offs, off)
	}
	return append(offs, len(data))
}

// badFile makes a bad input in dir and returns its path and the stderr line
// reading it gives.
type badFile struct {
	name string
	make func(t *testing.T, dir string) (path, msg string)
	// extra: transactions in the packets before the damage.
	extra int
}

func badFiles() []badFile {
	write := func(t *testing.T, path string, data []byte) {
		t.Helper()
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docker := func(t *testing.T) []byte {
		t.Helper()
		data, err := os.ReadFile(demo("docker-http-upgrade.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	return []badFile{
		{name: "text file", make: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "request.txt")
			write(t, p, []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"))
			return p, p + ": not a pcap or pcapng file (magic 47455420)"
		}},
		{name: "empty file", make: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "empty.pcap")
			write(t, p, nil)
			return p, p + ": empty file: not a pcap or pcapng file"
		}},
		{name: "three bytes", make: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "short.pcap")
			write(t, p, docker(t)[:3])
			return p, p + ": not a pcap or pcapng file (only 3 bytes)"
		}},
		{name: "missing file", make: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "missing.pcap")
			_, err := os.Open(p)
			return p, "open capture: " + err.Error()
		}},
		{name: "cut in the file header", make: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "header-cut.pcap")
			write(t, p, docker(t)[:20])
			return p, p + ": truncated capture after 0 packets"
		}},
		{name: "cut in the first record", make: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "first-cut.pcap")
			data := docker(t)
			recs := pcapRecords(t, data)
			write(t, p, data[:recs[0]+16+10]) // the record header and 10 bytes of the frame
			return p, p + ": truncated capture after 0 packets"
		}},
		{name: "cut mid-file", extra: 2, make: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "mid-cut.pcap")
			data := docker(t)
			recs := pcapRecords(t, data)
			write(t, p, data[:recs[10]+16+20])
			return p, p + ": truncated capture after 10 packets"
		}},
		{name: "unknown link type", make: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "link147.pcap")
			var b []byte
			b = binary.LittleEndian.AppendUint32(b, 0xa1b2c3d4)
			b = binary.LittleEndian.AppendUint16(b, 2)
			b = binary.LittleEndian.AppendUint16(b, 4)
			b = binary.LittleEndian.AppendUint32(b, 0)     // thiszone
			b = binary.LittleEndian.AppendUint32(b, 0)     // sigfigs
			b = binary.LittleEndian.AppendUint32(b, 65535) // snaplen
			b = binary.LittleEndian.AppendUint32(b, 147)   // LINKTYPE_USER0
			frame := []byte("GET / HTTP/1.1\r\n\r\n")
			b = binary.LittleEndian.AppendUint32(b, 1_600_000_000)
			b = binary.LittleEndian.AppendUint32(b, 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(frame)))
			b = binary.LittleEndian.AppendUint32(b, uint32(len(frame)))
			write(t, p, append(b, frame...))
			return p, p + ": 1 of 1 packets skipped: link type 147 not supported"
		}},
	}
}

func TestReadBadInput(t *testing.T) {
	good := demo("mattermost-api-v4.pcap")
	want := mustRead(t, "--emit", "transactions", good)
	if n := len(lines(want)); n != 3 {
		t.Fatalf("%s: %d transactions, want 3", good, n)
	}
	for _, bf := range badFiles() {
		t.Run(bf.name, func(t *testing.T) {
			bad, msg := bf.make(t, t.TempDir())
			wantErr := "apitap read: " + msg + "\n"
			if !strings.Contains(wantErr, bad) {
				t.Fatalf("message %q does not name %s", wantErr, bad)
			}
			// Alone, the packets before the damage still count.
			alone := read("--emit", "transactions", bad)
			if alone.code != 1 || alone.stderr != wantErr || len(lines(alone.stdout)) != bf.extra {
				t.Fatalf("read %s alone: exit status %d, %d transactions (want 1, %d), stderr:\n%s",
					bad, alone.code, len(lines(alone.stdout)), bf.extra, alone.stderr)
			}
			for _, args := range [][]string{{bad, good}, {good, bad}} {
				r := read(append([]string{"--emit", "transactions"}, args...)...)
				if r.code != 1 {
					t.Errorf("read %q: exit status %d, want 1", args, r.code)
				}
				if r.stderr != wantErr {
					t.Errorf("read %q: stderr\n%q\nwant\n%q", args, r.stderr, wantErr)
				}
				if n := len(lines(r.stdout)); n != 3+bf.extra {
					t.Errorf("read %q: %d transactions, want %d", args, n, 3+bf.extra)
				}
				if bf.extra == 0 && r.stdout != want {
					t.Errorf("read %q: stdout\n%s\nwant the good file's alone:\n%s", args, r.stdout, want)
				}
			}
		})
	}
	t.Run("all at once", func(t *testing.T) {
		dir := t.TempDir()
		args := []string{"--emit", "transactions"}
		var wantErr strings.Builder
		extra := 0
		for _, bf := range badFiles() {
			bad, msg := bf.make(t, dir)
			args = append(args, bad)
			wantErr.WriteString("apitap read: " + msg + "\n")
			extra += bf.extra
		}
		args = append(args, good)
		r := read(args...)
		if r.code != 1 || r.stderr != wantErr.String() {
			t.Errorf("exit status %d, stderr:\n%s\nwant 1 and:\n%s", r.code, r.stderr, wantErr.String())
		}
		if n := len(lines(r.stdout)); n != 3+extra {
			t.Errorf("%d transactions, want %d", n, 3+extra)
		}
	})
}

// A pcapng may mix interfaces of different link types: the frames of a
// known one are read, the others are reported.
func TestReadMixedLinkTypes(t *testing.T) {
	src := demo("vxlan-encapsulated-http.pcap")
	want := mustRead(t, "--emit", "transactions", src)

	f, err := capture.OpenFile(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, TimestampResolution: 6}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	user0, err := w.AddInterface(pcapgo.NgInterface{LinkType: 147, TimestampResolution: 6})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; ; n++ {
		pk, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(pk.Info, pk.Data); err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			odd := []byte("not a frame of a known link type")
			ci := gopacket.CaptureInfo{Timestamp: pk.Info.Timestamp, CaptureLength: len(odd), Length: len(odd), InterfaceIndex: user0}
			if err := w.WritePacket(ci, odd); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mixed.pcapng")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	r := read("--emit", "transactions", path)
	wantErr := fmt.Sprintf("apitap read: %s: 1 of %d packets skipped: link type 147 not supported\n", path, n+1)
	if r.code != 1 || r.stderr != wantErr {
		t.Errorf("exit status %d, stderr %q; want 1, %q", r.code, r.stderr, wantErr)
	}
	if r.stdout != want {
		t.Errorf("stdout\n%s\nwant\n%s", r.stdout, want)
	}
}

func TestReadUsage(t *testing.T) {
	good := demo("mattermost-api-v4.pcap")
	const usage = "usage: apitap read [flags] CAPTURE...\n"
	tests := []struct {
		name       string
		args       []string
		code       int
		stderrHead string // what stderr starts with
		usage      bool   // stderr holds the usage too
	}{
		{"no arguments", nil, 2, usage, true},
		{"flags but no capture", []string{"--emit", "transactions"}, 2, usage, true},
		{"bogus --emit", []string{"--emit", "bogus", good}, 2, "apitap read: --emit \"bogus\": want \"transactions\"\n", false},
		{"negative --learning", []string{"--learning", "-1h", good}, 2, "apitap read: --learning -1h0m0s: want a positive duration\n", false},
		{"negative --alert-budget", []string{"--alert-budget", "-2", good}, 2, "apitap read: --alert-budget -2: want a positive number of false alerts per 100 endpoint-days\n", false},
		{"unknown flag", []string{"--bogus", good}, 2, "flag provided but not defined: -bogus\n", true},
		{"--emit without value", []string{"--emit"}, 2, "flag needs an argument: -emit\n", true},
		{"bad number", []string{"--max-flows", "many", good}, 2, "invalid value \"many\" for flag -max-flows: parse error\n", true},
		{"-h", []string{"-h"}, 0, usage, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := read(tt.args...)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d", r.code, tt.code)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want none", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, tt.stderrHead) {
				t.Errorf("stderr\n%s\nwant it to start with %q", r.stderr, tt.stderrHead)
			}
			if hasUsage := strings.Contains(r.stderr, usage) && strings.Contains(r.stderr, "-emit string"); hasUsage != tt.usage {
				t.Errorf("usage on stderr: %v, want %v:\n%s", hasUsage, tt.usage, r.stderr)
			}
		})
	}
}

// The pipeline parses HTTP in a goroutine of its own; the output must not
// depend on scheduling.
func TestReadDeterministic(t *testing.T) {
	args := append([]string{"--emit", "transactions"}, demoCaptures(t, demoDir)...)
	args = append(args, corpus(t, "ndpi/1kxun.pcap"), corpus(t, "ndpi/alexa-app.pcapng"),
		corpus(t, "arkime/tcp-reassembly-synthetic.pcap"))
	first := mustRead(t, args...)
	if n := len(lines(first)); n < 300 {
		t.Fatalf("only %d transactions", n)
	}
	for i, procs := range []int{0, 1, 4} {
		prev := runtime.GOMAXPROCS(procs) // 0: unchanged
		got := mustRead(t, args...)
		runtime.GOMAXPROCS(prev)
		if got != first {
			t.Fatalf("run %d (GOMAXPROCS %d) differs from the first", i+2, procs)
		}
	}
}

// failWriter accepts n bytes, then fails every write with err.
type failWriter struct {
	n      int
	err    error
	failed int // writes that failed
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.failed > 0 || len(p) > w.n {
		k := w.n
		w.n = 0
		w.failed++
		return k, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

func TestReadWriteError(t *testing.T) {
	errFull := errors.New("write /out: no space left on device")
	demos := func(*testing.T) []string { return []string{demo("docker-http-upgrade.pcap")} }
	big := func(t *testing.T) []string { return []string{corpus(t, "ndpi/1kxun.pcap")} } // 100 KB of JSON, more than the buffer
	tests := []struct {
		name  string
		emit  bool
		files func(*testing.T) []string
		n     int
		err   error
	}{
		{"summary, nothing written", false, demos, 0, errFull},
		{"summary, cut", false, demos, 40, syscall.EPIPE},
		{"emit, nothing written", true, demos, 0, errFull},
		{"emit, cut", true, demos, 100, syscall.EPIPE},
		{"emit, closed pipe", true, demos, 100, io.ErrClosedPipe},
		{"emit, fails mid-run", true, big, 70 << 10, syscall.EPIPE},
		{"emit, fails on first buffer", true, big, 0, errFull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.files(t)
			if tt.emit {
				args = append([]string{"--emit", "transactions"}, args...)
			}
			w := &failWriter{n: tt.n, err: tt.err}
			var stderr bytes.Buffer
			code := cmdRead(args, w, &stderr)
			if code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			if want := "apitap read: " + tt.err.Error() + "\n"; stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
			if w.failed != 1 {
				t.Errorf("%d failed writes, want 1: nothing is written after an error", w.failed)
			}
		})
	}
}

// TestBinary runs the command as a process, version stamp included.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "apitap")
	build := exec.Command(goTool, "build", "-ldflags", "-X main.version=v1.2.3-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(dir string, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			code = ee.ExitCode()
		default:
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}

	// apitap read testdata/demo/*.pcap, from the repository root.
	root := filepath.Join("..", "..")
	args := []string{"read"}
	for _, f := range demoCaptures(t, filepath.Join(root, "testdata", "demo")) {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, rel)
	}
	stdout, stderr, code := run(root, args...)
	if code != 0 || stderr != "" {
		t.Fatalf("apitap %s: exit status %d, stderr:\n%s", strings.Join(args, " "), code, stderr)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := normalizeSummary(t, stdout); got != string(want) {
		t.Errorf("apitap %s:\n%s\nwant (%s):\n%s", strings.Join(args, " "), got, golden, want)
	}

	if stdout, stderr, code := run(".", "version"); code != 0 || stdout != "apitap v1.2.3-test\n" || stderr != "" {
		t.Errorf("apitap version: exit status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if stdout, stderr, code := run(".", "bogus"); code != 2 || stdout != "" || !strings.HasPrefix(stderr, "apitap: unknown command \"bogus\"\n") {
		t.Errorf("apitap bogus: exit status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
