package detect

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"

	"github.com/corazawaf/libinjection-go"

	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/analyzer/internal/jsontok"
	"github.com/apitap/apitap/sensor/http1"
)

// Injection subtypes, in Evidence.Subtype.
const (
	SQLi             = "sqli"
	XSS              = "xss"
	PathTraversal    = "path_traversal"
	CommandInjection = "command_injection"
	JNDI             = "jndi" // Log4Shell-style ${jndi:...} lookups
)

// Bounds on the work of one transaction: injection checks run on every
// request, so each input and their number are capped.
const (
	maxInputs     = 64
	maxInputBytes = 4 << 10
	minInputBytes = 3 // libinjection calls some two-byte strings SQL
)

var (
	// A shell separator or substitution followed by a command an attacker
	// runs first: reconnaissance, download, shell.
	cmdPattern = regexp.MustCompile(`(?i)(?:[;|&\x60\n]|\$\()\s*(?:cat|ls|id|whoami|uname|wget|curl|nc|ncat|bash|sh|rm|chmod|ping|echo|busybox|tftp|perl|python[23]?|cd)(?:\s|$|[;|&+])`)
	// "../" climbing at least twice, or a system file asked for by name.
	traversalPattern = regexp.MustCompile(`(?i)(?:\.\.[/\\].*\.\.[/\\])|(?:/etc/(?:passwd|shadow|hosts)|win\.ini|boot\.ini|/proc/self/)`)
)

// inspector checks request inputs for injection attempts. It keeps its
// buffers between calls; it is not safe for concurrent use.
type inspector struct {
	inputs []string
	buf    []byte
	json   jsontok.Reader
}

// inspect returns the first injection subtype found in the request and the
// (decoded, cut) input that showed it, or "".
func (in *inspector) inspect(r *http1.Request) (subtype, input string) {
	in.inputs = in.inputs[:0]
	path, query, _ := strings.Cut(r.Target, "?")
	in.add(path)
	for query != "" && len(in.inputs) < maxInputs {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		name, value, _ := strings.Cut(kv, "=")
		in.add(value)
		if value == "" {
			in.add(name) // "?<script>" puts the payload in the name
		}
	}
	in.body(r)
	for _, s := range in.inputs {
		if st := classify(s); st != "" {
			return st, s
		}
	}
	// Log4Shell payloads ride in any header; other checks stay off the
	// headers, whose values (user agents, cookies) look like anything.
	for line := range r.Header.Fields() {
		name, value, ok := http1.SplitField(line)
		if !ok || auth.IsCredentialHeader(name) {
			continue
		}
		// Most values hold no "${": they are not made strings to be checked.
		if bytes.Contains(value, []byte("${")) && isJNDI(string(value)) {
			return JNDI, cut(string(value))
		}
	}
	return "", ""
}

// add queues one URL-encoded input, decoded.
func (in *inspector) add(raw string) {
	if len(raw) < minInputBytes || len(in.inputs) >= maxInputs {
		return
	}
	s, err := url.QueryUnescape(cut(raw))
	if err != nil {
		s = raw
	}
	in.inputs = append(in.inputs, s)
}

// body queues the string values of a form or JSON body sample.
func (in *inspector) body(r *http1.Request) {
	b := r.Body.Sample
	if len(b) == 0 {
		return
	}
	ct, _ := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		for kv := range strings.SplitSeq(string(b[:min(len(b), 16<<10)]), "&") {
			_, v, _ := strings.Cut(kv, "=")
			in.add(v)
		}
	case b[0] == '{' || b[0] == '[':
		in.json.Reset(b)
		for len(in.inputs) < maxInputs {
			k := in.json.Next()
			if k == jsontok.Invalid || k == jsontok.End {
				return
			}
			if k != jsontok.String {
				continue
			}
			raw := in.json.Raw()
			if len(raw) < minInputBytes {
				continue
			}
			if in.buf == nil {
				in.buf = make([]byte, maxInputBytes)
			}
			n := jsontok.Unescape(in.buf, raw)
			in.inputs = append(in.inputs, string(in.buf[:n]))
		}
	}
}

// classify names the injection s attempts, or "".
func classify(s string) string {
	if (strings.Contains(s, "..") || strings.Contains(s, "/etc/") || strings.Contains(s, ".ini") || strings.Contains(s, "/proc/")) && traversalPattern.MatchString(s) {
		return PathTraversal
	}
	if plain(s) {
		return ""
	}
	switch {
	case isJNDI(s):
		return JNDI
	case strings.ContainsAny(s, ";|&`\n$") && cmdPattern.MatchString(s):
		return CommandInjection
	}
	if ok, _ := libinjection.IsSQLi(s); ok {
		return SQLi
	}
	if strings.ContainsAny(s, "<>\"'") && libinjection.IsXSS(s) {
		return XSS
	}
	return ""
}

// plain reports an input made only of letters, digits and the punctuation
// of ids, dates, emails and paths, without spaces: SQL, script and shell
// need more, so most inputs skip those checks (path traversal, made of
// dots and slashes, is checked before).
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == '@' || c == ',' || c >= 0x80) {
			return false
		}
	}
	return true
}

// isJNDI tells a Log4Shell lookup, also when obfuscated with nested
// lookups such as ${${lower:j}ndi:...}.
func isJNDI(s string) bool {
	i := strings.Index(s, "${")
	if i < 0 {
		return false
	}
	l := strings.ToLower(s[i:])
	return strings.Contains(l, "jndi") || strings.Contains(l, "${lower:") || strings.Contains(l, "${::-")
}

func cut(s string) string {
	if len(s) > maxInputBytes {
		return s[:maxInputBytes]
	}
	return s
}
