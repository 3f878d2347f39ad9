package schema

import "bytes"

// format is the string format seen at a path: unset until a string is
// seen, one of the formats while every string had it, none after that.
type format uint8

const (
	formatUnset format = iota
	formatDateTime
	formatDate
	formatUUID
	formatEmail
	formatURI
	formatIPv4
	formatNone
	numFormats
)

var formatNames = [numFormats]string{"", "date-time", "date", "uuid", "email", "uri", "ipv4", "none"}

// name returns the JSON Schema format name, "" for unset and none.
func (f format) name() string {
	if f == formatNone || f >= numFormats {
		return ""
	}
	return formatNames[f]
}

func (f format) merge(g format) format {
	switch {
	case f == formatUnset:
		return g
	case g == formatUnset || f == g:
		return f
	}
	return formatNone
}

func formatByName(s string) (format, bool) {
	for i, n := range formatNames {
		if n == s {
			return format(i), true
		}
	}
	return 0, false
}

// detectFormat tells the format of a string's raw content (without
// escapes). The checks are syntactic and cheap: a date-time's day may not
// exist, a URI's characters are not all checked.
func detectFormat(s []byte) format {
	if len(s) < 3 || len(s) > 2048 {
		return formatNone
	}
	switch c := s[0]; {
	case isDigit(c):
		switch {
		case len(s) == 10 && isDate(s):
			return formatDate
		case len(s) >= 20 && isDate(s[:10]) && isDateTimeRest(s[10:]):
			return formatDateTime
		case len(s) == 36 && isUUID(s):
			return formatUUID
		case len(s) <= 15 && isIPv4(s):
			return formatIPv4
		}
	case len(s) == 36 && isUUID(s):
		return formatUUID
	}
	if bytes.IndexByte(s, '@') > 0 && isEmail(s) {
		return formatEmail
	}
	if isURI(s) {
		return formatURI
	}
	return formatNone
}

// digits2 reads two digits at s[i:].
func digits2(s []byte, i int) (int, bool) {
	if i+2 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) {
		return 0, false
	}
	return int(s[i]-'0')*10 + int(s[i+1]-'0'), true
}

// isDate checks yyyy-mm-dd (RFC 3339 full-date).
func isDate(s []byte) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	m, ok1 := digits2(s, 5)
	d, ok2 := digits2(s, 8)
	return ok1 && ok2 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// isDateTimeRest checks "Thh:mm:ss[.frac](Z|±hh:mm)" (RFC 3339).
func isDateTimeRest(s []byte) bool {
	if len(s) < 10 || s[0] != 'T' && s[0] != 't' || s[3] != ':' || s[6] != ':' {
		return false
	}
	h, ok1 := digits2(s, 1)
	m, ok2 := digits2(s, 4)
	sec, ok3 := digits2(s, 7)
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return false
	}
	s = s[9:]
	if s[0] == '.' {
		i := 1
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == 1 {
			return false
		}
		s = s[i:]
	}
	switch {
	case len(s) == 1 && (s[0] == 'Z' || s[0] == 'z'):
		return true
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		oh, ok1 := digits2(s, 1)
		om, ok2 := digits2(s, 4)
		return ok1 && ok2 && oh <= 23 && om <= 59
	}
	return false
}

// isUUID checks 8-4-4-4-12 hex digits.
func isUUID(s []byte) bool {
	for i, c := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

// isIPv4 checks a dotted quad of decimal octets without leading zeros.
func isIPv4(s []byte) bool {
	parts, v, n := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if n == 0 || n > 1 && s[i-n] == '0' || v > 255 {
				return false
			}
			parts++
			v, n = 0, 0
			continue
		}
		if !isDigit(s[i]) || n == 3 {
			return false
		}
		v = v*10 + int(s[i]-'0')
		n++
	}
	return parts == 4
}

// isEmail checks local@domain: one '@', no white space or controls, a dot
// inside the domain.
func isEmail(s []byte) bool {
	at := -1
	dot := false
	for i, c := range s {
		switch {
		case c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' || c == ':' || c == '\\':
			return false
		case c == '@':
			if at >= 0 {
				return false
			}
			at = i
		case c == '.' && at >= 0 && i > at+1 && i < len(s)-1:
			dot = true
		}
	}
	return at > 0 && at < len(s)-1 && dot && len(s) <= 254
}

// isURI checks an absolute URI: a scheme, then "//" and something, or one
// of the schemes without authority (urn:, mailto:, tel:, data:); no white
// space or controls.
func isURI(s []byte) bool {
	if !isAlpha(s[0]) {
		return false
	}
	i := 1
	for i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.') {
		i++
	}
	if i >= len(s)-1 || s[i] != ':' || i > 32 {
		return false
	}
	scheme, rest := s[:i], s[i+1:]
	if !(len(rest) > 2 && rest[0] == '/' && rest[1] == '/') && !oneOf(scheme, "urn", "mailto", "tel", "data") {
		return false
	}
	for _, c := range rest {
		if c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' {
			return false
		}
	}
	return true
}

// oneOf reports whether b is one of names, ignoring case.
func oneOf(b []byte, names ...string) bool {
	for _, n := range names {
		if bytes.EqualFold(b, []byte(n)) {
			return true
		}
	}
	return false
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
