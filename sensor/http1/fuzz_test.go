package http1

import (
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"

	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/flow"
)

// fuzzSeeds are request and response streams showing each feature; the
// committed corpus under testdata/fuzz adds what the fuzzer found.
var fuzzSeeds = [][2]string{
	{"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n", ok5 + okEmpty},
	{"POST /s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
	{"GET /old\r\n", "<html>"},
	{"PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"},
	{"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\x81\x00", "HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x00"},
	{"\x16\x03\x01junkGET /r HTTP/1.1\r\n\r\n", "junk\x89PNGHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"},
	{"POST /o HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nffffffffffffffffff\r\n", "HTTP/1.0 200 OK\r\n\r\nbody"},
}

// FuzzParse feeds arbitrary bytes as the two directions of a connection.
// Properties: no panic; buffers stay within their bounds; and the
// transactions do not depend on how the bytes were cut into chunks.
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 30s ./sensor/http1/
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s[0]), []byte(s[1]), uint64(1))
	}
	for _, s := range corpusStreams(f) {
		f.Add(s[0], s[1], uint64(len(s[0])))
	}
	cfg := Config{MaxHeaderBytes: 256, BodySample: 64, MaxPending: 8, NonHTTPLimit: 512}
	f.Fuzz(func(t *testing.T, req, resp []byte, seed uint64) {
		whole := feedChunks(t, cfg, req, resp, nil)
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		chunked := feedChunks(t, cfg, req, resp, rng)
		if !slices.Equal(whole, chunked) {
			t.Fatalf("whole:\n  %v\nchunked:\n  %v", whole, chunked)
		}
	})
}

// feedChunks sends req then resp, cut at random points when rng is set,
// checking the bounds after every chunk, and returns the summaries.
func feedChunks(t *testing.T, cfg Config, req, resp []byte, rng *rand.Rand) []string {
	v := newConv(t, cfg)
	send := func(d flow.Dir, b []byte) {
		for len(b) > 0 {
			n := len(b)
			if rng != nil {
				n = 1 + rng.IntN(len(b))
			}
			v.send(d, string(b[:n]))
			b = b[n:]
			for i := range v.c.half {
				h := &v.c.half[i]
				if len(h.buf) > cfg.MaxHeaderBytes || len(h.raw) > cfg.BodySample {
					t.Fatalf("buffers past their bounds: header %d, sample %d", len(h.buf), len(h.raw))
				}
			}
			if len(v.c.pending) > cfg.MaxPending || len(v.c.orphans) > cfg.MaxPending {
				t.Fatalf("%d pending, %d orphans", len(v.c.pending), len(v.c.orphans))
			}
		}
	}
	send(flow.DirAB, req)
	send(flow.DirBA, resp)
	return v.close()
}

// seedCaptures give the fuzzer real conversations to start from.
var seedCaptures = []string{
	"zeek/http/pipelined-requests.pcap", "zeek/http/http-body-match.pcap", "zeek/http/100-continue.pcap",
	"zeek/http/methods.pcap", "zeek/http/http_09.pcap", "zeek/http/websocket.pcap",
	"zeek/http/261/variant-04-te_cl_desync.pcap", "suricata-verify/http-multiple-cl/input.pcap",
	"suricata-verify/http-evader/http-evader-300/input.pcap", "suricata-verify/http-brotli-ce/input.pcap",
	"ndpi/http_starting_with_reply.pcapng", "zeek/http/zero-length-bodies-with-drops.pcap",
}

// corpusStreams reassembles the seed captures and returns, per connection,
// the first bytes of each direction (the A side first).
func corpusStreams(tb testing.TB) [][2][]byte {
	var out [][2][]byte
	for _, name := range seedCaptures {
		src, err := capture.OpenFile(filepath.Join("..", "..", "..", "shared", "corpus", name))
		if err != nil {
			tb.Logf("seed %s: %v", name, err)
			continue
		}
		var recs []*recorder
		t := flow.NewTable(flow.Config{}, func(flow.Key) flow.Handler {
			r := &recorder{}
			recs = append(recs, r)
			return r
		})
		dec := decap.NewDecoder()
		var p decap.Packet
		for {
			pk, err := src.Next()
			if err != nil {
				if err != io.EOF {
					tb.Logf("seed %s: %v", name, err)
				}
				break
			}
			if dec.Decode(pk.LinkType, pk.Data, &pk.Info, &p) == nil {
				t.Packet(&p, gopacket.CaptureInfo{Timestamp: pk.Info.Timestamp})
			}
		}
		src.Close()
		t.FlushAll()
		for _, r := range recs[:min(len(recs), 4)] {
			out = append(out, r.b)
		}
	}
	return out
}

// recorder keeps the first 4 KiB of each direction of a connection.
type recorder struct{ b [2][]byte }

func (r *recorder) Data(d flow.Dir, _ uint32, data []byte, _ []flow.Span) bool {
	r.b[d] = append(r.b[d], data[:min(len(data), 4096-len(r.b[d]))]...)
	return true
}
func (r *recorder) Gap(flow.Dir, int) {}
func (r *recorder) End(flow.Dir)      {}
func (r *recorder) Close()            {}
