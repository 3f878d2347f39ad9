package sensitive

import "github.com/apitap/apitap/analyzer/internal/jsontok"

// json walks a JSON sample: one value, or several (NDJSON). Where it stops
// being JSON, the rest is scanned as text.
func (s *scanner) json(b []byte) {
	r := &s.r
	r.Reset(b)
	for !s.stopped {
		k := r.Next()
		if k == jsontok.End {
			return
		}
		s.plen = 0
		if !s.value(k) {
			s.plen = 0
			if at := r.Start(); at < len(b) {
				s.text(b[at:])
			}
			return
		}
	}
}

// value scans the value that starts with token k and reports whether it
// was valid JSON. Scanning stops, as valid, once MaxFindings are found.
func (s *scanner) value(k jsontok.Kind) bool {
	r := &s.r
	switch k {
	case jsontok.BeginObject, jsontok.BeginArray:
		if r.Depth() > MaxDepth {
			return skip(r, k)
		}
		if k == jsontok.BeginObject {
			return s.object()
		}
		return s.array()
	case jsontok.String:
		s.str(r.Raw(), r.Flags())
	case jsontok.Number:
		s.text(r.Raw())
	case jsontok.True, jsontok.False, jsontok.Null:
	default:
		return false
	}
	return true
}

func (s *scanner) object() bool {
	r := &s.r
	parent := s.plen
	for !s.stopped {
		switch r.Next() {
		case jsontok.EndObject:
			return true
		case jsontok.Key:
		default:
			return false
		}
		key := r.Raw()
		if r.Flags()&jsontok.Escaped != 0 {
			key = s.keyBuf[:jsontok.Unescape(s.keyBuf[:], key)]
		}
		s.plen = parent
		s.pushName(key, false)
		k := r.Next()
		if isPasswordName(key) {
			s.add(Password, nil)
			if !skip(r, k) {
				return false
			}
		} else if !s.value(k) {
			return false
		}
	}
	return true
}

func (s *scanner) array() bool {
	r := &s.r
	parent := s.plen
	for !s.stopped {
		k := r.Next()
		if k == jsontok.EndArray {
			return true
		}
		s.plen = parent
		s.pushElem()
		if !s.value(k) {
			return false
		}
	}
	return true
}

// skip reads the rest of the value that starts with token k without
// scanning it, and reports whether it is valid.
func skip(r *jsontok.Reader, k jsontok.Kind) bool {
	switch k {
	case jsontok.BeginObject, jsontok.BeginArray:
		return r.Skip() >= 0
	case jsontok.Invalid:
		return false
	}
	return true
}

// str scans a string's content (between the quotes), unescaped when it
// has escapes and fits the buffer.
func (s *scanner) str(raw []byte, f jsontok.Flags) {
	if len(raw) == 0 {
		return
	}
	if f&jsontok.Escaped == 0 || len(raw) > len(s.esc) {
		s.scanText(raw, f&jsontok.HasAt != 0)
		return
	}
	n := jsontok.Unescape(s.esc[:], raw)
	s.text(s.esc[:n])
}
