package http1

import (
	"time"

	"github.com/apitap/apitap/sensor/flow"
)

// spanHistory remembers, for one direction, which packets carried the last
// bytes delivered (flow.Span), so message boundaries can be given the time
// and acknowledgement number of the packet that held them. It is bounded:
// older bytes answer with the newest packet's time and no ack.
type spanHistory struct {
	s   [32]flow.Span
	n   uint32 // spans added so far
	end uint32 // sequence number just past the last byte delivered
}

func (h *spanHistory) add(spans []flow.Span, end uint32) {
	for _, sp := range spans {
		h.s[h.n%32] = sp
		h.n++
	}
	h.end = end
}

// at returns what the newest span holding seq says.
func (h *spanHistory) at(seq uint32) (time.Time, uint32, bool) {
	if h.n == 0 {
		return time.Time{}, 0, false
	}
	next := h.end
	for i := uint32(1); i <= min(h.n, 32); i++ {
		sp := &h.s[(h.n-i)%32]
		if seq-sp.Seq < next-sp.Seq {
			return time.Unix(0, sp.Time), sp.Ack, sp.AckOK
		}
		next = sp.Seq
	}
	return time.Unix(0, h.s[(h.n-1)%32].Time), 0, false
}
