package http1

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/apitap/apitap/sensor/decap"
)

// Transaction is one request and the response that answered it. Either side
// may be missing: Request.Method is empty when only a response was seen
// (AnomalyNoRequest), Response.Status is 0 when no response was.
type Transaction struct {
	Client, Server netip.AddrPort
	Tunnel         decap.Tunnel
	Request        Request
	Response       Response
	st             txnState
}

// Message holds what both requests and responses carry.
type Message struct {
	Start time.Time // packet time of the first byte
	End   time.Time // packet time of the last byte
	Proto string    // "HTTP/1.1", "HTTP/1.0" or "HTTP/0.9"
	// Header holds the header fields exactly as sent ("Name: value" lines,
	// CRLF or LF ended), without the start line.
	Header    Header
	Body      Body
	Anomalies Anomaly
	seq       uint32 // TCP sequence number of the first byte
	ack       uint32 // acknowledgement number carried with the first byte
	ackOK     bool
	seen      bool // the message was seen at all
}

// Seen reports whether the message was observed.
func (m *Message) Seen() bool { return m.seen }

// Request is the client's half.
type Request struct {
	Message
	Method string
	Target string // the request-target exactly as sent
	Host   string // the Host header, "" without one
}

// Response is the server's half.
type Response struct {
	Message
	Status int
	// Interim is the last 1xx status that preceded the final response
	// (100 Continue, 103 Early Hints), 0 if none.
	Interim int
}

// Body describes a message body. Length counts every byte; only a bounded
// sample is kept.
type Body struct {
	// Len is the body length on the wire after removing chunked framing,
	// bytes lost in capture gaps included.
	Len int64
	// Sample holds the first bytes of the body, at most Config.BodySample,
	// content-decoded (gzip, deflate, br) unless Config.KeepEncoded is set
	// or decoding failed (AnomalyBodyDecode).
	Sample []byte
	// Encoding is the Content-Encoding still applied to Sample: as sent
	// when the sample is encoded, "" once decoded.
	Encoding string
	// Truncated reports that Sample holds less than the whole body.
	Truncated bool
}

// Partial reports whether part of the transaction was lost to a gap or cut
// short.
func (t *Transaction) Partial() bool {
	return (t.Request.Anomalies|t.Response.Anomalies)&partialMask != 0
}

// Anomalies returns the union of both messages' anomalies.
func (t *Transaction) Anomalies() Anomaly { return t.Request.Anomalies | t.Response.Anomalies }

// Latency is the time from the request's last byte to the response's first,
// 0 without both.
func (t *Transaction) Latency() time.Duration {
	if !t.Request.seen || !t.Response.seen {
		return 0
	}
	if d := t.Response.Start.Sub(t.Request.End); d > 0 {
		return d
	}
	return 0
}

// Time returns the packet time of the transaction: its request's first byte,
// or its response's when no request was seen.
func (t *Transaction) Time() time.Time {
	if !t.Request.Start.IsZero() {
		return t.Request.Start
	}
	return t.Response.Start
}

// Header is a raw header block. Lookups scan it; for the handful of fields
// an analyser reads per message that is cheaper than building a map.
type Header []byte

// Get returns the value of the first field called name (case-insensitive),
// with surrounding whitespace removed, and whether it was present.
func (h Header) Get(name string) (string, bool) {
	for line := range h.Fields() {
		n, v, _ := SplitField(line)
		if len(n) == len(name) && EqualFold(n, name) {
			return string(v), true
		}
	}
	return "", false
}

// Fields iterates over the header lines, each without its line ending.
func (h Header) Fields() func(yield func([]byte) bool) {
	return func(yield func([]byte) bool) {
		b := []byte(h)
		for len(b) > 0 {
			i := bytes.IndexByte(b, '\n')
			var line []byte
			if i < 0 {
				line, b = b, nil
			} else {
				line, b = b[:i], b[i+1:]
			}
			line = bytes.TrimSuffix(line, []byte{'\r'})
			if len(line) > 0 && !yield(line) {
				return
			}
		}
	}
}

// SplitField splits a header line "Name: value" into its trimmed parts;
// ok is false for a line without a name and a colon.
func SplitField(line []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, false
	}
	return TrimOWS(line[:i]), TrimOWS(line[i+1:]), true
}
