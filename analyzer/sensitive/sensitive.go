package sensitive

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/analyzer/internal/jsontok"
	"github.com/apitap/apitap/sensor/http1"
)

// Class is a kind of sensitive data.
type Class uint8

const (
	Email        Class = iota + 1 // an email address
	Phone                         // a phone number in E.164 or North American format
	Card                          // a payment card number (issuer prefix, length and Luhn checked)
	IBAN                          // an international bank account number (mod-97 checked)
	USSSN                         // a US social security number, ddd-dd-dddd
	JWT                           // a JSON Web Token
	AWSAccessKey                  // an AWS access key id (AKIA/ASIA)
	GCPAPIKey                     // a Google API key (AIza)
	GitHubToken                   // a GitHub token (ghp_, gho_, ghs_, ghu_, ghr_, github_pat_)
	SlackToken                    // a Slack token (xoxb-, xoxp-, ..., xapp-)
	PrivateKey                    // a PEM private key
	Password                      // a field named like a password or secret
	numClasses
)

var classNames = [numClasses]string{
	"", "email", "phone", "card", "iban", "us_ssn", "jwt", "aws_access_key",
	"gcp_api_key", "github_token", "slack_token", "private_key", "password",
}

// String returns the class's snake_case name, e.g. "us_ssn".
func (c Class) String() string {
	if c > 0 && c < numClasses {
		return classNames[c]
	}
	return "unknown"
}

// Finding is one kind of sensitive data found at one place.
type Finding struct {
	Class Class
	// Path says where: a JSON path ("user.cards[].number", "[].email",
	// "" for the top-level value), a form field, query parameter or
	// header name (lower case), or "" in plain text.
	Path string
	// Masked shows just enough of the value to recognise its kind.
	Masked string
}

// Bounds on the work of one call.
const (
	MaxSample   = 64 << 10 // bytes of a body read by Scan
	MaxDepth    = 32       // JSON nesting followed; deeper values are skipped
	MaxFindings = 64       // findings appended by one call
	maxPath     = 512      // bytes of a Path; longer paths are cut
	maxKey      = 64       // bytes of one key or name in a Path
	maxUnescape = 8 << 10  // bytes of a string value unescaped or decoded
)

// Scan appends to out the sensitive data found in a body sample b of the
// given Content-Type (with or without parameters) and returns the extended
// slice. Each class is reported once per path per call.
func Scan(b []byte, contentType string, out []Finding) []Finding {
	if len(b) > MaxSample {
		b = b[:MaxSample]
	}
	var s scanner
	s.out, s.base = out, len(out)
	mt := mediaType(contentType)
	if binaryType(mt) || looksBinary(b) {
		return out
	}
	switch {
	case strings.EqualFold(mt, "application/x-www-form-urlencoded"):
		scanPairs(&s, b)
	case isJSON(mt) || sniffJSON(b):
		s.json(b)
	default:
		s.text(b)
	}
	return s.out
}

// ScanQuery appends the sensitive data found in the query of a request
// target ("/path?a=1&b=2", absolute form too), with each parameter's name as
// the path.
func ScanQuery(target string, out []Finding) []Finding {
	i := strings.IndexByte(target, '?')
	if i < 0 {
		return out
	}
	q := target[i+1:]
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	var s scanner
	s.out, s.base = out, len(out)
	scanPairs(&s, q)
	return s.out
}

// ScanHeaders appends the sensitive data found in header values, with the
// lower-case header name as the path. Credential headers (see
// auth.IsCredentialHeader) and Set-Cookie are left to package auth.
func ScanHeaders(h http1.Header, out []Finding) []Finding {
	var s scanner
	s.out, s.base = out, len(out)
	for line := range h.Fields() {
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			continue
		}
		name, value := http1.TrimOWS(line[:i]), http1.TrimOWS(line[i+1:])
		if auth.IsCredentialHeader(name) || http1.EqualFold(name, "Set-Cookie") {
			continue
		}
		s.plen = 0
		s.pushName(name, true)
		if isPasswordName(name) {
			s.add(Password, nil)
		} else {
			s.text(value)
		}
		if s.stopped {
			break
		}
	}
	return s.out
}

// scanner carries the state of one call. It holds positions, never slices
// of its own arrays, so that it stays on the caller's stack.
type scanner struct {
	out     []Finding
	base    int // findings before out[base] are the caller's
	plen    int // length of the current path in path
	r       jsontok.Reader
	path    [maxPath]byte
	esc     [maxUnescape]byte // unescaped string or decoded form value
	keyBuf  [maxKey]byte
	stopped bool // MaxFindings reached
}

// add records a finding of class c for value v at the current path, unless
// the same class was already found there in this call.
func (s *scanner) add(c Class, v []byte) {
	if s.stopped {
		return
	}
	p := s.path[:s.plen]
	for _, f := range s.out[s.base:] {
		if f.Class == c && f.Path == string(p) {
			return
		}
	}
	path := ""
	if len(p) > 0 {
		path = string(p)
	}
	s.out = append(s.out, Finding{Class: c, Path: path, Masked: mask(c, v)})
	if len(s.out)-s.base >= MaxFindings {
		s.stopped = true
	}
}

// pushName appends a key to the path: ".key", or "key" at the top. Keys are
// cut at maxKey bytes and the path at maxPath. lower folds ASCII case.
func (s *scanner) pushName(k []byte, lower bool) {
	if s.plen > 0 && s.plen < maxPath {
		s.path[s.plen] = '.'
		s.plen++
	}
	k = k[:min(len(k), maxKey)]
	n := copy(s.path[s.plen:], k)
	seg := s.path[s.plen : s.plen+n]
	if lower {
		for i, c := range seg {
			seg[i] = lowerByte(c)
		}
	}
	// Paths are valid UTF-8: invalid bytes, and a rune cut at the end,
	// become '?'.
	for i := 0; i < len(seg); {
		if seg[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(seg[i:])
		if r == utf8.RuneError && size == 1 {
			seg[i] = '?'
		}
		i += size
	}
	s.plen += n
}

// pushElem appends "[]" to the path.
func (s *scanner) pushElem() {
	s.plen += copy(s.path[s.plen:], "[]")
}

// scanPairs scans "name=value&..." pairs, percent-decoding names and values.
func scanPairs[T ~string | ~[]byte](s *scanner, q T) {
	for len(q) > 0 && !s.stopped {
		var pair T
		i := 0
		for i < len(q) && q[i] != '&' {
			i++
		}
		if i < len(q) {
			pair, q = q[:i], q[i+1:]
		} else {
			pair, q = q, q[len(q):]
		}
		eq := 0
		for eq < len(pair) && pair[eq] != '=' {
			eq++
		}
		name := pair[:eq]
		var value T
		if eq < len(pair) {
			value = pair[eq+1:]
		}
		key := s.keyBuf[:unescapeURL(s.keyBuf[:], name)]
		s.plen = 0
		s.pushName(key, false)
		if isPasswordName(key) {
			s.add(Password, nil)
			continue
		}
		n := unescapeURL(s.esc[:], value)
		s.text(s.esc[:n])
	}
	s.plen = 0
}

// unescapeURL percent-decodes b into dst ('+' is a space) and returns the
// length written; what does not fit is dropped.
func unescapeURL[T ~string | ~[]byte](dst []byte, b T) int {
	n := 0
	for i := 0; i < len(b) && n < len(dst); i++ {
		c := b[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]):
			c = unhex(b[i+1])<<4 | unhex(b[i+2])
			i += 2
		}
		dst[n] = c
		n++
	}
	return n
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// isPasswordName reports whether a field name denotes a password or
// secret. With '_', '-' and '.' removed and in lower case, the name is one
// of pass, pwd, passwordconfirm(ation), passwordrepeat, password2, or ends
// with password, passwd, passphrase or secret: "new_password",
// "clientSecret", "X-Client-Secret"; not "passport", "bypass" or
// "password_changed".
func isPasswordName(name []byte) bool {
	// Most names are rejected by their last byte, or for not holding "ss",
	// "wd" or "et".
	if len(name) < 3 {
		return false
	}
	switch lowerByte(name[len(name)-1]) {
	case 'd', 'e', 't', 's', '2', 'm', 'n', '_', '-', '.':
	default:
		return false
	}
	maybe := false
	for i := 1; i < len(name) && !maybe; i++ {
		a, b := lowerByte(name[i-1]), lowerByte(name[i])
		maybe = a == 's' && b == 's' || a == 'w' && b == 'd' || a == 'e' && b == 't'
	}
	if !maybe {
		return false
	}
	var buf [32]byte
	n := 0
	for _, c := range name {
		if c == '_' || c == '-' || c == '.' {
			continue
		}
		if n == len(buf) {
			return false // no password name is this long
		}
		buf[n] = lowerByte(c)
		n++
	}
	if n < 3 {
		return false
	}
	k := buf[:n]
	switch k[n-1] {
	case 'd':
		return bytes.HasSuffix(k, []byte("password")) || bytes.HasSuffix(k, []byte("passwd")) || string(k) == "pwd"
	case 'e':
		return bytes.HasSuffix(k, []byte("passphrase"))
	case 't':
		return bytes.HasSuffix(k, []byte("secret")) || string(k) == "passwordrepeat"
	case 's':
		return string(k) == "pass"
	case '2':
		return string(k) == "password2"
	case 'm':
		return string(k) == "passwordconfirm"
	case 'n':
		return string(k) == "passwordconfirmation"
	}
	return false
}

// mediaType returns the media type without parameters.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.TrimSpace(ct)
}

func isJSON(mt string) bool {
	return strings.EqualFold(mt, "application/json") || strings.EqualFold(mt, "text/json") ||
		len(mt) > 5 && strings.EqualFold(mt[len(mt)-5:], "+json") ||
		strings.EqualFold(mt, "application/x-ndjson") || strings.EqualFold(mt, "application/jsonl")
}

// binaryType reports whether a media type is binary: images, audio,
// video, fonts.
func binaryType(mt string) bool {
	for _, p := range []string{"image/", "audio/", "video/", "font/"} {
		if len(mt) >= len(p) && strings.EqualFold(mt[:len(p)], p) {
			return true
		}
	}
	return false
}

// looksBinary reports whether the first 512 bytes hold control bytes that
// text does not (as net/http.DetectContentType decides): compressed or
// binary data, where text matches are noise.
func looksBinary(b []byte) bool {
	for _, c := range b[:min(len(b), 512)] {
		if c <= 0x08 || c == 0x0B || c >= 0x0E && c <= 0x1A || c >= 0x1C && c <= 0x1F {
			return true
		}
	}
	return false
}

// sniffJSON reports whether b starts like a JSON object or array.
func sniffJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\n\r")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
