package decap

import (
	"encoding/binary"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
)

// Link types that gopacket has no constant for, as pcap files number them.
const (
	linkTypeRawBSD     layers.LinkType = 12 // DLT_RAW on most BSDs
	linkTypeRawOpenBSD layers.LinkType = 14 // DLT_RAW on OpenBSD
	linkTypeNFLog      layers.LinkType = 239
)

// MaxDepth is the number of encapsulations (tunnels and IP in IP) Decode
// unwraps; a packet nested deeper is dropped with ErrTooDeep.
const MaxDepth = 8

// Bounds on loops over attacker-controlled headers.
const (
	maxHeaders    = 64 // headers of any kind in one frame
	maxMPLSLabels = 16
	maxIPv6Ext    = 8  // IPv6 extension headers before the transport
	maxGTPExt     = 8  // GTP-U extension headers
	maxGRERoutes  = 16 // RFC 1701 source route entries
)

// UDP ports that announce a tunnel.
const (
	portVXLAN      = 4789
	portVXLANLinux = 8472 // the Linux kernel's default before IANA's 4789
	portGeneve     = 6081
	portGREinUDP   = 4754
	portGTPU       = 2152
	portTeredo     = 3544
)

// Protocol numbers used by tunnels (EtherType space unless noted).
const (
	etherTypeTEB     = 0x6558 // transparent Ethernet bridging
	etherTypeERSPAN2 = 0x88be // ERSPAN type I (no sequence) and II
	etherTypeERSPAN3 = 0x22eb
	etherTypePPPoE   = 0x8864 // PPPoE session stage
	etherTypeQinQ    = 0x9100 // pre-802.1ad QinQ
	pppIPv4          = 0x0021
	pppIPv6          = 0x0057
)

// layer names the header the decoder looks at next.
type layer uint8

const (
	layerDone layer = iota
	layerEthernet
	layerDot1Q
	layerLLC
	layerMPLS
	layerPPPoE
	layerIP // IPv4 or IPv6, told apart by the version nibble
	layerIPv4
	layerIPv6
	layerTCP
	layerUDP
	layerGRE
	layerERSPAN2
	layerERSPAN3
)

// feedback records gopacket's truncation reports for the current packet.
type feedback struct{ truncated bool }

func (f *feedback) SetTruncated() { f.truncated = true }

// Decoder unwraps captured frames. It keeps one preallocated gopacket layer
// per header kind and reuses them for every packet, so it is not safe for
// concurrent use: give each capture worker its own. Decoding allocates
// nothing, whatever the outcome, except for IPv4 fragments, which are
// copied for reassembly (see defragment), and TCP segments with Multipath
// TCP options, whose parts gopacket allocates.
type Decoder struct {
	eth    layers.Ethernet
	dot1q  layers.Dot1Q
	sll    layers.LinuxSLL
	sll2   layers.LinuxSLL2
	llc    layers.LLC
	snap   layers.SNAP
	ip4    layers.IPv4
	udp    layers.UDP
	tcp    layers.TCP
	vxlan  layers.VXLAN
	erspan layers.ERSPANII

	fb       feedback
	depth    int    // encapsulations entered so far
	datagram []byte // the innermost IP datagram seen so far, as captured

	now       time.Time                   // packet time, for IPv4 reassembly
	frag      *ip4defrag.IPv4Defragmenter // created at the first fragment
	fragCount int                         // fragments seen, to expire old ones now and then
	fragHeld  int                         // bytes pending in frag, over-estimated (see defragment)
}

// NewDecoder returns a Decoder ready for use.
func NewDecoder() *Decoder {
	d := &Decoder{}
	// gopacket appends options to these slices: give them room for the most
	// a header can hold (40 option bytes), so that no packet grows them.
	d.ip4.Options = make([]layers.IPv4Option, 0, 40)
	d.tcp.Options = make([]layers.TCPOption, 0, 40)
	return d
}

// Decode unwraps frame, captured on a link of type link, into p. From ci
// it takes the frame's length on the wire, which tells a snap-length cut
// apart from a complete packet when a capture tool has rewritten the IP
// length to the captured bytes, and its timestamp, by which IPv4
// reassembly expires incomplete datagrams (packet time, never wall time).
//
// On success p holds the inner TCP or UDP packet. p.Truncated is set when an
// IP or UDP header announces more bytes than were captured, or when the wire
// length exceeds the frame and the innermost IP datagram runs to the frame's
// end. On error p holds what was decoded before the failure (the tunnel and
// addresses, if reached) and the error is one of the package's sentinels:
// ErrFragment for an IP fragment, with p.Fragment set,
// ErrUnsupportedTransport for ICMP and the like, and so on. Decode never
// reads outside frame and never panics.
//
// Everything p points to is valid only until the next call (see the package
// Caveats).
func (d *Decoder) Decode(link layers.LinkType, frame []byte, ci *gopacket.CaptureInfo, p *Packet) error {
	*p = Packet{}
	d.now = ci.Timestamp
	wireLen := ci.Length
	d.fb.truncated = false
	d.depth = 0
	err := d.decode(link, frame, p)
	if d.fb.truncated || wireLen > len(frame) && reachesEnd(d.datagram, frame) {
		p.Truncated = true
	}
	d.datagram = nil // do not pin the frame
	return err
}

// reachesEnd reports whether the non-empty slice sub of frame ends where
// frame ends. When the snap length cut a frame whose IP datagram runs to the
// captured end, the datagram lost bytes even if its length field was fixed
// up to match, as some capture tools do; a cut that only dropped an Ethernet
// trailer leaves captured bytes behind the datagram.
func reachesEnd(sub, frame []byte) bool {
	return len(sub) > 0 && len(frame) > 0 && &sub[len(sub)-1] == &frame[len(frame)-1]
}

// decode walks the headers like gopacket's DecodingLayerParser, except that
// each step decides the next header itself, recording tunnel ids on the way.
func (d *Decoder) decode(link layers.LinkType, data []byte, p *Packet) error {
	data, next, err := d.linkLayer(link, data)
	for n := 0; err == nil; n++ {
		if n == maxHeaders {
			return ErrTooDeep
		}
		switch next {
		case layerEthernet:
			data, next, err = d.ethernet(data)
		case layerDot1Q:
			data, next, err = d.vlan(data, p)
		case layerLLC:
			data, next, err = d.llcSNAP(data)
		case layerMPLS:
			data, next, err = mpls(data)
		case layerPPPoE:
			data, next, err = pppoe(data)
		case layerIP:
			next, err = ipVersion(data)
		case layerIPv4:
			data, next, err = d.ipv4(data, p)
		case layerIPv6:
			data, next, err = d.ipv6(data, p)
		case layerGRE:
			data, next, err = d.gre(data, p)
		case layerERSPAN2:
			data, next, err = d.erspan2(data, p)
		case layerERSPAN3:
			data, next, err = erspan3(data, p)
		case layerUDP:
			data, next, err = d.udpOrTunnel(data, p)
		case layerTCP:
			return d.tcpSegment(data, p)
		default: // layerDone
			return nil
		}
	}
	return err
}

// linkLayer strips the link-layer header of the capture's link type.
func (d *Decoder) linkLayer(link layers.LinkType, data []byte) ([]byte, layer, error) {
	switch link {
	case layers.LinkTypeEthernet:
		return data, layerEthernet, nil
	case layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD:
		return data, layerIP, nil
	case layers.LinkTypeIPv4:
		return data, layerIPv4, nil
	case layers.LinkTypeIPv6:
		return data, layerIPv6, nil
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return loopback(data, link == layers.LinkTypeLoop)
	case layers.LinkTypeLinuxSLL:
		if len(data) < 16 {
			return nil, 0, ErrTruncatedHeader
		}
		if binary.BigEndian.Uint16(data[4:6]) > 8 {
			return nil, 0, ErrBadHeader
		}
		if err := d.sll.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			return nil, 0, ErrBadHeader
		}
		return sllProtocol(d.sll.EthernetType, d.sll.Payload)
	case layers.LinkTypeLinuxSLL2:
		if len(data) < 20 {
			return nil, 0, ErrTruncatedHeader
		}
		if data[11] > 8 {
			return nil, 0, ErrBadHeader
		}
		if err := d.sll2.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			return nil, 0, ErrBadHeader
		}
		return sllProtocol(d.sll2.ProtocolType, d.sll2.Payload)
	case linkTypeNFLog:
		return nflog(data)
	case layers.LinkTypeIEEE80211Radio:
		return radiotap(data)
	}
	return nil, 0, ErrUnsupportedLinkType
}

// loopback decodes the 4-byte address family of DLT_NULL (host byte order)
// and DLT_LOOP (network byte order).
func loopback(data []byte, network bool) ([]byte, layer, error) {
	if len(data) < 4 {
		return nil, 0, ErrTruncatedHeader
	}
	var family uint32
	if network || data[0] == 0 && data[1] == 0 {
		family = binary.BigEndian.Uint32(data)
	} else {
		family = binary.LittleEndian.Uint32(data)
	}
	switch family {
	case 2: // AF_INET everywhere
		return data[4:], layerIPv4, nil
	case 24, 28, 30: // AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin
		return data[4:], layerIPv6, nil
	}
	return nil, 0, ErrNotIP
}

// sllProtocol dispatches on the protocol field of Linux cooked headers: an
// EtherType, or 4 for a frame that starts with an 802.2 LLC header.
func sllProtocol(t layers.EthernetType, payload []byte) ([]byte, layer, error) {
	if t == 4 {
		return payload, layerLLC, nil
	}
	next, err := etherType(t)
	return payload, next, err
}

// etherType maps an EtherType to the header that follows it.
func etherType(t layers.EthernetType) (layer, error) {
	switch t {
	case layers.EthernetTypeIPv4:
		return layerIPv4, nil
	case layers.EthernetTypeIPv6:
		return layerIPv6, nil
	case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ, etherTypeQinQ:
		return layerDot1Q, nil
	case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
		return layerMPLS, nil
	case etherTypePPPoE:
		return layerPPPoE, nil
	case layers.EthernetTypeLLC:
		return layerLLC, nil
	}
	return 0, ErrNotIP
}

func (d *Decoder) ethernet(data []byte) ([]byte, layer, error) {
	if len(data) < 14 {
		return nil, 0, ErrTruncatedHeader
	}
	if err := d.eth.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
		return nil, 0, ErrTruncatedHeader
	}
	next, err := etherType(d.eth.EthernetType)
	return d.eth.Payload, next, err
}

// vlan decodes one 802.1Q or 802.1ad tag.
func (d *Decoder) vlan(data []byte, p *Packet) ([]byte, layer, error) {
	if len(data) < 4 {
		return nil, 0, ErrTruncatedHeader
	}
	if err := d.dot1q.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
		return nil, 0, ErrTruncatedHeader
	}
	p.Tunnel.PushVLAN(d.dot1q.VLANIdentifier)
	if d.dot1q.Type < 0x600 { // an 802.3 length: LLC follows
		return d.dot1q.Payload, layerLLC, nil
	}
	next, err := etherType(d.dot1q.Type)
	return d.dot1q.Payload, next, err
}

// llcSNAP decodes an 802.2 LLC header and the SNAP header that carries an
// EtherType; other LLC payloads (STP, NetBIOS, ...) are not IP.
func (d *Decoder) llcSNAP(data []byte) ([]byte, layer, error) {
	if len(data) < 4 { // the longest LLC header
		return nil, 0, ErrTruncatedHeader
	}
	if err := d.llc.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
		return nil, 0, ErrTruncatedHeader
	}
	if d.llc.DSAP != 0xaa || d.llc.SSAP != 0xaa {
		return nil, 0, ErrNotIP
	}
	if len(d.llc.Payload) < 5 {
		return nil, 0, ErrTruncatedHeader
	}
	if err := d.snap.DecodeFromBytes(d.llc.Payload, gopacket.NilDecodeFeedback); err != nil {
		return nil, 0, ErrTruncatedHeader
	}
	oui := d.snap.OrganizationalCode
	if oui[0] != 0 || oui[1] != 0 || (oui[2] != 0 && oui[2] != 0xf8) {
		return nil, 0, ErrNotIP
	}
	next, err := etherType(d.snap.Type)
	return d.snap.Payload, next, err
}

// mpls skips an MPLS label stack and guesses what its bottom carries: IPv4
// or IPv6 by the version nibble, or a pseudowire control word (first nibble
// 0) followed by an Ethernet frame.
func mpls(data []byte) ([]byte, layer, error) {
	for i := 0; ; i++ {
		if i == maxMPLSLabels {
			return nil, 0, ErrTooDeep
		}
		if len(data) < 4 {
			return nil, 0, ErrTruncatedHeader
		}
		bottom := data[2]&1 != 0
		data = data[4:]
		if bottom {
			break
		}
	}
	if len(data) < 1 {
		return nil, 0, ErrTruncatedHeader
	}
	switch data[0] >> 4 {
	case 4:
		return data, layerIPv4, nil
	case 6:
		return data, layerIPv6, nil
	case 0:
		if len(data) < 4 {
			return nil, 0, ErrTruncatedHeader
		}
		return data[4:], layerEthernet, nil
	}
	return nil, 0, ErrNotIP
}

// pppoe decodes a PPPoE session header and the PPP protocol field behind it.
func pppoe(data []byte) ([]byte, layer, error) {
	if len(data) < 8 {
		return nil, 0, ErrTruncatedHeader
	}
	if data[0] != 0x11 || data[1] != 0 { // version 1, type 1, session data
		return nil, 0, ErrBadHeader
	}
	payload := data[6:]
	if n := int(binary.BigEndian.Uint16(data[4:6])); n < len(payload) {
		payload = payload[:n]
	}
	if len(payload) < 2 {
		return nil, 0, ErrTruncatedHeader
	}
	// A protocol field with its low bit set is compressed to one byte.
	proto, n := uint16(payload[0]), 1
	if proto&1 == 0 {
		proto, n = binary.BigEndian.Uint16(payload), 2
	}
	switch proto {
	case pppIPv4:
		return payload[n:], layerIPv4, nil
	case pppIPv6:
		return payload[n:], layerIPv6, nil
	}
	return nil, 0, ErrNotIP
}

// ipVersion tells IPv4 from IPv6 by the version nibble, for link types and
// tunnels that do not say which one they carry.
func ipVersion(data []byte) (layer, error) {
	if len(data) < 1 {
		return 0, ErrTruncatedHeader
	}
	switch data[0] >> 4 {
	case 4:
		return layerIPv4, nil
	case 6:
		return layerIPv6, nil
	}
	return 0, ErrNotIP
}

// enter records one more encapsulation level.
func (d *Decoder) enter() error {
	d.depth++
	if d.depth > MaxDepth {
		return ErrTooDeep
	}
	return nil
}

// tunnel records a tunnel: the innermost one wins.
func (d *Decoder) tunnel(p *Packet, kind Kind, id uint32) error {
	p.Tunnel.Kind = kind
	p.Tunnel.ID = id
	return d.enter()
}

// ipProtocol maps an IP protocol number to the header that follows.
func (d *Decoder) ipProtocol(proto layers.IPProtocol) (layer, error) {
	switch proto {
	case layers.IPProtocolTCP:
		return layerTCP, nil
	case layers.IPProtocolUDP:
		return layerUDP, nil
	case layers.IPProtocolGRE:
		return layerGRE, nil
	case layers.IPProtocolIPv4:
		return layerIPv4, d.enter()
	case layers.IPProtocolIPv6:
		return layerIPv6, d.enter()
	}
	return 0, ErrUnsupportedTransport
}

// ipv4OptionsOK reports whether gopacket can walk the options without error.
func ipv4OptionsOK(b []byte) bool {
	for len(b) > 0 {
		switch b[0] {
		case 0: // end of options
			return true
		case 1: // no-op
			b = b[1:]
		default:
			if len(b) < 2 || b[1] < 2 || int(b[1]) > len(b) {
				return false
			}
			b = b[b[1]:]
		}
	}
	return true
}

func (d *Decoder) ipv4(data []byte, p *Packet) ([]byte, layer, error) {
	// Check everything gopacket would reject with an allocated error first.
	if len(data) < 20 {
		return nil, 0, ErrTruncatedHeader
	}
	if data[0]>>4 != 4 {
		return nil, 0, ErrBadHeader
	}
	hlen := int(data[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(data[2:4]))
	switch {
	case hlen < 20:
		return nil, 0, ErrBadHeader
	case hlen > len(data):
		return nil, 0, ErrTruncatedHeader
	case total != 0 && total < hlen:
		return nil, 0, ErrBadHeader
	}
	if !ipv4OptionsOK(data[20:hlen]) {
		return nil, 0, ErrBadHeader
	}
	// gopacket cuts the payload to the total length and reports a total
	// length beyond the captured bytes through d.fb.
	// A total length of 0 comes from segmentation offload on the capturing
	// host: gopacket then takes the packet to be whatever was captured.
	if err := d.ip4.DecodeFromBytes(data, &d.fb); err != nil {
		return nil, 0, ErrBadHeader
	}
	d.datagram = data[:len(d.ip4.Contents)+len(d.ip4.Payload)]
	p.IPv6 = false
	p.Src, p.Dst = [16]byte{}, [16]byte{}
	copy(p.Src[:], data[12:16])
	copy(p.Dst[:], data[16:20])
	if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
		p.Fragment = true
		whole := d.defragment(d.datagram)
		if whole == nil {
			return nil, 0, ErrFragment
		}
		// Mirrors fragment the outer packet when the mirrored frame plus
		// the tunnel header exceeds the MTU: reassemble and go on.
		p.Fragment, p.Reassembled = false, true
		next, err := d.ipProtocol(whole.Protocol)
		return whole.Payload, next, err
	}
	next, err := d.ipProtocol(d.ip4.Protocol)
	return d.ip4.Payload, next, err
}

// ipv6 decodes the fixed header by hand (gopacket's layers.IPv6 allocates
// for every hop-by-hop option) and skips extension headers.
func (d *Decoder) ipv6(data []byte, p *Packet) ([]byte, layer, error) {
	if len(data) < 40 {
		return nil, 0, ErrTruncatedHeader
	}
	if data[0]>>4 != 6 {
		return nil, 0, ErrBadHeader
	}
	p.IPv6 = true
	copy(p.Src[:], data[8:24])
	copy(p.Dst[:], data[24:40])
	payload := data[40:]
	// A payload length of 0 comes from a jumbogram or segmentation offload:
	// take what was captured.
	if n := int(binary.BigEndian.Uint16(data[4:6])); n > len(payload) {
		d.fb.truncated = true
	} else if n != 0 {
		payload = payload[:n]
	}
	d.datagram = data[:40+len(payload)]
	proto := layers.IPProtocol(data[6])
	for i := 0; isIPv6Ext(proto); i++ {
		if i == maxIPv6Ext {
			return nil, 0, ErrTooDeep
		}
		if len(payload) < 8 {
			return nil, 0, ErrTruncatedHeader
		}
		n := (int(payload[1]) + 1) * 8
		switch proto {
		case layers.IPProtocolAH:
			n = (int(payload[1]) + 2) * 4
		case layers.IPProtocolIPv6Fragment:
			offset, more := binary.BigEndian.Uint16(payload[2:4])>>3, payload[3]&1 != 0
			if offset != 0 || more {
				p.Fragment = true
				return nil, 0, ErrFragment
			}
			n = 8 // an atomic fragment: it holds the whole datagram
		}
		if n > len(payload) {
			return nil, 0, ErrTruncatedHeader
		}
		proto, payload = layers.IPProtocol(payload[0]), payload[n:]
	}
	next, err := d.ipProtocol(proto)
	return payload, next, err
}

// isIPv6Ext reports whether proto is an IPv6 extension header that ipv6
// walks past.
func isIPv6Ext(proto layers.IPProtocol) bool {
	switch proto {
	case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination,
		layers.IPProtocolAH, layers.IPProtocolIPv6Fragment:
		return true
	}
	return false
}

func (d *Decoder) tcpSegment(data []byte, p *Packet) error {
	if len(data) < 20 {
		return ErrTruncatedHeader
	}
	hlen := int(data[12]>>4) * 4
	if hlen < 20 {
		return ErrBadHeader
	}
	if hlen > len(data) {
		return ErrTruncatedHeader
	}
	if err := d.tcp.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
		return ErrBadHeader
	}
	p.Transport = TransportTCP
	p.TCP = &d.tcp
	p.SrcPort, p.DstPort = uint16(d.tcp.SrcPort), uint16(d.tcp.DstPort)
	p.Payload = d.tcp.Payload
	return nil
}

// udpOrTunnel decodes a UDP header and, on a tunnel's port, the tunnel
// header behind it.
func (d *Decoder) udpOrTunnel(data []byte, p *Packet) ([]byte, layer, error) {
	if len(data) < 8 {
		return nil, 0, ErrTruncatedHeader
	}
	if n := binary.BigEndian.Uint16(data[4:6]); n != 0 && n < 8 {
		return nil, 0, ErrBadHeader
	}
	// gopacket cuts the payload to the UDP length and reports a length
	// beyond the captured bytes through d.fb.
	if err := d.udp.DecodeFromBytes(data, &d.fb); err != nil {
		return nil, 0, ErrBadHeader
	}
	src, dst := uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
	payload := d.udp.Payload
	switch {
	case dst == portVXLAN || dst == portVXLANLinux:
		return d.vxlanHeader(payload, p)
	case dst == portGeneve:
		return d.geneve(payload, p)
	case dst == portGREinUDP:
		return payload, layerGRE, nil
	case src == portGTPU || dst == portGTPU:
		return d.gtpU(payload, p)
	case src == portTeredo || dst == portTeredo:
		// Teredo is told from other traffic on its port by what it
		// carries: anything that is not IPv6 is plain UDP.
		if inner, ok := teredo(payload); ok {
			return inner, layerIPv6, d.tunnel(p, KindTeredo, 0)
		}
	}
	p.Transport = TransportUDP
	p.SrcPort, p.DstPort = src, dst
	p.Payload = payload
	return nil, layerDone, nil
}

// vxlanHeader decodes the 8-byte VXLAN header (RFC 7348). Flags and reserved
// fields are not checked: some senders set them (group policy, bugs).
func (d *Decoder) vxlanHeader(data []byte, p *Packet) ([]byte, layer, error) {
	if len(data) < 8 {
		return nil, 0, ErrTruncatedHeader
	}
	if err := d.vxlan.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
		return nil, 0, ErrBadTunnel
	}
	return d.vxlan.Payload, layerEthernet, d.tunnel(p, KindVXLAN, d.vxlan.VNI)
}

// geneve decodes a Geneve header (RFC 8926) by hand and skips its options:
// layers.Geneve allocates per option.
//
//	Ver(2) OptLen(6) O C Rsvd(6) | Protocol Type(16) | VNI(24) Rsvd(8) | options
func (d *Decoder) geneve(data []byte, p *Packet) ([]byte, layer, error) {
	if len(data) < 8 {
		return nil, 0, ErrTruncatedHeader
	}
	if data[0]>>6 != 0 {
		return nil, 0, ErrBadTunnel
	}
	hlen := 8 + int(data[0]&0x3f)*4
	if hlen > len(data) {
		return nil, 0, ErrTruncatedHeader
	}
	vni := uint32(data[4])<<16 | uint32(data[5])<<8 | uint32(data[6])
	if err := d.tunnel(p, KindGeneve, vni); err != nil {
		return nil, 0, err
	}
	next, err := tunnelProtocol(binary.BigEndian.Uint16(data[2:4]))
	return data[hlen:], next, err
}

// tunnelProtocol maps the protocol field of Geneve and GRE headers.
func tunnelProtocol(proto uint16) (layer, error) {
	switch proto {
	case etherTypeTEB:
		return layerEthernet, nil
	case uint16(layers.EthernetTypeIPv4):
		return layerIPv4, nil
	case uint16(layers.EthernetTypeIPv6):
		return layerIPv6, nil
	case uint16(layers.EthernetTypeMPLSUnicast), uint16(layers.EthernetTypeMPLSMulticast):
		return layerMPLS, nil
	}
	return 0, ErrNotIP
}

// gre decodes a GRE header (RFC 2784/2890, and RFC 1701 routing) by hand, to
// pick the ERSPAN type from the sequence bit.
//
//	C R K S s Recur(3) | Flags(5) Ver(3) | Protocol(16)
//	[Checksum(16) Offset(16)] [Key(32)] [Sequence(32)] [Routing...]
func (d *Decoder) gre(data []byte, p *Packet) ([]byte, layer, error) {
	if len(data) < 4 {
		return nil, 0, ErrTruncatedHeader
	}
	flags := data[0]
	if data[1]&7 != 0 { // version 1 is PPTP's enhanced GRE
		return nil, 0, ErrBadTunnel
	}
	proto := binary.BigEndian.Uint16(data[2:4])
	hlen := 4
	if flags&0xc0 != 0 { // checksum or routing present
		hlen += 4
	}
	if flags&0x20 != 0 {
		// The key is not part of the tunnel's identity: mirror sessions
		// are seen to key the two directions of one connection
		// differently.
		hlen += 4
	}
	seq := flags&0x10 != 0
	if seq {
		hlen += 4
	}
	if flags&0x40 != 0 { // source route entries, up to a null one
		for i := 0; ; i++ {
			if i == maxGRERoutes {
				return nil, 0, ErrBadTunnel
			}
			if len(data) < hlen+4 {
				return nil, 0, ErrTruncatedHeader
			}
			family := binary.BigEndian.Uint16(data[hlen:])
			n := int(data[hlen+3])
			hlen += 4 + n
			if family == 0 && n == 0 {
				break
			}
		}
	}
	if len(data) < hlen {
		return nil, 0, ErrTruncatedHeader
	}
	if err := d.tunnel(p, KindGRE, 0); err != nil {
		return nil, 0, err
	}
	payload := data[hlen:]
	switch proto {
	case etherTypeERSPAN2:
		if seq {
			return payload, layerERSPAN2, nil
		}
		// ERSPAN type I: no ERSPAN header, the mirrored frame follows.
		p.Tunnel.Kind, p.Tunnel.ID = KindERSPAN, 0
		return payload, layerEthernet, nil
	case etherTypeERSPAN3:
		return payload, layerERSPAN3, nil
	}
	next, err := tunnelProtocol(proto)
	return payload, next, err
}

// erspan2 decodes an ERSPAN type II header.
//
//	Ver(4) VLAN(12) | COS(3) En(2) T Session(10) | Reserved(12) Index(20)
func (d *Decoder) erspan2(data []byte, p *Packet) ([]byte, layer, error) {
	if len(data) < 8 {
		return nil, 0, ErrTruncatedHeader
	}
	if v := data[0] >> 4; v != layers.ERSPANIIVersion && v != layers.ERSPANIIVersionObsolete {
		return nil, 0, ErrBadTunnel
	}
	if err := d.erspan.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
		return nil, 0, ErrBadTunnel
	}
	p.Tunnel.Kind, p.Tunnel.ID = KindERSPAN, uint32(d.erspan.SessionID)
	if d.erspan.VLANIdentifier != 0 {
		p.Tunnel.PushVLAN(d.erspan.VLANIdentifier)
	}
	return d.erspan.Payload, layerEthernet, nil
}

// erspan3 decodes an ERSPAN type III header by hand (gopacket has none).
//
//	Ver(4)=2 VLAN(12) | COS(3) BSO(2) T Session(10)
//	Timestamp(32)
//	SGT(16) | P FT(5) HwID(6) D Gra(2) O
//	[platform specific subheader (8), when O is set]
func erspan3(data []byte, p *Packet) ([]byte, layer, error) {
	if len(data) < 12 {
		return nil, 0, ErrTruncatedHeader
	}
	if data[0]>>4 != 2 {
		return nil, 0, ErrBadTunnel
	}
	hlen := 12
	if data[11]&1 != 0 {
		hlen += 8
	}
	if len(data) < hlen {
		return nil, 0, ErrTruncatedHeader
	}
	p.Tunnel.Kind = KindERSPAN
	p.Tunnel.ID = uint32(binary.BigEndian.Uint16(data[2:4]) & 0x03ff)
	if vlan := binary.BigEndian.Uint16(data[0:2]) & 0x0fff; vlan != 0 {
		p.Tunnel.PushVLAN(vlan)
	}
	switch frameType := data[10] >> 2 & 0x1f; frameType {
	case 0: // Ethernet
		return data[hlen:], layerEthernet, nil
	case 2: // IP
		return data[hlen:], layerIP, nil
	}
	return nil, 0, ErrNotIP
}

// gtpU decodes a GTPv1-U header (3GPP TS 29.281) and its extension headers.
//
//	Ver(3)=1 PT E S PN | Type(8) | Length(16) | TEID(32)
//	[Sequence(16) N-PDU(8) NextExt(8)]   when any of E, S, PN is set
//	[ExtLen(8) ... NextExt(8)]...        ExtLen in 4-byte units
func (d *Decoder) gtpU(data []byte, p *Packet) ([]byte, layer, error) {
	if len(data) < 8 {
		return nil, 0, ErrTruncatedHeader
	}
	flags := data[0]
	if flags>>5 != 1 || flags&0x10 == 0 { // GTPv1, not GTP'
		return nil, 0, ErrBadTunnel
	}
	// The TEID is not part of the tunnel's identity: GTP gives uplink and
	// downlink of one bearer different TEIDs.
	if err := d.tunnel(p, KindGTP, 0); err != nil {
		return nil, 0, err
	}
	if data[1] != 0xff { // only G-PDUs carry user packets
		return nil, 0, ErrNotIP
	}
	payload := data[8:]
	if n := int(binary.BigEndian.Uint16(data[2:4])); n < len(payload) {
		payload = payload[:n]
	}
	if flags&0x07 != 0 {
		if len(payload) < 4 {
			return nil, 0, ErrTruncatedHeader
		}
		ext := payload[3]
		payload = payload[4:]
		for i := 0; ext != 0; i++ {
			if i == maxGTPExt {
				return nil, 0, ErrBadTunnel
			}
			if len(payload) < 1 {
				return nil, 0, ErrTruncatedHeader
			}
			n := int(payload[0]) * 4
			if n == 0 {
				return nil, 0, ErrBadTunnel
			}
			if n > len(payload) {
				return nil, 0, ErrTruncatedHeader
			}
			ext, payload = payload[n-1], payload[n:]
		}
	}
	return payload, layerIP, nil
}

// teredo strips the optional Teredo authentication and origin indication
// headers (RFC 4380 5.1.1) and reports whether an IPv6 packet follows.
func teredo(data []byte) ([]byte, bool) {
	if len(data) >= 2 && data[0] == 0 && data[1] == 1 {
		// 0x0001, ID-len, AU-len, client id, auth value, nonce(8), confirmation(1)
		if len(data) < 4 {
			return nil, false
		}
		n := 4 + int(data[2]) + int(data[3]) + 8 + 1
		if n > len(data) {
			return nil, false
		}
		data = data[n:]
	}
	if len(data) >= 2 && data[0] == 0 && data[1] == 0 {
		// 0x0000, obfuscated port(2), obfuscated IPv4 address(4)
		if len(data) < 8 {
			return nil, false
		}
		data = data[8:]
	}
	if len(data) < 40 || data[0]>>4 != 6 {
		return nil, false
	}
	return data, true
}

// nflog walks the TLVs of a Linux NFLOG record to the packet payload
// (NFULA_PAYLOAD). TLV lengths and types are in the capturing host's byte
// order, so the first TLV decides which one it is: little endian unless its
// length does not fit or its type is not a small number (NFULA_* types are
// below 32, plus the 0x8000 nested flag).
//
//	family(8) version(8) resource id(16) | { length(16) type(16) value, padded to 4 }...
func nflog(data []byte) ([]byte, layer, error) {
	const nfulaPayload = 9
	if len(data) < 4 {
		return nil, 0, ErrTruncatedHeader
	}
	if data[1] != 0 {
		return nil, 0, ErrBadHeader
	}
	family := data[0]
	tlvs := data[4:]
	var order binary.ByteOrder = binary.LittleEndian
	if len(tlvs) >= 4 {
		if n, typ := int(order.Uint16(tlvs)), order.Uint16(tlvs[2:]); n < 4 || n > len(tlvs) || typ&0x7fff >= 0x100 {
			order = binary.BigEndian
		}
	}
	for len(tlvs) >= 4 {
		n, typ := int(order.Uint16(tlvs)), order.Uint16(tlvs[2:])
		if n < 4 {
			return nil, 0, ErrBadHeader
		}
		if n > len(tlvs) {
			return nil, 0, ErrTruncatedHeader
		}
		if typ&0x7fff == nfulaPayload {
			switch family {
			case 2: // AF_INET
				return tlvs[4:n], layerIPv4, nil
			case 10: // AF_INET6
				return tlvs[4:n], layerIPv6, nil
			}
			return tlvs[4:n], layerIP, nil
		}
		n = (n + 3) &^ 3
		if n > len(tlvs) {
			break
		}
		tlvs = tlvs[n:]
	}
	return nil, 0, ErrNotIP
}

// radiotap strips a radiotap header and the 802.11 data frame header behind
// it, by hand: gopacket's RadioTap and Dot11 copy the frame when it has no
// FCS, and allocate for several fields.
func radiotap(data []byte) ([]byte, layer, error) {
	if len(data) < 8 {
		return nil, 0, ErrTruncatedHeader
	}
	if data[0] != 0 {
		return nil, 0, ErrBadHeader
	}
	hlen := int(binary.LittleEndian.Uint16(data[2:4]))
	if hlen < 8 {
		return nil, 0, ErrBadHeader
	}
	if hlen > len(data) {
		return nil, 0, ErrTruncatedHeader
	}
	// Fields follow all the present bitmaps; TSFT (bit 0, 8 bytes, 8-byte
	// aligned) comes before Flags (bit 1, 1 byte).
	present := binary.LittleEndian.Uint32(data[4:8])
	off := 8
	for ext := present; ext&(1<<31) != 0; {
		if off+4 > hlen {
			return nil, 0, ErrBadHeader
		}
		ext = binary.LittleEndian.Uint32(data[off:])
		off += 4
	}
	fcs := false
	if present&2 != 0 {
		if present&1 != 0 {
			off = (off+7)&^7 + 8
		}
		if off >= hlen {
			return nil, 0, ErrBadHeader
		}
		fcs = data[off]&0x10 != 0
	}
	frame := data[hlen:]
	if fcs {
		if len(frame) < 4 {
			return nil, 0, ErrTruncatedHeader
		}
		frame = frame[:len(frame)-4]
	}
	return dot11Data(frame)
}

// dot11Data strips the header of an 802.11 data frame; an LLC/SNAP header
// follows it.
func dot11Data(data []byte) ([]byte, layer, error) {
	if len(data) < 24 {
		return nil, 0, ErrTruncatedHeader
	}
	fc0, fc1 := data[0], data[1]
	if fc0&3 != 0 { // protocol version
		return nil, 0, ErrBadHeader
	}
	subtype := fc0 >> 4
	if fc0>>2&3 != 2 || subtype&4 != 0 || fc1&0x40 != 0 {
		// Management, control, null-function or protected frames carry no
		// readable packet.
		return nil, 0, ErrNotIP
	}
	hlen := 24
	if fc1&3 == 3 { // to and from DS: a fourth address
		hlen += 6
	}
	if subtype&8 != 0 { // QoS control, then HT control when Order is set
		hlen += 2
		if fc1&0x80 != 0 {
			hlen += 4
		}
	}
	if hlen > len(data) {
		return nil, 0, ErrTruncatedHeader
	}
	return data[hlen:], layerLLC, nil
}
