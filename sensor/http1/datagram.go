package http1

import (
	"net/netip"
	"time"

	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/flow"
)

// Datagram parses a UDP payload as one self-contained HTTP message, as SSDP
// and other HTTP-over-UDP protocols send them, and emits it as a
// request-only or response-only transaction. It reports whether the payload
// was HTTP.
func (p *Parser) Datagram(src, dst netip.AddrPort, tun decap.Tunnel, ts time.Time, payload []byte) bool {
	if startVerdict(payload, roleUnknown) == notStart {
		return false
	}
	c := p.NewConn(flow.Key{A: src, B: dst, Tunnel: tun})
	c.half[flow.DirAB].data(0, payload, []flow.Span{{Time: ts.UnixNano()}})
	if c.half[flow.DirAB].messages == 0 && c.half[flow.DirAB].st != stBody {
		return false
	}
	p.stats.Datagrams.Add(1)
	// A datagram carries its message whole; nothing answers it on this
	// "connection", so it is not waiting for a response.
	for _, t := range c.pending {
		t.st.lost = true
	}
	c.Close()
	return true
}
