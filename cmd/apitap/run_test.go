package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
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
