package sensor_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/http1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCaptures are real captures that each show a feature of the data
// path; their transactions are kept in testdata/golden/<name>.jsonl.
var goldenCaptures = []struct{ file, shows string }{
	{"zeek/http/pipelined-requests.pcap", "keep-alive, gzip"},
	{"suricata-verify/http-protocol-nodup/input.pcap", "40 pipelined requests, several per segment"},
	{"zeek/http/http-body-match.pcap", "chunked and gzip request bodies"},
	{"zeek/http/get-gzip.pcap", "gzip response decoded"},
	{"zeek/http/missing-zlib-header.pcap", "deflate without zlib header decoded"},
	{"suricata-verify/http-brotli-ce/input.pcap", "br response decoded, HTTP on port 443"},
	{"suricata-verify/http-evader/http-evader-150/input.pcap", "stacked Content-Encoding deflate,gzip,deflate"},
	{"zeek/http/100-continue.pcap", "Expect: 100-continue with interim response"},
	{"zeek/http/http_09.pcap", "HTTP/0.9"},
	{"zeek/http/websocket.pcap", "Upgrade to WebSocket: parsing stops"},
	{"suricata-verify/http2-range/http2-range.pcap", "Upgrade to h2c, BSD loopback"},
	{"zeek/http/docker-http-upgrade.pcap", "Docker API on port 2375, Connection: Upgrade"},
	{"zeek/http/methods.pcap", "methods incl. CONNECT, TRACE, malformed request lines, HEAD"},
	{"suricata-verify/http-gap-simple/input.pcap", "gap inside a response: partial"},
	{"zeek/http/zero-length-bodies-with-drops.pcap", "lost segments on a keep-alive connection"},
	{"zeek/http/261/variant-01-chunk_2pow64_overflow.pcap", "chunk size 2^64"},
	{"zeek/http/261/variant-02-cl_uint64max.pcap", "Content-Length UINT64_MAX"},
	{"zeek/http/261/variant-04-te_cl_desync.pcap", "Transfer-Encoding with Content-Length"},
	{"suricata-verify/http-multiple-cl/input.pcap", "conflicting Content-Length"},
	{"zeek/tcp/missing-syn.pcap", "connection without its handshake"},
	{"ndpi/http_starting_with_reply.pcapng", "capture starting with a response"},
	{"zeek/tcp/handshake-reorder.pcap", "reordered handshake"},
	{"arkime/tcp-reassembly-synthetic.pcap", "retransmissions, overlaps, gaps, port reuse, sequence wrap"},
	{"suricata-verify/bug-2491-01/simple_http_download.onesided.pcap", "one-sided capture"},
	{"suricata-verify/tcp-rst-unacked-stream-10/TLPW1-tcp-174.56.47.59-10.3.11.101-tcp-80-49309.pcap", "snap-length-truncated frames"},
	{"zeek/tunnels/vxlan-encapsulated-http.pcap", "VXLAN"},
	{"zeek/tunnels/geneve-many-options.pcap", "Geneve with options"},
	{"zeek/erspan.pcap", "GRE transparent Ethernet bridging, fragmented outer packets"},
	{"suricata-verify/bug-5437-02/input.pcap", "GRE/ERSPAN type II with VLAN"},
	{"zeek/tunnels/gre-over-udp-4754.pcap", "GRE in UDP"},
	{"zeek/vlan-qinqinq.pcap", "three stacked VLAN tags"},
	{"zeek/mixed-vlan-mpls.pcap", "VLAN and MPLS"},
	{"suricata-verify/decode-sll2-01/input.pcap", "Linux cooked capture v2"},
	{"zeek/nflog-http.pcap", "NFLOG link type"},
	{"suricata-verify/bug-4810/pppoe-session-http.pcap", "PPPoE"},
	{"zeek/tunnels/Teredo.pcap", "Teredo"},
	{"ndpi/http_origin_different_than_host.pcap", "VLAN + GTP-U"},
	{"zeek/http/basic-auth-with-colon.pcap", "raw IPv4 link type"},
	{"arkime/http-empty-useragent.pcap", "IPv6 on BSD loopback, Elasticsearch API"},
	{"ndpi/1kxun.pcap", "real traffic: pipelining, SSDP over UDP, IPv6, losses"},
}

// goldenLine is the transaction as `read --emit transactions` prints it,
// plus what that output leaves out: the interim status and the decoded
// body samples (length, SHA-256 prefix, first bytes).
func goldenLine(t *http1.Transaction) []byte {
	b := http1.AppendJSON(nil, t)
	extra := map[string]any{}
	if t.Response.Interim != 0 {
		extra["interim"] = t.Response.Interim
	}
	for dir, body := range map[string]*http1.Body{"req": &t.Request.Body, "resp": &t.Response.Body} {
		if len(body.Sample) == 0 {
			continue
		}
		sum := sha256.Sum256(body.Sample)
		head := body.Sample[:min(len(body.Sample), 24)]
		extra[dir+"_sample"] = map[string]any{
			"len": len(body.Sample), "sha256": hex.EncodeToString(sum[:6]),
			"head": strings.ToValidUTF8(string(head), "?"), "encoded": body.Encoding, "truncated": body.Truncated,
		}
	}
	if len(extra) > 0 {
		e, _ := json.Marshal(extra) // sorted keys: stable
		b = append(b[:len(b)-1], `,"golden":`...)
		b = append(b, e...)
		b = append(b, '}')
	}
	return append(b, '\n')
}

// TestGolden compares every transaction of the golden captures with
// testdata/golden; `go test ./sensor -run TestGolden -update` rewrites them.
func TestGolden(t *testing.T) {
	for _, g := range goldenCaptures {
		name := strings.NewReplacer("/", "__").Replace(g.file)
		t.Run(name, func(t *testing.T) {
			src, err := capture.OpenFile(filepath.Join(corpusDir, g.file))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var got bytes.Buffer
			p := sensor.New(sensor.Config{}, nil, func(x *http1.Transaction) { got.Write(goldenLine(x)) })
			if err := p.Run(src); err != nil {
				t.Logf("%s: %v (transactions before it are kept)", g.file, err)
			}
			p.Flush()
			path := filepath.Join("testdata", "golden", name+".jsonl")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s (%s): transactions differ from %s\ngot:\n%s\nwant:\n%s", g.file, g.shows, path, got.Bytes(), want)
			}
		})
	}
}
