package decap

import (
	"encoding/binary"
	"testing"

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
		if err := d.Decode(layers.LinkTypeEthernet, f, len(f), &p); err != ErrFragment {
			t.Fatalf("fragment %d: %v, want ErrFragment", id, err)
		}
		peak = max(peak, d.fragHeld)
	}
	if limit := fragBudget + 20 + len(filler) + fragOverhead; peak > limit {
		t.Errorf("held up to %d bytes of fragments, want at most %d", peak, limit)
	}

	whole := udp(5353, 53, []byte("0123456789abcdefghij"))
	first, last := fragment(20000, 0x2000, whole[:16]), fragment(20000, 16/8, whole[16:])
	if err := d.Decode(layers.LinkTypeEthernet, first, len(first), &p); err != ErrFragment {
		t.Fatalf("first fragment: %v, want ErrFragment", err)
	}
	held := d.fragHeld
	if err := d.Decode(layers.LinkTypeEthernet, last, len(last), &p); err != nil {
		t.Fatalf("last fragment: %v", err)
	}
	if !p.Reassembled || p.Transport != TransportUDP || string(p.Payload) != "0123456789abcdefghij" {
		t.Errorf("reassembled %v, transport %d, payload %q", p.Reassembled, p.Transport, p.Payload)
	}
	if d.fragHeld >= held {
		t.Errorf("held %d bytes after the datagram completed, %d before", d.fragHeld, held)
	}
}
