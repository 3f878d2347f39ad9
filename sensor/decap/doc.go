// Package decap turns a captured frame into the inner TCP or UDP packet that a
// traffic mirror delivered, plus the Tunnel it arrived in.
//
// A capture source hands each frame, with its link type (Ethernet, raw IP,
// Linux cooked SLL/SLL2, BSD loopback, NFLOG, 802.11 radiotap) and wire
// length, to Decoder.Decode. The decoder walks the headers one at a time over
// preallocated gopacket layers and small hand-written parsers: 802.1Q/QinQ
// tags, MPLS labels and PPPoE sessions, then IPv4/IPv6, then either the
// transport or a tunnel (VXLAN, Geneve, GRE, GRE in UDP, ERSPAN types I to
// III, GTP-U, Teredo, IP in IP), which it unwraps and walks again. On the way
// it records every VLAN tag and the innermost tunnel's id in Packet.Tunnel,
// so flows from mirrored networks that reuse addresses stay apart. What comes
// out is a Packet with the inner addresses, ports, TCP header and payload, or
// a sentinel error whose Reason labels the drop counter. Decode makes no heap
// allocation for the common encapsulations; one Decoder serves one goroutine.
//
// # Caveats
//
// Everything in a Packet aliases memory the caller does not own for long:
// Payload and the TCP header's slices point into the frame passed to Decode,
// and Packet.TCP is the Decoder's own layers.TCP. Both are valid only until
// the next call to Decode on the same Decoder, and only while the frame's
// buffer is not reused (a capture source's zero-copy read reuses it on the
// next read). Copy whatever outlives the packet.
package decap
