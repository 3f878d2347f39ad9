package jsontok

import "errors"

// MaxNesting is the nesting of objects and arrays a Reader accepts, as
// encoding/json.
const MaxNesting = 10000

// Errors of a Reader.
var (
	ErrSyntax  = errors.New("invalid JSON")
	ErrNesting = errors.New("JSON nested too deep")
)

// Kind is the kind of a token.
type Kind uint8

const (
	Invalid     Kind = iota // a syntax error: see Err and ErrOffset
	End                     // the body ends where a top-level value may start
	BeginObject             // '{'
	EndObject               // '}'
	BeginArray              // '['
	EndArray                // ']'
	Key                     // an object member's name, its ':' read
	String
	Number
	True
	False
	Null
)

// Flags say what the last String, Key or Number token holds.
type Flags uint8

const (
	Escaped  Flags = 1 << iota // a string with a backslash escape
	HasAt                      // a string with an '@'
	Fraction                   // a number with a fraction or an exponent
)

// What a Reader expects next.
const (
	stValue       = iota // a value: at the top, after ':', after ',' in an array
	stFirstValue         // after '[': a value or ']'
	stFirstKey           // after '{': a key or '}'
	stAfterTop           // after a top-level value: another one, or the end
	stAfterArray         // after a value in an array: ',' or ']'
	stAfterObject        // after a member's value: ',' or '}'
	stFailed
)

// Reader reads the tokens of one body. The zero value reads an empty body;
// Reset starts another.
type Reader struct {
	b     []byte
	i     int // where the next token is looked for
	start int // where the last token starts
	raw   int // the last String or Key's content, or Number's text, is b[raw:end]
	end   int
	flags Flags
	depth int
	state uint8
	after uint8 // the state after a value in the innermost container
	err   error
	errAt int
	stack [MaxNesting/64 + 1]uint64 // container kinds: 1 = object
}

// Reset starts reading b.
func (r *Reader) Reset(b []byte) {
	r.b, r.i, r.start, r.raw, r.end, r.flags = b, 0, 0, 0, 0, 0
	r.depth, r.state, r.after, r.err, r.errAt = 0, stValue, stAfterTop, nil, 0
}

// Next reads the next token. A body may hold several top-level values, one
// after the other (NDJSON); End comes when none is left. A caller that
// wants exactly one value reads it, then checks that Next returns End.
func (r *Reader) Next() Kind {
	b := r.b
	i := skipWS(b, r.i)
	r.start = i
	switch r.state {
	case stAfterObject:
		if i < len(b) {
			switch b[i] {
			case ',':
				return r.key(skipWS(b, i+1))
			case '}':
				return r.pop(i, EndObject)
			}
		}
		return r.fail(i)
	case stAfterArray:
		if i < len(b) {
			switch b[i] {
			case ',':
				return r.value(skipWS(b, i+1))
			case ']':
				return r.pop(i, EndArray)
			}
		}
		return r.fail(i)
	case stFirstKey:
		if i < len(b) && b[i] == '}' {
			return r.pop(i, EndObject)
		}
		return r.key(i)
	case stFirstValue:
		if i < len(b) && b[i] == ']' {
			return r.pop(i, EndArray)
		}
	case stAfterTop, stValue:
		if r.depth == 0 && i >= len(b) {
			r.i = i
			return End
		}
	case stFailed:
		return Invalid
	}
	return r.value(i)
}

// Skip reads the rest of the innermost open object or array, its end
// included, after its Begin token or anywhere inside it. It returns the
// number of tokens read before that end, or -1 on a syntax error.
func (r *Reader) Skip() int {
	d := r.depth
	for n := 0; ; n++ {
		switch r.Next() {
		case Invalid, End: // End: no container was open
			return -1
		case EndObject, EndArray:
			if r.depth < d {
				return n
			}
		}
	}
}

// Raw returns the content of the last String or Key token between its
// quotes, escapes included, or the text of the last Number.
func (r *Reader) Raw() []byte { return r.b[r.raw:r.end] }

// Flags describes the last String, Key or Number token.
func (r *Reader) Flags() Flags { return r.flags }

// Depth is the number of objects and arrays open.
func (r *Reader) Depth() int { return r.depth }

// Start is where the last token starts, or the one Next could not read:
// after Invalid, the body from Start on is what was not read as JSON.
func (r *Reader) Start() int { return r.start }

// Err returns ErrSyntax or ErrNesting after Invalid, nil before.
func (r *Reader) Err() error { return r.err }

// ErrOffset is the offset of the byte where the syntax went wrong.
func (r *Reader) ErrOffset() int { return r.errAt }

func (r *Reader) fail(i int) Kind {
	r.state, r.err, r.errAt = stFailed, ErrSyntax, i
	return Invalid
}

// value reads a value starting at b[i].
func (r *Reader) value(i int) Kind {
	b := r.b
	r.start = i
	if i >= len(b) {
		return r.fail(i)
	}
	switch b[i] {
	case '{':
		return r.push(i, true)
	case '[':
		return r.push(i, false)
	case '"':
		j := plainEnd(b, i+1)
		if j < len(b) && b[j] == '"' {
			r.flags = 0
			j++
		} else if j = r.strRest(b, j); j < 0 {
			return Invalid
		}
		r.i, r.raw, r.end, r.state = j, i+1, j-1, r.after
		return String
	case 't':
		return r.literal(i, "true", True)
	case 'f':
		return r.literal(i, "false", False)
	case 'n':
		return r.literal(i, "null", Null)
	}
	return r.number(i)
}

// key reads `"name" :` starting at b[i].
func (r *Reader) key(i int) Kind {
	b := r.b
	r.start = i
	if i >= len(b) || b[i] != '"' {
		return r.fail(i)
	}
	j := plainEnd(b, i+1)
	if j < len(b) && b[j] == '"' {
		r.flags = 0
		j++
	} else if j = r.strRest(b, j); j < 0 {
		return Invalid
	}
	r.raw, r.end = i+1, j-1
	i = skipWS(b, j)
	if i >= len(b) || b[i] != ':' {
		r.start = i
		return r.fail(i)
	}
	r.i, r.state = i+1, stValue
	return Key
}

func (r *Reader) push(i int, obj bool) Kind {
	if r.depth >= MaxNesting {
		r.state, r.err, r.errAt = stFailed, ErrNesting, i
		return Invalid
	}
	d := uint(r.depth)
	r.depth++
	r.i = i + 1
	if obj {
		r.stack[d/64] |= 1 << (d % 64)
		r.state, r.after = stFirstKey, stAfterObject
		return BeginObject
	}
	r.stack[d/64] &^= 1 << (d % 64)
	r.state, r.after = stFirstValue, stAfterArray
	return BeginArray
}

func (r *Reader) pop(i int, k Kind) Kind {
	r.depth--
	switch d := uint(r.depth - 1); {
	case r.depth == 0:
		r.after = stAfterTop
	case r.stack[d/64]&(1<<(d%64)) != 0:
		r.after = stAfterObject
	default:
		r.after = stAfterArray
	}
	r.i, r.state = i+1, r.after
	return k
}

func (r *Reader) literal(i int, lit string, k Kind) Kind {
	if len(r.b)-i < len(lit) || string(r.b[i:i+len(lit)]) != lit {
		return r.fail(i)
	}
	r.i, r.state = i+len(lit), r.after
	return k
}

// strByte marks the bytes a string scan stops at: '"', '\\', '@' and the
// control bytes.
var strByte = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'], t['@'] = true, true, true
	return t
}()

// plainEnd returns the index of the first byte from b[j] on that strByte
// marks, or len(b). Most strings hold none but their closing quote: key
// and value read them with this loop, inlined, and leave the rest to
// strRest.
func plainEnd(b []byte, j int) int {
	for j < len(b) && !strByte[b[j]] {
		j++
	}
	return j
}

// strRest goes on reading a string from b[j], checking its escapes, sets
// Flags and returns the index after the string, or -1.
func (r *Reader) strRest(b []byte, j int) int {
	var f Flags
	for ; j < len(b); j++ {
		c := b[j]
		if !strByte[c] {
			continue
		}
		switch {
		case c == '"':
			r.flags = f
			return j + 1
		case c == '@':
			f |= HasAt
		case c == '\\':
			f |= Escaped
			if j+1 >= len(b) {
				r.fail(j)
				return -1
			}
			j++
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-j <= 4 || !isHex(b[j+1]) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) {
					r.fail(j)
					return -1
				}
				j += 4
			default:
				r.fail(j)
				return -1
			}
		default: // a control byte
			r.fail(j)
			return -1
		}
	}
	r.fail(j)
	return -1
}

// number reads the number starting at b[i].
func (r *Reader) number(i int) Kind {
	b := r.b
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return r.fail(i)
	}
	var f Flags
	if i < len(b) && b[i] == '.' {
		f = Fraction
		if i++; i >= len(b) || !isDigit(b[i]) {
			return r.fail(i)
		}
		i = skipDigits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		f = Fraction
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return r.fail(i)
		}
		i = skipDigits(b, i)
	}
	r.raw, r.end, r.flags, r.i, r.state = start, i, f, i, r.after
	return Number
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

func skipWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
