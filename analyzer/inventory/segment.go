package inventory

// kind is what a path segment looks like.
type kind uint8

const (
	kindWord    kind = iota // a literal candidate: letters, digits, '-', '_', '.'
	kindVersion             // v1, v2, v1.41: always literal
	kindInt                 // 8412
	kindUUID                // 5f0c...-...
	kindHex                 // 24 or more hex digits with letters and digits: object ids, hashes
	kindToken               // long base64-like value with mixed character classes
	kindDate                // 2024-01-02
	kindEmail               // a@b.c
	kindOther               // anything else long or odd: treated as a value
)

// paramName is the placeholder a typed value becomes.
var paramName = [...]string{
	kindInt: "{id}", kindUUID: "{uuid}", kindHex: "{hash}", kindToken: "{token}",
	kindDate: "{date}", kindEmail: "{email}", kindOther: "{value}",
}

// wordParam is the placeholder of a position promoted by statistics.
const wordParam = "{name}"

// classify tells what a segment (already split on '/', not decoded) is.
func classify(s string) kind {
	n := len(s)
	if n == 0 {
		return kindWord
	}
	var digits, lower, upper, hex, other, dash, dot, at int
	for i := 0; i < n; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			hex++
		case c >= 'a' && c <= 'z':
			lower++
			if c <= 'f' {
				hex++
			}
		case c >= 'A' && c <= 'Z':
			upper++
			if c <= 'F' {
				hex++
			}
		case c == '-' || c == '_':
			dash++
		case c == '.':
			dot++
		case c == '@':
			at++
		default:
			other++
		}
	}
	switch {
	case digits == n:
		return kindInt
	case isVersion(s):
		return kindVersion
	case n == 36 && isUUID(s):
		return kindUUID
	case at == 1 && dot >= 1 && other == 0:
		return kindEmail
	case isDate(s):
		return kindDate
	case hex == n && n >= 16 && digits > 0 && digits < n:
		return kindHex
	case other > 0 && other*4 > n, n > 64:
		return kindOther
	}
	// Long tokens mixing cases and digits (base64, base64url, random ids)
	// rather than words: a word has few digits and one case.
	if n >= 16 && digits > 0 && (lower > 0 && upper > 0 || digits*3 >= n) {
		return kindToken
	}
	// Short mixed ids ("a1b2c3", "x9k2") are common too.
	if n >= 6 && digits*2 >= n && lower+upper > 0 {
		return kindToken
	}
	if other > 0 {
		return kindOther
	}
	return kindWord
}

// isVersion matches v1, V2, v1.41, v2beta, v1alpha1.
func isVersion(s string) bool {
	if len(s) < 2 || len(s) > 12 || (s[0] != 'v' && s[0] != 'V') || s[1] < '0' || s[1] > '9' {
		return false
	}
	i := 2
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	rest := s[i:]
	return rest == "" || rest == "alpha" || rest == "beta" ||
		len(rest) > 4 && (rest[:5] == "alpha" || rest[:4] == "beta") && allDigits(rest[min(len(rest), 5):])
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// isDate matches 2024-01-02 and 20240102.
func isDate(s string) bool {
	switch len(s) {
	case 10:
		return allDigits(s[0:4]) && s[4] == '-' && allDigits(s[5:7]) && s[7] == '-' && allDigits(s[8:10]) &&
			s[5] <= '1' && s[8] <= '3'
	}
	return false
}
