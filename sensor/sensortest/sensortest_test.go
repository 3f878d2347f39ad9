package sensortest_test

import (
	"net/netip"
	"testing"
	"time"

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

func TestExchange(t *testing.T) {
	cl, sv := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")
	start := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	x := sensortest.Exchange(t, cl, sv, start, 30*time.Millisecond,
		"GET /users/7 HTTP/1.1\r\nHost: api.example\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"id\":7}\n")
	if x.Request.Method != "GET" || x.Request.Target != "/users/7" || x.Request.Host != "api.example" {
		t.Errorf("request = %s %s host %q", x.Request.Method, x.Request.Target, x.Request.Host)
	}
	if x.Response.Status != 200 || string(x.Response.Body.Sample) != "{\"id\":7}\n" || !x.Response.Seen() {
		t.Errorf("response = %d %q", x.Response.Status, x.Response.Body.Sample)
	}
	if x.Client != cl || x.Server != sv || !x.Time().Equal(start) || x.Latency() != 30*time.Millisecond {
		t.Errorf("client %v server %v time %v latency %v", x.Client, x.Server, x.Time(), x.Latency())
	}
}
