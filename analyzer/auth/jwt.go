package auth

import (
	"bytes"
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apitap/apitap/analyzer/internal/jsontok"
)

// JWT is what a bearer JSON Web Token says about itself, decoded without
// verifying its signature.
type JWT struct {
	Alg, Typ string // from the JOSE header
	Iss      string
	Aud      []string // at most maxAud audiences
	HasSub   bool     // a sub claim is present (its value is not kept)
	Exp, Iat time.Time
	Flags    Flags
	// Claims reports that the payload was decoded; false for an encrypted
	// token (JWE) or one whose payload exceeds maxPayload.
	Claims bool
}

// Flags mark risky properties of a JWT.
type Flags uint8

const (
	AlgNone   Flags = 1 << iota // alg is "none" or missing: an unsigned token
	NoExpiry                    // the claims have no numeric exp
	Expired                     // exp is not after the time passed to Classify
	Encrypted                   // a JWE: five parts, claims not readable
)

var flagNames = []string{"alg_none", "no_expiry", "expired", "encrypted"}

// String joins the flag names with commas, "" for none.
func (f Flags) String() string {
	var b strings.Builder
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

// Bounds on what decodeJWT reads: base64url characters of the header and
// the payload, audiences kept.
const (
	maxHeader  = 2 << 10
	maxPayload = 8 << 10
	maxAud     = 4
)

// decodeJWT reports whether tok is a JWT (JWS compact serialisation: three
// base64url parts with a JSON object header, or JWE: five) and decodes it.
func decodeJWT(tok []byte, now time.Time) (JWT, bool) {
	var j JWT
	var parts [5][]byte
	n := 0
	for rest := tok; ; {
		if n == len(parts) {
			return j, false
		}
		i := bytes.IndexByte(rest, '.')
		if i < 0 {
			parts[n] = rest
			n++
			break
		}
		parts[n], rest = rest[:i], rest[i+1:]
		n++
	}
	if n != 3 && n != 5 {
		return j, false
	}
	for i := range n {
		if !isBase64URL(parts[i]) {
			return j, false
		}
	}
	if len(parts[0]) == 0 || len(parts[0]) > maxHeader {
		return j, false
	}
	var hbuf [maxHeader * 3 / 4]byte
	hdr, ok := decodeSegment(hbuf[:], parts[0])
	if !ok || !j.header(hdr) {
		return j, false
	}
	if j.Alg == "" || strings.EqualFold(j.Alg, "none") {
		j.Flags |= AlgNone
	}
	if n == 5 {
		j.Flags |= Encrypted
		return j, true
	}
	if len(parts[1]) == 0 {
		return j, false
	}
	if len(parts[1]) > maxPayload {
		return j, true // a JWT, but we do not read its claims
	}
	var pbuf [maxPayload * 3 / 4]byte
	payload, ok := decodeSegment(pbuf[:], parts[1])
	if !ok || !j.claims(payload) {
		// The header said JWT; a payload that is not a JSON object makes
		// it something else (a JWS of arbitrary content, or garbage).
		return JWT{}, false
	}
	j.Claims = true
	if j.Exp.IsZero() {
		j.Flags |= NoExpiry
	} else if !now.IsZero() && !now.Before(j.Exp) {
		j.Flags |= Expired
	}
	return j, true
}

func isBase64URL(b []byte) bool {
	b = bytes.TrimRight(b, "=")
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func decodeSegment(dst, src []byte) ([]byte, bool) {
	src = bytes.TrimRight(src, "=")
	n, err := base64.RawURLEncoding.Decode(dst, src)
	return dst[:n], err == nil
}

// header reads the JOSE header: a JSON object with alg and typ.
func (j *JWT) header(b []byte) bool {
	var m members
	for {
		k, v, more := m.next(b)
		if !more {
			return m.ok
		}
		switch string(k) {
		case "alg":
			j.Alg, _ = jsonString(v)
		case "typ":
			j.Typ, _ = jsonString(v)
		}
	}
}

// claims reads the registered claims that are not secrets.
func (j *JWT) claims(b []byte) bool {
	var m members
	for {
		k, v, more := m.next(b)
		if !more {
			return m.ok
		}
		switch string(k) {
		case "iss":
			j.Iss, _ = jsonString(v)
		case "sub":
			j.HasSub = string(v) != "null"
		case "aud":
			j.Aud = j.Aud[:0]
			if s, ok := jsonString(v); ok {
				j.Aud = append(j.Aud, s)
				break
			}
			if len(v) == 0 || v[0] != '[' {
				break
			}
			var e elements
			for len(j.Aud) < maxAud {
				el, more := e.next(v)
				if !more {
					break
				}
				if s, ok := jsonString(el); ok {
					j.Aud = append(j.Aud, s)
				}
			}
		case "exp":
			j.Exp = jsonTime(v)
		case "iat":
			j.Iat = jsonTime(v)
		}
	}
}

// jsonString returns a JSON string value as valid UTF-8 of at most maxName
// bytes.
func jsonString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	raw := v[1 : len(v)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		if s, ok := internJOSE(raw); ok {
			return s, true
		}
	} else {
		var buf [maxName + utf8.UTFMax]byte
		raw = buf[:jsontok.Unescape(buf[:], raw)]
	}
	return cleanString(raw, maxName), true
}

// The NumericDate range kept: years 1 to 9999, so that times format.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// jsonTime reads a NumericDate (seconds since the epoch, possibly
// fractional). Anything else is the zero time.
func jsonTime(v []byte) time.Time {
	if len(v) == 0 || len(v) > 64 || !(v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return time.Time{}
	}
	if sec, ok := smallInt(v); ok {
		return time.Unix(sec, 0).UTC()
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsNaN(f) {
		return time.Time{}
	}
	f = max(min(f, maxUnix), minUnix)
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// smallInt parses a non-negative decimal of at most 12 digits.
func smallInt(v []byte) (int64, bool) {
	if len(v) > 12 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return min(n, maxUnix), true
}

// members iterates over the members of the JSON object b, passed to
// every call of next: key is the raw key without quotes (escaped keys are
// left as they are, so "\u0065xp" is not exp), val the raw value. Once next
// returns false, ok reports whether b was a well-formed object. (The
// iterator keeps positions only: storing slices of b in it would make b
// escape to the heap. That is why this is not a jsontok.Reader, whose
// Reset stores the body: decodeJWT's stack buffers would move to the heap,
// 7.7 KB per token.)
type members struct {
	i        int
	ok, open bool
}

func (m *members) next(b []byte) (key, val []byte, more bool) {
	i := m.i
	if !m.open {
		m.open = true
		i = skipWS(b, 0)
		if i >= len(b) || b[i] != '{' {
			return nil, nil, false
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			m.ok = true
			return nil, nil, false
		}
	} else {
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, nil, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			m.ok = true
			return nil, nil, false
		default:
			return nil, nil, false
		}
	}
	if i >= len(b) || b[i] != '"' {
		return nil, nil, false
	}
	end, ok := skipString(b, i)
	if !ok {
		return nil, nil, false
	}
	key = b[i+1 : end-1]
	i = skipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		return nil, nil, false
	}
	i = skipWS(b, i+1)
	start := i
	if i, ok = skipValue(b, i); !ok {
		return nil, nil, false
	}
	m.i = i
	return key, b[start:i], true
}

// elements iterates over the raw elements of the JSON array b.
type elements struct {
	i    int
	open bool
}

func (e *elements) next(b []byte) (val []byte, more bool) {
	i := e.i
	if !e.open {
		e.open = true
		i = skipWS(b, 1)
		if i < len(b) && b[i] == ']' {
			return nil, false
		}
	} else {
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ',' {
			return nil, false
		}
		i = skipWS(b, i+1)
	}
	end, ok := skipValue(b, i)
	if !ok {
		return nil, false
	}
	e.i = end
	return b[i:end], true
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\\':
			i++
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		}
	}
	return 0, false
}

// skipValue returns the index after the value starting at b[i]. Nested
// values are skipped by counting brackets, without recursion; their
// content is checked only as far as strings are concerned.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{' || c == '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	default:
		start := i
		for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] >= 'a' && b[i] <= 'z' ||
			b[i] == '-' || b[i] == '+' || b[i] == '.' || b[i] == 'E') {
			i++
		}
		return i, i > start
	}
}
