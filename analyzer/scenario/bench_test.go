package scenario_test

import (
	"io"
	"testing"

	"github.com/apitap/apitap/analyzer/scenario"
)

// BenchmarkGenerate generates one default day (four built-in services,
// about 17 000 transactions) into io.Discard.
//
//	go test -run '^$' -bench Generate -count 6 ./analyzer/scenario | tee bench.txt
func BenchmarkGenerate(b *testing.B) {
	cfg := scenario.Config{Seed: 1, Days: 1}
	var sum scenario.Summary
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if sum, _, err = scenario.Generate(io.Discard, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(sum.Bytes)
	b.ReportMetric(float64(sum.Transactions)*float64(b.N)/b.Elapsed().Seconds(), "txn/s")
	b.ReportMetric(float64(sum.Packets)*float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}
