package http1

import (
	"time"

	"github.com/apitap/apitap/sensor/flow"
)

// state of one direction's parser.
type state uint8

const (
	stIdle   state = iota // between messages: a start line is expected
	stHeader              // reading a header block
	stBody                // reading a body
	stResync              // lost: looking for the next start line
	stTunnel              // the connection switched protocols: ignore the rest
	stDead                // the direction ended
)

// half parses one direction of a connection.
type half struct {
	c    *Conn
	dir  flow.Dir
	role role
	st   state

	// Header block being read: buf holds it only when it spans calls.
	buf       []byte
	scan      int       // index of the last '\n' examined in the block
	firstLine bool      // the start line was complete and valid
	sl        startLine // and what it says
	pend09    bool      // the start line may be a whole HTTP/0.9 request

	// Message being read.
	txn       *Transaction
	msg       *Message
	start     uint32 // sequence number of its first byte
	mode      bodyMode
	remaining int64 // body or chunk bytes still expected
	cs        chunkState
	csDigits  int
	csLine    int    // bytes in the current chunk-size, extension or trailer line
	raw       []byte // the message's body sample, before content decoding
	noSample  bool   // a gap broke the sample: keep what we have
	lastSeq   uint32 // sequence number of the last byte of the message so far

	// Resynchronisation.
	atLineStart bool
	skipped     int64 // bytes skipped since the last message
	messages    int   // messages parsed in this direction

	ended bool

	scratch []byte // resync's view of carried bytes and a new chunk

	seq  uint32      // sequence number of the next byte
	hist spanHistory // which packets carried the recent bytes
}

func (h *half) init(c *Conn, d flow.Dir) {
	h.c, h.dir = c, d
}

func (h *half) cfg() *Config { return &h.c.p.cfg }

// data consumes in-order bytes; seq is the sequence number of b[0].
func (h *half) data(seq uint32, b []byte, spans []flow.Span) {
	if spans != nil {
		h.hist.add(spans, seq+uint32(len(b)))
	}
	h.seq = seq
	stalls := 0
	for len(b) > 0 {
		var n int
		held := len(h.buf)
		switch h.st {
		case stIdle:
			n = h.idle(b)
		case stHeader:
			n = h.header(b)
		case stBody:
			n = h.body(b)
		case stResync:
			n = h.resync(b)
		default:
			n = len(b)
		}
		if n == 0 && len(h.buf) == held {
			// States may hand over without consuming; three in a row
			// would be a bug, and a bug must not become a hang.
			if stalls++; stalls > 3 {
				h.toResync(false)
				n = 1
			}
		} else {
			stalls = 0
		}
		b = b[n:]
		h.seq += uint32(n)
	}
}

func (h *half) toResync(atLineStart bool) {
	if h.st != stResync {
		h.c.p.stats.Resyncs.Add(1)
	}
	h.st = stResync
	h.atLineStart = atLineStart
	h.buf = h.buf[:0]
}

func (h *half) packet(seq uint32) (time.Time, uint32, bool) { return h.hist.at(seq) }

func (h *half) idle(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
		i++
	}
	if i > 0 {
		return i
	}
	if h.is09Response(b) {
		h.begin()
		h.response09()
		return 0
	}
	// Only the first byte is looked at here: header() checks the whole
	// start line, and on failure searches it exactly as resync would.
	if c := b[0]; !(c >= 'A' && c <= 'Z') || h.role == roleResponse && c != 'H' {
		h.toResync(false)
		return 0
	}
	h.begin()
	h.st = stHeader
	return 0
}

func (h *half) begin() {
	h.start = h.seq
	h.buf = h.buf[:0]
	h.scan = 0
	h.firstLine = false
	h.pend09 = false
}

// finish completes the current message.
func (h *half) finish() {
	m, t := h.msg, h.txn
	if m == nil {
		return
	}
	if ts, _, _ := h.packet(h.lastSeq); !ts.IsZero() {
		m.End = ts
	}
	if h.st == stBody || m.Body.Len > 0 {
		h.c.p.fillBody(&m.Body, h.raw, &m.Anomalies)
		h.raw = nil
	}
	h.msg, h.txn = nil, nil
	h.messages++
	h.skipped = 0
	if h.st != stTunnel {
		h.st = stIdle
	}
	if m == &t.Request.Message {
		t.st.reqDone = true
	} else {
		t.st.respDone = true
	}
	h.c.progress()
}

// gap handles n bytes that were never captured.
func (h *half) gap(n int) {
	switch h.st {
	case stBody:
		if h.msg == nil {
			h.toResync(true)
			return
		}
		if h.spanGap(int64(n)) {
			return
		}
		h.msg.Anomalies |= AnomalyGap
		h.finish()
		h.toResync(true)
	case stHeader:
		if h.firstLine && len(h.buf) > 0 {
			h.completePartial(h.buf, AnomalyGap)
		}
		h.toResync(true)
	case stIdle, stResync:
		h.toResync(true)
	}
}

// end handles the end of the direction (FIN, RST, or the connection's close).
func (h *half) end() {
	if h.ended {
		return
	}
	h.ended = true
	h.settle09()
	switch h.st {
	case stBody:
		if h.mode != bodyClose {
			h.msg.Anomalies |= AnomalyTruncated
		}
		h.finish()
	case stHeader:
		if h.firstLine && len(h.buf) > 0 {
			h.completePartial(h.buf, AnomalyTruncated)
		}
	}
	h.st = stDead
	h.buf = nil
	h.raw = nil
}
