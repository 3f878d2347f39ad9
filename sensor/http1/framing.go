package http1

import (
	"bytes"
	"slices"
)

// This file frames bodies: Content-Length, chunked, close-delimited.

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
		case csExt, csTrailerLine:
			// The rest of a chunk extension or a trailer field: skipped,
			// up to maxChunkLine bytes.
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				h.csLine += len(b) - i
				if h.csLine > maxChunkLine {
					return len(b) + h.abort(AnomalyBadChunk)
				}
				return len(b)
			}
			i += j + 1
			if h.cs == csTrailerLine {
				h.cs = csTrailer
			} else if !h.endSizeLine() {
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
		return true
	}
	h.cs = csData
	if room := h.cfg().BodySample - len(h.raw); room > 0 && !h.noSample {
		// Room for the whole chunk at once, not a copy per packet.
		h.raw = slices.Grow(h.raw, int(min(h.remaining, int64(room))))
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
