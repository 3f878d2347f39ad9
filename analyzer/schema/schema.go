package schema

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apitap/apitap/analyzer/internal/jsontok"
)

// Bounds of a Schema.
const (
	MaxDepth = 10  // levels below the root recorded; deeper values are only checked
	MaxPaths = 256 // paths stored, the root included
	MaxItems = 16  // elements of each array recorded
	maxKey   = 128 // bytes of a key kept in a path
)

// Errors of Observe, wrapped with the offset where the body went wrong.
var (
	ErrSyntax  = jsontok.ErrSyntax
	ErrNesting = jsontok.ErrNesting // beyond jsontok.MaxNesting, as encoding/json
)

// Types is a set of JSON types.
type Types uint8

const (
	Object Types = 1 << iota
	Array
	String
	Integer // a number without fraction or exponent
	Number  // any other number
	Boolean
	Null
	numTypes = 7
)

var typeNames = [numTypes]string{"object", "array", "string", "integer", "number", "boolean", "null"}

// Names returns the JSON Schema names of the types in t. A set holding
// both integer and number names only number, which includes integers.
func (t Types) Names() []string {
	if t&Number != 0 {
		t &^= Integer
	}
	return t.all()
}

// String joins the names of all types in t with commas: "integer,null".
func (t Types) String() string { return strings.Join(t.all(), ",") }

// all lists the names of all types in t, nil for none.
func (t Types) all() []string {
	var names []string
	for i, n := range typeNames {
		if t&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

func typeByName(s string) (Types, bool) {
	for i, n := range typeNames {
		if n == s {
			return 1 << i, true
		}
	}
	return 0, false
}

// Schema is the inferred shape of the JSON bodies observed. The zero value
// is an empty Schema ready for use.
type Schema struct {
	Observations uint64 // bodies observed, merged ones included
	Overflow     uint64 // values not recorded because MaxPaths paths were stored
	TooDeep      uint64 // objects and arrays whose content lay below MaxDepth
	nodes        []node // nodes[0] is the root; parents precede their children
	index        map[string]int32
}

// node is what a Schema knows about one path.
type node struct {
	path    string // escaped, see the package Caveats
	key     string // the object key, unescaped; "" for array elements and the root
	parent  int32  // -1 for the root
	elem    bool   // an array element: path ends with "[]"
	types   Types
	format  format
	count   uint64 // values seen
	objects uint64 // of which objects
	// Lookup caches: the key children in creation order, this node's
	// position among its parent's, and its element child plus one.
	children []int32
	pos      int32
	elemNode int32
	// What the body being observed adds, until it proves valid.
	pCount, pObjects uint64
	pTypes           Types
	pFormat          format
	touched          bool
}

// Field describes one path of a Schema.
type Field struct {
	Path   string
	Types  Types
	Format string // the format of every string seen here, "" if none or several
	Count  uint64 // values seen here (array elements beyond MaxItems are not)
	// Seen is the share of the parent's object values that held this key,
	// at most 1; 1 for the root and for array elements.
	Seen float64
	// Optional reports that some parent objects lacked the key (Seen < 1).
	Optional bool
}

// Fields lists the paths of s sorted by path.
func (s *Schema) Fields() []Field {
	fs := make([]Field, 0, len(s.nodes))
	for i := range s.nodes {
		n := &s.nodes[i]
		seen := 1.0
		if n.parent >= 0 && !n.elem {
			if p := s.nodes[n.parent].objects; p > 0 {
				seen = min(1, float64(n.count)/float64(p))
			}
		}
		fs = append(fs, Field{
			Path: n.path, Types: n.types, Format: n.format.name(), Count: n.count,
			Seen: seen, Optional: seen < 1,
		})
	}
	slices.SortFunc(fs, func(a, b Field) int { return strings.Compare(a.Path, b.Path) })
	return fs
}

// Observe records the JSON body b. An invalid body is an error wrapping
// ErrSyntax or ErrNesting, and leaves s unchanged.
func (s *Schema) Observe(b []byte) error {
	if s.index == nil {
		s.index = make(map[string]int32)
	}
	w := walker{s: s, firstNew: len(s.nodes)}
	w.r.Reset(b)
	root := w.lookup(-1, false, nil)
	ok := w.value(w.r.Next(), root)
	err, at := w.r.Err(), w.r.ErrOffset()
	if ok && w.r.Next() != jsontok.End {
		ok, err = false, nil // more than one value
	}
	if !ok {
		w.rollback()
		if err == nil { // a value missing or one too many
			err, at = ErrSyntax, w.r.Start()
		}
		return fmt.Errorf("offset %d: %w", at, err)
	}
	w.commit()
	s.Observations++
	return nil
}

// walker is the state of one Observe. It holds positions into its arrays,
// never slices of them, so that it stays on the stack.
type walker struct {
	s        *Schema
	r        jsontok.Reader
	firstNew int // nodes from here on were created by this walk
	overflow uint64
	tooDeep  uint64
	nTouched int
	touched  [MaxPaths]int32
	path     [MaxDepth * (2*maxKey + 3)]byte
	keyBuf   [maxKey + utf8.UTFMax]byte
}

// value records the value that starts with token k at node n (-1: not
// recorded) and reads the rest of it. It reports whether the value is valid.
func (w *walker) value(k jsontok.Kind, n int32) bool {
	switch k {
	case jsontok.BeginObject, jsontok.BeginArray:
		t := Object
		if k == jsontok.BeginArray {
			t = Array
		}
		w.note(n, t, formatUnset)
		if w.r.Depth() > MaxDepth {
			tokens := w.r.Skip()
			if tokens > 0 && n >= 0 {
				w.tooDeep++
			}
			return tokens >= 0
		}
		if k == jsontok.BeginObject {
			return w.object(n)
		}
		return w.array(n)
	case jsontok.String:
		f := formatNone
		if w.r.Flags()&jsontok.Escaped == 0 {
			f = detectFormat(w.r.Raw())
		}
		w.note(n, String, f)
	case jsontok.Number:
		if w.r.Flags()&jsontok.Fraction == 0 {
			w.note(n, Integer, formatUnset)
		} else {
			w.note(n, Number, formatUnset)
		}
	case jsontok.True, jsontok.False:
		w.note(n, Boolean, formatUnset)
	case jsontok.Null:
		w.note(n, Null, formatUnset)
	default: // Invalid, or End where a value should be
		return false
	}
	return true
}

func (w *walker) object(n int32) bool {
	next := 0 // in the children of n
	for {
		switch w.r.Next() {
		case jsontok.EndObject:
			return true
		case jsontok.Key:
		default:
			return false
		}
		child := int32(-1)
		if n >= 0 {
			// Bodies of an endpoint mostly list keys in the same order:
			// try the child after the last one found first.
			key, esc := w.r.Raw(), w.r.Flags()&jsontok.Escaped != 0
			ch := w.s.nodes[n].children
			if !esc && next < len(ch) && w.s.nodes[ch[next]].key == string(key) {
				child = ch[next]
			} else {
				if esc {
					key = w.keyBuf[:jsontok.Unescape(w.keyBuf[:], key)]
				}
				child = w.lookup(n, false, key)
			}
			if child >= 0 {
				next = int(w.s.nodes[child].pos) + 1
			}
		}
		if !w.value(w.r.Next(), child) {
			return false
		}
	}
}

func (w *walker) array(n int32) bool {
	t := w.r.Next()
	if t == jsontok.EndArray {
		return true // no element node for an empty array
	}
	elem := int32(-1)
	if n >= 0 {
		if elem = w.s.nodes[n].elemNode - 1; elem < 0 {
			elem = w.lookup(n, true, nil)
		}
	}
	for k := 0; ; k++ {
		e := elem
		if k >= MaxItems {
			e = -1
		}
		if !w.value(t, e) {
			return false
		}
		if t = w.r.Next(); t == jsontok.EndArray {
			return true
		}
	}
}

// note adds a value of type t (and format f) to what this walk records at
// node n.
func (w *walker) note(n int32, t Types, f format) {
	if n < 0 {
		return
	}
	nd := &w.s.nodes[n]
	if !nd.touched {
		nd.touched = true
		w.touched[w.nTouched] = n
		w.nTouched++
	}
	nd.pCount++
	nd.pTypes |= t
	if t == Object {
		nd.pObjects++
	}
	if t == String {
		nd.pFormat = nd.pFormat.merge(f)
	}
}

// lookup returns the node of a child of parent (an object key, or the
// array element when elem), creating it when there is room; -1 when there
// is none, counted in overflow. parent -1 stands for the root itself.
func (w *walker) lookup(parent int32, elem bool, key []byte) int32 {
	if !elem && parent >= 0 {
		key = cutKey(key)
		if !utf8.Valid(key) {
			key = cutKey([]byte(strings.ToValidUTF8(string(key), "\uFFFD"))) // rare: allocates
		}
	}
	l := 0 // the child's path, in w.path
	if parent >= 0 {
		pp := w.s.nodes[parent].path
		copy(w.path[:], pp)
		l = appendSegment(w.path[:], len(pp), elem, key)
	}
	if n, ok := w.s.index[string(w.path[:l])]; ok {
		return n
	}
	if len(w.s.nodes) >= MaxPaths {
		w.overflow++
		return -1
	}
	k := ""
	if !elem && parent >= 0 {
		k = string(key)
	}
	return w.s.add(node{path: string(w.path[:l]), key: k, parent: parent, elem: elem})
}

// add appends a node and indexes it.
func (s *Schema) add(nd node) int32 {
	n := int32(len(s.nodes))
	if nd.parent >= 0 {
		p := &s.nodes[nd.parent]
		if nd.elem {
			p.elemNode = n + 1
		} else {
			nd.pos = int32(len(p.children))
			p.children = append(p.children, n)
		}
	}
	s.nodes = append(s.nodes, nd)
	s.index[nd.path] = n
	return n
}

// appendSegment writes ".key" (or "key" under the root, or "[]" for an
// element) into p at n and returns the new length, escaping the key.
func appendSegment(p []byte, n int, elem bool, key []byte) int {
	if elem {
		return n + copy(p[n:], "[]")
	}
	if n > 0 {
		p[n] = '.'
		n++
	}
	if len(key) == 0 {
		return n + copy(p[n:], `""`)
	}
	for _, c := range key {
		switch c {
		case '.', '[', ']', '\\':
			p[n] = '\\'
			n++
		}
		p[n] = c
		n++
	}
	return n
}

// cutKey cuts a key at maxKey bytes, on a rune boundary.
func cutKey(k []byte) []byte {
	if len(k) <= maxKey {
		return k
	}
	k = k[:maxKey]
	for i := len(k) - 1; i >= 0 && i >= len(k)-utf8.UTFMax; i-- {
		if utf8.RuneStart(k[i]) {
			if !utf8.FullRune(k[i:]) {
				k = k[:i]
			}
			break
		}
	}
	return k
}

// commit adds what the walk recorded to the schema.
func (w *walker) commit() {
	for _, n := range w.touched[:w.nTouched] {
		nd := &w.s.nodes[n]
		nd.count += nd.pCount
		nd.objects += nd.pObjects
		nd.types |= nd.pTypes
		nd.format = nd.format.merge(nd.pFormat)
		nd.pCount, nd.pObjects, nd.pTypes, nd.pFormat, nd.touched = 0, 0, 0, formatUnset, false
	}
	w.s.Overflow += w.overflow
	w.s.TooDeep += w.tooDeep
}

// rollback forgets what the walk recorded, new paths included.
func (w *walker) rollback() {
	s := w.s
	for _, n := range w.touched[:w.nTouched] {
		if int(n) < w.firstNew {
			nd := &s.nodes[n]
			nd.pCount, nd.pObjects, nd.pTypes, nd.pFormat, nd.touched = 0, 0, 0, formatUnset, false
		}
	}
	for k := len(s.nodes) - 1; k >= w.firstNew; k-- {
		nd := &s.nodes[k]
		delete(s.index, nd.path)
		if nd.parent >= 0 {
			p := &s.nodes[nd.parent]
			if nd.elem {
				p.elemNode = 0
			} else {
				p.children = p.children[:len(p.children)-1] // k was appended last
			}
		}
	}
	clear(s.nodes[w.firstNew:])
	s.nodes = s.nodes[:w.firstNew]
}

// Merge adds what o observed to s. Paths beyond MaxPaths are counted in
// s.Overflow.
func (s *Schema) Merge(o *Schema) {
	if s.index == nil {
		s.index = make(map[string]int32)
	}
	nodes := o.nodes // o may be s
	var to [MaxPaths]int32
	var path [MaxDepth*(2*maxKey+3) + 8]byte
	for k := range nodes {
		on := nodes[k]
		n := int32(-1)
		switch {
		case on.parent < 0:
			n = s.lookupPath("", -1, false, "")
		case to[on.parent] >= 0:
			p := s.nodes[to[on.parent]].path
			copy(path[:], p)
			l := appendSegment(path[:], len(p), on.elem, []byte(on.key))
			n = s.lookupPath(string(path[:l]), to[on.parent], on.elem, on.key)
		default:
			to[k] = -1
			continue // under a path s could not store: counted there
		}
		to[k] = n
		if n < 0 {
			s.Overflow += on.count
			continue
		}
		nd := &s.nodes[n]
		nd.count += on.count
		nd.objects += on.objects
		nd.types |= on.types
		nd.format = nd.format.merge(on.format)
	}
	s.Observations += o.Observations
	s.Overflow += o.Overflow
	s.TooDeep += o.TooDeep
}

// lookupPath finds or creates the node of path; -1 when s is full.
func (s *Schema) lookupPath(path string, parent int32, elem bool, key string) int32 {
	if n, ok := s.index[path]; ok {
		return n
	}
	if len(s.nodes) >= MaxPaths {
		return -1
	}
	return s.add(node{path: path, key: key, parent: parent, elem: elem})
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
