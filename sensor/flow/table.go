package flow

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/apitap/apitap/sensor/decap"
)

// Span says which packet carried the delivered bytes from Seq up to the
// next Span (or the end of the data): its capture time and the
// acknowledgement number it carried. The answers are fixed when the bytes
// are delivered, so a consumer in another goroutine sees exactly what an
// inline one would.
type Span struct {
	Seq   uint32
	Time  int64 // unix nanoseconds
	Ack   uint32
	AckOK bool // false: the packet is not known (Time is then the latest packet's)
}

// Handler consumes one connection's reassembled bytes. Its methods are called
// from the goroutine that feeds the Table, in stream order per direction.
type Handler interface {
	// Data delivers in-order bytes of one direction; seq is the TCP
	// sequence number of data[0], and spans (at least one, the first at
	// seq) tell which packets carried them. Returning false tells the Table
	// the connection is of no further interest: its packets are then
	// ignored. Neither slice may be kept after the call.
	Data(dir Dir, seq uint32, data []byte, spans []Span) bool
	// Gap reports n bytes of dir that were never captured and come
	// before the next Data.
	Gap(dir Dir, n int)
	// End reports that dir was closed by FIN or RST.
	End(dir Dir)
	// Close is the last call: the connection ended or went idle.
	Close()
}

// Config bounds a Table. The zero value gives the defaults noted per field.
type Config struct {
	// MaxFlows caps live connections; packets opening more are dropped and
	// counted as refused. Default 262144.
	MaxFlows int
	// MaxPages caps the reassembly pages (1900 bytes each) buffered for
	// out-of-order data over all connections. Default 65536 (about 120 MiB).
	MaxPages int
	// MaxPagesPerFlow caps pages buffered for one connection; past it the
	// oldest missing bytes are given up as a gap. Default 256 (about 480 KiB).
	MaxPagesPerFlow int
	// GapTimeout is how long, in packet time, missing bytes are waited for
	// before they are skipped as a gap. Default 2s.
	GapTimeout time.Duration
	// IdleTimeout closes connections without packets for that long, in
	// packet time. Default 2m.
	IdleTimeout time.Duration
	// SweepInterval is the packet-time period of the flush sweep. Default 1s.
	SweepInterval time.Duration
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxFlows, 1<<18)
	def(&c.MaxPages, 1<<16)
	def(&c.MaxPagesPerFlow, 256)
	defd(&c.GapTimeout, 2*time.Second)
	defd(&c.IdleTimeout, 2*time.Minute)
	defd(&c.SweepInterval, time.Second)
	return c
}

// Stats counts what a Table saw. Table.Stats returns a copy that shares
// nothing with the Table (Sources is a new map), so it may be handed to
// another goroutine.
type Stats struct {
	Packets       uint64 // TCP packets given to the Table
	PayloadBytes  uint64 // TCP payload bytes given to the Table
	Flows         uint64 // connections opened
	Refused       uint64 // packets of new connections refused at MaxFlows
	Active        int    // connections open now
	Gaps          uint64 // gaps delivered to handlers
	GapBytes      uint64 // bytes never captured
	Ignored       uint64 // packets of connections their handler gave up on
	Stray         uint64 // payload-less packets of no known connection
	OneSided      uint64 // connections closed with only one direction seen
	PressureFlush uint64 // sweeps forced by MaxFlows
	// Sources splits the connections' counters by mirror source: the
	// packed decap.Tunnel they arrived in (0 for plain frames), at most
	// MaxSources of them, the rest under OtherSource. Their PayloadBytes
	// sum to PayloadBytes less the payload of refused packets.
	Sources map[uint64]SourceStats
}

// SourceStats counts the TCP traffic of one mirror source, so a lossy or
// one-way mirror session shows up by itself rather than averaged with the
// healthy ones: gap and retransmitted bytes over payload bytes are the
// source's loss and retransmission ratios.
type SourceStats struct {
	// PayloadBytes counts the TCP payload of the source's connections,
	// retransmissions included.
	PayloadBytes uint64
	// RetransBytes counts payload at sequence numbers already delivered:
	// retransmissions, and copies from a mirror that sees a packet twice.
	RetransBytes uint64
	// GapBytes counts bytes never captured (see Handler.Gap).
	GapBytes uint64
	// IgnoredBytes is the part of PayloadBytes sent after the handler gave
	// up on its connection (not HTTP, say). Those bytes are not
	// reassembled, so neither their gaps nor their retransmissions are
	// counted: the ratios are over PayloadBytes-IgnoredBytes.
	IgnoredBytes uint64
	Connections  uint64 // connections opened
	OneSided     uint64 // connections closed with only one direction seen
}

// MaxSources bounds the mirror sources a Table counts apart (a metric label
// must stay bounded); the connections of later sources count under
// OtherSource.
const MaxSources = 64

// OtherSource is the Sources key of the sources past MaxSources. No packed
// decap.Tunnel has it (Pack uses 61 bits).
const OtherSource = ^uint64(0)

// Table reassembles TCP connections. It is not safe for concurrent use.
type Table struct {
	cfg        Config
	newHandler func(Key) Handler
	asm        *reassembly.Assembler
	ctx        context
	cur        *decap.Packet // the packet being fed: New keys a connection by it
	now        time.Time
	lastSweep  time.Time
	lastForced time.Time
	stats      Stats
	sources    map[uint64]*SourceStats // Stats.Sources; streams point into it
	sweeping   bool                    // a flush is running: hold handler calls back
	swept      []*stream               // streams with calls held back
	reused     *stream                 // an old connection the current SYN found on its 4-tuple
	aborting   bool                    // abort is closing a connection: Accept lets it
	rst        layers.TCP
	rstBuf     [20]byte
	spans      []Span // scratch for Data, shared: calls never overlap
}

// NewTable returns a Table that opens a Handler for every new connection.
func NewTable(cfg Config, newHandler func(Key) Handler) *Table {
	cfg = cfg.withDefaults()
	t := &Table{cfg: cfg, newHandler: newHandler, sources: map[uint64]*SourceStats{}}
	pool := reassembly.NewStreamPool((*factory)(t))
	t.asm = reassembly.NewAssembler(pool)
	t.asm.MaxBufferedPagesTotal = cfg.MaxPages
	t.asm.MaxBufferedPagesPerConnection = cfg.MaxPagesPerFlow
	return t
}

// context hands the packet's CaptureInfo to the assembler. One value is
// reused for every packet: the Table records per-packet times itself (see
// segRing), so nothing depends on the context a queued page kept.
type context struct{ ci gopacket.CaptureInfo }

func (c *context) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// Packet feeds one decoded TCP packet. Packets of other transports are
// ignored.
func (t *Table) Packet(p *decap.Packet, ci gopacket.CaptureInfo) {
	if p.Transport != decap.TransportTCP || p.TCP == nil {
		return
	}
	t.stats.Packets++
	t.stats.PayloadBytes += uint64(len(p.Payload))
	t.Advance(ci.Timestamp)
	if t.stats.Active >= t.cfg.MaxFlows && t.now.Sub(t.lastForced) >= t.cfg.SweepInterval {
		// Under a flood of connections, close idle ones sooner rather
		// than refuse every newcomer.
		t.lastForced = t.now
		t.stats.PressureFlush++
		t.sweep(t.cfg.IdleTimeout / 16)
	}
	t.cur = p
	typ := gopacket.EndpointType(1<<62 | int64(p.Tunnel.Pack())<<1)
	n := 4
	if p.IPv6 {
		typ |= 1
		n = 16
	}
	netFlow := gopacket.NewFlow(typ, p.Src[:n], p.Dst[:n])
	t.ctx.ci = ci
	p.TCP.Payload = p.Payload
	t.asm.AssembleWithContext(netFlow, p.TCP, &t.ctx)
	if s := t.reused; s != nil {
		// A new connection on the 4-tuple of one that is over (see
		// Accept): close the old one, then let the SYN open the new one.
		t.abort(s, netFlow, p)
		t.asm.AssembleWithContext(netFlow, p.TCP, &t.ctx)
		t.reused = nil
	}
}

// abort closes the connection of s by giving each half that is still open
// an RST at the sequence number it waits for. netFlow and p are the packet
// that found s, sent in direction s.reuseDir.
func (t *Table) abort(s *stream, netFlow gopacket.Flow, p *decap.Packet) {
	t.aborting = true
	for d := DirAB; d <= DirBA; d++ {
		if s.ended[d] {
			continue
		}
		fl, src, dst := netFlow, p.SrcPort, p.DstPort
		if d != s.reuseDir {
			fl, src, dst = netFlow.Reverse(), dst, src
		}
		b := t.rstBuf[:]
		binary.BigEndian.PutUint16(b[0:], src)
		binary.BigEndian.PutUint16(b[2:], dst)
		binary.BigEndian.PutUint32(b[4:], s.next[d])
		binary.BigEndian.PutUint32(b[8:], 0)
		b[12], b[13] = 5<<4, 0x04 // header length, RST
		if t.rst.DecodeFromBytes(b, gopacket.NilDecodeFeedback) == nil {
			t.asm.AssembleWithContext(fl, &t.rst, &t.ctx)
		}
	}
	t.aborting = false
}

// Advance moves the Table's clock to now (never back) and runs the flush
// sweep when it is due. Packets advance it; a live capture also calls it on
// a quiet link, so idle connections close without new packets.
func (t *Table) Advance(now time.Time) {
	if now.After(t.now) {
		t.now = now
	}
	if t.lastSweep.IsZero() {
		t.lastSweep = t.now
	} else if t.now.Sub(t.lastSweep) >= t.cfg.SweepInterval {
		t.sweep(t.cfg.IdleTimeout)
	}
}

func (t *Table) sweep(idle time.Duration) {
	t.lastSweep = t.now
	t.held(func() {
		t.asm.FlushWithOptions(reassembly.FlushOptions{
			T:  t.now.Add(-t.cfg.GapTimeout),
			TC: t.now.Add(-idle),
		})
	})
}

// FlushAll delivers everything buffered and closes every connection, as at
// the end of a capture.
func (t *Table) FlushAll() { t.held(func() { t.asm.FlushAll() }) }

// held runs a flush of many connections. The assembler visits them in map
// order, which differs from run to run; so their handlers' calls are held
// back and replayed afterwards in the order the connections were opened,
// and the same capture always yields the same output in the same order.
func (t *Table) held(flush func()) {
	t.sweeping = true
	flush()
	t.sweeping = false
	slices.SortFunc(t.swept, func(a, b *stream) int { return cmp.Compare(a.id, b.id) })
	for i, s := range t.swept {
		s.replay()
		t.swept[i] = nil
	}
	t.swept = t.swept[:0]
}

// Stats returns a copy of the counters so far.
func (t *Table) Stats() Stats {
	st := t.stats
	st.Sources = make(map[uint64]SourceStats, len(t.sources))
	for k, v := range t.sources {
		st.Sources[k] = *v
	}
	return st
}

// BoundedEntry returns m's entry for the packed tunnel k, adding it; past
// MaxSources entries a new key gets OtherSource's entry instead (a metric
// label must stay bounded). A key already there costs one map lookup.
func BoundedEntry[V any](m map[uint64]*V, k uint64) *V {
	v := m[k]
	if v == nil {
		if len(m) >= MaxSources {
			k = OtherSource
			v = m[k]
		}
		if v == nil {
			v = new(V)
			m[k] = v
		}
	}
	return v
}

type factory Table

func (f *factory) New(_, _ gopacket.Flow, tcp *layers.TCP, _ reassembly.AssemblerContext) reassembly.Stream {
	t := (*Table)(f)
	if !tcp.SYN && len(tcp.Payload) == 0 {
		// A bare ACK, FIN or RST opens nothing: it is most often the last
		// ACK of a connection just closed, which would otherwise come
		// back as an idle connection until the timeout.
		t.stats.Stray++
		return nil
	}
	if t.stats.Active >= t.cfg.MaxFlows {
		t.stats.Refused++
		return nil
	}
	t.stats.Active++
	t.stats.Flows++
	src, dst := AddrFromPacket(t.cur)
	k := Key{A: src, B: dst, Tunnel: t.cur.Tunnel}
	st := BoundedEntry(t.sources, t.cur.Tunnel.Pack()) // once per connection: each packet then costs a pointer increment
	st.Connections++
	return &stream{t: t, h: t.newHandler(k), src: st, id: t.stats.Flows}
}

// stream adapts one connection to reassembly.Stream.
type stream struct {
	t        *Table
	h        Handler
	src      *SourceStats // the counters of the connection's mirror source
	next     [2]uint32    // sequence number of the next byte to deliver
	started  [2]bool
	ring     [2]segRing
	done     bool
	ended    [2]bool    // the direction was closed by FIN or RST
	reuseDir Dir        // direction of the SYN that found the 4-tuple reused
	id       uint64     // order of creation
	held     []heldCall // handler calls held back during a flush
}

type callKind uint8

const (
	callData callKind = iota
	callGap
	callEnd
	callClose
)

// heldCall is a Handler call held back during a flush, with copies of its
// arguments.
type heldCall struct {
	kind  callKind
	dir   Dir
	seq   uint32
	n     int
	data  []byte
	spans []Span
}

// call makes a Handler call, or holds it back during a flush.
func (s *stream) call(c heldCall) {
	if s.t.sweeping {
		if len(s.held) == 0 {
			s.t.swept = append(s.t.swept, s)
		}
		c.data, c.spans = bytes.Clone(c.data), slices.Clone(c.spans)
		s.held = append(s.held, c)
		return
	}
	s.do(c)
}

func (s *stream) do(c heldCall) {
	if s.done && c.kind != callClose {
		return
	}
	switch c.kind {
	case callData:
		if !s.h.Data(c.dir, c.seq, c.data, c.spans) {
			s.done = true
		}
	case callGap:
		s.h.Gap(c.dir, c.n)
	case callEnd:
		s.h.End(c.dir)
	case callClose:
		s.h.Close()
	}
}

func (s *stream) replay() {
	for _, c := range s.held {
		s.do(c)
	}
	s.held = nil
}

func (s *stream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, _ reassembly.AssemblerContext) bool {
	d := dirOf(dir)
	if s.t.aborting {
		*start = true
		return true
	}
	if tcp.SYN && !tcp.ACK && (s.done || s.ended[DirAB] || s.ended[DirBA]) {
		// A client reuses the 4-tuple of a connection that is over, or
		// that its handler gave up on: the assembler would drop the SYN
		// (it replaces only connections closed both ways) and hand the
		// new connection's bytes to the old one. Table.Packet closes
		// the old one and feeds the SYN again.
		s.t.reused, s.reuseDir = s, d
		return false
	}
	if n := len(tcp.Payload); n > 0 {
		s.src.PayloadBytes += uint64(n)
		if s.done {
			s.src.IgnoredBytes += uint64(n)
		} else if nextSeq != -1 {
			// Bytes before the next one the assembler waits for were
			// delivered already (or skipped as a gap): they were sent
			// again, or the mirror copied the packet twice.
			seq := tcp.Seq
			if tcp.SYN {
				seq++
			}
			if old := int32(uint32(nextSeq) - seq); old > 0 {
				s.src.RetransBytes += uint64(min(int(old), n))
			}
		}
	}
	if s.done {
		s.t.stats.Ignored++
		return false
	}
	// A connection whose handshake was not captured starts where we join.
	*start = true
	if !s.started[d] && nextSeq == -1 {
		s.started[d] = true
		s.next[d] = tcp.Seq
		if tcp.SYN {
			s.next[d]++
		}
	}
	if n := len(tcp.Payload); n > 0 {
		ahead := s.started[d] && int32(tcp.Seq-s.next[d]) > 0 && nextSeq != -1 && int32(tcp.Seq-uint32(nextSeq)) > 0
		s.ring[d].add(tcp.Seq, uint32(n), tcp.Ack, tcp.ACK, ci.Timestamp, ahead)
	}
	return true
}

func (s *stream) ReassembledSG(sg reassembly.ScatterGather, _ reassembly.AssemblerContext) {
	dir, _, end, skip := sg.Info()
	d := dirOf(dir)
	if skip > 0 {
		s.t.stats.Gaps++
		s.t.stats.GapBytes += uint64(skip)
		s.src.GapBytes += uint64(skip)
		s.next[d] += uint32(skip)
		s.call(heldCall{kind: callGap, dir: d, n: skip})
	}
	if n, _ := sg.Lengths(); n > 0 {
		if !s.done {
			t := s.t
			t.spans = s.ring[d].spans(t.spans[:0], s.next[d], n)
			s.call(heldCall{kind: callData, dir: d, seq: s.next[d], data: sg.Fetch(n), spans: t.spans})
		}
		s.next[d] += uint32(n)
	}
	s.ring[d].prune(s.next[d])
	if end {
		s.ended[d] = true
		if !s.t.aborting {
			s.call(heldCall{kind: callEnd, dir: d})
		}
	}
}

func (s *stream) ReassemblyComplete(_ reassembly.AssemblerContext) bool {
	s.t.stats.Active--
	if s.started[DirAB] != s.started[DirBA] {
		// Only one direction was ever seen: a mirror that copies one way.
		s.t.stats.OneSided++
		s.src.OneSided++
	}
	s.call(heldCall{kind: callClose})
	return true
}

func dirOf(d reassembly.TCPFlowDirection) Dir {
	if d == reassembly.TCPDirClientToServer {
		return DirAB
	}
	return DirBA
}

// segRing remembers the last few data segments of one direction, so the
// time and acknowledgement number behind any recent byte can be found
// without keeping a context per packet. Segments that arrived ahead of a
// hole are also kept aside until delivered, since the reassembler may hold
// them far longer than the ring remembers; that list only grows with
// out-of-order data, which the reassembler's page budget already bounds.
type segRing struct {
	seg   [16]segment
	next  uint8
	now   time.Time
	ahead []segment
}

type segment struct {
	seq, end, ack uint32
	ts            int64 // unix nanoseconds
	ackOK         bool
}

const maxAhead = 1024

func (r *segRing) add(seq, n, ack uint32, ackOK bool, ts time.Time, ahead bool) {
	r.now = ts
	// A copy of the segment just added (a SPAN port that mirrors both
	// ports of a link shows every packet twice) keeps the first one's time.
	// Older retransmissions are added: whether the peer saw the original or
	// the retransmission cannot be told, and the newer is the safer bet.
	if last := &r.seg[(r.next-1)%16]; last.end != last.seq && seq-last.seq < last.end-last.seq && seq+n-last.seq <= last.end-last.seq {
		return
	}
	sg := segment{seq: seq, end: seq + n, ack: ack, ts: ts.UnixNano(), ackOK: ackOK}
	r.seg[r.next%16] = sg
	r.next++
	if ahead && len(r.ahead) < maxAhead {
		r.ahead = append(r.ahead, sg)
	}
}

// prune forgets held segments that end before next.
func (r *segRing) prune(next uint32) {
	if len(r.ahead) == 0 {
		return
	}
	kept := r.ahead[:0]
	for _, sg := range r.ahead {
		if int32(sg.end-next) > 0 {
			kept = append(kept, sg)
		}
	}
	r.ahead = kept
	if len(kept) == 0 {
		r.ahead = nil
	}
}

// find returns the newest remembered segment holding seq.
func (r *segRing) find(seq uint32) (*segment, bool) {
	for i := range r.ahead {
		if s := &r.ahead[i]; seq-s.seq < s.end-s.seq {
			return s, true
		}
	}
	// Newest first: the bytes asked about are nearly always recent.
	for i := uint8(1); i <= 16; i++ {
		s := &r.seg[(r.next-i)%16]
		if s.end != s.seq && seq-s.seq < s.end-s.seq { // wrap-safe seq in [seq, end)
			return s, true
		}
	}
	return nil, false
}

// spans appends to dst the packets behind the n bytes from seq.
func (r *segRing) spans(dst []Span, seq uint32, n int) []Span {
	end := seq + uint32(n)
	for p := seq; int32(end-p) > 0; {
		if s, ok := r.find(p); ok {
			dst = append(dst, Span{Seq: p, Time: s.ts, Ack: s.ack, AckOK: s.ackOK})
			if int32(end-s.end) < 0 {
				break
			}
			p = s.end
			continue
		}
		// Not remembered: the latest packet's time, up to the next byte
		// that is.
		dst = append(dst, Span{Seq: p, Time: r.now.UnixNano()})
		next := end
		for i := range r.seg {
			if s := &r.seg[i]; s.end != s.seq && int32(s.seq-p) > 0 && int32(s.seq-next) < 0 {
				next = s.seq
			}
		}
		for i := range r.ahead {
			if s := &r.ahead[i]; int32(s.seq-p) > 0 && int32(s.seq-next) < 0 {
				next = s.seq
			}
		}
		p = next
	}
	return dst
}
