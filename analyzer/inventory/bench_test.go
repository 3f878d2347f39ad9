package inventory_test

import (
	"bytes"
	"testing"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/synth"
)

// BenchmarkObserve feeds the inventory the transactions of generated REST
// traffic (JSON bodies, bearer tokens, varied ids), as `read --state` does.
//
//	go test -run '^$' -bench Observe -benchmem ./analyzer/inventory/
func BenchmarkObserve(b *testing.B) {
	var buf bytes.Buffer
	if _, err := synth.Write(&buf, synth.Config{Seed: 9, Connections: 2000, RequestsPerConn: 25}); err != nil {
		b.Fatal(err)
	}
	var txns []*http1.Transaction
	p := sensor.New(sensor.Config{}, nil, func(t *http1.Transaction) { txns = append(txns, t) })
	src, err := capture.NewReader("synth.pcap", bytes.NewReader(buf.Bytes()))
	if err != nil {
		b.Fatal(err)
	}
	p.Run(src)
	p.Flush()
	b.ReportAllocs()
	for b.Loop() {
		inv := inventory.New(inventory.Config{})
		for _, t := range txns {
			inv.Observe(t)
		}
	}
	b.ReportMetric(float64(len(txns))*float64(b.N)/b.Elapsed().Seconds(), "txn/s")
}
