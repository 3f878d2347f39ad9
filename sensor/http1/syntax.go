package http1

import "bytes"

// This file holds the byte-level grammar: start lines, header fields and
// the cheap plausibility test used to find where a message starts.

type role uint8

const (
	roleUnknown role = iota
	roleRequest
	roleResponse
)

// verdict of a plausibility test on a possibly incomplete prefix.
type verdict uint8

const (
	notStart verdict = iota // cannot be the start of a message
	maybe                   // a prefix of a start line; need more bytes
	isStart                 // a complete, valid start line
)

const maxMethodLen = 24

// isMethodByte accepts the characters of real-world methods (GET, M-SEARCH,
// CCM_POST, VERSION-CONTROL): upper-case letters, digits, '-' and '_'.
// Lower-case tokens are legal but so rare that accepting them would make
// resynchronisation find "requests" inside text bodies.
func isMethodByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// startVerdict tests whether b starts with a request line (when r allows
// requests) or a status line (when r allows responses). A complete line is
// parsed in full; an incomplete one is judged by its prefix.
func startVerdict(b []byte, r role) verdict {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		if _, ok := parseStart(trimCR(b[:i]), r); ok {
			return isStart
		}
		return notStart
	}
	if len(b) == 0 {
		return maybe
	}
	if r != roleRequest && b[0] == 'H' {
		const p = "HTTP/"
		n := min(len(b), len(p))
		if string(b[:n]) == p[:n] && len(b) <= 64 && (len(b) <= len(p) || isDigit(b[len(p)])) {
			return maybe
		}
	}
	if r == roleResponse || b[0] < 'A' || b[0] > 'Z' {
		return notStart
	}
	for i := 0; i < len(b) && i <= maxMethodLen; i++ {
		if b[i] == ' ' {
			return maybe
		}
		if !isMethodByte(b[i]) {
			return notStart
		}
	}
	if len(b) > maxMethodLen {
		return notStart
	}
	return maybe
}

// startLine is a validated start line, kept as offsets from its first byte:
// valid whether the bytes sit in the caller's chunk or in a buffer.
type startLine struct {
	status                int // > 0 for a status line
	method, target, proto span
	noVersion, badVersion bool
	maybe09               bool // a request line with no version at all
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

// parseStart parses a complete start line (without its line ending): a
// status line when r allows responses, else or otherwise a request line
// when r allows requests.
func parseStart(line []byte, r role) (startLine, bool) {
	if len(line) == 0 {
		return startLine{}, false
	}
	if r != roleRequest && line[0] == 'H' {
		if proto, status, ok := parseStatusLine(line); ok {
			return startLine{status: status, proto: spanOf(line, proto)}, true
		}
	}
	if r == roleResponse || line[0] < 'A' || line[0] > 'Z' {
		return startLine{}, false
	}
	rl, ok := parseRequestLine(line)
	if !ok {
		return startLine{}, false
	}
	return startLine{
		method: spanOf(line, rl.method), target: spanOf(line, rl.target), proto: spanOf(line, rl.proto),
		noVersion: rl.noVersion, badVersion: rl.badVersion,
		// HTTP/0.9 knew only GET, but clients send other methods that way
		// too and servers answer them the 0.9 way, with a bare body.
		maybe09: rl.noVersion,
	}, true
}

// knownMethods are the methods accepted on a malformed request line (no
// or a broken version), as Wireshark accepts them: with an unknown token the
// line is more likely text than a request.
var knownMethods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "DELETE": true, "HEAD": true, "OPTIONS": true,
	"PATCH": true, "CONNECT": true, "TRACE": true, "COPY": true, "LOCK": true, "MOVE": true,
	"MKCOL": true, "MERGE": true, "SEARCH": true, "NOTIFY": true, "UNLOCK": true,
	"PROPFIND": true, "PROPPATCH": true, "SUBSCRIBE": true, "UNSUBSCRIBE": true,
	"M-SEARCH": true, "CCM_POST": true, "REPORT": true, "CHECKOUT": true, "CHECKIN": true,
	"UNCHECKOUT": true, "MKWORKSPACE": true, "UPDATE": true, "LABEL": true,
	"MKACTIVITY": true, "VERSION-CONTROL": true, "BASELINE-CONTROL": true, "ACL": true,
	"POLL": true, "BCOPY": true, "BMOVE": true, "BDELETE": true, "BPROPFIND": true,
	"BPROPPATCH": true, "RPC_CONNECT": true, "RPC_IN_DATA": true, "RPC_OUT_DATA": true,
	"SSTP_DUPLEX_POST": true, "PURGE": true,
}

// requestLine is a parsed request line.
type requestLine struct {
	method, target, proto []byte
	// noVersion: the line ends after the target ("GET /x", HTTP/0.9 or
	// malformed); badVersion: something that is not HTTP/x.y follows it.
	noVersion, badVersion bool
}

// parseRequestLine splits "METHOD SP target SP HTTP/x.y". Like Wireshark it
// also accepts, for a known method, a line whose version is missing or
// broken ("OPTIONS HTTP/1.1", "DELETE / HTTP/1.", "OPTIONS"): servers see
// such requests and answer them, usually with 400.
func parseRequestLine(line []byte) (rl requestLine, ok bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		sp = len(line)
	}
	if sp == 0 || sp > maxMethodLen {
		return rl, false
	}
	rl.method = line[:sp]
	for _, c := range rl.method {
		if !isMethodByte(c) {
			return rl, false
		}
	}
	rest := bytes.TrimLeft(line[min(sp+1, len(line)):], " ")
	if i := bytes.LastIndexByte(rest, ' '); i >= 0 {
		rl.target, rl.proto = bytes.TrimRight(rest[:i], " "), rest[i+1:]
	} else {
		rl.target = rest
		rl.noVersion = true
	}
	if isHTTPVersion(rl.proto) && validTarget(rl.target) {
		return rl, true
	}
	if !knownMethods[string(rl.method)] {
		return rl, false
	}
	if !rl.noVersion {
		// "DELETE / HTTP/1." or a target with spaces: take the first word
		// as the target, as Wireshark does.
		rl.badVersion = true
		if i := bytes.IndexByte(rest, ' '); i >= 0 {
			rl.target, rl.proto = rest[:i], bytes.TrimLeft(rest[i+1:], " ")
		}
	}
	if len(rl.target) > 0 && !validTarget(rl.target) {
		return rl, false
	}
	return rl, true
}

// validTarget accepts any visible bytes, including raw non-ASCII, but no
// spaces or control characters.
func validTarget(t []byte) bool {
	if len(t) == 0 {
		return false
	}
	for _, c := range t {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// parseStatusLine splits "HTTP/x.y SP 3DIGIT [SP reason]".
func parseStatusLine(line []byte) (proto []byte, status int, ok bool) {
	if len(line) < 12 || !isHTTPVersion(line[:8]) || line[8] != ' ' {
		return nil, 0, false
	}
	d := line[9:12]
	if !isDigit(d[0]) || !isDigit(d[1]) || !isDigit(d[2]) {
		return nil, 0, false
	}
	if len(line) > 12 && line[12] != ' ' && line[12] != '\t' {
		return nil, 0, false
	}
	status = int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
	if status < 100 {
		return nil, 0, false
	}
	return line[:8], status, true
}

// isHTTPVersion accepts HTTP/1.0, HTTP/1.1 and other HTTP/d.d spellings
// except 2.0 and above, which are not HTTP/1 framing.
func isHTTPVersion(b []byte) bool {
	return len(b) == 8 && string(b[:5]) == "HTTP/" && isDigit(b[5]) && b[6] == '.' && isDigit(b[7]) && b[5] <= '1'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// TrimOWS removes the optional whitespace (and a stray CR) around a header
// name or value.
func TrimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold compares b with s ignoring ASCII case, as header names compare.
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

// lastToken returns the last element of a comma-separated list.
func lastToken(v []byte) []byte {
	if i := bytes.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return TrimOWS(v)
}

// maxBodyLength bounds Content-Length and chunk sizes: nothing real is
// larger than 2^50 bytes, and staying far below 2^63 keeps arithmetic safe.
const maxBodyLength = 1 << 50

// parseLength parses a Content-Length value. Lists of equal values ("5, 5")
// are accepted as RFC 9110 allows; different values are not.
func parseLength(v []byte) (n int64, ok, conflict bool) {
	n = -1
	for len(v) > 0 {
		var t []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			t, v = v[:i], v[i+1:]
		} else {
			t, v = v, nil
		}
		t = TrimOWS(t)
		if len(t) == 0 {
			return 0, false, false
		}
		var x int64
		for _, c := range t {
			if !isDigit(c) {
				return 0, false, false
			}
			x = x*10 + int64(c-'0')
			if x > maxBodyLength {
				return 0, false, false
			}
		}
		if n >= 0 && x != n {
			return 0, false, true
		}
		n = x
	}
	return n, n >= 0, false
}
