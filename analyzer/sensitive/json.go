package sensitive

import (
	"bytes"

	"github.com/apitap/apitap/analyzer/internal/jsonstr"
)

// json walks a JSON sample: one value, or several (NDJSON). Where it stops
// being JSON, the rest is scanned as text.
func (s *scanner) json(b []byte) {
	i := 0
	for {
		i = skipWS(b, i)
		if i >= len(b) || s.full() {
			return
		}
		s.plen = 0
		if i = s.value(b, i, 0); i < 0 {
			s.plen = 0
			if s.fail < len(b) {
				s.text(b[s.fail:])
			}
			return
		}
	}
}

// value walks the value at b[i] (after white space) and returns the index
// after it, or -1 with s.fail set on a syntax error.
func (s *scanner) value(b []byte, i, depth int) int {
	if i >= len(b) {
		return s.error(i)
	}
	switch c := b[i]; {
	case c == '{':
		if depth >= MaxDepth {
			return s.skipNested(b, i)
		}
		return s.object(b, i, depth+1)
	case c == '[':
		if depth >= MaxDepth {
			return s.skipNested(b, i)
		}
		return s.array(b, i, depth+1)
	case c == '"':
		end, hint := stringEnd(b, i)
		if end < 0 {
			return s.error(i)
		}
		s.str(b[i+1:end-1], hint)
		return end
	case c == '-' || c >= '0' && c <= '9':
		j := i + 1
		for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || b[j] == '+' || b[j] == '-') {
			j++
		}
		s.text(b[i:j])
		return j
	case c == 't' && bytes.HasPrefix(b[i:], []byte("true")):
		return i + 4
	case c == 'f' && bytes.HasPrefix(b[i:], []byte("false")):
		return i + 5
	case c == 'n' && bytes.HasPrefix(b[i:], []byte("null")):
		return i + 4
	}
	return s.error(i)
}

func (s *scanner) error(i int) int {
	s.fail = i
	return -1
}

func (s *scanner) object(b []byte, i, depth int) int {
	parent := s.plen
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if s.full() {
			return len(b)
		}
		if i >= len(b) || b[i] != '"' {
			return s.error(i)
		}
		end, hint := stringEnd(b, i)
		if end < 0 {
			return s.error(i)
		}
		key := b[i+1 : end-1]
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return s.error(i)
		}
		i = skipWS(b, i+1)
		s.plen = parent
		if hint&hasEscape != 0 {
			s.keyLen = jsonstr.Unescape(s.keyBuf[:], key)
			key = s.keyBuf[:s.keyLen]
		}
		s.pushName(key, false)
		if isPasswordName(key) {
			s.add(Password, nil)
			i = s.skip(b, i)
		} else {
			i = s.value(b, i, depth)
		}
		if i < 0 {
			return -1
		}
		s.plen = parent
		i = skipWS(b, i)
		if i >= len(b) {
			return s.error(i)
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1
		default:
			return s.error(i)
		}
	}
}

func (s *scanner) array(b []byte, i, depth int) int {
	parent := s.plen
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		if s.full() {
			return len(b)
		}
		s.plen = parent
		s.pushElem()
		if i = s.value(b, i, depth); i < 0 {
			return -1
		}
		s.plen = parent
		i = skipWS(b, i)
		if i >= len(b) {
			return s.error(i)
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1
		default:
			return s.error(i)
		}
	}
}

// skip steps over the value at b[i] without scanning it.
func (s *scanner) skip(b []byte, i int) int {
	if i >= len(b) {
		return s.error(i)
	}
	switch b[i] {
	case '{', '[':
		return s.skipNested(b, i)
	case '"':
		if end, _ := stringEnd(b, i); end >= 0 {
			return end
		}
		return s.error(i)
	}
	j := i
	for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] >= 'a' && b[j] <= 'z' || b[j] == '.' || b[j] == '+' || b[j] == '-' || b[j] == 'E') {
		j++
	}
	if j == i {
		return s.error(i)
	}
	return j
}

// skipNested steps over an object or array by counting brackets, without
// recursion, however deep it is.
func (s *scanner) skipNested(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			end, _ := stringEnd(b, i)
			if end < 0 {
				return s.error(i)
			}
			i = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return s.error(len(b))
}

// str scans a string's content (between the quotes), unescaped when it
// has escapes and fits the buffer.
func (s *scanner) str(raw []byte, hint uint8) {
	if len(raw) == 0 {
		return
	}
	if hint&hasEscape == 0 || len(raw) > len(s.esc) {
		s.scanText(raw, hint&hasAt != 0)
		return
	}
	n := jsonstr.Unescape(s.esc[:], raw)
	s.text(s.esc[:n])
}

// Hints stringEnd gives about a string's content.
const (
	hasEscape = 1 << iota // a backslash
	hasAt                 // an '@'
)

// stringEnd returns the index after the string starting at b[i] == '"',
// or -1 if it does not end, and hints about its content. JSON strings are
// mostly short: a plain loop beats searching three times.
func stringEnd(b []byte, i int) (int, uint8) {
	var hint uint8
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1, hint
		case '\\':
			hint |= hasEscape
			i++
		case '@':
			hint |= hasAt
		}
	}
	return -1, hint
}

// hex4 reads four hex digits; it returns 0 digits read if there are not.

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
