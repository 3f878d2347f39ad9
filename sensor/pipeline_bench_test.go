package sensor_test

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/synth"
)

// BenchmarkPipeline is the full `apitap read --emit transactions` path over
// the bench capture: pcap reading, decapsulation, reassembly, HTTP parsing
// with body sampling and decoding, and JSON Lines output. Compare its MB/s
// with BenchmarkReassemblyFloor's from the same run:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./sensor/ | tee bench.txt
func BenchmarkPipeline(b *testing.B) { benchPipeline(b, readConfig) }

// BenchmarkPipelineInline is the same path in one goroutine.
func BenchmarkPipelineInline(b *testing.B) {
	cfg := readConfig
	cfg.Staged = false
	benchPipeline(b, cfg)
}

// BenchmarkPipelineBodies adds what an analyser needs on top: a 64 KiB
// sample of every body, decompressed.
func BenchmarkPipelineBodies(b *testing.B) { benchPipeline(b, sensor.Config{Staged: true}) }

func benchPipeline(b *testing.B, cfg sensor.Config) {
	data, st := benchCapture(b), benchStats(b)
	b.SetBytes(st.Bytes)
	b.ReportAllocs()
	for b.Loop() {
		n := runPipeline(b, cfg, data, io.Discard)
		if n != st.Requests {
			b.Fatalf("emitted %d transactions, the capture holds %d", n, st.Requests)
		}
	}
	reportRates(b, st)
}

// runPipeline reads a capture held in memory and writes its transactions as
// JSON Lines to w, returning how many it wrote.
func runPipeline(tb testing.TB, cfg sensor.Config, data []byte, w io.Writer) int64 {
	out := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	var n int64
	p := sensor.New(cfg, nil, func(t *http1.Transaction) {
		line = append(http1.AppendJSON(line[:0], t), '\n')
		out.Write(line)
		n++
	})
	src := openMemory(tb, data)
	if err := p.Run(src); err != nil {
		tb.Fatal(err)
	}
	p.Flush()
	out.Flush()
	return n
}

// TestPipelineUnderLoss checks that losing 0.1% of packets loses no
// transaction and leaves later pairs alone: every request is emitted, and
// only transactions whose own bytes were lost miss their status.
func TestPipelineUnderLoss(t *testing.T) {
	cfg := synth.Config{Seed: 7, Connections: 400, RequestsPerConn: 20, LossRate: 0.001}
	var buf bytes.Buffer
	st, err := synth.Write(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var txns []*http1.Transaction
	p := sensor.New(sensor.Config{}, nil, func(x *http1.Transaction) { txns = append(txns, x) })
	if err := p.Run(openMemory(t, buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	p.Flush()
	var reqs, noStatus, partial int
	for _, x := range txns {
		if x.Request.Method != "" {
			reqs++
		}
		if x.Response.Status == 0 {
			noStatus++
		}
		if x.Partial() {
			partial++
		}
	}
	t.Logf("%d requests sent, %d segments lost; %d transactions, %d requests, %d without status, %d partial",
		st.Requests, st.DroppedSegments, len(txns), reqs, noStatus, partial)
	if int64(reqs) < st.Requests-st.DroppedSegments {
		t.Errorf("only %d of %d requests emitted with %d segments lost", reqs, st.Requests, st.DroppedSegments)
	}
	// Each exchange is reported once: a lost request or response must not
	// split later pairs into request-only and response-only halves.
	if int64(len(txns)) != st.Requests {
		t.Errorf("%d transactions for %d exchanges", len(txns), st.Requests)
	}
	// A lost segment can hide at most one status line.
	if int64(noStatus) > st.DroppedSegments {
		t.Errorf("%d transactions without status, more than the %d lost segments", noStatus, st.DroppedSegments)
	}
}

// readConfig is what `apitap read --emit transactions` runs with (see
// cmd/apitap/read.go): HTTP parsed in its own goroutine, and no body
// samples, since its output carries no bodies.
var readConfig = sensor.Config{Staged: true, HTTP: http1.Config{BodySample: -1, KeepEncoded: true}}
