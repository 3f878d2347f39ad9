package jsontok

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Unescape writes the unescaped content of a JSON string to dst and
// returns its length; what does not fit is dropped. Invalid escapes are
// copied as they are.
func Unescape(dst, src []byte) int {
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
		case '"', '\\', '/':
			c = src[i]
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
			r, k := hex4(src[i+1:])
			if k == 0 {
				dst[n] = 'u'
				n++
				continue
			}
			i += k
			if utf16.IsSurrogate(r) {
				if r2, k2 := hex4(src[min(i+3, len(src)):]); i+2 < len(src) && src[i+1] == '\\' && src[i+2] == 'u' && k2 > 0 {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r, i = d, i+2+k2
					}
				}
			}
			if n+utf8.RuneLen(r) > len(dst) {
				return n
			}
			n += utf8.EncodeRune(dst[n:], r)
			continue
		default:
			c = src[i]
		}
		dst[n] = c
		n++
	}
	return n
}

// hex4 reads four hex digits; k is 0 when they are not there.
func hex4(b []byte) (rune, int) {
	if len(b) < 4 {
		return 0, 0
	}
	var r rune
	for _, c := range b[:4] {
		if !isHex(c) {
			return 0, 0
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, 4
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}
