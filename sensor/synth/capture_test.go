package synth_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/apitap/apitap/sensor/synth"
)

// exchanges writes n clients' keep-alive connections, three exchanges each,
// overlapping in time, and returns the capture and its stats.
func exchanges(t testing.TB, seed uint64, n int) ([]byte, synth.CaptureStats) {
	t.Helper()
	var buf bytes.Buffer
	c := synth.NewCapture(&buf, synth.CaptureOptions{Seed: seed})
	start := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("10.0.0.1:80")
	type pending struct {
		cn   *synth.Conn
		next time.Time
		left int
	}
	var open []*pending
	for i := range n {
		at := start.Add(time.Duration(i) * 3 * time.Millisecond)
		client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, byte(1 + i)}), uint16(40000+i))
		cn := c.Dial(at, client, server, 20*time.Millisecond)
		open = append(open, &pending{cn: cn, next: cn.Ready(), left: 3})
	}
	// Send in time order, as a generator must.
	for len(open) > 0 {
		k := 0
		for i, p := range open {
			if p.next.Before(open[k].next) {
				k = i
			}
		}
		p := open[k]
		if err := c.Advance(p.next); err != nil {
			t.Fatal(err)
		}
		body := strings.Repeat("x", 100+k*1000) // several segments for some
		req := fmt.Sprintf("POST /items HTTP/1.1\r\nHost: api.example\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		resp := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", 2*len(body), body+body)
		end := p.cn.Exchange(p.next, []byte(req), time.Duration(5+k)*time.Millisecond, []byte(resp))
		if p.left--; p.left == 0 {
			p.cn.Close(end.Add(time.Second), k%2 == 0)
			open = append(open[:k], open[k+1:]...)
			continue
		}
		p.next = end.Add(100 * time.Millisecond)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if got := int64(buf.Len()); got != st.FileSize() {
		t.Errorf("file is %d bytes, Stats.FileSize says %d", got, st.FileSize())
	}
	return buf.Bytes(), st
}

func TestCaptureReadBack(t *testing.T) {
	capture, st := exchanges(t, 3, 6)
	conns := readBack(t, capture, synth.Stats{
		Packets: st.Packets, Bytes: st.Bytes, PayloadBytes: st.PayloadBytes, Connections: st.Connections,
	})
	for i, c := range conns {
		reqs := bufio.NewReader(bytes.NewReader(c.client.data))
		resps := bufio.NewReader(bytes.NewReader(c.server.data))
		for k := range 3 {
			req, err := http.ReadRequest(reqs)
			if err != nil {
				t.Fatalf("connection %d: request %d: %v", i, k, err)
			}
			io.Copy(io.Discard, req.Body)
			resp, err := http.ReadResponse(resps, req)
			if err != nil {
				t.Fatalf("connection %d: response %d: %v", i, k, err)
			}
			io.Copy(io.Discard, resp.Body)
		}
		if reqs.Buffered() > 0 || resps.Buffered() > 0 {
			t.Errorf("connection %d: bytes after the last exchange", i)
		}
	}
}

// TestCaptureLatency checks that a response's first segment follows the
// request's last by the latency given to Exchange, below and above the
// server's delayed acknowledgement.
func TestCaptureLatency(t *testing.T) {
	at := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, lat := range []time.Duration{3 * time.Millisecond, 70 * time.Millisecond} {
		var buf bytes.Buffer
		c := synth.NewCapture(&buf, synth.CaptureOptions{Seed: 1, MSS: 100})
		cn := c.Dial(at, netip.MustParseAddrPort("10.1.0.1:40000"), netip.MustParseAddrPort("10.0.0.1:80"), 30*time.Millisecond)
		end := cn.Exchange(cn.Ready(), []byte(strings.Repeat("q", 250)), lat, []byte(strings.Repeat("r", 350)))
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := pcapgo.NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		var lastReq, firstResp, last time.Time
		for {
			data, ci, err := r.ReadPacketData()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
			tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			last = ci.Timestamp
			switch {
			case len(tcp.Payload) > 0 && tcp.DstPort == 80:
				lastReq = ci.Timestamp
			case len(tcp.Payload) > 0 && firstResp.IsZero():
				firstResp = ci.Timestamp
			}
		}
		if got := firstResp.Sub(lastReq); got != lat {
			t.Errorf("latency %v, want %v", got, lat)
		}
		if !end.Equal(last) {
			t.Errorf("Exchange returned %v, the last packet is at %v", end, last)
		}
	}
}

func TestCaptureDeterministic(t *testing.T) {
	a, _ := exchanges(t, 9, 5)
	b, _ := exchanges(t, 9, 5)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Fatal("same seed and calls: outputs differ")
	}
	c, _ := exchanges(t, 10, 5)
	if sha256.Sum256(a) == sha256.Sum256(c) {
		t.Fatal("different seeds: identical outputs")
	}
}

func TestCaptureError(t *testing.T) {
	c := synth.NewCapture(&failWriter{n: 100}, synth.CaptureOptions{})
	cn := c.Dial(time.Unix(1e9, 0), netip.MustParseAddrPort("10.1.0.1:40000"), netip.MustParseAddrPort("10.0.0.1:80"), time.Millisecond)
	cn.Exchange(cn.Ready(), bytes.Repeat([]byte("a"), 3<<20), time.Millisecond, []byte("HTTP/1.1 204 No Content\r\n\r\n"))
	if err := c.Close(); err == nil {
		t.Fatal("Close after a failed write: no error")
	}
}
