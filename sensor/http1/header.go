package http1

import "bytes"

// This file reads start lines and header blocks and turns them into
// messages: framing decisions, HTTP/0.9, protocol switches.

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
	if !h.firstLine && h.is09Response(w) {
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
			if h.role != roleRequest && h.c.awaits09() {
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
		h.completePartial(w, AnomalyHeaderTooLarge)
	} else {
		h.skip(int64(len(w)))
	}
	h.toResync(false)
	h.buf = h.buf[:0]
	return len(w)
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

// completePartial ends a header block cut short (by a gap, the end of the
// direction, or MaxHeaderBytes): its start line and the whole field lines
// before the cut become a message flagged with a.
func (h *half) completePartial(block []byte, a Anomaly) {
	first := bytes.IndexByte(block, '\n')
	last := bytes.LastIndexByte(block, '\n')
	h.head(block[:first+1], block[first+1:last+1], a, nil)
}

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

// parseFirst parses the start line of the message being read into h.sl.
func (h *half) parseFirst(line []byte) bool {
	sl, ok := parseStart(trimCR(line), h.role)
	h.sl = sl
	return ok
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

// is09Response reports whether b, the start of a message on the server's
// side, is an HTTP/0.9 response: the request it answers was 0.9 and b does
// not start like a status line.
func (h *half) is09Response(b []byte) bool {
	return h.role != roleRequest && h.c.awaits09() && !bytes.HasPrefix(b, []byte("HTTP/")[:min(5, len(b))])
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
