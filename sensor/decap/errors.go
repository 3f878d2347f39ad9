package decap

import "errors"

// Sentinel errors returned by Decoder.Decode. They are allocated once, so a
// malformed packet costs no allocation; Reason turns them into metric labels.
var (
	// ErrUnsupportedLinkType means the capture's link type is not one the
	// decoder knows.
	ErrUnsupportedLinkType = errors.New("decap: unsupported link type")
	// ErrTruncatedHeader means a header was cut short: the frame ends before
	// the header does.
	ErrTruncatedHeader = errors.New("decap: truncated header")
	// ErrBadHeader means a header is malformed: a wrong version, a length
	// field smaller than the header itself, a bad option.
	ErrBadHeader = errors.New("decap: malformed header")
	// ErrNotIP means the frame carries no IP packet (ARP, LLDP, an 802.11
	// management frame, a GTP control message, ...).
	ErrNotIP = errors.New("decap: not an IP packet")
	// ErrUnsupportedTransport means the inner IP packet carries neither TCP
	// nor UDP (ICMP, ESP, ...).
	ErrUnsupportedTransport = errors.New("decap: unsupported transport")
	// ErrFragment means the inner packet is an IP fragment other than a
	// complete datagram; Packet.Fragment is set and the addresses are filled
	// in, but the transport is not decoded.
	ErrFragment = errors.New("decap: ip fragment")
	// ErrBadTunnel means a tunnel header on a tunnel's port or protocol
	// number is malformed or carries something other than a frame or packet.
	ErrBadTunnel = errors.New("decap: malformed tunnel header")
	// ErrTooDeep means the packet nests more encapsulations or headers than
	// the decoder follows (see MaxDepth).
	ErrTooDeep = errors.New("decap: encapsulation too deep")
)

// Reasons, one per sentinel, for the reason label of drop counters.
const (
	ReasonUnsupportedLinkType  = "unsupported_link_type"
	ReasonTruncatedHeader      = "truncated_header"
	ReasonBadHeader            = "bad_header"
	ReasonNotIP                = "not_ip"
	ReasonUnsupportedTransport = "unsupported_transport"
	ReasonFragment             = "fragment"
	ReasonBadTunnel            = "bad_tunnel"
	ReasonTooDeep              = "too_deep"
	ReasonOther                = "other"
)

// Reason returns a short snake_case label for err, suitable for a bounded
// Prometheus label: "" for nil, ReasonOther for an error not from this
// package.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnsupportedLinkType):
		return ReasonUnsupportedLinkType
	case errors.Is(err, ErrTruncatedHeader):
		return ReasonTruncatedHeader
	case errors.Is(err, ErrBadHeader):
		return ReasonBadHeader
	case errors.Is(err, ErrNotIP):
		return ReasonNotIP
	case errors.Is(err, ErrUnsupportedTransport):
		return ReasonUnsupportedTransport
	case errors.Is(err, ErrFragment):
		return ReasonFragment
	case errors.Is(err, ErrBadTunnel):
		return ReasonBadTunnel
	case errors.Is(err, ErrTooDeep):
		return ReasonTooDeep
	}
	return ReasonOther
}
