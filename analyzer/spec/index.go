package spec

import (
	"cmp"
	"slices"
	"strings"
)

// Index finds the documented operation of a request. It is built once from
// several specs and is then read-only: Match may be called from many
// goroutines at once.
//
// Each (spec, server) pair is an API with a host ("" = any) and a base
// path. Its operation paths are compiled into a trie of path segments, so
// Match neither allocates nor runs a regular expression.
type Index struct {
	apis    []*api // host-specific first, then longer base path first, then load order
	ops     []Match
	anyHost bool
}

// Match is a documented operation found for a request.
type Match struct {
	Spec     *Spec
	Op       *Operation
	Template string // base path + operation path, e.g. "/v1.41/containers/{id}/start"
}

type api struct {
	spec    *Spec
	order   int
	host    string // "" = any host
	hasPort bool
	base    string
	root    *node // operation paths, relative to base
	vroot   *node // base + operation paths, version segments as wildcards
}

// node is one path segment of a trie. At a request segment a literal child
// is tried first, then a version wildcard (vroot only), then a mixed
// segment such as "{name}.json", then a whole-segment parameter; a branch
// that does not lead to the request's method backtracks.
type node struct {
	lit   map[string]*node
	ver   *node
	pats  []pattern
	param *node
	ops   []opEntry
}

type opEntry struct {
	method string
	m      Match
}

// pattern is a segment mixing literals and parameters:
// prefix {p} mid {p} ... {p} suffix, each parameter non-empty.
type pattern struct {
	key            string // the segment with each parameter written "{}"
	prefix, suffix string
	mids           []string
	child          *node
}

// NewIndex compiles the operations of specs. A nil spec is skipped.
func NewIndex(specs ...*Spec) *Index {
	x := &Index{}
	type opKey struct {
		spec             *Spec
		method, template string
	}
	seen := map[opKey]bool{}
	for si, s := range specs {
		if s == nil {
			continue
		}
		servers := s.Servers
		if len(servers) == 0 {
			servers = []Server{{}}
		}
		for _, sv := range servers {
			a := &api{spec: s, order: si, host: sv.Host, hasPort: hasPort(sv.Host), base: cleanBase(sv.BasePath), root: &node{}, vroot: &node{}}
			if a.host == "" {
				x.anyHost = true
			}
			for i := range s.Ops {
				op := &s.Ops[i]
				m := Match{Spec: s, Op: op, Template: a.base + op.Path}
				a.root.insert(op.Path, false, opEntry{op.Method, m})
				a.vroot.insert(m.Template, true, opEntry{op.Method, m})
				k := opKey{s, op.Method, m.Template}
				if !seen[k] {
					seen[k] = true
					x.ops = append(x.ops, m)
				}
			}
			x.apis = append(x.apis, a)
		}
	}
	slices.SortStableFunc(x.apis, func(a, b *api) int {
		if (a.host == "") != (b.host == "") {
			if a.host == "" {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(len(b.base), len(a.base)); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	return x
}

// Match finds the documented operation for a request to host (the Host
// header, port kept when not default) with method and path (no query).
// A server host "" matches any host, and a server host without port
// matches that host on any port. The server's base path is stripped before
// matching. Literal segments win over parameters ("/users/me" over
// "/users/{id}"), and a branch without the method backtracks, so DELETE
// /users/me matches DELETE /users/{id} when /users/me has only GET. One
// trailing slash is ignored.
func (x *Index) Match(host, method, path string) (Match, bool) {
	for _, a := range x.apis {
		if !a.hostMatch(host) {
			continue
		}
		rest, ok := stripBase(path, a.base)
		if !ok {
			continue
		}
		if e := a.root.lookup(rest, method); e != nil {
			return e.m, true
		}
	}
	return Match{}, false
}

// MatchTemplate is Match for the inventory (its Matcher): the documented
// template alone.
func (x *Index) MatchTemplate(host, method, path string) (string, bool) {
	m, ok := x.Match(host, method, path)
	return m.Template, ok
}

// MatchOtherVersion finds an operation documented for the same host and
// method under a different API version: a path segment matching
// ^v[0-9]+(\.[0-9]+)?$ (in the base path or the operation path) matches
// any other such segment. It reports false when Match finds the request,
// so a true result always means "documented, but under another version",
// e.g. /v2/users/7 seen where /v1/users/{id} is documented, or the reverse.
func (x *Index) MatchOtherVersion(host, method, path string) (Match, bool) {
	if _, ok := x.Match(host, method, path); ok {
		return Match{}, false
	}
	for _, a := range x.apis {
		if !a.hostMatch(host) {
			continue
		}
		if e := a.vroot.lookup(path, method); e != nil {
			return e.m, true
		}
	}
	return Match{}, false
}

// Ops returns every documented operation of every spec once per distinct
// base path, with the full template, in load order. The slice is a copy.
func (x *Index) Ops() []Match { return slices.Clone(x.ops) }

// Covers reports whether requests to host can match a spec: some server
// names that host, or some spec serves any host (relative or missing
// servers). Load such specs with LoadFor to pin them to their host.
func (x *Index) Covers(host string) bool {
	if x.anyHost {
		return true
	}
	for _, a := range x.apis {
		if a.hostMatch(host) {
			return true
		}
	}
	return false
}

func (a *api) hostMatch(host string) bool {
	if a.host == "" || strings.EqualFold(a.host, host) {
		return true
	}
	if a.hasPort {
		return false
	}
	h, ok := cutPort(host)
	return ok && strings.EqualFold(a.host, h)
}

// stripBase removes base from path at a segment boundary.
func stripBase(path, base string) (string, bool) {
	if base == "" {
		return path, true
	}
	if !strings.HasPrefix(path, base) {
		return "", false
	}
	rest := path[len(base):]
	if rest != "" && rest[0] != '/' {
		return "", false
	}
	return rest, true
}

// hasPort reports whether host ends in ":port" (IPv6 literals in brackets).
func hasPort(host string) bool {
	_, ok := cutPort(host)
	return ok
}

func cutPort(host string) (string, bool) {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return host, false
	}
	if host[0] != '[' && strings.IndexByte(host[:i], ':') >= 0 {
		return host, false // bare IPv6 address
	}
	return host[:i], true
}

// isVersion reports whether seg matches ^v[0-9]+(\.[0-9]+)?$.
func isVersion(seg string) bool {
	if len(seg) < 2 || seg[0] != 'v' {
		return false
	}
	i := 1
	for i < len(seg) && seg[i] >= '0' && seg[i] <= '9' {
		i++
	}
	if i == 1 {
		return false
	}
	if i == len(seg) {
		return true
	}
	if seg[i] != '.' {
		return false
	}
	i++
	j := i
	for i < len(seg) && seg[i] >= '0' && seg[i] <= '9' {
		i++
	}
	return i > j && i == len(seg)
}

// insert adds a template. With versions, literal version segments go to
// the version wildcard.
func (n *node) insert(template string, versions bool, e opEntry) {
	t := strings.TrimSuffix(template, "/")
	for t != "" {
		t = t[1:] // the '/'
		seg := t
		if i := strings.IndexByte(t, '/'); i >= 0 {
			seg, t = t[:i], t[i:]
		} else {
			t = ""
		}
		n = n.child(seg, versions)
	}
	for _, o := range n.ops {
		if o.method == e.method {
			return // first spec wins
		}
	}
	n.ops = append(n.ops, e)
}

func (n *node) child(seg string, versions bool) *node {
	open := strings.IndexByte(seg, '{')
	switch {
	case open < 0 && versions && isVersion(seg):
		if n.ver == nil {
			n.ver = &node{}
		}
		return n.ver
	case open < 0 || strings.IndexByte(seg, '}') < 0:
		if n.lit == nil {
			n.lit = map[string]*node{}
		}
		c := n.lit[seg]
		if c == nil {
			c = &node{}
			n.lit[seg] = c
		}
		return c
	case open == 0 && strings.IndexByte(seg, '}') == len(seg)-1:
		if n.param == nil {
			n.param = &node{}
		}
		return n.param
	}
	p := compilePattern(seg)
	for _, q := range n.pats {
		if q.key == p.key {
			return q.child
		}
	}
	p.child = &node{}
	n.pats = append(n.pats, p)
	// More literal characters first: "{id}.json" before "{id}".
	slices.SortStableFunc(n.pats, func(a, b pattern) int {
		return cmp.Compare(len(b.key), len(a.key))
	})
	return p.child
}

func compilePattern(seg string) pattern {
	var lits []string
	var key strings.Builder
	startsLit, endsLit := seg[0] != '{', seg[len(seg)-1] != '}'
	for seg != "" {
		i := strings.IndexByte(seg, '{')
		if i < 0 {
			lits = append(lits, seg)
			key.WriteString(seg)
			break
		}
		if i > 0 {
			lits = append(lits, seg[:i])
			key.WriteString(seg[:i])
		}
		j := strings.IndexByte(seg[i:], '}')
		if j < 0 {
			lits = append(lits, seg[i:])
			key.WriteString(seg[i:])
			break
		}
		if !strings.HasSuffix(key.String(), "{}") {
			key.WriteString("{}")
		}
		seg = seg[i+j+1:]
	}
	p := pattern{key: key.String()}
	if startsLit && len(lits) > 0 {
		p.prefix, lits = lits[0], lits[1:]
	}
	if endsLit && len(lits) > 0 {
		p.suffix, lits = lits[len(lits)-1], lits[:len(lits)-1]
	}
	p.mids = lits
	return p
}

func (p *pattern) match(seg string) bool {
	if len(seg) <= len(p.prefix)+len(p.suffix) || !strings.HasPrefix(seg, p.prefix) || !strings.HasSuffix(seg, p.suffix) {
		return false
	}
	rest := seg[len(p.prefix) : len(seg)-len(p.suffix)]
	for _, m := range p.mids {
		i := strings.Index(rest, m)
		if i < 1 {
			return false
		}
		rest = rest[i+len(m):]
	}
	return rest != ""
}

// lookup matches path ("" or starting with '/') below n.
func (n *node) lookup(path, method string) *opEntry {
	if path == "" || path == "/" {
		for i := range n.ops {
			if n.ops[i].method == method {
				return &n.ops[i]
			}
		}
		return nil
	}
	if path[0] != '/' {
		return nil
	}
	seg, rest := path[1:], ""
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg, rest = seg[:i], seg[i:]
	}
	if c := n.lit[seg]; c != nil {
		if e := c.lookup(rest, method); e != nil {
			return e
		}
	}
	if n.ver != nil && isVersion(seg) {
		if e := n.ver.lookup(rest, method); e != nil {
			return e
		}
	}
	for i := range n.pats {
		if n.pats[i].match(seg) {
			if e := n.pats[i].child.lookup(rest, method); e != nil {
				return e
			}
		}
	}
	if n.param != nil && seg != "" {
		return n.param.lookup(rest, method)
	}
	return nil
}
