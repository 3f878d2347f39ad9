package decap

import "github.com/gopacket/gopacket/layers"

// Transport is the inner packet's transport protocol.
type Transport uint8

// Transports the decoder hands on. Anything else is counted and dropped.
const (
	TransportNone Transport = iota
	TransportTCP
	TransportUDP
)

// Packet is one decoded inner packet. Every slice aliases the frame passed to
// Decoder.Decode and the layer structs belong to the Decoder: both are valid
// only until the next call to Decode.
type Packet struct {
	Tunnel Tunnel
	// IPv6 reports the inner network layer; Src and Dst hold the address in
	// their first 4 (IPv4) or 16 (IPv6) bytes.
	IPv6      bool
	Src, Dst  [16]byte
	Transport Transport
	// TCP is the decoder's own layers.TCP when Transport is TransportTCP; its
	// Payload is the segment's data (cut to what was captured).
	TCP *layers.TCP
	// SrcPort and DstPort are set for TCP and UDP.
	SrcPort, DstPort uint16
	// Payload is the transport payload (TCP or UDP), as captured.
	Payload []byte
	// Truncated reports a frame cut by the snap length: the IP header
	// announces more bytes than were captured, or the wire length exceeds
	// the captured length and the IP datagram runs to the captured end
	// (some tools rewrite the IP length of the frames they cut).
	Truncated bool
	// Fragment reports an IP fragment that was not reassembled: an IPv4
	// fragment whose datagram is not complete yet, or any IPv6 fragment
	// other than an atomic one.
	Fragment bool
	// Reassembled reports that the packet was rebuilt from IPv4 fragments:
	// its slices then point into the reassembled datagram, not the frame.
	Reassembled bool
}

// AddrLen returns 16 for IPv6 and 4 for IPv4.
func (p *Packet) AddrLen() int {
	if p.IPv6 {
		return 16
	}
	return 4
}
