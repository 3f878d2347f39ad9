package http1

import (
	"github.com/apitap/apitap/sensor/flow"
)

// txnState tracks a transaction while its connection is open.
type txnState struct {
	reqDone     bool // the request was read to its end
	respStarted bool // a response was matched to it
	respDone    bool // that response was read to its end
	lost        bool // its response was never seen, later ones were
}

// Conn is the parser state of one connection. It implements flow.Handler.
type Conn struct {
	p        *Parser
	key      flow.Key
	half     [2]half
	pending  []*Transaction // requests in order, until emitted
	orphans  []*Transaction // responses that matched no request (yet)
	switched bool
	nonHTTP  bool // a direction gave up: no HTTP here
	counted  bool
	closed   bool
	host     string // the last Host header seen, interned
}

var _ flow.Handler = (*Conn)(nil)

// Data implements flow.Handler.
func (c *Conn) Data(dir flow.Dir, seq uint32, data []byte, spans []flow.Span) bool {
	if c.closed {
		return false
	}
	h := &c.half[dir&1]
	c.half[dir&1^1].settle09()
	h.data(seq, data, spans)
	if c.nonHTTP {
		c.p.stats.NonHTTP.Add(1)
		c.Close()
		return false
	}
	return !c.switched
}

// Gap implements flow.Handler.
func (c *Conn) Gap(dir flow.Dir, n int) {
	if !c.closed {
		c.half[dir&1].gap(n)
	}
}

// End implements flow.Handler.
func (c *Conn) End(dir flow.Dir) {
	if !c.closed {
		c.half[dir&1].end()
		c.progress()
	}
}

// Close implements flow.Handler: whatever is still open is emitted.
func (c *Conn) Close() {
	if c.closed {
		return
	}
	c.half[0].end()
	c.half[1].end()
	c.closed = true
	for _, t := range c.pending {
		c.emit(t)
	}
	c.pending = nil
	for _, t := range c.orphans {
		c.emit(t)
	}
	c.orphans = nil
}

func (c *Conn) emit(t *Transaction) {
	if t.Request.seen && !t.Response.seen && !t.st.lost && !c.switched {
		t.Response.Anomalies |= AnomalyNoResponse
	}
	c.p.deliver(t)
}

// addRequest registers a request whose header block was just read and
// returns the transaction it belongs to.
func (c *Conn) addRequest(h *half, t *Transaction) *Transaction {
	if !c.counted {
		c.counted = true
		c.p.stats.Connections.Add(1)
	}
	t.Client, t.Server, t.Tunnel = c.key.A, c.key.B, c.key.Tunnel
	if h.dir == flow.DirBA {
		t.Client, t.Server = c.key.B, c.key.A
	}
	// A request delivered late (after the gap that held it was given up)
	// may answer a response already seen: the server acknowledged it.
	for i, o := range c.orphans {
		if o.Response.ackOK && seqLT(t.Request.seq, o.Response.ack) {
			o.Request = t.Request
			o.Client, o.Server = t.Client, t.Server
			o.Response.Anomalies &^= AnomalyNoRequest
			c.orphans = append(c.orphans[:i], c.orphans[i+1:]...)
			c.pending = append(c.pending, o)
			return o
		}
	}
	if len(c.pending) >= c.p.cfg.MaxPending {
		old := c.pending[0]
		old.Request.Anomalies |= AnomalyPendingOverflow
		c.pending = c.pending[1:]
		c.emit(old)
	}
	c.pending = append(c.pending, t)
	return t
}

// matchResponse finds the request a response starting now answers, or
// makes a response-only transaction when there is none.
func (c *Conn) matchResponse(h *half) *Transaction {
	_, ack, ackOK := h.packet(h.start)
	for i, t := range c.pending {
		if t.st.respStarted || t.st.lost {
			continue
		}
		// The server cannot answer what it has not received.
		if ackOK && !seqLT(t.Request.seq, ack) {
			break
		}
		if answeredUnseen(t, c.pending[i+1:], h.start) {
			t.st.lost = true
			t.Response.Anomalies |= AnomalyResponseLost
			continue
		}
		t.st.respStarted = true
		return t
	}
	if !c.counted {
		c.counted = true
		c.p.stats.Connections.Add(1)
	}
	t := &Transaction{Client: c.key.A, Server: c.key.B, Tunnel: c.key.Tunnel}
	if h.dir == flow.DirAB {
		t.Client, t.Server = c.key.B, c.key.A
	}
	t.Response.Anomalies |= AnomalyNoRequest
	t.st.reqDone, t.st.respStarted = true, true
	// Orphans wait for requests held behind a client-side gap, which the
	// reassembler releases only when it gives up on the missing bytes.
	if len(c.orphans) >= c.p.cfg.MaxPending {
		c.emit(c.orphans[0])
		c.orphans = c.orphans[1:]
	}
	c.orphans = append(c.orphans, t)
	return t
}

// answeredUnseen reports whether request t was answered by server bytes we
// never parsed: a later request was sent after the client had acknowledged
// more of the server's stream than when it sent t, yet before this response.
func answeredUnseen(t *Transaction, later []*Transaction, respSeq uint32) bool {
	if !t.Request.ackOK {
		return false
	}
	for _, u := range later {
		if u.Request.ackOK && seqLT(t.Request.ack, u.Request.ack) && !seqLT(respSeq, u.Request.ack) {
			return true
		}
	}
	return false
}

// front returns the oldest request still waiting for its response.
func (c *Conn) front() *Transaction {
	for _, t := range c.pending {
		if !t.st.respStarted && !t.st.lost {
			return t
		}
	}
	return nil
}

// awaits09 reports whether the next response answers an HTTP/0.9 request.
func (c *Conn) awaits09() bool {
	t := c.front()
	return t != nil && t.Request.Proto == "HTTP/0.9"
}

// progress emits the finished transactions at the head of the queue, in
// request order.
func (c *Conn) progress() {
	n := 0
	for ; n < len(c.pending) && c.finished(c.pending[n]); n++ {
		c.emit(c.pending[n])
	}
	if n > 0 {
		// Shift rather than reslice: a keep-alive connection has one
		// request pending at a time, and a resliced queue would need a
		// new array for every request.
		k := copy(c.pending, c.pending[n:])
		clear(c.pending[k:])
		c.pending = c.pending[:k]
	}
	for i := 0; i < len(c.orphans); i++ {
		if t := c.orphans[i]; t.Request.seen && t.st.reqDone && t.st.respDone {
			c.orphans = append(c.orphans[:i], c.orphans[i+1:]...)
			i--
			c.emit(t)
		}
	}
}

func (c *Conn) finished(t *Transaction) bool {
	if !t.st.reqDone {
		return false
	}
	if t.st.respDone || t.st.lost || c.switched {
		return true
	}
	// No response can come once the server's direction ended.
	for i := range c.half {
		if c.half[i].role == roleResponse && c.half[i].ended && !(t.st.respStarted && !t.st.respDone) {
			return true
		}
	}
	return false
}

// switchProtocols leaves the connection to whatever it switched to.
func (c *Conn) switchProtocols() {
	if c.switched {
		return
	}
	c.switched = true
	c.p.stats.Upgrades.Add(1)
	for i := range c.half {
		h := &c.half[i]
		if h.msg != nil {
			h.finish()
		}
		h.st = stTunnel
	}
	c.progress()
}

// seqLT compares TCP sequence numbers modulo 2^32.
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
