package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
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
