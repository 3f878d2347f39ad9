package decap

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// corpusDir holds the shared capture corpus; CI checks it out beside the
// project.
const corpusDir = "../../../shared/corpus"

// frame is one captured packet held in memory.
type frame struct {
	data []byte
	info gopacket.CaptureInfo // as read: wire length and timestamp
}

// capture is a capture file loaded into memory.
type capture struct {
	link   layers.LinkType
	frames []frame
}

// loadCapture reads a pcap or pcapng file under corpusDir.
func loadCapture(tb testing.TB, name string) capture {
	tb.Helper()
	path := filepath.Join(corpusDir, filepath.FromSlash(name))
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	var (
		src interface {
			ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
		}
		c capture
	)
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		src, c.link = r, r.LinkType()
	} else {
		r, err := pcapgo.NewReader(br)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		src, c.link = r, r.LinkType()
	}
	for {
		data, ci, err := src.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("%s: packet %d: %v", name, len(c.frames)+1, err)
		}
		c.frames = append(c.frames, frame{data: data, info: ci})
	}
	return c
}

// isHTTPStart reports whether a payload begins an HTTP/1 message.
func isHTTPStart(b []byte) bool {
	for _, prefix := range []string{"GET ", "POST ", "HTTP/1."} {
		if bytes.HasPrefix(b, []byte(prefix)) {
			return true
		}
	}
	return false
}

// summary is what decoding every packet of a capture found.
type summary struct {
	TCP, UDP  int            // packets decoded to TCP or UDP
	HTTP      int            // TCP packets whose payload starts an HTTP/1 message
	Tunnels   map[string]int // Tunnel.String() of the HTTP packets
	Ports     map[uint16]int // server port of the HTTP packets
	Errors    map[string]int // Reason of the packets that failed
	Truncated int            // packets with Packet.Truncated
}

func summarize(tb testing.TB, c capture) summary {
	tb.Helper()
	d := NewDecoder()
	s := summary{Tunnels: map[string]int{}, Ports: map[uint16]int{}, Errors: map[string]int{}}
	var p Packet
	for i, f := range c.frames {
		err := d.Decode(c.link, f.data, &f.info, &p)
		checkWithin(tb, i, f.data, &p)
		if p.Truncated {
			s.Truncated++
		}
		if err != nil {
			s.Errors[Reason(err)]++
			continue
		}
		switch p.Transport {
		case TransportUDP:
			s.UDP++
		case TransportTCP:
			s.TCP++
			if !isHTTPStart(p.Payload) {
				continue
			}
			s.HTTP++
			s.Tunnels[p.Tunnel.String()]++
			if bytes.HasPrefix(p.Payload, []byte("HTTP/")) {
				s.Ports[p.SrcPort]++
			} else {
				s.Ports[p.DstPort]++
			}
		default:
			tb.Errorf("packet %d: nil error and transport %d", i+1, p.Transport)
		}
	}
	return s
}

// checkWithin fails when a decoded payload does not lie inside the frame.
func checkWithin(tb testing.TB, i int, frame []byte, p *Packet) {
	tb.Helper()
	if p.Reassembled {
		return // the payload lives in the reassembled datagram
	}
	if !within(frame, p.Payload) {
		tb.Fatalf("packet %d: payload is not inside the frame", i+1)
	}
	if p.TCP != nil && !within(frame, p.TCP.Payload) {
		tb.Fatalf("packet %d: TCP payload is not inside the frame", i+1)
	}
	if p.Transport == TransportTCP && p.TCP == nil {
		tb.Fatalf("packet %d: TCP transport without TCP header", i+1)
	}
}

// within reports whether sub is empty or a slice of frame's memory.
func within(frame, sub []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(frame) == 0 {
		return false
	}
	for i := range frame {
		if &frame[i] == &sub[0] {
			return i+len(sub) <= len(frame) && &frame[i+len(sub)-1] == &sub[len(sub)-1]
		}
	}
	return false
}
