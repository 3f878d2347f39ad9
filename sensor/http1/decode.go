package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
)

// decoders are reused across messages: a gzip or brotli reader costs tens
// of kilobytes to set up.
type decoders struct {
	gz  *gzip.Reader
	fl  io.ReadCloser
	zl  io.ReadCloser
	br  *brotli.Reader
	src bytes.Reader
	a   []byte
	b   []byte
}

// BodyDecoder decodes content-encoded body samples. It keeps its
// decompressors between calls; it is not safe for concurrent use.
type BodyDecoder struct{ d decoders }

// Decode returns b's sample with every Content-Encoding undone (in reverse
// order of application), at most limit bytes. full is false when the
// output was cut at limit or the sample itself was truncated. The result is
// valid until the next call.
func (bd *BodyDecoder) Decode(b *Body, limit int) (out []byte, full bool, err error) {
	if !encoded(b.Encoding) {
		return b.Sample, !b.Truncated, nil
	}
	out, full, err = bd.d.decodeAll(b.Encoding, b.Sample, limit)
	return out, full && !b.Truncated, err
}

// decodeAll undoes every coding of a Content-Encoding list.
func (d *decoders) decodeAll(encoding string, raw []byte, limit int) ([]byte, bool, error) {
	cur, full := raw, true
	for rest, c := lastCoding(encoding); c != ""; rest, c = lastCoding(rest) {
		out, f, err := d.decode(c, cur, limit)
		if err != nil {
			return nil, false, err
		}
		cur, full = out, full && f
	}
	return cur, full, nil
}

// encoded reports whether a Content-Encoding value names a coding other
// than identity.
func encoded(v string) bool {
	_, c := lastCoding(v)
	return c != ""
}

// lastCoding splits the last coding other than identity off a
// Content-Encoding list, the first to undo; coding is "" when none is left.
// It reads the list in place: a message's encoding costs no allocation.
func lastCoding(v string) (rest, coding string) {
	for v != "" {
		i := strings.LastIndexByte(v, ',')
		coding = strings.TrimRight(strings.TrimLeft(v[i+1:], " \t"), " \t\r")
		v = v[:max(i, 0)]
		if coding != "" && !strings.EqualFold(coding, "identity") {
			return v, coding
		}
	}
	return "", ""
}

// decode undoes one coding. full is false when the output hit the limit.
// A truncated input (the sample was cut) is not an error.
func (d *decoders) decode(coding string, in []byte, limit int) (out []byte, full bool, err error) {
	d.src.Reset(in)
	var r io.Reader
	switch strings.ToLower(coding) {
	case "gzip", "x-gzip":
		if d.gz == nil {
			d.gz = new(gzip.Reader)
		}
		if err := d.gz.Reset(&d.src); err != nil {
			return nil, false, err
		}
		r = d.gz
	case "deflate":
		// Servers disagree on whether deflate has a zlib header (RFC 9110
		// says it does); look before choosing.
		if isZlib(in) {
			if d.zl == nil {
				zr, err := zlib.NewReader(&d.src)
				if err != nil {
					return nil, false, err
				}
				d.zl = zr
			} else if err := d.zl.(zlib.Resetter).Reset(&d.src, nil); err != nil {
				return nil, false, err
			}
			r = d.zl
		} else {
			if d.fl == nil {
				d.fl = flate.NewReader(&d.src)
			} else if err := d.fl.(flate.Resetter).Reset(&d.src, nil); err != nil {
				return nil, false, err
			}
			r = d.fl
		}
	case "br":
		if d.br == nil {
			d.br = brotli.NewReader(&d.src)
		} else if err := d.br.Reset(&d.src); err != nil {
			return nil, false, err
		}
		r = d.br
	default:
		return nil, false, errUnknownCoding
	}
	// Two scratch buffers take turns, so stacked codings never read and
	// write the same one.
	dst := &d.a
	if sameArray(in, d.a) {
		dst = &d.b
	}
	buf := *dst
	if cap(buf) < limit+1 {
		buf = make([]byte, limit+1)
	}
	buf = buf[:limit+1]
	n, err := io.ReadFull(r, buf)
	*dst = buf
	buf = buf[:min(n, limit)]
	switch err {
	case nil:
		return buf, false, nil // more than limit bytes
	case io.EOF, io.ErrUnexpectedEOF:
		if n == 0 && len(in) > 0 {
			// Nothing came out: the data was not in that coding.
			return nil, false, errBadCoding
		}
		return buf, true, nil
	default:
		if n > 0 {
			// Output up to a cut in the sample is still worth keeping.
			return buf, false, nil
		}
		return nil, false, err
	}
}

func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

type codingError string

func (e codingError) Error() string { return string(e) }

const (
	errUnknownCoding = codingError("unknown content coding")
	errBadCoding     = codingError("body is not in its declared coding")
)

func sameArray(x, y []byte) bool {
	return cap(x) > 0 && cap(y) > 0 && &x[:1][0] == &y[:1][0]
}
