package flow

import (
	"net/netip"

	"github.com/apitap/apitap/sensor/decap"
)

// Key names one TCP connection or UDP exchange as it was first seen: A sent
// the first packet. It is comparable and cheap to copy.
type Key struct {
	A, B   netip.AddrPort
	Tunnel decap.Tunnel
}

// Reverse returns the key as seen from the other side.
func (k Key) Reverse() Key { return Key{A: k.B, B: k.A, Tunnel: k.Tunnel} }

// Dir tells the two directions of a connection apart: DirAB carries bytes
// from Key.A to Key.B. When the SYN was captured, A is the client.
type Dir uint8

// The two directions of a connection.
const (
	DirAB Dir = 0
	DirBA Dir = 1
)

// Reverse returns the other direction.
func (d Dir) Reverse() Dir { return d ^ 1 }

func (d Dir) String() string {
	if d == DirAB {
		return "ab"
	}
	return "ba"
}

// AddrFromPacket returns the source and destination of a decoded packet.
func AddrFromPacket(p *decap.Packet) (src, dst netip.AddrPort) {
	var s, d netip.Addr
	if p.IPv6 {
		s, d = netip.AddrFrom16(p.Src), netip.AddrFrom16(p.Dst)
	} else {
		s = netip.AddrFrom4([4]byte(p.Src[:4]))
		d = netip.AddrFrom4([4]byte(p.Dst[:4]))
	}
	return netip.AddrPortFrom(s, p.SrcPort), netip.AddrPortFrom(d, p.DstPort)
}
