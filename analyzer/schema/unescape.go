package schema

import (
	"unicode/utf16"
	"unicode/utf8"
)

// unescape writes the content of a JSON string, whose escapes are known to
// be valid, to dst and returns the length written; what does not fit is
// dropped. A lone surrogate becomes U+FFFD, as encoding/json decodes it.
func unescape(dst, src []byte) int {
	n := 0
	for i := 0; i < len(src) && n < len(dst); i++ {
		c := src[i]
		if c != '\\' || i+1 >= len(src) {
			dst[n] = c
			n++
			continue
		}
		i++
		switch src[i] {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			r := hex4(src[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 < len(src) && src[i+1] == '\\' && src[i+2] == 'u' {
					r2 = hex4(src[i+3:])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r, i = d, i+6
				} else {
					r = utf8.RuneError
				}
			}
			if n+utf8.RuneLen(r) > len(dst) {
				return n
			}
			n += utf8.EncodeRune(dst[n:], r)
			continue
		default: // '"', '\\', '/'
			c = src[i]
		}
		dst[n] = c
		n++
	}
	return n
}

// hex4 reads four hex digits known to be there.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a':
			r = r<<4 | rune(c-'a'+10)
		default:
			r = r<<4 | rune(c-'A'+10)
		}
	}
	return r
}
