package decap

import (
	"errors"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// SupportsLinkType must agree with what Decode does, for every link type.
func TestSupportsLinkTypeAgreesWithDecode(t *testing.T) {
	d := NewDecoder()
	var p Packet
	for l := range layers.LinkType(512) {
		decodes := !errors.Is(d.Decode(l, make([]byte, 64), &gopacket.CaptureInfo{Length: 64}, &p), ErrUnsupportedLinkType)
		if got := SupportsLinkType(l); got != decodes {
			t.Errorf("SupportsLinkType(%d) = %v, Decode says %v", l, got, decodes)
		}
	}
}
