package decap

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// fragment builds an IPv4 UDP fragment with identification id.
func fragment(id, frag uint16, payload []byte) []byte {
	f := eth(0x0800, ipv4x(17, nil, frag, payload))
	binary.BigEndian.PutUint16(f[14+4:], id)
	return f
}

// TestDefragmentBudget floods a Decoder with first fragments that never
// complete: what it holds stays within fragBudget, and a datagram sent
// after the flood is still reassembled.
func TestDefragmentBudget(t *testing.T) {
	d := NewDecoder()
	var p Packet
	filler := make([]byte, 1400)
	peak := 0
	for id := range 10000 { // about four times the budget
		f := fragment(uint16(id), 0x2000, filler)
		if err := d.Decode(layers.LinkTypeEthernet, f, &gopacket.CaptureInfo{Length: len(f)}, &p); err != ErrFragment {
			t.Fatalf("fragment %d: %v, want ErrFragment", id, err)
		}
		peak = max(peak, d.fragHeld)
	}
	if limit := fragBudget + 20 + len(filler) + fragOverhead; peak > limit {
		t.Errorf("held up to %d bytes of fragments, want at most %d", peak, limit)
	}

	whole := udp(5353, 53, []byte("0123456789abcdefghij"))
	first, last := fragment(20000, 0x2000, whole[:16]), fragment(20000, 16/8, whole[16:])
	if err := d.Decode(layers.LinkTypeEthernet, first, &gopacket.CaptureInfo{Length: len(first)}, &p); err != ErrFragment {
		t.Fatalf("first fragment: %v, want ErrFragment", err)
	}
	held := d.fragHeld
	if err := d.Decode(layers.LinkTypeEthernet, last, &gopacket.CaptureInfo{Length: len(last)}, &p); err != nil {
		t.Fatalf("last fragment: %v", err)
	}
	if !p.Reassembled || p.Transport != TransportUDP || string(p.Payload) != "0123456789abcdefghij" {
		t.Errorf("reassembled %v, transport %d, payload %q", p.Reassembled, p.Transport, p.Payload)
	}
	if d.fragHeld >= held {
		t.Errorf("held %d bytes after the datagram completed, %d before", d.fragHeld, held)
	}
}

// TestDefragmentExpires: a datagram whose fragments lie further apart in
// packet time (the frames' timestamps, given to Decode) than fragTimeout is
// not put together: its first fragment was dropped in the meantime.
func TestDefragmentExpires(t *testing.T) {
	d := NewDecoder()
	var p Packet
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	decode := func(f []byte, ts time.Time) error {
		return d.Decode(layers.LinkTypeEthernet, f, &gopacket.CaptureInfo{Length: len(f), Timestamp: ts}, &p)
	}
	whole := udp(5353, 53, []byte("0123456789abcdefghij"))
	for _, tc := range []struct {
		id  uint16
		gap time.Duration
		ok  bool
	}{{1, fragTimeout / 2, true}, {2, 2 * fragTimeout, false}} {
		first, last := fragment(tc.id, 0x2000, whole[:16]), fragment(tc.id, 16/8, whole[16:])
		if err := decode(first, t0); err != ErrFragment {
			t.Fatalf("id %d, first fragment: %v", tc.id, err)
		}
		later := t0.Add(tc.gap)
		for i := range 1024 { // expiry runs every 1024 fragments
			if err := decode(fragment(uint16(1000+i), 0x2000, whole[:16]), later); err != ErrFragment {
				t.Fatalf("filler %d: %v", i, err)
			}
		}
		err := decode(last, later)
		if got := err == nil && p.Reassembled; got != tc.ok {
			t.Errorf("fragments %v apart: reassembled %v (%v), want %v", tc.gap, got, err, tc.ok)
		}
	}
}
