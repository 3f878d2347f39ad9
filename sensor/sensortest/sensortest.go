// Package sensortest gives the tests of the packages downstream of the
// sensor (the analyzers, the commands) real transactions: the shared
// capture corpus located from anywhere in the module, and a capture read
// through the same pipeline `apitap read` runs. It is to the sensor what
// net/http/httptest is to net/http.
package sensortest

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/flow"
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

// Exchange parses one request and its response, given as raw HTTP/1.1
// bytes, through the same parser the sensor runs, and returns the
// transaction: the request sent at start by client, the response sent
// latency later by server. Tests of analysers build traffic with it
// instead of filling a Transaction by hand, so what they see is what the
// parser makes of the bytes. resp may be "" for an unanswered request.
func Exchange(tb testing.TB, client, server netip.AddrPort, start time.Time, latency time.Duration, req, resp string) *http1.Transaction {
	tb.Helper()
	var got *http1.Transaction
	p := http1.NewParser(http1.Config{}, nil, func(t *http1.Transaction) { got = t })
	c := p.NewConn(flow.Key{A: client, B: server})
	feed := func(dir flow.Dir, seq uint32, data string, at time.Time, ack uint32) {
		if data != "" {
			c.Data(dir, seq, []byte(data), []flow.Span{{Seq: seq, Time: at.UnixNano(), Ack: ack, AckOK: true}})
		}
	}
	const reqISN, respISN = 1000, 5000
	feed(flow.DirAB, reqISN, req, start, respISN)
	feed(flow.DirBA, respISN, resp, start.Add(latency), reqISN+uint32(len(req)))
	c.End(flow.DirAB)
	c.End(flow.DirBA)
	c.Close()
	if got == nil {
		tb.Fatalf("no transaction parsed from %q", req)
	}
	return got
}
