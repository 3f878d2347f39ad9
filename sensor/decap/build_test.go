package decap

import "encoding/binary"

// Builders for the hand-made frames of the table tests. Checksums are left
// zero: the decoder does not verify them.

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

var (
	macs   = []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}
	v4Src  = []byte{192, 0, 2, 1}
	v4Dst  = []byte{192, 0, 2, 2}
	v6Src  = []byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}
	v6Dst  = []byte{0x20, 0x01, 0x0d, 0xb8, 15: 2}
	get    = []byte("GET / HTTP/1.1\r\n\r\n")
	getTCP = tcp(40000, 80, get)
)

// eth builds an Ethernet II header with EtherType t in front of rest.
func eth(t uint16, rest ...[]byte) []byte { return cat(macs, be16(t), cat(rest...)) }

// tag builds an 802.1Q tag body (the TPID is the EtherType before it).
func tag(id, t uint16) []byte { return cat(be16(id), be16(t)) }

func ipv4(proto byte, payload []byte) []byte { return ipv4x(proto, nil, 0, payload) }

// ipv4x builds an IPv4 header with options and the flags/fragment-offset
// field.
func ipv4x(proto byte, opts []byte, frag uint16, payload []byte) []byte {
	hlen := 20 + len(opts)
	h := []byte{0x40 | byte(hlen/4), 0}
	h = append(h, be16(uint16(hlen+len(payload)))...)
	h = append(h, 0, 1)
	h = append(h, be16(frag)...)
	h = append(h, 64, proto, 0, 0)
	return cat(h, v4Src, v4Dst, opts, payload)
}

func ipv6(next byte, payload []byte) []byte {
	return cat([]byte{0x60, 0, 0, 0}, be16(uint16(len(payload))), []byte{next, 64}, v6Src, v6Dst, payload)
}

// ext6 builds an 8-byte IPv6 extension header (hop-by-hop, routing or
// destination options) with a PadN option.
func ext6(next byte) []byte { return []byte{next, 0, 1, 4, 0, 0, 0, 0} }

func tcp(src, dst uint16, payload []byte) []byte {
	return cat(be16(src), be16(dst), be32(1000), be32(1), []byte{0x50, 0x18, 2, 0, 0, 0, 0, 0}, payload)
}

func udp(src, dst uint16, payload []byte) []byte {
	return cat(be16(src), be16(dst), be16(uint16(8+len(payload))), be16(0), payload)
}

// vxlan builds a VXLAN header for vni in front of an inner frame.
func vxlan(vni uint32, inner []byte) []byte {
	return cat([]byte{0x08, 0, 0, 0}, be32(vni<<8), inner)
}

// mplsLabel builds one label stack entry.
func mplsLabel(label uint32, bottom bool) []byte {
	v := label<<12 | 64
	if bottom {
		v |= 1 << 8
	}
	return be32(v)
}
