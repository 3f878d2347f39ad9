package synth

import (
	"bufio"
	"cmp"
	"container/heap"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"
)

// Stats is the ground truth of a generated capture.
type Stats struct {
	Packets      int64 // pcap records written
	Bytes        int64 // frame bytes written (Ethernet header included, pcap headers not)
	PayloadBytes int64 // TCP payload bytes written, both directions
	Requests     int64 // HTTP requests sent (also those whose segments were dropped)
	Responses    int64 // HTTP responses sent; every request gets one
	Connections  int64 // TCP connections, each with handshake and FIN close

	DroppedSegments int64 // data segments left out by LossRate
	DroppedBytes    int64 // their payload bytes

	Duration time.Duration // from the first packet to the last
}

// FileSize returns the size of the pcap file: header, record headers and
// frames.
func (s Stats) FileSize() int64 { return pcapHeaderLen + s.Packets*recordHeaderLen + s.Bytes }

const (
	pcapHeaderLen   = 24
	recordHeaderLen = 16
	ethLen          = 14
	ipLen           = 20
	tcpLen          = 20
	synOptLen       = 4 // MSS option on SYN and SYN-ACK
	snapLen         = 65535
	writeBufferSize = 1 << 20
)

// TCP flags.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagPSH = 0x08
	flagACK = 0x10
)

// Write writes a classic pcap (Ethernet, IPv4, microsecond timestamps) of
// HTTP/1.1 REST traffic described by cfg to w and returns its ground truth.
// The output depends only on cfg. IP and TCP checksums are zero: the capture
// looks like one taken with checksum offload, and decoders do not check them.
func Write(w io.Writer, cfg Config) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	cfg = cfg.withDefaults()
	g := newGenerator(w, &cfg)
	g.run()
	if g.err == nil {
		g.err = g.bw.Flush()
	}
	if g.err != nil {
		return g.stats, fmt.Errorf("synth write: %w", g.err)
	}
	return g.stats, nil
}

// pkt is one packet of a connection, queued until its time comes.
type pkt struct {
	t          int64 // microseconds after StartTime
	seq, ack   uint32
	payload    []byte // aliases the connection's message buffers
	fromServer bool
	flags      uint8
	drop       bool
}

// conn is one TCP connection. Its queue holds the packets of the current
// exchange in time order; the payloads alias req and resp, which are rebuilt
// only when the queue is empty.
type conn struct {
	id int
	cl *client
	sv *service
	ends
	cseq      uint32 // next sequence number the client sends
	sseq      uint32
	rtt       int64 // client round trip seen from the capture point, µs
	t         int64 // time of the last queued packet
	remaining int   // requests still to send
	closed    bool  // the queue ends with the close
	q         []pkt
	qi        int
	req, resp []byte
	msg       message
}

func (c *conn) next() *pkt { return &c.q[c.qi] }

// connHeap orders open connections by the time of their next packet.
type connHeap []*conn

func (h connHeap) Len() int { return len(h) }
func (h connHeap) Less(i, j int) bool {
	a, b := h[i].next().t, h[j].next().t
	return a < b || a == b && h[i].id < h[j].id
}
func (h connHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *connHeap) Push(x any)   { *h = append(*h, x.(*conn)) }
func (h *connHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

type generator struct {
	cfg      *Config
	r        *rand.Rand
	loss     *rand.Rand // separate, so that loss changes only what is captured
	bw       *bufio.Writer
	err      error
	stats    Stats
	start    int64 // StartTime in Unix microseconds
	first    int64
	last     int64 // time of the last packet written, µs after start
	clients  []client
	services []service
	open     connHeap
	free     []*conn
	started  int
	content  *content
	hdr      [recordHeaderLen + ethLen + ipLen + tcpLen + synOptLen]byte
}

func newGenerator(w io.Writer, cfg *Config) *generator {
	r := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	g := &generator{
		cfg:     cfg,
		r:       r,
		loss:    rand.New(rand.NewPCG(cfg.Seed^0x5851f42d4c957f2d, cfg.Seed)),
		bw:      bufio.NewWriterSize(w, writeBufferSize),
		start:   cfg.StartTime.UnixMicro(),
		last:    -1,
		content: newContent(r, cfg),
	}
	nClients := min(max(cfg.Connections/4, 8), 2000)
	g.clients = make([]client, nClients)
	for i := range g.clients {
		g.clients[i] = newClient(r, i)
	}
	g.services = make([]service, len(cfg.Services))
	for i, s := range cfg.Services {
		g.services[i] = newService(r, i, s)
	}
	return g
}

func (g *generator) run() {
	g.write(pcapFileHeader())

	// The first connections open within the first 100 ms.
	for range min(g.cfg.Concurrency, g.cfg.Connections) {
		g.startConn(g.r.Int64N(100_000))
	}
	for len(g.open) > 0 && g.err == nil {
		c := g.open[0]
		p := c.next()
		g.emit(c, p)
		c.qi++
		if c.qi < len(c.q) {
			heap.Fix(&g.open, 0)
			continue
		}
		if !c.closed {
			g.exchange(c)
			heap.Fix(&g.open, 0)
			continue
		}
		heap.Pop(&g.open)
		g.free = append(g.free, c)
		if g.started < g.cfg.Connections {
			g.startConn(g.last + int64(LogUniform(g.r, 50, 50_000)))
		}
	}
	if g.stats.Packets > 0 {
		g.stats.Duration = time.Duration(g.last-g.first) * time.Microsecond
	}
}

// isn returns an initial sequence number; one in ten lies close enough
// below 2^32 that the connection's sequence numbers wrap.
func (g *generator) isn() uint32 {
	if g.r.IntN(10) == 0 {
		return uint32(1<<32 - 1 - g.r.IntN(16_000))
	}
	return g.r.Uint32()
}

// startConn opens a connection whose SYN is at time t and queues its
// handshake and first exchange.
func (g *generator) startConn(t int64) {
	r := g.r
	var c *conn
	if n := len(g.free); n > 0 {
		c = g.free[n-1]
		g.free = g.free[:n-1]
	} else {
		c = new(conn)
	}
	cl := &g.clients[r.IntN(len(g.clients))]
	sv := &g.services[r.IntN(len(g.services))]
	*c = conn{
		id:   g.started,
		cl:   cl,
		sv:   sv,
		cseq: g.isn(),
		sseq: g.isn(),
		ends: ends{
			cmac:  cl.mac,
			smac:  sv.mac,
			cip:   cl.ip,
			sip:   sv.ip,
			cport: cl.nextPort,
			sport: sv.Port,
			cipID: uint16(r.Uint32()),
			sipID: uint16(r.Uint32()),
			cwin:  uint16(32768 + r.IntN(32768)),
			swin:  uint16(32768 + r.IntN(32768)),
		},
		rtt:       int64(LogUniform(r, 200, 30_000)),
		remaining: 1 + r.IntN(2*g.cfg.RequestsPerConn-1),
		q:         c.q[:0],
		req:       c.req[:0],
		resp:      c.resp[:0],
	}
	g.started++
	g.stats.Connections++
	if cl.nextPort++; cl.nextPort < 32768 {
		cl.nextPort = 32768
	}

	c.add(pkt{t: t, flags: flagSYN, seq: c.cseq})
	c.cseq++
	c.add(pkt{t: t + 20 + r.Int64N(60), fromServer: true, flags: flagSYN | flagACK, seq: c.sseq, ack: c.cseq})
	c.sseq++
	c.t = t + c.rtt
	c.add(pkt{t: c.t, flags: flagACK, seq: c.cseq, ack: c.sseq})
	c.t += 10 + r.Int64N(500)
	g.exchange(c)
	heap.Push(&g.open, c)
}

func (c *conn) add(p pkt) { c.q = append(c.q, p) }

// exchange queues the next request and its response, and the close after
// the last one. The first request goes out at c.t, later ones after a pause.
func (g *generator) exchange(c *conn) {
	r := g.r
	if c.qi > 0 { // not the first exchange: the queue has been sent
		c.q = c.q[:0]
		c.qi = 0
		c.t += int64(LogUniform(r, 1_000, 300_000))
	}
	c.remaining--
	last := c.remaining == 0

	c.req = g.content.request(c.req[:0], c.cl, c.sv, last, &c.msg)
	g.stats.Requests++
	t, _ := g.send(c, false, c.req, c.t)

	t += int64(LogUniform(r, 300, 150_000)) // server time
	c.resp = g.content.response(c.resp[:0], c.sv, &c.msg, g.start+t)
	g.stats.Responses++
	t, acked := g.send(c, true, c.resp, t)

	if last {
		c.closed = true
		if c.msg.close {
			// The server closes; the client answers with its own FIN.
			t += 20 + r.Int64N(100)
			c.add(pkt{t: t, fromServer: true, flags: flagFIN | flagACK, seq: c.sseq, ack: c.cseq})
			c.sseq++
			// After the client's acknowledgement of the last data segment.
			t = max(t+c.rtt, acked) + 20 + r.Int64N(100)
			c.add(pkt{t: t, flags: flagFIN | flagACK, seq: c.cseq, ack: c.sseq})
			c.cseq++
			t += 20 + r.Int64N(100)
			c.add(pkt{t: t, fromServer: true, flags: flagACK, seq: c.sseq, ack: c.cseq})
		} else {
			t = max(t+c.rtt, acked) + int64(LogUniform(r, 1_000, 100_000))
			c.add(pkt{t: t, flags: flagFIN | flagACK, seq: c.cseq, ack: c.sseq})
			c.cseq++
			t += 20 + r.Int64N(100)
			c.add(pkt{t: t, fromServer: true, flags: flagFIN | flagACK, seq: c.sseq, ack: c.cseq})
			c.sseq++
			t += c.rtt
			c.add(pkt{t: t, flags: flagACK, seq: c.cseq, ack: c.sseq})
		}
	}
	// Acknowledgements from the far side can come after later data
	// segments; the queue must be in time order.
	slices.SortStableFunc(c.q[c.qi:], func(a, b pkt) int { return cmp.Compare(a.t, b.t) })
	c.t = c.q[len(c.q)-1].t
}

// send queues data from one side in MSS segments starting at time t, and the
// other side's acknowledgements (every second segment and the last). It
// returns the times of the last data segment and of the last acknowledgement.
func (g *generator) send(c *conn, fromServer bool, data []byte, t int64) (last, acked int64) {
	r := g.r
	seq, peer := &c.cseq, &c.sseq
	ackDelay := c.rtt // the client is far from the capture point
	if fromServer {
		seq, peer = &c.sseq, &c.cseq
	} else {
		ackDelay = 30
	}
	mss := g.cfg.MSS
	unacked := 0
	lastAck := t
	for off := 0; off < len(data); {
		n := min(mss, len(data)-off)
		lastSeg := off+n == len(data)
		flags := uint8(flagACK)
		if lastSeg {
			flags |= flagPSH
		}
		drop := g.cfg.LossRate > 0 && g.loss.Float64() < g.cfg.LossRate
		c.add(pkt{t: t, fromServer: fromServer, flags: flags, seq: *seq, ack: *peer, payload: data[off : off+n], drop: drop})
		*seq += uint32(n)
		off += n
		if unacked++; unacked == 2 || lastSeg {
			// Acknowledgements keep their order: jitter must not swap them.
			lastAck = max(t+ackDelay+r.Int64N(100), lastAck+1)
			c.add(pkt{t: lastAck, fromServer: !fromServer, flags: flagACK, seq: *peer, ack: *seq})
			unacked = 0
		}
		if !lastSeg {
			t += 12 + r.Int64N(30) // about one segment time at 1 Gbit/s
		}
	}
	return t, lastAck
}

// emit writes one packet, unless it is a dropped data segment. Timestamps
// strictly increase: a packet due at or before the last one written gets the
// next microsecond.
func (g *generator) emit(c *conn, p *pkt) {
	h := g.hdr[:headerLen(p.flags)]
	frame := c.putHeaders(h, p.fromServer, p.flags, p.seq, p.ack, len(p.payload), g.cfg.MSS)
	if p.drop {
		g.stats.DroppedSegments++
		g.stats.DroppedBytes += int64(len(p.payload))
		return
	}

	ts := max(p.t, g.last+1)
	if g.stats.Packets == 0 {
		g.first = ts
	}
	g.last = ts
	putRecordTime(h, g.start+ts)
	g.write(h)
	g.write(p.payload)

	g.stats.Packets++
	g.stats.Bytes += int64(frame)
	g.stats.PayloadBytes += int64(len(p.payload))
}

func (g *generator) write(b []byte) {
	if g.err != nil || len(b) == 0 {
		return
	}
	_, g.err = g.bw.Write(b)
}
