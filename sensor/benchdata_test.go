package sensor_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/synth"
)

// benchConfig is the capture every benchmark in this package reads: about
// 300 MB of Ethernet/IPv4 HTTP/1.1, 5000 connections of 1 to 47 keep-alive
// requests (24 on average), 64 open at a time, JSON bodies of 100 B to 8 KiB,
// a quarter of the responses chunked and a fifth gzip-compressed. Changing it
// changes the cache key, so the next run generates a new file.
var benchConfig = synth.Config{
	Seed:            20240301,
	Connections:     5000,
	RequestsPerConn: 24,
	Concurrency:     64,
	ChunkedShare:    0.25,
	GzipShare:       0.2,
}

// benchEnvPath names an environment variable that overrides where the bench
// capture is cached. Tests may read the environment; packages may not.
const benchEnvPath = "APITAP_BENCH_PCAP"

var bench struct {
	once  sync.Once
	data  []byte
	stats synth.Stats
	err   error
}

// benchMeta is stored next to the cached capture as <path>.json: the ground
// truth, and the key that says which config and Go version made the file.
type benchMeta struct {
	Key   string
	Stats synth.Stats
}

// benchCapture returns the bench capture's bytes. The first call in a process
// reads it from the cache file, generating the file first if it is missing or
// stale; later calls return the same slice, which callers must not modify.
func benchCapture(b *testing.B) []byte {
	b.Helper()
	bench.once.Do(func() { bench.data, bench.stats, bench.err = loadBenchCapture(b) })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.data
}

// benchStats returns the ground truth of benchCapture.
func benchStats(b *testing.B) synth.Stats {
	b.Helper()
	benchCapture(b)
	return bench.stats
}

// openMemory returns a capture.Source over a capture held in memory.
func openMemory(tb testing.TB, data []byte) *capture.File {
	src, err := capture.NewReader("memory.pcap", bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return src
}

func benchKey() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%#v", runtime.Version(), benchConfig))
	return hex.EncodeToString(sum[:8])
}

func loadBenchCapture(b *testing.B) ([]byte, synth.Stats, error) {
	key := benchKey()
	path := os.Getenv(benchEnvPath)
	if path == "" {
		path = filepath.Join(os.TempDir(), "apitap-bench-"+key+".pcap")
	}
	meta, err := readBenchMeta(path)
	switch {
	case err == nil && meta.Key == key:
		data, err := os.ReadFile(path)
		if err == nil && int64(len(data)) == meta.Stats.FileSize() {
			return data, meta.Stats, nil
		}
		b.Logf("bench capture %s is damaged, generating it again", path)
	case errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Stat(path); serr == nil {
			// Not ours: never overwrite a capture someone put there.
			return nil, synth.Stats{}, fmt.Errorf("%s=%s exists without %s.json; remove it or point %s elsewhere",
				benchEnvPath, path, path, benchEnvPath)
		}
	case err != nil:
		return nil, synth.Stats{}, err
	}

	start := time.Now()
	st, err := writeBenchCapture(path, key)
	if err != nil {
		return nil, synth.Stats{}, err
	}
	b.Logf("generated bench capture %s: %.1f MB, %d packets, %d requests in %v",
		path, float64(st.FileSize())/1e6, st.Packets, st.Requests, time.Since(start).Round(time.Millisecond))
	data, err := os.ReadFile(path)
	return data, st, err
}

func readBenchMeta(path string) (benchMeta, error) {
	var m benchMeta
	raw, err := os.ReadFile(path + ".json")
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("bench capture metadata %s.json: %w", path, err)
	}
	return m, nil
}

// writeBenchCapture generates the capture into a temporary file next to path
// and renames it into place after its metadata, so that an interrupted run
// never leaves a capture that looks complete.
func writeBenchCapture(path, key string) (synth.Stats, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return synth.Stats{}, fmt.Errorf("bench capture: %w", err)
	}
	defer os.Remove(f.Name())
	st, err := synth.Write(f, benchConfig)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("bench capture %s: %w", f.Name(), err)
	}
	raw, err := json.MarshalIndent(benchMeta{Key: key, Stats: st}, "", "\t")
	if err != nil {
		return st, err
	}
	if err := os.WriteFile(path+".json", raw, 0o644); err != nil {
		return st, fmt.Errorf("bench capture: %w", err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return st, fmt.Errorf("bench capture: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return st, fmt.Errorf("bench capture: %w", err)
	}
	return st, nil
}
