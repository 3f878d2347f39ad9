package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestApplyConfig(t *testing.T) {
	newFS := newTestFlags
	write := func(s string) string {
		p := filepath.Join(t.TempDir(), "apitap.yaml")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fs, iface, workers, flush, specs := newFS()
	fs.Parse([]string{"--workers", "3"})
	err := applyConfig(fs, write("iface: [eth1, eth2]\nworkers: 8\nflush-interval: 30s\nspec:\n  - a.yaml\n  - api.example=b.yaml\n"))
	if err != nil {
		t.Fatal(err)
	}
	if *iface != "eth1,eth2" || *workers != 3 || *flush != 30*time.Second || strings.Join(*specs, " ") != "a.yaml api.example=b.yaml" {
		t.Errorf("iface %q workers %d (the command line's 3 must win) flush %v specs %v", *iface, *workers, *flush, *specs)
	}
	for _, tc := range []struct{ yaml, err string }{
		{"iface: eth0\nworkrs: 2\n", `:2: unknown key "workrs"`},
		{"workers: many\n", `:1: key "workers": parse error`},
		{"- a\n- b\n", `:1: want a mapping`},
		{"iface: {a: b}\n", `:1: key "iface": want a value or a list`},
		{"iface: [eth0\n", `yaml:`},
	} {
		fs, _, _, _, _ := newFS()
		err := applyConfig(fs, write(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: error %v, want one containing %q", tc.yaml, err, tc.err)
		}
	}
	fs, _, _, _, _ = newFS()
	if err := applyConfig(fs, write("")); err != nil {
		t.Errorf("an empty file: %v", err)
	}
}

func newTestFlags() (*flag.FlagSet, *string, *int, *time.Duration, *specFiles) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	iface := fs.String("iface", "", "")
	workers := fs.Int("workers", 1, "")
	flush := fs.Duration("flush-interval", time.Second, "")
	var specs specFiles
	fs.Var(&specs, "spec", "")
	return fs, iface, workers, flush, &specs
}

// TestReadReload: SIGHUP reads the specs the config file lists now, not
// those it listed at the start; a --spec on the command line still wins,
// and a broken file, a value run cannot use or a spec that does not load
// is an error naming its key (and line) or file, with nothing to apply.
func TestReadReload(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	doc := func(path string) string {
		return "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  " + path + ":\n    get:\n      responses: {'200': {description: ok}}\n"
	}
	a, b := write("a.yaml", doc("/a")), write("b.yaml", doc("/b"))
	cfg := filepath.Join(dir, "apitap.yaml")
	args := []string{"--config", cfg}
	for _, tc := range []struct {
		config string   // the file's content at the SIGHUP
		args   []string // more of the command line
		want   []string
	}{
		{"iface: eth9\nspec: [" + a + "]\n", nil, []string{a}},
		{"iface: eth9\nspec: [" + a + ", " + b + "]\n", nil, []string{a, b}},
		{"iface: eth9\n", nil, nil},
		{"iface: eth9\nspec: [" + a + "]\n", []string{"--spec", b}, []string{b}},
	} {
		write("apitap.yaml", tc.config)
		o, idx, err := readReload(append(slices.Clone(args), tc.args...))
		var files specFiles
		if o != nil {
			files = o.specs
		}
		if err != nil || !slices.Equal(files, tc.want) || (idx == nil) != (len(tc.want) == 0) {
			t.Errorf("config %q, args %q: specs %q (index %v), %v; want %q", tc.config, tc.args, files, idx != nil, err, tc.want)
		}
	}
	for _, tc := range []struct{ config, want string }{
		{"iface: eth9\nspecs: [" + a + "]\n", `:2: unknown key "specs"`},
		{"iface: eth9\nworkers: many\n", `:2: key "workers": parse error`},
		{"iface: [eth9\n", "yaml:"},
		{"iface: eth9\nfilter: portt 80\n", `--filter: filter "portt 80": parse error`},
		{"iface: eth9\nflush-interval: 0s\n", `--flush-interval 0s: want a positive duration`},
		{"iface: eth9\nlog-format: xml\n", `--log-format "xml": want json or console`},
		{"iface: eth9\nspec: [" + filepath.Join(dir, "missing.yaml") + "]\n", "missing.yaml"},
	} {
		write("apitap.yaml", tc.config)
		if o, _, err := readReload(args); o != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %q: %v, want nothing and an error containing %q", tc.config, err, tc.want)
		}
	}
}

// The secrets key of a config file is no flag: readConfig returns its
// values for the sinks, and anything but a mapping is an error.
func TestConfigSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var o runOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.Var(&o.sinks, "sink", "")
	secrets, err := readConfig(fs, write("sink:\n  - file:///a.jsonl\n  - syslog+tcp://siem:514\nsecrets:\n  splunk_token: t0k3n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if secrets["splunk_token"] != "t0k3n" || len(o.sinks) != 2 {
		t.Errorf("secrets %v, sinks %v", secrets, o.sinks)
	}
	if _, err := readConfig(fs, write("secrets: [a, b]\n")); err == nil || !strings.Contains(err.Error(), `key "secrets": want a mapping`) {
		t.Errorf("secrets as a list: %v", err)
	}
	if got := secretsFrom(map[string]string{"webhook_secret": "s"})("webhook_secret"); got != "s" {
		t.Errorf("config secret %q", got)
	}
	t.Setenv("APITAP_KAFKA_PASSWORD", "p")
	if got := secretsFrom(nil)("kafka_password"); got != "p" {
		t.Errorf("environment secret %q", got)
	}
}
