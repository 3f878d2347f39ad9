package http1

import "bytes"

// This file finds where the next message starts after a gap or garbage,
// in a way that does not depend on how the stream was cut into chunks.

func (h *half) skip(n int64) {
	h.skipped += n
	h.c.p.stats.SkippedBytes.Add(uint64(n))
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
