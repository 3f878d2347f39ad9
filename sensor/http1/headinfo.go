package http1

import "bytes"

// headInfo is what the parser needs from a header block to frame the body
// and pair the message. Slices alias the block.
type headInfo struct {
	cl         int64
	hasCL      bool
	chunked    bool
	teBad      bool
	host       []byte
	encoding   []byte
	anomalies  Anomaly
	fieldCount int
	te         []byte
	clSeen     bool
}

// parse reads the header fields of a complete block (after the start
// line; the empty line that ends it may be included or not).
func (hi *headInfo) parse(b []byte, maxFields int) {
	if hi.parseBlock(b, maxFields) < 0 {
		hi.finish() // the block was cut (a gap, or the connection ended)
	}
}

// parseBlock reads header fields up to the empty line that ends the block
// and returns the index just past it, or -1 when b ends first. It is the
// parser's one pass over a header block in the common case, where the whole
// block arrived in one chunk.
func (hi *headInfo) parseBlock(b []byte, maxFields int) int {
	off := 0
	for {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			if off < len(b) {
				hi.field(b[off:], maxFields) // a last line cut short
			}
			return -1
		}
		line := b[off : off+i]
		off += i + 1
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		} else {
			hi.anomalies |= AnomalyBareLF
		}
		if len(line) == 0 {
			hi.finish()
			return off
		}
		hi.field(line, maxFields)
	}
}

// field interprets one header line.
func (hi *headInfo) field(line []byte, maxFields int) {
	if line[0] == ' ' || line[0] == '\t' {
		hi.anomalies |= AnomalyObsFold
		return
	}
	if hi.fieldCount++; hi.fieldCount > maxFields {
		hi.anomalies |= AnomalyTooManyHeaders
		return
	}
	c := bytes.IndexByte(line, ':')
	if c <= 0 {
		hi.anomalies |= AnomalyBadHeaderLine
		return
	}
	name, value := line[:c], TrimOWS(line[c+1:])
	if last := name[len(name)-1]; last == ' ' || last == '\t' {
		hi.anomalies |= AnomalySpaceBeforeColon
		name = TrimOWS(name)
	}
	switch len(name) {
	case 4:
		if EqualFold(name, "host") && hi.host == nil {
			hi.host = value
		}
	case 14:
		if EqualFold(name, "content-length") {
			n, ok, conflict := parseLength(value)
			switch {
			case conflict:
				hi.anomalies |= AnomalyConflictingLength
			case !ok:
				hi.anomalies |= AnomalyBadContentLength
			case hi.clSeen && n != hi.cl:
				hi.anomalies |= AnomalyConflictingLength
			case !hi.clSeen:
				hi.cl, hi.hasCL = n, true
			}
			hi.clSeen = true
		}
	case 16:
		if EqualFold(name, "content-encoding") {
			hi.encoding = value
		}
	case 17:
		if EqualFold(name, "transfer-encoding") {
			hi.te = value // the last field wins, as the last coding does
		}
	}
}

// finish settles the framing once every field was read.
func (hi *headInfo) finish() {
	te, clSeen := hi.te, hi.clSeen
	if te != nil {
		if EqualFold(lastToken(te), "chunked") {
			hi.chunked = true
		} else if !EqualFold(lastToken(te), "identity") {
			hi.teBad = true
		}
		if clSeen {
			// RFC 9112 6.3: Transfer-Encoding overrides Content-Length,
			// and the pair is the classic smuggling vector.
			hi.anomalies |= AnomalyTEWithCL
			hi.hasCL = false
		}
	}
}
