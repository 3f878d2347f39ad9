package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // 0: an error
	}{
		{"512MiB", 512 << 20},
		{"2GiB", 2 << 30},
		{"64KiB", 64 << 10},
		{"1G", 1e9},
		{"5M", 5e6},
		{"3K", 3000},
		{"100B", 100},
		{"4096", 4096},
		{" 2 GiB", 2 << 30},
		{"", 0},
		{"0", 0},
		{"-1GiB", 0},
		{"1.5GiB", 0},
		{"512MB", 0},
		{"lots", 0},
		{"9000000000GiB", 0}, // overflows int64
	} {
		got, err := parseSize(tc.in)
		if got != tc.want || (err != nil) != (tc.want == 0) {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// TestRunBadMaxMemory: a bad --max-memory stops the start, on the command
// line and in the config file, where the message names the key and line.
func TestRunBadMaxMemory(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "apitap.yaml")
	if err := os.WriteFile(cfg, []byte("iface: eth9\nmax-memory: lots\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--iface", "eth9", "--max-memory", "lots"}, `invalid value "lots" for flag -max-memory: want a size such as 512MiB or 2GiB`},
		{[]string{"--config", cfg}, `:2: key "max-memory": want a size such as 512MiB or 2GiB`},
	} {
		var stderr bytes.Buffer
		if code := cmdRun(tc.args, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("run %q: exit %d, stderr %s; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// TestDiffRun: of the keys a SIGHUP finds changed in the config file, the
// filter, the flush interval and the spec list apply at once and the rest
// wait for a restart; a key written out with the value it had by default
// is no change.
func TestDiffRun(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "apitap.yaml")
	read := func(config string) *runOptions {
		t.Helper()
		if !strings.Contains(config, "iface:") {
			config = "iface: eth9\n" + config
		}
		if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		o, _, err := parseRun([]string{"--config", cfg}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, tc := range []struct {
		old, new         string // the file, with "iface: eth9" unless it says otherwise
		changes, restart []string
	}{
		{"", "", nil, nil},
		{"filter: tcp port 80\n", "filter: tcp port 80\n", nil, nil},
		{"", "flush-interval: 10s\nlog-format: json\n", nil, nil}, // the defaults
		{"", "filter: tcp port 80\n", []string{"filter"}, nil},
		{"filter: tcp port 80\n", "", []string{"filter"}, nil},
		{"", "flush-interval: 2s\n", []string{"flush-interval"}, nil},
		{"spec: [a.yaml]\n", "spec: [a.yaml, b.yaml]\n", []string{"spec"}, nil},
		{"spec: [a.yaml, b.yaml]\n", "spec: [b.yaml, a.yaml]\n", []string{"spec"}, nil},
		{"workers: 2\n", "workers: 4\n", nil, []string{"workers"}},
		{"", "log-format: console\n", nil, []string{"log-format"}},
		{"", "iface: [eth9, eth8]\n", nil, []string{"iface"}},
		{"", "iface: [eth9]\n", nil, nil},
		{"workers: 2\nfilter: udp\n", "workers: 3\nfilter: tcp\nflush-interval: 1m\nlisten: :9999\n",
			[]string{"filter", "flush-interval"}, []string{"listen", "workers"}},
		{"", "state: /var/lib/apitap\nsnaplen: 9000\nring-block-size: 2097152\nring-blocks: 8\nmax-memory: 1GiB\nvxlan-port: 4789\n", nil,
			[]string{"max-memory", "ring-block-size", "ring-blocks", "snaplen", "state", "vxlan-port"}},
	} {
		old, n := read(tc.old), read(tc.new)
		changes, restart := diffRun(old, n)
		if !slices.Equal(changes, tc.changes) || !slices.Equal(restart, tc.restart) {
			t.Errorf("%q -> %q: changes %q, restart %q; want %q, %q", tc.old, tc.new, changes, restart, tc.changes, tc.restart)
		}
	}
	withFlag := func(config string) *runOptions { // --workers 2 on the command line
		t.Helper()
		read(config)
		o, _, err := parseRun([]string{"--config", cfg, "--workers", "2"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if changes, restart := diffRun(withFlag("workers: 3\n"), withFlag("workers: 4\n")); changes != nil || restart != nil {
		t.Errorf("--workers 2 on the command line, the file's 3 made 4: changes %q, restart %q; want none", changes, restart)
	}
	var usage bytes.Buffer
	_, fs, _ := parseRun([]string{"--help"}, &usage)
	for _, k := range liveKeys {
		if fs.Lookup(k) == nil {
			t.Errorf("live key %q is no flag of run", k)
		}
		intro, _, _ := strings.Cut(usage.String(), "flags:")
		if words := strings.FieldsFunc(intro, func(r rune) bool { return strings.ContainsRune(" ,.:;\n", r) }); !slices.Contains(words, k) {
			t.Errorf("the usage text does not say %q reloads live", k)
		}
	}
}
