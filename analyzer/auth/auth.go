package auth

import (
	"bytes"
	"encoding/base64"
	"iter"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apitap/apitap/sensor/http1"
)

// Scheme is one way a request can authenticate.
type Scheme uint8

// The schemes Classify tells apart. None is the absence of any other.
const (
	None          Scheme = iota
	Basic                // Authorization: Basic
	BearerJWT            // Authorization: Bearer with a JSON Web Token (or a bare JWT)
	BearerOpaque         // Authorization: Bearer with anything else
	APIKeyHeader         // an API-key header, or Authorization: ApiKey/Token/... or a bare credential
	APIKeyQuery          // an API-key parameter in the query
	SessionCookie        // a session cookie
	Digest               // Authorization: Digest
	NTLM                 // Authorization: NTLM or Negotiate
	Other                // another Authorization scheme (AWS4-HMAC-SHA256, OAuth, Hawk, ...)
	numSchemes
)

var schemeNames = [numSchemes]string{
	"none", "basic", "bearer_jwt", "bearer_opaque", "api_key_header",
	"api_key_query", "session_cookie", "digest", "ntlm", "other",
}

// String returns the scheme's snake_case name, e.g. "bearer_jwt".
func (s Scheme) String() string {
	if s < numSchemes {
		return schemeNames[s]
	}
	return "unknown"
}

// Schemes is a set of Scheme, one bit per scheme.
type Schemes uint16

// Has reports whether s holds x. Has(None) is true of the empty set only.
func (s Schemes) Has(x Scheme) bool {
	if x == None {
		return s == 0
	}
	return x < numSchemes && s&(1<<x) != 0
}

// All yields the schemes in s in constant order; None alone when s is empty.
func (s Schemes) All() iter.Seq[Scheme] {
	return func(yield func(Scheme) bool) {
		if s == 0 {
			yield(None)
			return
		}
		for x := Basic; x < numSchemes; x++ {
			if s&(1<<x) != 0 && !yield(x) {
				return
			}
		}
	}
}

// String joins the names of the schemes with commas: "session_cookie" or
// "bearer_jwt,session_cookie"; "none" for the empty set.
func (s Schemes) String() string {
	if s == 0 {
		return "none"
	}
	var b strings.Builder
	for x := range s.All() {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x.String())
	}
	return b.String()
}

// Result is what Classify found. Its strings are never secrets (see the
// package Caveats).
type Result struct {
	Schemes Schemes
	// User is the Basic or Digest user name, masked: first and last
	// character kept ("a***e"), fewer for short names.
	User string
	// AuthScheme is the Authorization header's scheme as a canonical name
	// ("Bearer", "Basic", "ApiKey", "AWS4-HMAC-SHA256", ...), or an unknown
	// one that looks like a name ("Custom-Scheme"); "" without one, for a
	// bare credential, or for an unknown scheme that might be a key.
	AuthScheme string
	// APIKeyHeader names the header that carried an API key, in the
	// canonical spelling of the table ("X-API-Key", or "Authorization").
	APIKeyHeader string
	// APIKeyParam names the query parameter that carried one, lower case.
	APIKeyParam string
	// SessionCookie is the name of the first session cookie.
	SessionCookie string
	// JWT describes the bearer JWT when Schemes has BearerJWT.
	JWT JWT
}

// Classify tells how req authenticates. now is the time the request was
// seen (packet time), against which a JWT's exp is compared.
func Classify(req *http1.Request, now time.Time) Result {
	var r Result
	for line := range req.Header.Fields() {
		name, value, ok := http1.SplitField(line)
		if !ok {
			continue
		}
		switch {
		case http1.EqualFold(name, "Authorization"):
			r.authorization(value, now)
		case http1.EqualFold(name, "Cookie"):
			r.cookies(value)
		default:
			if h := apiKeyHeader(name); h != "" && len(value) > 0 {
				r.Schemes |= 1 << APIKeyHeader
				if r.APIKeyHeader == "" {
					r.APIKeyHeader = h
				}
			}
		}
	}
	r.query(req.Target)
	return r
}

// IsCredentialHeader reports whether Classify reads the header called name
// for credentials (Authorization, Proxy-Authorization, Cookie and the
// API-key headers), so that other analysers can leave its value alone.
func IsCredentialHeader(name []byte) bool {
	return http1.EqualFold(name, "Authorization") || http1.EqualFold(name, "Proxy-Authorization") ||
		http1.EqualFold(name, "Cookie") || apiKeyHeader(name) != ""
}

func (r *Result) authorization(v []byte, now time.Time) {
	scheme, cred := v, []byte(nil)
	if i := bytes.IndexAny(v, " \t"); i >= 0 {
		scheme, cred = v[:i], http1.TrimOWS(v[i+1:])
	}
	if i := bytes.IndexAny(cred, " \t"); i >= 0 && !http1.EqualFold(scheme, "Digest") {
		cred = cred[:i] // Basic and Bearer credentials are one token
	}
	var s Scheme
	name := knownAuthScheme(scheme)
	switch name {
	case "Basic":
		s = Basic
		if r.User == "" {
			r.User = basicUser(cred)
		}
	case "Bearer":
		s = BearerOpaque
		if j, ok := decodeJWT(cred, now); ok {
			s = BearerJWT
			if r.Schemes&(1<<BearerJWT) == 0 {
				r.JWT = j
			}
		}
	case "Digest":
		s = Digest
		if r.User == "" {
			r.User = digestUser(cred)
		}
	case "NTLM", "Negotiate":
		s = NTLM
	case "ApiKey", "Api-Key", "Token", "Key", "SSWS":
		s = APIKeyHeader
		if r.APIKeyHeader == "" {
			r.APIKeyHeader = "Authorization"
		}
	case "":
		if len(cred) > 0 {
			s = Other
			name = otherSchemeName(scheme)
			break
		}
		// A bare credential: the "scheme" is the secret itself.
		if len(scheme) == 0 {
			return
		}
		s = APIKeyHeader
		if j, ok := decodeJWT(scheme, now); ok {
			s = BearerJWT
			if r.Schemes&(1<<BearerJWT) == 0 {
				r.JWT = j
			}
		} else if r.APIKeyHeader == "" {
			r.APIKeyHeader = "Authorization"
		}
	default:
		s = Other // known, but none of the above
	}
	r.Schemes |= 1 << s
	if r.AuthScheme == "" {
		r.AuthScheme = name
	}
}

// cookies looks for session cookies among the names of a Cookie header.
func (r *Result) cookies(v []byte) {
	for len(v) > 0 {
		var pair []byte
		if i := bytes.IndexByte(v, ';'); i >= 0 {
			pair, v = v[:i], v[i+1:]
		} else {
			pair, v = v, nil
		}
		// A pair without '=' is a value with no name (as browsers read
		// it): it may be the secret itself.
		i := bytes.IndexByte(pair, '=')
		if i < 0 {
			continue
		}
		name := http1.TrimOWS(pair[:i])
		if n, ok := sessionCookie(name); ok {
			r.Schemes |= 1 << SessionCookie
			if r.SessionCookie == "" {
				if n == "" {
					n = cleanString(name, maxName)
				}
				r.SessionCookie = n
			}
		}
	}
}

// query looks for API-key parameters in the request target's query.
func (r *Result) query(target string) {
	i := strings.IndexByte(target, '?')
	if i < 0 {
		return
	}
	q := target[i+1:]
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	for len(q) > 0 {
		var pair string
		if j := strings.IndexByte(q, '&'); j >= 0 {
			pair, q = q[:j], q[j+1:]
		} else {
			pair, q = q, ""
		}
		name, value, _ := strings.Cut(pair, "=")
		if value == "" {
			continue
		}
		if p := apiKeyParam(name); p != "" {
			r.Schemes |= 1 << APIKeyQuery
			if r.APIKeyParam == "" {
				r.APIKeyParam = p
			}
		}
	}
}

// maxName bounds the names and claims copied into a Result.
const maxName = 128

// basicUser decodes Basic credentials and returns the masked user name.
func basicUser(cred []byte) string {
	cred = bytes.TrimRight(cred, "=")
	const maxEnc = 344 // 258 decoded bytes: a user name of 256 and more
	if len(cred) > maxEnc {
		cred = cred[:maxEnc]
	}
	var buf [258]byte
	n, err := base64.RawStdEncoding.Decode(buf[:], cred)
	if err != nil {
		// Some clients use the URL alphabet.
		if n, err = base64.RawURLEncoding.Decode(buf[:], cred); err != nil {
			return ""
		}
	}
	dec := buf[:n]
	if i := bytes.IndexByte(dec, ':'); i >= 0 {
		dec = dec[:i]
	}
	return mask(dec)
}

// digestUser returns the masked username parameter of Digest credentials.
func digestUser(cred []byte) string {
	for len(cred) > 0 {
		var p []byte
		p, cred = nextParam(cred)
		k, v, ok := bytes.Cut(p, []byte{'='})
		if !ok || !http1.EqualFold(http1.TrimOWS(k), "username") {
			continue
		}
		v = http1.TrimOWS(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		return mask(v)
	}
	return ""
}

// nextParam splits off the first comma-separated auth-param, honouring
// quoted strings.
func nextParam(b []byte) (param, rest []byte) {
	inQuote := false
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			if inQuote {
				i++
			}
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				return b[:i], b[i+1:]
			}
		}
	}
	return b, nil
}

// mask keeps the first and last character of a user name and replaces the
// rest with "***": "alice" -> "a***e". Names of two or three characters keep
// the first only, one-character names none. Non-printable characters are
// shown as '?'.
func mask(name []byte) string {
	if len(name) == 0 {
		return ""
	}
	n := utf8.RuneCount(name)
	var buf [3 + 2*utf8.UTFMax]byte
	b := buf[:0]
	if n >= 2 {
		b = appendPrintable(b, name)
	}
	b = append(b, "***"...)
	if n >= 4 {
		i := len(name) - 1
		for i > 0 && !utf8.RuneStart(name[i]) {
			i--
		}
		b = appendPrintable(b, name[i:])
	}
	return string(b)
}

// appendPrintable appends the first rune of s, or '?' when it is not
// printable or valid.
func appendPrintable(b, s []byte) []byte {
	r, _ := utf8.DecodeRune(s)
	if r < 0x20 || r == 0x7f || r == utf8.RuneError {
		return append(b, '?')
	}
	return utf8.AppendRune(b, r)
}

// cleanString copies b as valid UTF-8 of at most max bytes.
func cleanString(b []byte, max int) string {
	if len(b) > max {
		b = b[:max]
		for len(b) > 0 && !utf8.Valid(b) && !utf8.RuneStart(b[len(b)-1]) {
			b = b[:len(b)-1]
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// equalFoldString reports whether a equals s, ignoring ASCII case.
func equalFoldString(a, s string) bool { return strings.EqualFold(a, s) && len(a) == len(s) }

// hasSuffixFold reports whether b ends with the lower-case suffix.
func hasSuffixFold(b []byte, suffix string) bool {
	return len(b) >= len(suffix) && http1.EqualFold(b[len(b)-len(suffix):], suffix)
}

// hasPrefixFold reports whether b starts with the lower-case prefix.
func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && http1.EqualFold(b[:len(prefix)], prefix)
}
