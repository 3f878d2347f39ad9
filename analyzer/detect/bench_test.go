package detect

import (
	"bytes"
	"testing"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/scenario"
	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/http1"
)

// BenchmarkDetect runs the inventory and the detectors over two days of a
// generated scenario with every kind of attack (the built-in spec, so no
// corpus is needed), parsed once beforehand: the cost of analysis per
// transaction, next to the inventory's alone.
//
//	go test -run '^$' -bench Detect -benchmem -count 6 ./analyzer/detect/ | tee detect.txt
func BenchmarkDetect(b *testing.B) {
	var pcap bytes.Buffer
	if _, _, err := scenario.Generate(&pcap, scenario.Config{Seed: 1, Days: 3, Attacks: scenario.AllAttacks()}); err != nil {
		b.Fatal(err)
	}
	src, err := capture.NewReader("scenario", bytes.NewReader(pcap.Bytes()))
	if err != nil {
		b.Fatal(err)
	}
	var txs []*http1.Transaction
	p := sensor.New(sensor.Config{}, nil, func(t *http1.Transaction) { txs = append(txs, t) })
	if err := p.Run(src); err != nil {
		b.Fatal(err)
	}
	p.Flush()
	for _, bc := range []struct {
		name   string
		detect bool
	}{{"inventory", false}, {"inventory+detect", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var findings uint64
			for b.Loop() {
				inv := inventory.New(inventory.Config{})
				d := New(Config{}, nil)
				for _, t := range txs {
					o := inv.Observe(t)
					if bc.detect {
						d.Observe(t, o)
					}
				}
				findings = d.Stats().Findings
			}
			b.ReportMetric(float64(len(txs))*float64(b.N)/b.Elapsed().Seconds(), "txn/s")
			b.ReportMetric(float64(findings), "findings")
		})
	}
}
