package sensor

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/apitap/apitap/sensor/flow"
	"github.com/apitap/apitap/sensor/http1"
)

// parsing is the HTTP side of a Pipeline: inline, in the caller's
// goroutine, or staged, in a goroutine of its own.
type parsing interface {
	conn(k flow.Key) flow.Handler
	datagram(k flow.Key, ts time.Time, payload []byte)
	// drain returns once everything handed over has been parsed.
	drain()
}

type inline struct{ http *http1.Parser }

func (in inline) conn(k flow.Key) flow.Handler { return in.http.NewConn(k) }
func (in inline) datagram(k flow.Key, ts time.Time, b []byte) {
	in.http.Datagram(k.A, k.B, k.Tunnel, ts, b)
}
func (inline) drain() {}

// staged hands reassembled bytes to a second goroutine that parses HTTP, so
// reassembly and parsing use two cores. Events cross in batches through a
// bounded ring of buffers; since flow.Span fixes the packet metadata of
// every byte when it is delivered, the parser sees exactly what it would
// see inline, in the same order, and emits the same transactions.
type staged struct {
	http    *http1.Parser
	onPanic func(any) // reports a recovered panic
	panics  atomic.Uint64

	cur     *batch
	full    chan *batch // to the parsing goroutine
	free    chan *batch // back from it
	done    sync.WaitGroup
	running bool
	nextID  uint32
}

// Batch limits: a batch is handed over when either is reached. Three
// batches circulate, so at most about 1 MiB of payload is in flight.
const (
	batchBytes  = 256 << 10
	batchEvents = 4096
	numBatches  = 3
)

type evKind uint8

const (
	evOpen evKind = iota
	evData
	evGap
	evEnd
	evClose
	evDatagram
)

type event struct {
	kind         evKind
	dir          flow.Dir
	id           uint32 // connection
	seq          uint32
	n            int32 // data length or gap size
	off          int32 // data offset in batch.data
	span, nspans int32 // data spans in batch.spans
	key          int32 // index in batch.keys (open, datagram)
	ts           int64 // datagram time
	relay        *relay
}

type batch struct {
	ev    []event
	data  []byte
	spans []flow.Span
	keys  []flow.Key
}

func newStaged(h *http1.Parser, onPanic func(any)) *staged {
	s := &staged{http: h, onPanic: onPanic, free: make(chan *batch, numBatches)}
	for range numBatches {
		s.free <- &batch{data: make([]byte, 0, batchBytes+64<<10), ev: make([]event, 0, batchEvents)}
	}
	return s
}

// start launches the parsing goroutine if it is not running.
func (s *staged) start() {
	if s.running {
		return
	}
	s.running = true
	s.full = make(chan *batch, numBatches)
	s.cur = <-s.free
	s.done.Add(1)
	go s.parse(s.full)
}

func (s *staged) push(e event) {
	s.start()
	s.cur.ev = append(s.cur.ev, e)
	if len(s.cur.ev) >= batchEvents || len(s.cur.data) >= batchBytes {
		s.full <- s.cur
		s.cur = <-s.free
	}
}

func (s *staged) drain() {
	if !s.running {
		return
	}
	s.full <- s.cur
	s.cur = nil
	close(s.full)
	s.done.Wait()
	s.running = false
}

// relay stands for one connection on the reassembly side.
type relay struct {
	s    *staged
	id   uint32
	done atomic.Bool // set by the parser: the connection is not HTTP
}

func (s *staged) conn(k flow.Key) flow.Handler {
	s.nextID++
	r := &relay{s: s, id: s.nextID}
	s.start()
	s.cur.keys = append(s.cur.keys, k)
	s.push(event{kind: evOpen, id: r.id, key: int32(len(s.cur.keys) - 1), relay: r})
	return r
}

func (s *staged) datagram(k flow.Key, ts time.Time, b []byte) {
	s.start()
	s.cur.keys = append(s.cur.keys, k)
	off := len(s.cur.data)
	s.cur.data = append(s.cur.data, b...)
	s.push(event{kind: evDatagram, key: int32(len(s.cur.keys) - 1), off: int32(off), n: int32(len(b)), ts: ts.UnixNano()})
}

func (r *relay) Data(dir flow.Dir, seq uint32, data []byte, spans []flow.Span) bool {
	s := r.s
	s.start()
	b := s.cur
	off, sp := len(b.data), len(b.spans)
	b.data = append(b.data, data...)
	b.spans = append(b.spans, spans...)
	s.push(event{kind: evData, id: r.id, dir: dir, seq: seq, off: int32(off), n: int32(len(data)),
		span: int32(sp), nspans: int32(len(spans))})
	return !r.done.Load()
}

func (r *relay) Gap(dir flow.Dir, n int) {
	r.s.push(event{kind: evGap, id: r.id, dir: dir, n: int32(n)})
}

func (r *relay) End(dir flow.Dir) { r.s.push(event{kind: evEnd, id: r.id, dir: dir}) }

func (r *relay) Close() { r.s.push(event{kind: evClose, id: r.id}) }

// parse is the parsing goroutine.
func (s *staged) parse(full <-chan *batch) {
	defer s.done.Done()
	conns := make(map[uint32]*parsed)
	for b := range full {
		for i := range b.ev {
			s.dispatch(conns, b, &b.ev[i])
		}
		b.ev, b.data, b.spans = b.ev[:0], b.data[:0], b.spans[:0]
		clear(b.keys)
		b.keys = b.keys[:0]
		s.free <- b
	}
}

type parsed struct {
	c *http1.Conn
	r *relay
}

func (s *staged) dispatch(conns map[uint32]*parsed, b *batch, e *event) {
	defer func() {
		if v := recover(); v != nil {
			s.panics.Add(1)
			s.onPanic(v)
		}
	}()
	switch e.kind {
	case evOpen:
		conns[e.id] = &parsed{c: s.http.NewConn(b.keys[e.key]), r: e.relay}
	case evDatagram:
		k := b.keys[e.key]
		s.http.Datagram(k.A, k.B, k.Tunnel, time.Unix(0, e.ts), b.data[e.off:e.off+e.n])
	default:
		p := conns[e.id]
		if p == nil {
			return
		}
		switch e.kind {
		case evData:
			if !p.c.Data(e.dir, e.seq, b.data[e.off:e.off+e.n], b.spans[e.span:e.span+e.nspans]) {
				p.r.done.Store(true)
			}
		case evGap:
			p.c.Gap(e.dir, int(e.n))
		case evEnd:
			p.c.End(e.dir)
		case evClose:
			p.c.Close()
			delete(conns, e.id)
		}
	}
}
