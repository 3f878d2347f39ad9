package synth_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/apitap/apitap/sensor/synth"
)

func generate(t testing.TB, cfg synth.Config) ([]byte, synth.Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := synth.Write(&buf, cfg)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes(), st
}

func TestWriteDeterministic(t *testing.T) {
	cfg := synth.Config{Seed: 42, Connections: 200, RequestsPerConn: 5}
	a, sa := generate(t, cfg)
	b, sb := generate(t, cfg)
	if sha256.Sum256(a) != sha256.Sum256(b) || sa != sb {
		t.Fatalf("same seed: outputs differ (%d and %d bytes)", len(a), len(b))
	}
	cfg.Seed = 43
	c, _ := generate(t, cfg)
	if sha256.Sum256(a) == sha256.Sum256(c) {
		t.Fatal("different seeds: identical outputs")
	}
	if got := int64(len(a)); got != sa.FileSize() {
		t.Errorf("file is %d bytes, Stats.FileSize says %d", got, sa.FileSize())
	}
}

// half is one direction of a connection as seen in the capture.
type half struct {
	isn     uint32
	next    uint32 // next expected sequence number
	data    []byte
	fin     bool
	wrapped bool
}

type connection struct {
	client, server half
	synAt          int // packet index of the SYN
	finAt          int // packet index of the last packet
}

// seqLE reports a <= b in sequence space.
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }

// readBack parses a generated capture and checks its TCP streams packet by
// packet: handshake first, contiguous sequence numbers (with wrap), and
// acknowledgements that never run ahead of what the other side has sent.
func readBack(t *testing.T, capture []byte, st synth.Stats) []*connection {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Fatalf("link type %v", r.LinkType())
	}
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		tcp     layers.TCP
		decoded []gopacket.LayerType
		parser  = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &tcp)
		conns   = map[string]*connection{}
		order   []*connection
		open    int
		maxOpen int
		n       int
		frames  int64
		payload int64
		lastTS  int64
	)
	parser.IgnoreUnsupported = true
	for ; ; n++ {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", n, err)
		}
		if ts := ci.Timestamp.UnixMicro(); ts <= lastTS {
			t.Fatalf("packet %d: timestamp %v not after the previous one", n, ci.Timestamp)
		} else {
			lastTS = ts
		}
		if err := parser.DecodeLayers(data, &decoded); err != nil || len(decoded) != 3 {
			t.Fatalf("packet %d: decoded %v: %v", n, decoded, err)
		}
		if int(ip4.Length) != len(data)-14 {
			t.Fatalf("packet %d: IP length %d, frame %d", n, ip4.Length, len(data))
		}
		frames += int64(len(data))
		payload += int64(len(tcp.Payload))

		fromClient := tcp.DstPort < 10000 // servers listen on low ports
		key := fmt.Sprintf("%v:%d-%v:%d", ip4.SrcIP, tcp.SrcPort, ip4.DstIP, tcp.DstPort)
		if !fromClient {
			key = fmt.Sprintf("%v:%d-%v:%d", ip4.DstIP, tcp.DstPort, ip4.SrcIP, tcp.SrcPort)
		}
		c := conns[key]
		switch {
		case c == nil && tcp.SYN && !tcp.ACK && fromClient:
			c = &connection{synAt: n, client: half{isn: tcp.Seq, next: tcp.Seq + 1}}
			conns[key] = c
			order = append(order, c)
			open++
			maxOpen = max(maxOpen, open)
			continue
		case c == nil:
			t.Fatalf("packet %d: %s does not start with a SYN", n, key)
		case tcp.SYN && tcp.ACK && !fromClient:
			c.server = half{isn: tcp.Seq, next: tcp.Seq + 1}
			if tcp.Ack != c.client.next {
				t.Fatalf("packet %d: SYN-ACK acks %d, want %d", n, tcp.Ack, c.client.next)
			}
			continue
		}
		me, peer := &c.client, &c.server
		if !fromClient {
			me, peer = peer, me
		}
		if tcp.Seq != me.next {
			t.Fatalf("packet %d (%s): seq %d, want %d", n, key, tcp.Seq, me.next)
		}
		if !tcp.ACK || !seqLE(tcp.Ack, peer.next) {
			t.Fatalf("packet %d (%s): ack %d runs ahead of the peer's %d", n, key, tcp.Ack, peer.next)
		}
		me.data = append(me.data, tcp.Payload...)
		next := me.next + uint32(len(tcp.Payload))
		if tcp.FIN {
			next++
			me.fin = true
		}
		if next < me.next {
			me.wrapped = true
		}
		me.next = next
		if c.client.fin && c.server.fin && !tcp.FIN && len(tcp.Payload) == 0 && c.finAt == 0 {
			c.finAt = n // the last ACK
			open--
		}
	}
	if int64(n) != st.Packets || frames != st.Bytes || payload != st.PayloadBytes {
		t.Errorf("read %d packets, %d frame bytes, %d payload bytes; Stats say %d, %d, %d",
			n, frames, payload, st.Packets, st.Bytes, st.PayloadBytes)
	}
	if int64(len(order)) != st.Connections {
		t.Errorf("%d connections, Stats say %d", len(order), st.Connections)
	}
	if maxOpen < 2 {
		t.Errorf("at most %d connections open at once: connections do not interleave", maxOpen)
	}
	for i, c := range order {
		if c.finAt == 0 {
			t.Errorf("connection %d is not closed", i)
		}
	}
	return order
}

func TestWriteReadBack(t *testing.T) {
	cfg := synth.Config{Seed: 7, Connections: 150, RequestsPerConn: 6, Concurrency: 16}
	capture, st := generate(t, cfg)
	conns := readBack(t, capture, st)

	hosts := map[string]bool{}
	for _, s := range synth.DefaultServices() {
		h := s.Host
		if s.Port != 80 {
			h = fmt.Sprintf("%s:%d", s.Host, s.Port)
		}
		hosts[h] = true
	}
	var (
		requests, responses       int64
		chunked, gzipped, wrapped int
		methods                   = map[string]int{}
		statuses                  = map[int]int{}
	)
	for i, c := range conns {
		if c.client.wrapped || c.server.wrapped {
			wrapped++
		}
		reqs := bufio.NewReader(bytes.NewReader(c.client.data))
		resps := bufio.NewReader(bytes.NewReader(c.server.data))
		for {
			req, err := http.ReadRequest(reqs)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("connection %d: request %d: %v", i, requests, err)
			}
			requests++
			methods[req.Method]++
			if !hosts[req.Host] {
				t.Errorf("connection %d: Host %q", i, req.Host)
			}
			if req.Header.Get("User-Agent") == "" || req.Header.Get("X-Request-Id") == "" {
				t.Errorf("connection %d: request headers %v", i, req.Header)
			}
			if auth := req.Header.Get("Authorization"); auth != "" && strings.Count(auth, ".") != 2 {
				t.Errorf("connection %d: Authorization %q is not a JWT", i, auth)
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				t.Fatal(err)
			}
			switch req.Method {
			case "POST", "PUT", "PATCH":
				if req.ContentLength <= 0 || !json.Valid(body) {
					t.Errorf("connection %d: %s body (Content-Length %d) %q", i, req.Method, req.ContentLength, body)
				}
			}

			resp, err := http.ReadResponse(resps, req)
			if err != nil {
				t.Fatalf("connection %d: response %d: %v", i, responses, err)
			}
			responses++
			statuses[resp.StatusCode]++
			if got := resp.Header.Get("X-Request-Id"); got != req.Header.Get("X-Request-Id") {
				t.Errorf("connection %d: response X-Request-Id %q, request %q", i, got, req.Header.Get("X-Request-Id"))
			}
			if len(resp.TransferEncoding) > 0 {
				chunked++
			}
			var rd io.Reader = resp.Body
			if resp.Header.Get("Content-Encoding") == "gzip" {
				gzipped++
				if rd, err = gzip.NewReader(resp.Body); err != nil {
					t.Fatalf("connection %d: gzip: %v", i, err)
				}
			}
			body, err = io.ReadAll(rd)
			if err != nil {
				t.Fatalf("connection %d: response body: %v", i, err)
			}
			switch resp.StatusCode {
			case 204, 304:
				if len(body) != 0 {
					t.Errorf("connection %d: %d with a body", i, resp.StatusCode)
				}
			default:
				if !json.Valid(body) || len(body) < 40 || len(body) > 9000 {
					t.Errorf("connection %d: %d body of %d bytes, valid JSON %v", i, resp.StatusCode, len(body), json.Valid(body))
				}
			}
		}
		if resps.Buffered() > 0 {
			t.Errorf("connection %d: %d bytes after the last response", i, resps.Buffered())
		}
	}
	if requests != st.Requests || responses != st.Responses {
		t.Errorf("parsed %d requests, %d responses; Stats say %d, %d", requests, responses, st.Requests, st.Responses)
	}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if methods[m] == 0 {
			t.Errorf("no %s requests: %v", m, methods)
		}
	}
	for _, s := range []int{200, 201, 204, 304, 404, 500} {
		if statuses[s] == 0 {
			t.Errorf("no %d responses: %v", s, statuses)
		}
	}
	if chunked == 0 || gzipped == 0 {
		t.Errorf("%d chunked and %d gzip responses, want some of each", chunked, gzipped)
	}
	if wrapped == 0 {
		t.Error("no connection's sequence numbers wrap")
	}
	t.Logf("%d connections (%d wrap), %d requests, %d chunked, %d gzip; methods %v; statuses %v",
		len(conns), wrapped, requests, chunked, gzipped, methods, statuses)
}

func TestWriteShares(t *testing.T) {
	// Negative shares mean none; the MSS bounds every segment.
	cfg := synth.Config{Seed: 3, Connections: 40, ChunkedShare: -1, GzipShare: -1, MSS: 536}
	capture, st := generate(t, cfg)
	if bytes.Contains(capture, []byte("Transfer-Encoding: chunked")) || bytes.Contains(capture, []byte("Content-Encoding: gzip")) {
		t.Error("chunked or gzip responses with negative shares")
	}
	r, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	for n := int64(0); n < st.Packets; n++ {
		data, _, err := r.ReadPacketData()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 14+20+24+536 {
			t.Fatalf("packet %d: %d bytes, more than the MSS allows", n, len(data))
		}
	}
}

func TestWriteLoss(t *testing.T) {
	cfg := synth.Config{Seed: 11, Connections: 200, LossRate: 0.05}
	capture, st := generate(t, cfg)
	_, full := generate(t, synth.Config{Seed: 11, Connections: 200})
	dataSegs := st.DroppedSegments
	r, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	var eth layers.Ethernet
	var ip4 layers.IPv4
	var tcp layers.TCP
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &tcp)
	parser.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	var payload, n int64
	for ; ; n++ {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := parser.DecodeLayers(data, &decoded); err != nil {
			t.Fatal(err)
		}
		if len(tcp.Payload) > 0 {
			dataSegs++
		}
		payload += int64(len(tcp.Payload))
	}
	if n != st.Packets || payload != st.PayloadBytes {
		t.Errorf("read %d packets, %d payload bytes; Stats say %d, %d", n, payload, st.Packets, st.PayloadBytes)
	}
	if rate := float64(st.DroppedSegments) / float64(dataSegs); rate < 0.03 || rate > 0.07 {
		t.Errorf("dropped %d of %d data segments (%.3f), want about 0.05", st.DroppedSegments, dataSegs, rate)
	}
	// Loss changes what is captured, not what is sent.
	if st.PayloadBytes+st.DroppedBytes != full.PayloadBytes || st.Requests != full.Requests {
		t.Errorf("lossy: %d+%d payload bytes, %d requests; lossless: %d, %d",
			st.PayloadBytes, st.DroppedBytes, st.Requests, full.PayloadBytes, full.Requests)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  synth.Config
		want string // "" for valid
	}{
		{synth.Config{}, ""},
		{synth.Config{Connections: -1}, "connections -1 < 0"},
		{synth.Config{MSS: 10}, "mss 10 outside"},
		{synth.Config{LossRate: 1}, "loss rate 1 outside"},
		{synth.Config{GzipShare: 1.5}, "gzip share 1.5 > 1"},
		{synth.Config{Services: []synth.Service{{Port: 80}}}, "service 0: empty host"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
		if err == nil {
			continue
		}
		if _, werr := synth.Write(io.Discard, tt.cfg); werr == nil {
			t.Errorf("Write(%+v) succeeded, Validate says %v", tt.cfg, err)
		}
	}
}

type failWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errDiskFull
	}
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	_, err := synth.Write(&failWriter{n: 3 << 20}, synth.Config{Seed: 1})
	if !errors.Is(err, errDiskFull) {
		t.Errorf("got %v, want the writer's error", err)
	}
}

// go test -run '^$' -bench Write -benchmem ./sensor/synth/
func BenchmarkWrite(b *testing.B) {
	cfg := synth.Config{Seed: 1, Connections: 500, RequestsPerConn: 10}
	st, err := synth.Write(io.Discard, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.FileSize())
	b.ReportAllocs()
	for b.Loop() {
		synth.Write(io.Discard, cfg)
	}
}

func ExampleWrite() {
	var buf bytes.Buffer
	st, err := synth.Write(&buf, synth.Config{Seed: 1, Connections: 10, RequestsPerConn: 3})
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Connections, "connections,", st.Requests, "requests,", int64(buf.Len()) == st.FileSize())
	// Output: 10 connections, 28 requests, true
}
