package sensor_test

import (
	"bytes"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/synth"
)

// emitAll runs src through a pipeline and returns its JSON Lines.
func emitAll(t *testing.T, cfg sensor.Config, src capture.Source) []byte {
	t.Helper()
	var out []byte
	p := sensor.New(cfg, nil, func(x *http1.Transaction) {
		out = append(http1.AppendJSON(out, x), '\n')
	})
	p.Run(src)
	p.Flush()
	return out
}

// TestStagedMatchesInline: parsing HTTP in its own goroutine must not change
// a single transaction, nor their order, on any capture of the corpus or
// on generated traffic with losses.
func TestStagedMatchesInline(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*/*.pcap*"))
	more, _ := filepath.Glob(filepath.Join(corpusDir, "*/*/*.pcap*"))
	deeper, _ := filepath.Glob(filepath.Join(corpusDir, "*/*/*/*.pcap*"))
	var caps []string
	for _, f := range append(append(files, more...), deeper...) {
		if ext := filepath.Ext(f); ext == ".pcap" || ext == ".pcapng" {
			caps = append(caps, f)
		}
	}
	files = caps
	if len(files) < 70 {
		t.Fatalf("found %d captures under %s", len(files), corpusDir)
	}
	open := func(path string) capture.Source {
		src, err := capture.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	for _, f := range files {
		a := emitAll(t, sensor.Config{}, open(f))
		b := emitAll(t, sensor.Config{Staged: true}, open(f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: staged output differs from inline:\n%s\n---\n%s", f, a, b)
		}
	}
	var buf bytes.Buffer
	if _, err := synth.Write(&buf, synth.Config{Seed: 3, Connections: 300, RequestsPerConn: 30, LossRate: 0.002}); err != nil {
		t.Fatal(err)
	}
	a := emitAll(t, sensor.Config{}, openMemory(t, buf.Bytes()))
	b := emitAll(t, sensor.Config{Staged: true}, openMemory(t, buf.Bytes()))
	if !bytes.Equal(a, b) || len(a) == 0 {
		t.Errorf("synth: staged output (%d bytes) differs from inline (%d bytes)", len(b), len(a))
	}
}

// TestPanicReportedOnce: a panic in any stage (here the emit callback, in
// the caller's goroutine, the parsing goroutine or Flush) is contained and
// counted, and OnPanic hears about the first one only.
func TestPanicReportedOnce(t *testing.T) {
	for _, staged := range []bool{false, true} {
		p := sensor.New(sensor.Config{Staged: staged}, nil, func(*http1.Transaction) { panic("emit") })
		var reports atomic.Int32
		p.OnPanic = func(v any, stack []byte) {
			if reports.Add(1) == 1 && (v != "emit" || len(stack) == 0) {
				t.Errorf("staged %v: OnPanic(%v) with %d bytes of stack", staged, v, len(stack))
			}
		}
		src, err := capture.OpenFile(filepath.Join(corpusDir, "suricata-verify/http-protocol-nodup/input.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Run(src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		p.Flush()
		if n := p.Stats().Panics; n < 2 {
			t.Errorf("staged %v: %d panics counted, want several", staged, n)
		}
		if n := reports.Load(); n != 1 {
			t.Errorf("staged %v: OnPanic called %d times, want once", staged, n)
		}
	}
}
