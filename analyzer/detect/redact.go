package detect

import (
	"regexp"
	"strings"

	"github.com/apitap/apitap/analyzer/sensitive"
)

// secretName matches query parameter names that carry credentials.
var secretName = regexp.MustCompile(`(?i)(token|key|secret|pass|pwd|auth|session|sig|credential|code)`)

// longDigits matches card-like runs of digits in a path.
var longDigits = regexp.MustCompile(`\d{12,19}`)

// Redact returns a request target fit to be stored and sent in an alert:
// values of credential-like query parameters and of parameters holding
// sensitive data are replaced, and card-like digit runs and email
// addresses in the path are masked.
func Redact(target string) string {
	path, query, hasQuery := strings.Cut(target, "?")
	segs := strings.Split(path, "/")
	for i, s := range segs {
		switch {
		case strings.Contains(s, "@") || strings.Contains(s, "%40"):
			segs[i] = "REDACTED"
		case longDigits.MatchString(s):
			segs[i] = longDigits.ReplaceAllStringFunc(s, func(d string) string { return strings.Repeat("*", len(d)-4) + d[len(d)-4:] })
		}
	}
	out := strings.Join(segs, "/")
	if !hasQuery {
		return out
	}
	pairs := strings.Split(query, "&")
	for i, kv := range pairs {
		name, value, found := strings.Cut(kv, "=")
		if !found || value == "" {
			continue
		}
		if secretName.MatchString(name) || len(sensitive.ScanQuery("?"+kv, nil)) > 0 {
			pairs[i] = name + "=REDACTED"
		}
	}
	return out + "?" + strings.Join(pairs, "&")
}
