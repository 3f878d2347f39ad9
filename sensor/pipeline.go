package sensor

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/flow"
	"github.com/apitap/apitap/sensor/http1"
)

// Config configures a Pipeline; the zero value is usable.
type Config struct {
	Flow flow.Config
	HTTP http1.Config
	// Staged parses HTTP in a goroutine of its own, next to the one that
	// decodes and reassembles: about twice the throughput on two cores,
	// with the same transactions in the same order. Flush waits for it.
	Staged bool
}

// Stats counts what a Pipeline saw.
type Stats struct {
	Packets  uint64 // frames fed
	Bytes    uint64 // captured bytes fed
	TCP, UDP uint64 // inner packets by transport
	Other    uint64 // inner packets of other transports, and IP fragments
	// Undecodable counts frames that could not be decoded, by reason
	// (decap.Reason).
	Undecodable map[string]uint64
	Truncated   uint64 // frames cut by the snap length
	Panics      uint64 // packets whose processing panicked (a bug, contained)
	Flow        flow.Stats
}

// Pipeline runs frames through decapsulation, TCP reassembly and HTTP
// parsing. It is not safe for concurrent use.
type Pipeline struct {
	dec   *decap.Decoder
	pkt   decap.Packet
	flows *flow.Table
	http  *http1.Parser
	parse parsing
	stats Stats
	// OnPanic, when set, hears about a contained panic with its stack; it
	// is called at most once per Pipeline.
	OnPanic  func(v any, stack []byte)
	reported atomic.Bool // OnPanic was called
}

// New returns a Pipeline emitting every transaction to emit. httpStats may
// be shared between pipelines (it is atomic) or nil.
func New(cfg Config, httpStats *http1.Stats, emit func(*http1.Transaction)) *Pipeline {
	p := &Pipeline{dec: decap.NewDecoder()}
	p.http = http1.NewParser(cfg.HTTP, httpStats, emit)
	p.parse = inline{p.http}
	if cfg.Staged {
		p.parse = newStaged(p.http, p.report)
	}
	p.flows = flow.NewTable(cfg.Flow, p.parse.conn)
	p.stats.Undecodable = make(map[string]uint64)
	return p
}

// Packet processes one frame. A frame that cannot be decoded is counted by
// reason and dropped; a panic in a later stage is contained and counted.
func (p *Pipeline) Packet(pk capture.Packet) {
	defer func() {
		if v := recover(); v != nil {
			p.stats.Panics++
			p.report(v)
		}
	}()
	p.stats.Packets++
	p.stats.Bytes += uint64(len(pk.Data))
	if err := p.dec.Decode(pk.LinkType, pk.Data, &pk.Info, &p.pkt); err != nil {
		switch {
		case errors.Is(err, decap.ErrUnsupportedTransport), errors.Is(err, decap.ErrFragment):
			p.stats.Other++
		default:
			p.stats.Undecodable[decap.Reason(err)]++
		}
		return
	}
	if p.pkt.Truncated {
		p.stats.Truncated++
	}
	switch p.pkt.Transport {
	case decap.TransportTCP:
		p.stats.TCP++
		p.flows.Packet(&p.pkt, pk.Info)
	case decap.TransportUDP:
		p.stats.UDP++
		if len(p.pkt.Payload) > 0 {
			src, dst := flow.AddrFromPacket(&p.pkt)
			p.parse.datagram(flow.Key{A: src, B: dst, Tunnel: p.pkt.Tunnel}, pk.Info.Timestamp, p.pkt.Payload)
		}
	default:
		p.stats.Other++
	}
}

// Tick tells the pipeline the time on a quiet link, so idle connections
// are closed and their transactions emitted.
func (p *Pipeline) Tick(now time.Time) { p.flows.Advance(now) }

// Run feeds every frame of src. It returns nil at the end of the source and
// the source's error otherwise; frames read before an error were processed.
func (p *Pipeline) Run(src capture.Source) error {
	for {
		pk, err := src.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p.Packet(pk)
	}
}

// Flush closes every connection, emitting what is still pending, as at the
// end of the input, and returns once every transaction was emitted.
func (p *Pipeline) Flush() {
	defer p.parse.drain()
	defer func() {
		if v := recover(); v != nil {
			p.stats.Panics++
			p.report(v)
		}
	}()
	p.flows.FlushAll()
}

// report passes the first panic contained in any stage to OnPanic, with
// the stack of the goroutine that panicked; call it from the deferred
// function that recovered.
func (p *Pipeline) report(v any) {
	if p.OnPanic != nil && p.reported.CompareAndSwap(false, true) {
		p.OnPanic(v, debug.Stack())
	}
}

// Stats returns the pipeline's counters.
func (p *Pipeline) Stats() Stats {
	s := p.stats
	s.Undecodable = maps.Clone(p.stats.Undecodable) // the copy is the caller's
	s.Flow = p.flows.Stats()
	if st, ok := p.parse.(*staged); ok {
		s.Panics += st.panics.Load()
	}
	return s
}

// HTTPStats returns the HTTP parser's counters.
func (p *Pipeline) HTTPStats() *http1.Stats { return p.http.Stats() }

// String renders a one-line summary, for logs.
func (s Stats) String() string {
	return fmt.Sprintf("packets=%d tcp=%d udp=%d flows=%d", s.Packets, s.TCP, s.UDP, s.Flow.Flows)
}
