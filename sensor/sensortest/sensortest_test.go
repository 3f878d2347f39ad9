package sensortest_test

import (
	"testing"

	"github.com/apitap/apitap/sensor/sensortest"
)

// The corpus is found from a package directory, and a capture read
// through it gives the transactions tshark finds in it (see
// shared/corpus/expected/zeek__http__get-gzip.pcap.tsv: one).
func TestTransactions(t *testing.T) {
	txs := sensortest.Transactions(t, sensortest.Corpus(t, "zeek/http/get-gzip.pcap"))
	if len(txs) != 1 || txs[0].Request.Method != "GET" || txs[0].Response.Status != 200 {
		t.Fatalf("got %d transactions: %+v", len(txs), txs)
	}
}
