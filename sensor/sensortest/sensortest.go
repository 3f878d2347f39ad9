// Package sensortest gives the tests of the packages downstream of the
// sensor (the analyzers, the commands) real transactions: the shared
// capture corpus located from anywhere in the module, and a capture read
// through the same pipeline `apitap read` runs. It is to the sensor what
// net/http/httptest is to net/http.
package sensortest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/http1"
)

// Corpus returns the path of name (slash-separated) in the shared corpus,
// which sits beside the module (../shared/corpus, as in CI). When it is
// missing the test is skipped, or fails if APITAP_REQUIRE_CORPUS is set,
// as CI sets it: a test that needs real data never passes without it.
func Corpus(tb testing.TB, name string) string {
	tb.Helper()
	root, err := moduleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(root, "..", "shared", "corpus", filepath.FromSlash(name))
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("APITAP_REQUIRE_CORPUS") != "" {
			tb.Fatalf("shared corpus not available, and APITAP_REQUIRE_CORPUS is set: %v", err)
		}
		tb.Skipf("shared corpus not available: %v", err)
	}
	return p
}

// moduleRoot is the nearest directory above the working directory (a
// test's package directory) holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// Each reads the capture at path through a fresh pipeline with the default
// configuration and calls fn with every transaction, in order. A capture
// that cannot be opened or read to its end fails the test.
func Each(tb testing.TB, path string, fn func(*http1.Transaction)) {
	tb.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	p := sensor.New(sensor.Config{}, nil, fn)
	if err := p.Run(src); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	p.Flush()
}

// Transactions returns every transaction of the capture at path (see Each).
func Transactions(tb testing.TB, path string) []*http1.Transaction {
	tb.Helper()
	var txs []*http1.Transaction
	Each(tb, path, func(x *http1.Transaction) { txs = append(txs, x) })
	return txs
}
