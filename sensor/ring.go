package sensor

import (
	"time"

	"github.com/gopacket/gopacket/layers"
)

// ringBacklog measures how full a capture ring is, from the reader's side:
// gopacket's afpacket does not expose the ring. A measurement starts at an
// instant t0 (a publish tick). Every frame the kernel stamped before t0 was
// already in the ring at t0, so the reader adds up what those frames take
// in the ring until the first frame stamped at or after t0, or until the
// ring is found empty (capture.ErrTimeout): the sum is the backlog at t0.
// The frames' stamps are the kernel's CLOCK_REALTIME at receipt, the clock
// time.Now reads, so a step of the system clock during a measurement makes
// it wrong once.
//
// While measuring, each frame costs one time comparison; otherwise the
// reader only tests measuring.
type ringBacklog struct {
	measuring bool
	t0        time.Time
	sum       uint64
	macoff    uint64 // offset of a frame in its ring slot, see newRingBacklog
}

// Where a TPACKET_V3 ring puts a frame (net/packet/af_packet.c,
// tpacket_rcv): each slot starts with a struct tpacket3_hdr (48 bytes,
// padded to TPACKET_ALIGNMENT, 16) and a struct sockaddr_ll (20 bytes), so
// TPACKET3_HDRLEN is 68. The network header goes at
// TPACKET_ALIGN(68 + max(16, link header length)), 96 for Ethernet and for
// bare IP, and the frame right before it. The next slot starts at the next
// multiple of 8 (V3_ALIGNMENT) after the frame.
const (
	tpacket3HdrLen = (48+15)&^15 + 20                 // 68
	tpacketNetOff  = (tpacket3HdrLen + 16 + 15) &^ 15 // 96
	tpacketV3Align = 8
	ethernetHdrLen = 14
)

// newRingBacklog returns a measurer for a ring of frames of the given link
// type. Measured this way the backlog leaves out each block's header (48
// bytes) and the end of a block too short for the next frame, and counts
// the 4 bytes of a VLAN tag capture.Live puts back, which the kernel kept
// out of the ring: within a fraction of a percent for full-size frames.
func newRingBacklog(link layers.LinkType) ringBacklog {
	maclen := 0
	if link == layers.LinkTypeEthernet {
		maclen = ethernetHdrLen
	}
	return ringBacklog{macoff: uint64(tpacketNetOff - maclen)}
}

// start begins a measurement at t0, unless one is running: one that runs
// longer than a tick is let finish, or a reader far behind would never
// report.
func (b *ringBacklog) start(t0 time.Time) {
	if !b.measuring {
		b.measuring, b.t0, b.sum = true, t0, 0
	}
}

// frame accounts for a frame of n bytes the kernel stamped ts, while
// measuring. It returns the backlog and true when the frame ends the
// measurement.
func (b *ringBacklog) frame(ts time.Time, n int) (uint64, bool) {
	if ts.Before(b.t0) {
		b.sum += (b.macoff + uint64(n) + tpacketV3Align - 1) &^ (tpacketV3Align - 1)
		return 0, false
	}
	b.measuring = false
	return b.sum, true
}

// empty reports that the reader found the ring empty. It returns the
// backlog: what the running measurement summed, or 0.
func (b *ringBacklog) empty() uint64 {
	sum := b.sum
	if !b.measuring {
		sum = 0
	}
	b.measuring, b.sum = false, 0
	return sum
}
