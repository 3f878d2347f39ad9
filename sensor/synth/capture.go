package synth

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Capture writes TCP connections carrying HTTP exchanges to a classic pcap
// (Ethernet, IPv4, microsecond timestamps), for generators that decide their
// traffic one exchange at a time rather than through a Config. Dial, Exchange
// and Close build the frames of a connection at once, with realistic
// handshakes, segments of at most MSS bytes, acknowledgements and a FIN
// close; they wait in a time-ordered queue until Advance passes their time,
// so the packets of many connections interleave in the file as on a wire.
//
// The caller promises that after Advance(t) it queues nothing before t.
// Timestamps strictly increase, as Write's do: a packet due at or before
// the last one written gets the next microsecond. The output depends only
// on the options and the calls made. IP and TCP checksums are zero, as in a
// capture taken with checksum offload.
type Capture struct {
	bw    *bufio.Writer
	r     *rand.Rand
	mss   int
	q     []qpkt // heap by (t, n)
	n     uint64 // packets queued so far: the heap's tie-break
	free  [][]byte
	first int64 // µs since the Unix epoch of the first packet written
	last  int64 // and of the last
	err   error
	stats CaptureStats
}

// CaptureOptions configure a Capture. The zero value is usable.
type CaptureOptions struct {
	Seed uint64 // drives sequence numbers, windows and segment timing
	MSS  int    // largest TCP payload of one segment; default 1448
}

// CaptureStats counts what a Capture wrote.
type CaptureStats struct {
	Packets      int64     // pcap records
	Bytes        int64     // frame bytes (Ethernet header included, pcap headers not)
	PayloadBytes int64     // TCP payload bytes, both directions
	Connections  int64     // connections dialled
	First, Last  time.Time // times of the first and last packet written
}

// FileSize returns the size of the pcap file written so far.
func (s CaptureStats) FileSize() int64 {
	return pcapHeaderLen + s.Packets*recordHeaderLen + s.Bytes
}

// qpkt is a queued frame: the record header's timestamp is filled in when
// it is written.
type qpkt struct {
	t   int64
	n   uint64
	buf []byte // pcap record header and frame
	hdr int    // bytes of buf before the TCP payload
}

// NewCapture returns a Capture writing to w. The pcap file header is
// written with the first packets, or by Close.
func NewCapture(w io.Writer, opt CaptureOptions) *Capture {
	if opt.MSS <= 0 {
		opt.MSS = 1448
	}
	c := &Capture{
		bw:  bufio.NewWriterSize(w, writeBufferSize),
		r:   rand.New(rand.NewPCG(opt.Seed^0x6a09e667f3bcc908, opt.Seed+0xbb67ae8584caa73b)),
		mss: min(max(opt.MSS, 64), 9000),
	}
	c.write(pcapFileHeader())
	return c
}

// Conn is one TCP connection of a Capture, from a client to a server.
type Conn struct {
	c *Capture
	ends
	cseq, sseq uint32 // next sequence number each side sends
	rtt        int64  // µs: the client is far from the capture point, the server near
	ready      int64
	closed     bool
}

// Dial queues the three-way handshake of a connection whose SYN is seen at
// t. rtt is the client's round trip as seen from the capture point (the
// server is taken to be next to it). Only IPv4 addresses are supported.
func (c *Capture) Dial(t time.Time, client, server netip.AddrPort, rtt time.Duration) *Conn {
	r := c.r
	cn := &Conn{
		c: c,
		ends: ends{
			cip:   client.Addr().As4(),
			sip:   server.Addr().As4(),
			cport: client.Port(),
			sport: server.Port(),
		},
		cseq: r.Uint32(),
		sseq: r.Uint32(),
	}
	cn.cipID = uint16(r.Uint32())
	cn.sipID = uint16(r.Uint32())
	cn.cwin = uint16(32768 + r.IntN(32768))
	cn.swin = uint16(32768 + r.IntN(32768))
	cn.rtt = max(int64(rtt/time.Microsecond), 50)
	cn.cmac = [6]byte{0x02, 0x00, cn.cip[0], cn.cip[1], cn.cip[2], cn.cip[3]}
	cn.smac = [6]byte{0x02, 0x01, cn.sip[0], cn.sip[1], cn.sip[2], cn.sip[3]}
	c.stats.Connections++

	us := t.UnixMicro()
	cn.queue(us, false, flagSYN, cn.cseq, 0, nil)
	cn.cseq++
	cn.queue(us+20+r.Int64N(60), true, flagSYN|flagACK, cn.sseq, cn.cseq, nil)
	cn.sseq++
	us += cn.rtt
	cn.queue(us, false, flagACK, cn.cseq, cn.sseq, nil)
	cn.ready = us + 10 + r.Int64N(300)
	return cn
}

// Ready returns when the client can send its first request: just after its
// acknowledgement of the SYN-ACK.
func (cn *Conn) Ready() time.Time { return time.UnixMicro(cn.ready).UTC() }

// Exchange queues a request whose first segment is seen at t and the
// response, whose first segment follows the request's last by latency,
// with the acknowledgements of both. It returns the time of the exchange's
// last packet, after which the connection may carry the next one. req and
// resp are copied.
func (cn *Conn) Exchange(t time.Time, req []byte, latency time.Duration, resp []byte) time.Time {
	us := t.UnixMicro()
	lastReq, acked := cn.send(false, req, us, max(int64(latency/time.Microsecond), 0))
	start := max(lastReq+int64(latency/time.Microsecond), acked+1)
	lastResp, end := cn.send(true, resp, start, 0)
	return time.UnixMicro(max(lastResp, end)).UTC()
}

// delayedAck is how long a server waits before acknowledging a request's
// last segment on its own; a response sent sooner carries the
// acknowledgement instead.
const delayedAck = 40_000

// send queues data from one side in MSS segments from time t, with the
// peer's acknowledgement of every second segment. The client acknowledges
// the last segment of a response a round trip later; the server
// acknowledges the last segment of a request after delayedAck, unless the
// response (due latency after it) comes first. It returns the times of the
// last data segment and of the last acknowledgement.
func (cn *Conn) send(fromServer bool, data []byte, t, latency int64) (last, acked int64) {
	r := cn.c.r
	seq, peer := &cn.cseq, &cn.sseq
	ackDelay := int64(30)
	if fromServer {
		seq, peer = &cn.sseq, &cn.cseq
		ackDelay = cn.rtt
	}
	mss := cn.c.mss
	acked = t
	unacked := 0
	for off := 0; off < len(data); {
		n := min(mss, len(data)-off)
		lastSeg := off+n == len(data)
		flags := uint8(flagACK)
		if lastSeg {
			flags |= flagPSH
		}
		cn.queue(t, fromServer, flags, *seq, *peer, data[off:off+n])
		*seq += uint32(n)
		off += n
		unacked++
		switch {
		case unacked == 2, lastSeg && fromServer:
			acked = max(t+ackDelay+r.Int64N(100), acked+1)
			cn.queue(acked, !fromServer, flagACK, *peer, *seq, nil)
			unacked = 0
		case lastSeg && latency > delayedAck:
			acked = max(t+delayedAck+r.Int64N(1000), acked+1)
			cn.queue(acked, !fromServer, flagACK, *peer, *seq, nil)
		}
		if !lastSeg {
			t += 12 + r.Int64N(30) // about one segment time at 1 Gbit/s
		}
	}
	return t, acked
}

// Close queues the close of the connection from t: FIN from one side
// (the server's when byServer), FIN from the other, last acknowledgement.
// It returns the time of the last packet. Exchanges after Close are not
// allowed; a second Close does nothing.
func (cn *Conn) Close(t time.Time, byServer bool) time.Time {
	if cn.closed {
		return t
	}
	cn.closed = true
	r := cn.c.r
	us := t.UnixMicro()
	if byServer {
		cn.queue(us, true, flagFIN|flagACK, cn.sseq, cn.cseq, nil)
		cn.sseq++
		us += cn.rtt + r.Int64N(100)
		cn.queue(us, false, flagFIN|flagACK, cn.cseq, cn.sseq, nil)
		cn.cseq++
		us += 20 + r.Int64N(100)
		cn.queue(us, true, flagACK, cn.sseq, cn.cseq, nil)
	} else {
		cn.queue(us, false, flagFIN|flagACK, cn.cseq, cn.sseq, nil)
		cn.cseq++
		us += 20 + r.Int64N(100)
		cn.queue(us, true, flagFIN|flagACK, cn.sseq, cn.cseq, nil)
		cn.sseq++
		us += cn.rtt
		cn.queue(us, false, flagACK, cn.cseq, cn.sseq, nil)
	}
	return time.UnixMicro(us).UTC()
}

// queue builds one frame and puts it in the heap.
func (cn *Conn) queue(t int64, fromServer bool, flags uint8, seq, ack uint32, payload []byte) {
	c := cn.c
	var buf []byte
	if n := len(c.free); n > 0 {
		buf = c.free[n-1][:0]
		c.free = c.free[:n-1]
	}
	buf = append(buf, make([]byte, headerLen(flags))...)
	cn.putHeaders(buf, fromServer, flags, seq, ack, len(payload), c.mss)
	hdr := len(buf)
	buf = append(buf, payload...)
	c.push(qpkt{t: t, n: c.n, buf: buf, hdr: hdr})
	c.n++
}

func (a *qpkt) less(b *qpkt) bool { return a.t < b.t || a.t == b.t && a.n < b.n }

func (c *Capture) push(p qpkt) {
	c.q = append(c.q, p)
	q := c.q
	i := len(q) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !q[i].less(&q[parent]) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (c *Capture) pop() qpkt {
	q := c.q
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = qpkt{}
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].less(&q[l]) {
			m = r
		}
		if !q[m].less(&q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	c.q = q
	return top
}

// Advance writes every queued packet due before t. It returns the first
// write error, after which nothing more is written.
func (c *Capture) Advance(t time.Time) error {
	us := t.UnixMicro()
	for len(c.q) > 0 && c.q[0].t < us && c.err == nil {
		c.emit(c.pop())
	}
	return c.err
}

// Close writes every queued packet and flushes the buffer; it does not
// close the underlying writer.
func (c *Capture) Close() error {
	for len(c.q) > 0 && c.err == nil {
		c.emit(c.pop())
	}
	if c.err == nil {
		c.err = c.bw.Flush()
	}
	if c.err != nil {
		return fmt.Errorf("synth capture: %w", c.err)
	}
	return nil
}

// Stats returns what has been written so far.
func (c *Capture) Stats() CaptureStats {
	s := c.stats
	if s.Packets > 0 {
		s.First, s.Last = time.UnixMicro(c.first).UTC(), time.UnixMicro(c.last).UTC()
	}
	return s
}

func (c *Capture) emit(p qpkt) {
	ts := max(p.t, c.last+1)
	if c.stats.Packets == 0 {
		c.first = ts
	}
	c.last = ts
	putRecordTime(p.buf, ts)
	c.write(p.buf)
	c.stats.Packets++
	c.stats.Bytes += int64(len(p.buf) - recordHeaderLen)
	c.stats.PayloadBytes += int64(len(p.buf)) - int64(p.hdr)
	if cap(p.buf) <= 2048 {
		c.free = append(c.free, p.buf)
	}
}

func (c *Capture) write(b []byte) {
	if c.err != nil {
		return
	}
	_, c.err = c.bw.Write(b)
}
