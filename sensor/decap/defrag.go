package decap

import (
	"bytes"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
)

// fragTimeout is how long, in packet time, fragments wait for the rest of
// their datagram.
const fragTimeout = 30 * time.Second

// SetTime tells the decoder the packet time of the next frames. IPv4
// reassembly expires incomplete datagrams by it, never by wall time.
func (d *Decoder) SetTime(ts time.Time) { d.now = ts }

// defragment adds an IPv4 fragment to the reassembly table and returns the
// whole datagram once every fragment arrived, nil before. Fragments are
// rare on a mirror port (an outer tunnel packet larger than the MTU), so
// this path copies and allocates; the common path does not come here.
func (d *Decoder) defragment(datagram []byte) *layers.IPv4 {
	if d.frag == nil {
		d.frag = ip4defrag.NewIPv4Defragmenter()
	}
	if d.fragCount++; d.fragCount%1024 == 0 {
		d.frag.DiscardOlderThan(d.now.Add(-fragTimeout))
	}
	ip := new(layers.IPv4)
	if err := ip.DecodeFromBytes(bytes.Clone(datagram), gopacket.NilDecodeFeedback); err != nil {
		return nil
	}
	whole, err := d.frag.DefragIPv4WithTimestamp(ip, d.now)
	if err != nil || whole == nil {
		return nil
	}
	return whole
}
