package decap

import (
	"strconv"
	"strings"
)

// Kind names the mirror encapsulation a packet arrived in.
type Kind uint8

// Encapsulations that carry a mirrored frame to the sensor.
const (
	KindNone Kind = iota
	KindVXLAN
	KindGeneve
	KindGRE
	KindERSPAN
	KindGTP
	KindTeredo
)

var kindNames = [...]string{"", "vxlan", "geneve", "gre", "erspan", "gtp", "teredo"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind" + strconv.Itoa(int(k))
}

// Tunnel identifies the mirrored network segment a packet came from: the
// 802.1Q tags it carried and the id of the tunnel that delivered it (VXLAN or
// Geneve VNI, GRE key, ERSPAN session id). It is part of every flow key, so
// two mirrored VPCs that reuse the same private addresses never mix their
// streams.
//
// Tunnel is comparable and fits in 64 bits (see Pack), so it can ride in a
// gopacket.Flow's endpoint type and in map keys for free.
type Tunnel struct {
	// VLAN holds the innermost two 802.1Q tag ids, the outer one in bits
	// 12..23 (0 when only one tag was seen). Deeper stacks keep the two
	// innermost tags.
	VLAN uint32
	// ID is the tunnel's own identifier when it names a network: the
	// 24-bit VNI of VXLAN and Geneve, the 10-bit session id of ERSPAN. GRE
	// keys and GTP TEIDs are left out (0): they differ between the two
	// directions of one connection.
	ID uint32
	// Kind is the innermost encapsulation, KindNone for a plain frame.
	Kind Kind
	// Tagged records whether any VLAN tag was seen, so VLAN id 0 (a priority
	// tag) is told apart from no tag at all.
	Tagged bool
}

// PushVLAN records one more 802.1Q tag, keeping the innermost two.
func (t *Tunnel) PushVLAN(id uint16) {
	t.VLAN = (t.VLAN<<12 | uint32(id&0x0fff)) & 0xffffff
	t.Tagged = true
}

// IsZero reports whether the packet came with no tag and no tunnel.
func (t Tunnel) IsZero() bool { return t == Tunnel{} }

// Pack folds the tunnel into 61 bits: ID in bits 0..31, VLAN in 32..55,
// Kind in 56..59, Tagged in bit 60.
func (t Tunnel) Pack() uint64 {
	v := uint64(t.ID) | uint64(t.VLAN&0xffffff)<<32 | uint64(t.Kind&0x0f)<<56
	if t.Tagged {
		v |= 1 << 60
	}
	return v
}

// Unpack is the inverse of Pack.
func Unpack(v uint64) Tunnel {
	return Tunnel{
		ID:     uint32(v),
		VLAN:   uint32(v>>32) & 0xffffff,
		Kind:   Kind(v>>56) & 0x0f,
		Tagged: v&(1<<60) != 0,
	}
}

// String renders the tunnel as "vlan=10", "vlan=100.20/vxlan=5001" or ""
// for an untagged, unencapsulated packet.
func (t Tunnel) String() string {
	if t.IsZero() {
		return ""
	}
	var b strings.Builder
	if t.Tagged {
		b.WriteString("vlan=")
		if outer := t.VLAN >> 12; outer != 0 {
			b.WriteString(strconv.FormatUint(uint64(outer), 10))
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(uint64(t.VLAN&0xfff), 10))
	}
	if t.Kind != KindNone {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(t.Kind.String())
		b.WriteByte('=')
		b.WriteString(strconv.FormatUint(uint64(t.ID), 10))
	}
	return b.String()
}
