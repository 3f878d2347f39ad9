package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func gen(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := cmdGen(args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func mustGen(t *testing.T, args ...string) string {
	t.Helper()
	r := gen(args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("gen %q: exit status %d, stderr:\n%s", args, r.code, r.stderr)
	}
	return r.stdout
}

var genTransactions = regexp.MustCompile(`(?m)^transactions\s+(\d+) \((\d+) by attacks\)$`)

// TestGen generates a small scenario with two attack types through the
// command, gzip-compressed, and reads it back with `apitap read`: every
// transaction the summary counts is there, and so is the scan.
func TestGen(t *testing.T) {
	dir := t.TempDir()
	pcap, labels := filepath.Join(dir, "s.pcap.gz"), filepath.Join(dir, "s.jsonl")
	args := []string{"--seed", "5", "--days", "3", "--scale", "0.01", "--clients", "50",
		"--attacks", "scanning,brute_force", "--out", pcap, "--labels", labels}
	out := mustGen(t, args...)
	m := genTransactions.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no transactions line in:\n%s", out)
	}
	want, _ := strconv.Atoi(m[1])

	txs := lines(mustRead(t, "--emit", "transactions", pcap))
	if len(txs) != want {
		t.Fatalf("read %d transactions, gen says %d:\n%s", len(txs), want, out)
	}

	data, err := os.ReadFile(labels)
	if err != nil {
		t.Fatal(err)
	}
	ls := lines(string(data))
	if len(ls) != 2 {
		t.Fatalf("%d labels, want one scan and one brute force:\n%s", len(ls), data)
	}
	keys := []string{"type", "start", "end", "service", "method", "route", "client", "detail"}
	var scan struct {
		Type, Service, Client string
		Start, End            time.Time
	}
	for _, l := range ls {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.Token()
		var got []string
		for dec.More() {
			k, _ := dec.Token()
			got = append(got, k.(string))
			var v json.RawMessage
			dec.Decode(&v)
		}
		if !slices.Equal(got, keys) {
			t.Errorf("label keys %q, want %q", got, keys)
		}
		if strings.Contains(l, `"scanning"`) {
			if err := json.Unmarshal([]byte(l), &scan); err != nil {
				t.Fatal(err)
			}
		}
	}
	if scan.Client == "" {
		t.Fatalf("no scan among the labels:\n%s", data)
	}
	notFound := 0
	for _, l := range txs {
		var x struct {
			TS        time.Time
			Src, Host string
			Target    string
			Status    int
		}
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(x.Src, scan.Client+":") {
			if x.Host != scan.Service || x.TS.Before(scan.Start) || x.TS.After(scan.End) {
				t.Errorf("scanner request %s %s at %v outside its label", x.Host, x.Target, x.TS)
			}
			if x.Status == 404 {
				notFound++
			}
		}
	}
	if notFound < 150 {
		t.Errorf("the scanner got %d 404s", notFound)
	}

	// The same flags give the same bytes, compressed too.
	first, err := os.ReadFile(pcap)
	if err != nil {
		t.Fatal(err)
	}
	mustGen(t, args...)
	if again, _ := os.ReadFile(pcap); !bytes.Equal(first, again) {
		t.Error("same flags: different files")
	}
}

func TestGenUsage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.pcap")
	for _, args := range [][]string{
		{},
		{"--out", out, "extra"},
		{"--out", out, "--attacks", "teleport"},
		{"--out", out, "--start", "yesterday"},
		{"--out", out, "--days", "0"},
		{"--out", out, "--no-such-flag"},
	} {
		if r := gen(args...); r.code != 2 {
			t.Errorf("gen %q: exit status %d, want 2", args, r.code)
		}
	}
	if r := gen("-h"); r.code != 0 || !strings.Contains(r.stderr, "--labels") {
		t.Errorf("gen -h: exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	if r := gen("--out", out, "--spec", filepath.Join(t.TempDir(), "missing.yaml")); r.code != 1 {
		t.Errorf("missing spec: exit status %d, want 1", r.code)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed gen left its output behind")
	}
}
