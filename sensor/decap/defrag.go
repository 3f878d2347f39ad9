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

// fragBudget bounds the bytes a Decoder holds in incomplete datagrams. On
// a mirror a datagram's fragments arrive back to back, so few are pending
// at once; a flood of fragments that never complete would otherwise grow
// the table for fragTimeout of packet time. Over the budget, every pending
// datagram is dropped.
const fragBudget = 4 << 20

// fragOverhead is what a held fragment costs beyond its bytes: the copy's
// layers.IPv4 and its place in the fragment list.
const fragOverhead = 256

// defragment adds an IPv4 fragment to the reassembly table and returns the
// whole datagram once every fragment arrived, nil before. Fragments are
// rare on a mirror port (an outer tunnel packet larger than the MTU), so
// this path copies and allocates; the common path does not come here.
// Incomplete datagrams expire after fragTimeout of packet time, or all at
// once when they hold more than fragBudget.
func (d *Decoder) defragment(datagram []byte) *layers.IPv4 {
	if d.frag == nil || d.fragHeld > fragBudget {
		d.frag, d.fragHeld = ip4defrag.NewIPv4Defragmenter(), 0
	}
	if d.fragCount++; d.fragCount%1024 == 0 {
		d.frag.DiscardOlderThan(d.now.Add(-fragTimeout))
	}
	ip := new(layers.IPv4)
	if err := ip.DecodeFromBytes(bytes.Clone(datagram), gopacket.NilDecodeFeedback); err != nil {
		return nil
	}
	// fragHeld only ever overestimates what the table holds: a datagram
	// of k fragments adds its length plus k-1 headers and k overheads, and
	// takes back its length and two overheads when it completes. Datagrams
	// dropped for their age or their errors stay counted.
	d.fragHeld += len(datagram) + fragOverhead
	whole, err := d.frag.DefragIPv4WithTimestamp(ip, d.now)
	if err != nil || whole == nil {
		return nil
	}
	d.fragHeld = max(0, d.fragHeld-int(whole.Length)-2*fragOverhead)
	return whole
}
