package http1

import (
	"bytes"
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

type bodyMode uint8

const (
	bodyLength bodyMode = iota
	bodyChunked
	bodyClose
)

type chunkState uint8

const (
	csSize chunkState = iota
	csExt
	csSizeLF
	csData
	csDataCR
	csDataLF
	csTrailer
	csTrailerCR
	csTrailerLine
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

	sawGap bool // a gap since the last response began (response side)
	ended  bool

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
	if h.role != roleRequest && h.c.awaits09(h) && !bytes.HasPrefix(b, []byte("HTTP/")[:min(5, len(b))]) {
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

// header reads the header block. It works on b directly when the block is
// whole in it, and copies into h.buf only when it spans calls.
func (h *half) header(b []byte) int {
	max := h.cfg().MaxHeaderBytes
	old := len(h.buf)
	limit := max
	if old > limit {
		limit = old // never: carried start lines are shorter (carryMax)
	}
	w := b
	if old > 0 {
		take := min(len(b), limit-old)
		h.buf = append(h.buf, b[:take]...)
		w = h.buf
	}
	if !h.firstLine && h.role != roleRequest && h.c.awaits09(h) &&
		!bytes.HasPrefix(w, []byte("HTTP/")[:min(5, len(w))]) {
		// What started like a status line is an HTTP/0.9 response.
		h.response09()
		h.consume(w)
		h.lastSeq = h.seq + uint32(len(b)) - 1
		h.buf = h.buf[:0]
		return len(b)
	}
	if !h.firstLine {
		i := bytes.IndexByte(w, '\n')
		if i < 0 || i >= max {
			// No start line within the limit (yet).
			return h.stash(b, old, w)
		}
		if isH2Preface(w[:i]) {
			// HTTP/2 with prior knowledge: not ours.
			h.c.switchProtocols()
			h.buf = h.buf[:0]
			return len(b)
		}
		if !h.parseFirst(w[:i]) {
			if h.role != roleRequest && h.c.awaits09(h) {
				// Short bytes looked like "HTTP/" but an HTTP/0.9
				// response has no status line.
				h.response09()
				h.consume(w)
				h.buf = h.buf[:0]
				return len(b)
			}
			// Looked like a start line, was not. Look inside the line
			// as resynchronisation would have, had the whole line been
			// there when the message seemed to start.
			if c := h.findStart(w[1:], i); c >= 0 {
				c++
				if h.giveUp(int64(c)) {
					h.buf = h.buf[:0]
					return len(b)
				}
				h.skip(int64(c))
				if c >= old {
					h.buf = h.buf[:0]
					h.st = stIdle
					return c - old
				}
				// The new start is in the bytes kept from earlier
				// calls: keep those from it on and read b again.
				h.buf = append(h.buf[:0], w[c:old]...)
				h.start += uint32(c)
				return 0
			}
			if h.giveUp(int64(i + 1)) {
				h.buf = h.buf[:0]
				return len(b)
			}
			h.skip(int64(i + 1))
			h.buf = h.buf[:0]
			h.toResync(true)
			return i + 1 - old
		}
		h.firstLine = true
		h.scan = i
	}
	if h.sl.maybe09 && h.scan == bytes.IndexByte(w, '\n') {
		// Still on the start line: an HTTP/0.9 request ends here.
		switch h.is09(w, h.scan) {
		case yes09:
			return h.complete09(w, old)
		case undecided09:
			h.pend09 = true
			return h.stash(b, old, w)
		}
		h.pend09 = false
	}
	if old == 0 {
		// The block starts in this chunk: one pass finds its end and
		// reads its fields.
		first := h.scan
		var hi headInfo
		if e := hi.parseBlock(w[first+1:], h.cfg().MaxHeaders); e >= 0 && first+1+e <= max {
			end := first + 1 + e
			h.lastSeq = h.seq + uint32(end) - 1
			h.head(w[:first+1], w[first+1:end], 0, &hi)
			return end
		}
	}
	end, resume := findBlockEnd(w, h.scan)
	if end > max {
		return h.tooLarge(w[:max]) - old
	}
	if end < 0 {
		h.scan = resume
		return h.stash(b, old, w)
	}
	first := bytes.IndexByte(w, '\n')
	h.lastSeq = h.seq + uint32(end-old) - 1
	h.complete(w[:first+1], w[first+1:end])
	h.buf = h.buf[:0]
	return end - old
}

// stash keeps an incomplete header block for the next call.
func isH2Preface(line []byte) bool { return string(trimCR(line)) == "PRI * HTTP/2.0" }

func (h *half) stash(b []byte, old int, w []byte) int {
	max := h.cfg().MaxHeaderBytes
	if old == 0 {
		if len(b) >= max {
			return h.tooLarge(b[:max])
		}
		h.buf = append(h.buf[:0], b...)
		return len(b)
	}
	if len(w) >= max {
		return h.tooLarge(w) - old
	}
	return len(w) - old
}

// tooLarge ends a header block that outgrew MaxHeaderBytes: what was read
// becomes a partial message, and parsing resumes at the next start line.
func (h *half) tooLarge(w []byte) int {
	if h.firstLine {
		first := bytes.IndexByte(w, '\n')
		last := bytes.LastIndexByte(w, '\n')
		h.completePartial(w[:first+1], w[first+1:last+1], AnomalyHeaderTooLarge)
	} else {
		h.skip(int64(len(w)))
	}
	h.toResync(false)
	h.buf = h.buf[:0]
	return len(w)
}

func (h *half) skip(n int64) {
	h.skipped += n
	h.c.p.stats.SkippedBytes.Add(uint64(n))
}

// findBlockEnd looks for the empty line that ends a header block. from is
// the index of a '\n' already known to end a line. It returns the index just
// past the empty line, or -1 and the index to resume from.
func findBlockEnd(w []byte, from int) (end, resume int) {
	i := from
	for {
		j := i + 1
		if j < len(w) && w[j] == '\r' {
			j++
		}
		if j >= len(w) {
			return -1, i
		}
		if w[j] == '\n' {
			return j + 1, 0
		}
		k := bytes.IndexByte(w[j:], '\n')
		if k < 0 {
			return -1, i
		}
		i = j + k
	}
}

type verdict09 uint8

const (
	not09 verdict09 = iota
	yes09
	undecided09
)

// is09 tells an HTTP/0.9 request ("GET /path" alone) from a request line
// that merely lacks its version and is followed by header fields. It looks
// only at bytes, never at how they were segmented: until the next line shows
// whether it is a header field, the answer is undecided, and the request is
// settled as 0.9 when the server answers or the direction ends (settle09).
func (h *half) is09(w []byte, lf int) (v verdict09) {
	if !h.sl.maybe09 {
		return not09
	}
	// Look no further than the header limit, as a block cut into chunks
	// could not either; undecided there, it is a (too large) header block.
	limit := h.cfg().MaxHeaderBytes
	next := w[lf+1 : max(lf+1, min(len(w), limit))]
	defer func() {
		if v == undecided09 && len(w) >= limit {
			v = not09
		}
	}()
	if len(next) == 0 || len(next) == 1 && next[0] == '\r' {
		return undecided09
	}
	if next[0] == '\n' || next[0] == '\r' && next[1] == '\n' {
		return not09 // an empty line: a header block with no fields
	}
	for _, c := range next {
		switch {
		case c == ':':
			return not09
		case c <= ' ' || c == 0x7f:
			return yes09
		}
	}
	return undecided09
}

// complete09 ends a 0.9 request whose line is at the start of w. Bytes
// kept from earlier calls that follow the line are fed again: they belong
// to whatever comes next.
func (h *half) complete09(w []byte, old int) int {
	lf := bytes.IndexByte(w, '\n')
	h.pend09 = false
	h.lastSeq = h.start + uint32(lf)
	var leftover []byte
	if lf+1 < old {
		leftover = bytes.Clone(w[lf+1 : old])
	}
	h.complete(w[:lf+1], nil)
	h.buf = h.buf[:0]
	if leftover == nil {
		return lf + 1 - old
	}
	seq := h.seq
	h.data(h.start+uint32(lf+1), leftover, nil)
	h.seq = seq
	return 0
}

// settle09 completes a request line left undecided once the other side
// speaks or the direction ends: a 0.9 client sends nothing more.
func (h *half) settle09() {
	if h.pend09 && h.st == stHeader {
		h.complete09(h.buf, 0)
	}
	h.pend09 = false
}

func (h *half) complete(first, fields []byte) { h.head(first, fields, 0, nil) }

func (h *half) completePartial(first, fields []byte, a Anomaly) { h.head(first, fields, a, nil) }

// head interprets a complete (or, with partial set, cut) header block.
// hi, when not nil, holds the fields already read.
func (h *half) head(first, fields []byte, partial Anomaly, read *headInfo) {
	line := trimCR(bytes.TrimSuffix(first, []byte{'\n'}))
	var hi headInfo
	if read != nil {
		hi = *read
	} else {
		hi.parse(fields, h.cfg().MaxHeaders)
	}
	hi.anomalies |= partial
	if len(first) > 1 && first[len(first)-2] != '\r' {
		hi.anomalies |= AnomalyBareLF
	}
	sl := &h.sl
	if sl.status > 0 {
		h.setRole(roleResponse)
		h.responseHead(sl.proto.of(line), sl.status, fields, &hi, partial != 0)
		return
	}
	h.setRole(roleRequest)
	rl := requestLine{
		method: sl.method.of(line), target: sl.target.of(line), proto: sl.proto.of(line),
		noVersion: sl.noVersion, badVersion: sl.badVersion,
	}
	h.requestHead(&rl, fields == nil, fields, &hi, partial != 0)
}

// startLine is a validated start line, kept as offsets from the message's
// first byte: valid whether the bytes sit in the caller's chunk or in h.buf.
type startLine struct {
	status                int // > 0 for a status line
	method, target, proto span
	noVersion, badVersion bool
	maybe09               bool // "GET target" with nothing after it
}

type span struct{ from, to int }

func (s span) of(b []byte) []byte { return b[s.from:s.to] }

// spanOf locates sub, a subslice of line, within line.
func spanOf(line, sub []byte) span {
	if sub == nil {
		return span{}
	}
	from := cap(line) - cap(sub)
	return span{from, from + len(sub)}
}

// parseFirst validates a complete start line (without its "\n") as
// startVerdict does, and keeps what it found in h.sl.
func (h *half) parseFirst(line []byte) bool {
	line = trimCR(line)
	h.sl = startLine{}
	if len(line) == 0 {
		return false
	}
	if h.role != roleRequest && line[0] == 'H' {
		if proto, status, ok := parseStatusLine(line); ok {
			h.sl.status, h.sl.proto = status, spanOf(line, proto)
			return true
		}
	}
	if h.role == roleResponse || line[0] < 'A' || line[0] > 'Z' {
		return false
	}
	rl, ok := parseRequestLine(line)
	if !ok {
		return false
	}
	h.sl = startLine{
		method: spanOf(line, rl.method), target: spanOf(line, rl.target), proto: spanOf(line, rl.proto),
		noVersion: rl.noVersion, badVersion: rl.badVersion,
		// HTTP/0.9 knew only GET, but clients send other methods that way
		// too and servers answer them the 0.9 way, with a bare body.
		maybe09: rl.noVersion,
	}
	return true
}

func (h *half) setRole(r role) {
	if h.role == roleUnknown {
		h.role = r
		if o := &h.c.half[h.dir^1]; o.role == roleUnknown {
			o.role = roleRequest + roleResponse - r
		}
	}
}

func (h *half) fillMessage(m *Message, proto, fields []byte, hi *headInfo) {
	in := &h.c.p.intern
	m.seen = true
	m.seq = h.start
	m.Start, m.ack, m.ackOK = h.packet(h.start)
	m.End = m.Start
	m.Proto = in.get(proto)
	if len(fields) > 0 {
		m.Header = Header(bytes.Clone(fields))
	}
	m.Anomalies |= hi.anomalies
	if len(hi.encoding) > 0 {
		m.Body.Encoding = in.get(hi.encoding)
	}
}

func (h *half) requestHead(rl *requestLine, lineOnly bool, fields []byte, hi *headInfo, partial bool) {
	in := &h.c.p.intern
	t := &Transaction{}
	r := &t.Request
	proto := rl.proto
	if rl.noVersion && lineOnly {
		proto = []byte("HTTP/0.9")
	}
	h.fillMessage(&r.Message, proto, fields, hi)
	r.Method = in.get(rl.method)
	r.Target = string(rl.target)
	if len(hi.host) > 0 {
		// One connection nearly always talks to one host.
		if c := h.c; c.host != "" && string(hi.host) == c.host {
			r.Host = c.host
		} else {
			r.Host = in.get(hi.host)
			c.host = r.Host
		}
	}
	if r.Proto == "HTTP/0.9" {
		r.Anomalies |= AnomalyHTTP09
	}
	if rl.badVersion || rl.noVersion && (r.Proto != "HTTP/0.9" || r.Method != "GET" || r.Target == "") {
		r.Anomalies |= AnomalyBadRequestLine
	}
	t = h.c.addRequest(h, t)
	h.txn, h.msg = t, &t.Request.Message
	h.c.p.stats.Requests.Add(1)
	switch {
	case partial:
		h.finish()
		return
	case hi.chunked:
		h.startBody(bodyChunked, 0)
	case hi.teBad:
		h.msg.Anomalies |= AnomalyBadTransferEncoding
		h.finish()
	case hi.hasCL && hi.cl > 0:
		h.startBody(bodyLength, hi.cl)
	default:
		h.finish()
	}
}

func (h *half) responseHead(proto []byte, status int, fields []byte, hi *headInfo, partial bool) {
	if status < 200 && status != 101 {
		// Interim response: note it on the request it precedes.
		if t := h.c.front(); t != nil {
			t.Response.Interim = status
		}
		h.st = stIdle
		h.messages++
		h.skipped = 0
		return
	}
	t := h.c.matchResponse(h)
	h.txn, h.msg = t, &t.Response.Message
	r := &t.Response
	h.fillMessage(&r.Message, proto, fields, hi)
	r.Status = status
	h.c.p.stats.Responses.Add(1)
	method := t.Request.Method
	switch {
	case partial:
		h.finish()
	case status == 101 || method == "CONNECT" && status < 300:
		h.finish()
		h.c.switchProtocols()
	case method == "HEAD" || status == 204 || status == 304:
		h.finish()
	case hi.chunked:
		h.startBody(bodyChunked, 0)
	case hi.teBad:
		h.msg.Anomalies |= AnomalyBadTransferEncoding
		h.startBody(bodyClose, 0)
	case hi.hasCL:
		if hi.cl == 0 {
			h.finish()
		} else {
			h.startBody(bodyLength, hi.cl)
		}
	default:
		h.startBody(bodyClose, 0)
	}
}

// response09 starts an HTTP/0.9 response: no status line, no headers, the
// body runs to the end of the connection.
func (h *half) response09() {
	h.setRole(roleResponse)
	t := h.c.matchResponse(h)
	h.txn, h.msg = t, &t.Response.Message
	h.fillMessage(h.msg, []byte("HTTP/0.9"), nil, &headInfo{})
	h.msg.Anomalies |= AnomalyHTTP09
	h.c.p.stats.Responses.Add(1)
	h.startBody(bodyClose, 0)
}

func (h *half) startBody(m bodyMode, n int64) {
	h.st = stBody
	h.mode = m
	h.remaining = n
	h.cs = csSize
	h.csDigits, h.csLine = 0, 0
	h.raw = nil
	if m == bodyLength && h.cfg().BodySample > 0 {
		h.raw = make([]byte, 0, min(n, int64(h.cfg().BodySample)))
	}
	h.noSample = false
	h.lastSeq = h.seq
}

func (h *half) body(b []byte) int {
	switch h.mode {
	case bodyLength:
		n := int(min(int64(len(b)), h.remaining))
		h.consume(b[:n])
		h.remaining -= int64(n)
		if h.remaining == 0 {
			h.finish()
		}
		return n
	case bodyClose:
		h.consume(b)
		return len(b)
	default:
		return h.chunked(b)
	}
}

// consume counts body bytes and samples them.
func (h *half) consume(b []byte) {
	if len(b) == 0 {
		return
	}
	h.msg.Body.Len += int64(len(b))
	h.lastSeq = h.seq + uint32(len(b)) - 1
	if room := h.cfg().BodySample - len(h.raw); room > 0 && !h.noSample {
		h.raw = append(h.raw, b[:min(room, len(b))]...)
	}
}

const maxChunkLine = 4096

func (h *half) chunked(b []byte) int {
	i := 0
	for i < len(b) {
		switch h.cs {
		case csSize:
			c := b[i]
			switch {
			case isHex(c):
				if h.csDigits >= 12 { // > 2^48: no real chunk is that big
					return i + h.abort(AnomalyChunkOverflow)
				}
				h.remaining = h.remaining<<4 | int64(unhex(c))
				h.csDigits++
			case c == ';' || c == ' ' || c == '\t':
				h.cs = csExt
			case c == '\r':
				h.cs = csSizeLF
			case c == '\n':
				if !h.endSizeLine() {
					return i + h.abort(AnomalyBadChunk)
				}
			default:
				return i + h.abort(AnomalyBadChunk)
			}
			i++
		case csExt:
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				h.csLine += len(b) - i
				if h.csLine > maxChunkLine {
					return len(b) + h.abort(AnomalyBadChunk)
				}
				return len(b)
			}
			i += j + 1
			if !h.endSizeLine() {
				return i + h.abort(AnomalyBadChunk)
			}
		case csSizeLF:
			if b[i] != '\n' || !h.endSizeLine() {
				return i + h.abort(AnomalyBadChunk)
			}
			i++
		case csData:
			n := int(min(int64(len(b)-i), h.remaining))
			h.seq += uint32(i) // consume computes lastSeq from h.seq
			h.consume(b[i : i+n])
			h.seq -= uint32(i)
			h.remaining -= int64(n)
			i += n
			if h.remaining == 0 {
				h.cs = csDataCR
			}
		case csDataCR:
			switch b[i] {
			case '\r':
				h.cs = csDataLF
			case '\n':
				h.cs, h.csDigits, h.csLine = csSize, 0, 0
			default:
				return i + h.abort(AnomalyBadChunk)
			}
			i++
		case csDataLF:
			if b[i] != '\n' {
				return i + h.abort(AnomalyBadChunk)
			}
			h.cs, h.csDigits, h.csLine = csSize, 0, 0
			i++
		case csTrailer:
			switch b[i] {
			case '\r':
				h.cs = csTrailerCR
				i++
			case '\n':
				i++
				h.lastSeq = h.seq + uint32(i) - 1
				h.finish()
				return i
			default:
				h.cs, h.csLine = csTrailerLine, 0
			}
		case csTrailerCR:
			if b[i] == '\n' {
				i++
			}
			h.lastSeq = h.seq + uint32(i) - 1
			h.finish()
			return i
		case csTrailerLine:
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				h.csLine += len(b) - i
				if h.csLine > maxChunkLine {
					return len(b) + h.abort(AnomalyBadChunk)
				}
				return len(b)
			}
			i += j + 1
			h.cs = csTrailer
		}
	}
	return i
}

// endSizeLine acts on a complete chunk-size line.
func (h *half) endSizeLine() bool {
	if h.csDigits == 0 {
		return false
	}
	h.csLine = 0
	if h.remaining == 0 {
		h.cs = csTrailer
	} else {
		h.cs = csData
	}
	return true
}

// abort ends the current message on broken framing and resynchronises. It
// returns 0 so callers can write "return i + h.abort(...)".
func (h *half) abort(a Anomaly) int {
	h.msg.Anomalies |= a
	h.finish()
	h.toResync(false)
	return 0
}

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
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
	h.sawGap = true
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
			first := bytes.IndexByte(h.buf, '\n')
			last := bytes.LastIndexByte(h.buf, '\n')
			h.completePartial(h.buf[:first+1], h.buf[first+1:last+1], AnomalyGap)
		}
		h.toResync(true)
	case stIdle, stResync:
		h.toResync(true)
	}
}

// spanGap tries to carry the current body across a gap of n bytes. It
// reports false when the gap swallows the end of the message.
func (h *half) spanGap(n int64) bool {
	switch {
	case h.mode == bodyClose:
	case h.mode == bodyLength && n < h.remaining:
		h.remaining -= n
	case h.mode == bodyChunked && h.cs == csData && n < h.remaining:
		h.remaining -= n
	default:
		if h.mode == bodyLength {
			h.msg.Body.Len += h.remaining
		}
		return false
	}
	h.msg.Body.Len += n
	h.msg.Anomalies |= AnomalyGap
	h.noSample = true
	return true
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
			first := bytes.IndexByte(h.buf, '\n')
			last := bytes.LastIndexByte(h.buf, '\n')
			h.completePartial(h.buf[:first+1], h.buf[first+1:last+1], AnomalyTruncated)
		}
	}
	h.st = stDead
	h.buf = nil
	h.raw = nil
}

// maxCarry bounds how far back from "HTTP/1." a request line may start
// when found by resynchronisation, and so how many bytes are carried from
// one call to the next: the search sees the same bytes however the stream
// was cut into chunks.
const maxCarry = 512

// resync looks for the next message start. Candidates are line starts and,
// because a message may follow a binary body with no line break, every
// "HTTP/1." in the data: a status line starts there, and a request line
// ends with it, so the request starts at the method before the target.
// The tail of the data after the last line break (at most maxCarry bytes)
// is kept in h.buf, so a start line cut by a chunk boundary is still found.
func (h *half) resync(b []byte) int {
	carry := len(h.buf)
	if carry == 0 && h.atLineStart && startVerdict(b, h.role) != notStart {
		h.st = stIdle
		return 0
	}
	// Search the carried tail and b as one stream, so that what is found
	// does not depend on where the chunk boundary fell. (The carried tail's
	// own line start, if it has one, was already tried and failed.)
	w := b
	if carry > 0 {
		h.scratch = append(append(h.scratch[:0], h.buf...), b...)
		w = h.scratch
	}
	// Bytes count as skipped once they can no longer start a message:
	// the carried tail is counted when its fate is known, so the count,
	// and giving up, do not depend on chunking either.
	if c := h.findStart(w, len(w)); c >= 0 {
		if h.giveUp(int64(c)) {
			return len(b)
		}
		h.skip(int64(c))
		if c < carry {
			h.start = h.seq - uint32(carry-c)
			h.buf = append(h.buf[:0], w[c:carry]...)
			h.scan, h.firstLine, h.pend09 = 0, false, false
			h.st = stHeader
			return 0
		}
		h.buf = h.buf[:0]
		h.st = stIdle
		return c - carry
	}
	tail := w[bytes.LastIndexByte(w, '\n')+1:]
	tail = tail[max(0, len(tail)-h.carryMax()):]
	if h.giveUp(int64(len(w) - len(tail))) {
		return len(b)
	}
	h.skip(int64(len(w) - len(tail)))
	h.atLineStart = len(tail) == 0
	h.buf = append(h.buf[:0], tail...)
	if cap(h.scratch) > 64<<10 {
		h.scratch = nil // do not keep a large chunk's worth around
	}
	return len(b)
}

// carryMax is maxCarry, or less when header blocks are capped lower: a
// carried start line must fit in the header buffer.
func (h *half) carryMax() int { return min(maxCarry, h.cfg().MaxHeaderBytes/2) }

// giveUp leaves a direction that never carried HTTP once NonHTTPLimit bytes
// were skipped, counting exactly so the outcome does not depend on chunking.
func (h *half) giveUp(n int64) bool {
	if h.messages > 0 || h.c.half[h.dir^1].messages > 0 || h.skipped+n <= int64(h.cfg().NonHTTPLimit) {
		return false
	}
	h.skip(n)
	h.st = stDead
	h.c.nonHTTP = true
	return true
}

// findStart returns the first message start in w that begins before limit,
// or -1.
func (h *half) findStart(w []byte, limit int) int {
	nextVer := -2 // next "HTTP/1." at or after i; -2 unknown, -1 none
	for i := 0; i < limit; {
		// A line break just before i makes i a line start.
		from := max(i-1, 0)
		lf := bytes.IndexByte(w[from:], '\n')
		if lf >= 0 {
			lf += from + 1
		}
		if nextVer == -2 || nextVer >= 0 && nextVer < i {
			nextVer = -1
			if v := bytes.Index(w[i:], []byte("HTTP/1.")); v >= 0 {
				nextVer = i + v
			}
		}
		c := -1
		if nextVer >= 0 {
			c = h.versionCandidate(w, nextVer)
			if c < i {
				c = nextVer
			}
		}
		if lf >= 0 && (c < 0 || lf <= c) {
			c = lf
		}
		if c < 0 || c >= limit || c == len(w) {
			return -1
		}
		if startVerdict(w[c:], h.role) != notStart {
			return c
		}
		if c == nextVer {
			nextVer = -2
		}
		i = c + 1
	}
	return -1
}

// versionCandidate returns where a message containing the "HTTP/1." at v
// would start, or -1: v itself for a status line, the method before the
// target for a request line.
func (h *half) versionCandidate(b []byte, v int) int {
	if h.role == roleResponse || v < 2 || b[v-1] != ' ' {
		return v
	}
	// Walk back over the target and the space before it to the method,
	// never further than maxCarry bytes nor past a line break.
	from := max(0, v-h.carryMax())
	j := v - 2
	for j >= from && b[j] != ' ' && b[j] != '\n' {
		j--
	}
	if j < from || b[j] != ' ' {
		return v
	}
	end := j
	for j > from && isMethodByte(b[j-1]) && end-j < maxMethodLen {
		j--
	}
	if j == end {
		return v
	}
	// Bytes of a binary body may run into the method: prefer the
	// shortest suffix that is a known method.
	for k := j; k < end; k++ {
		if knownMethods[string(b[k:end])] {
			return k
		}
	}
	return j
}
