package decap

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// FuzzDecode feeds arbitrary frames under arbitrary link types. Properties:
// Decode never panics, every payload it returns lies inside the frame, a nil
// error comes with a transport, and every error has a known reason.
//
//	go test -run='^$' -fuzz=FuzzDecode -fuzztime=60s ./sensor/decap/
func FuzzDecode(f *testing.F) {
	// Seeds: the first frames of every corpus capture, the hand-built
	// frames, and what is committed under testdata/fuzz/FuzzDecode.
	for _, tc := range corpusCases {
		c := loadCapture(f, tc.file)
		for i, fr := range c.frames {
			if i == 20 {
				break
			}
			f.Add(uint16(c.link), uint8(fr.info.Length-len(fr.data)), fr.data)
		}
	}
	for _, tc := range decodeCases() {
		f.Add(uint16(tc.link), uint8(0), tc.frame)
	}
	for _, fr := range [][]byte{erspan3Frame, erspan1Frame, vxlan100Frame} {
		f.Add(uint16(layers.LinkTypeEthernet), uint8(0), fr)
	}
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, link uint16, cut uint8, frame []byte) {
		var p Packet
		err := d.Decode(layers.LinkType(link), frame, &gopacket.CaptureInfo{Length: len(frame) + int(cut)}, &p)
		checkWithin(t, 0, frame, &p)
		if err == nil && p.Transport == TransportNone {
			t.Fatal("nil error without a transport")
		}
		if err != nil && Reason(err) == ReasonOther {
			t.Fatalf("error without a reason: %v", err)
		}
		if p.Transport == TransportTCP && p.TCP == nil {
			t.Fatal("TCP transport without a TCP layer")
		}
	})
}
