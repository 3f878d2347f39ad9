package http1

import (
	"bytes"
	"sync/atomic"

	"github.com/apitap/apitap/sensor/flow"
)

// Config bounds the parser. The zero value gives the defaults noted per field.
type Config struct {
	// MaxHeaderBytes caps a header block, start line included. Default 64 KiB.
	MaxHeaderBytes int
	// MaxHeaders caps the header fields interpreted per message. Default 256.
	MaxHeaders int
	// BodySample is how many (decoded) body bytes are kept per message.
	// Default 64 KiB; negative keeps none.
	BodySample int
	// MaxPending caps requests waiting for a response on one connection.
	// Default 64.
	MaxPending int
	// KeepEncoded leaves body samples content-encoded (gzip, deflate, br),
	// to be decoded by whoever needs them with a BodyDecoder. A consumer that
	// never reads bodies, such as `apitap read --emit transactions`, then
	// pays nothing for decompression.
	KeepEncoded bool
	// NonHTTPLimit is how many bytes a direction that never carried an HTTP
	// message may show before the connection is left alone. Default 64 KiB.
	NonHTTPLimit int
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxHeaderBytes, 64<<10)
	def(&c.MaxHeaders, 256)
	def(&c.BodySample, 64<<10)
	def(&c.MaxPending, 64)
	def(&c.NonHTTPLimit, 64<<10)
	if c.BodySample < 0 {
		c.BodySample = 0
	}
	return c
}

// Stats counts what a Parser saw. Fields are atomic so a metrics scrape may
// read them while the parser runs.
type Stats struct {
	Transactions atomic.Uint64 // transactions emitted
	Requests     atomic.Uint64 // requests parsed
	Responses    atomic.Uint64 // final responses parsed
	Connections  atomic.Uint64 // connections that carried HTTP
	NonHTTP      atomic.Uint64 // connections left alone as not HTTP
	Upgrades     atomic.Uint64 // connections switched to another protocol
	Resyncs      atomic.Uint64 // times a direction had to look for the next message
	SkippedBytes atomic.Uint64 // bytes skipped while resynchronising
	Datagrams    atomic.Uint64 // HTTP messages carried in UDP datagrams
	// Anomalies counts transactions per anomaly, indexed by bit number (see
	// AnomalyReasons).
	Anomalies [numAnomalies]atomic.Uint64
}

// Parser creates Conns that share configuration, statistics, an intern
// table and body decoders. It is not safe for concurrent use: run one per
// worker.
type Parser struct {
	cfg    Config
	emit   func(*Transaction)
	stats  *Stats
	intern interner
	dec    decoders
}

// NewParser returns a Parser that hands every finished transaction to emit.
// stats may be shared by several Parsers; nil allocates a private one.
func NewParser(cfg Config, stats *Stats, emit func(*Transaction)) *Parser {
	if stats == nil {
		stats = new(Stats)
	}
	p := &Parser{cfg: cfg.withDefaults(), emit: emit, stats: stats}
	p.intern.init()
	return p
}

// Stats returns the parser's counters.
func (p *Parser) Stats() *Stats { return p.stats }

// NewConn returns the parser state for one connection. It implements
// flow.Handler.
func (p *Parser) NewConn(k flow.Key) *Conn {
	c := &Conn{p: p, key: k}
	c.half[flow.DirAB].init(c, flow.DirAB)
	c.half[flow.DirBA].init(c, flow.DirBA)
	return c
}

func (p *Parser) deliver(t *Transaction) {
	p.stats.Transactions.Add(1)
	for a := t.Anomalies(); a != 0; a &= a - 1 {
		p.stats.Anomalies[trailingZeros(a)].Add(1)
	}
	p.emit(t)
}

// fillBody stores a finished message's body sample, taking ownership of raw.
func (p *Parser) fillBody(b *Body, raw []byte, an *Anomaly) {
	b.Truncated = int64(len(raw)) < b.Len
	if len(raw) == 0 {
		return
	}
	if p.cfg.KeepEncoded || !encoded(b.Encoding) {
		b.Sample = raw
		return
	}
	b.Sample = raw
	out, full, err := p.dec.decodeAll(b.Encoding, raw, p.cfg.BodySample)
	if err != nil {
		*an |= AnomalyBodyDecode
		return
	}
	b.Sample = bytes.Clone(out)
	b.Encoding = ""
	b.Truncated = b.Truncated || !full
}

func trailingZeros(a Anomaly) int {
	n := 0
	for a&1 == 0 {
		a >>= 1
		n++
	}
	return n
}

// interner returns shared strings for byte slices seen over and over
// (methods, hosts, encodings), so they cost one allocation ever. It is
// bounded: past maxInterned entries new strings are simply allocated.
type interner struct{ m map[string]string }

const maxInterned = 4096

func (in *interner) init() {
	in.m = make(map[string]string, 64)
	for _, s := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
		"CONNECT", "TRACE", "HTTP/1.1", "HTTP/1.0", "HTTP/0.9", "gzip", "deflate", "br", "identity"} {
		in.m[s] = s
	}
}

func (in *interner) get(b []byte) string {
	// The commonest values skip the map's hashing.
	switch string(b) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/1.0":
		return "HTTP/1.0"
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}
