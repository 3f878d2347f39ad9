package capture

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Packet is one captured frame. Data aliases the source's buffer and is
// valid only until the next call to Next.
type Packet struct {
	Data     []byte
	Info     gopacket.CaptureInfo // Timestamp is packet time; Length is the wire length
	LinkType layers.LinkType
}

// Source yields captured frames in capture order. Next returns io.EOF at the
// end of the input; any other error ends the source too and names the input.
type Source interface {
	Next() (Packet, error)
	Close() error
}
