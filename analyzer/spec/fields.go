package spec

import (
	"slices"

	"github.com/pb33f/libopenapi/datamodel/high/base"
)

// fieldCache computes the JSON field paths of the bodies of one spec.
//
// libopenapi builds a schema anew for each place that references it, and
// the Elasticsearch spec's 900 bodies reach the same few thousand
// components over and over (225,000 paths in all). So each schema is
// converted once into an snode, keyed by its $ref, and the paths are
// walked on that graph. Bodies that are one $ref share one result slice,
// and equal paths share one string.
type fieldCache struct {
	byRef  map[string]*snode
	paths  map[*snode][]string
	intern map[string]string
}

// snode is a schema reduced to what field paths need. A $ref cycle is a
// cycle of snodes.
type snode struct {
	ref   string // "" for an inline schema
	props []sprop
	items *snode
	addl  *snode   // additionalProperties schema
	subs  []*snode // allOf, oneOf, anyOf
}

type sprop struct {
	name string
	n    *snode
}

func newFieldCache() *fieldCache {
	return &fieldCache{byRef: map[string]*snode{}, paths: map[*snode][]string{}, intern: map[string]string{}}
}

// fields lists the JSON field paths a body schema documents, sorted: "a",
// "a.b", "items[].id", "[].id" for a top-level array, "labels.*" for
// additionalProperties; resolved through $ref, allOf, oneOf and anyOf to
// maxFieldDepth levels, at most maxFields of them.
func (c *fieldCache) fields(root *base.SchemaProxy) []string {
	n := c.node(root)
	if n == nil {
		return nil
	}
	if f, ok := c.paths[n]; ok {
		return f
	}
	w := fieldWalker{seen: map[string]struct{}{}}
	w.walk(n, "", 0)
	var out []string
	if len(w.seen) > 0 {
		out = make([]string, 0, len(w.seen))
	}
	for f := range w.seen {
		if i, ok := c.intern[f]; ok {
			f = i
		} else {
			c.intern[f] = f
		}
		out = append(out, f)
	}
	slices.Sort(out)
	c.paths[n] = out
	return out
}

// node converts sp, once per $ref.
func (c *fieldCache) node(sp *base.SchemaProxy) *snode {
	if sp == nil {
		return nil
	}
	var ref string
	if sp.IsReference() {
		ref = sp.GetReference()
		if n, ok := c.byRef[ref]; ok {
			return n
		}
	}
	s := sp.Schema()
	if s == nil {
		return nil
	}
	n := &snode{ref: ref}
	if ref != "" {
		c.byRef[ref] = n // before the children: a cycle comes back here
	}
	for _, sub := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
		if m := c.node(sub); m != nil {
			n.subs = append(n.subs, m)
		}
	}
	if s.Properties != nil {
		for name, p := range s.Properties.FromOldest() {
			n.props = append(n.props, sprop{name: name, n: c.node(p)})
		}
	}
	if s.Items != nil && s.Items.IsA() {
		n.items = c.node(s.Items.A)
	}
	if ap := s.AdditionalProperties; ap != nil && ap.IsA() && ap.A != nil {
		n.addl = c.node(ap.A)
		if n.addl == nil {
			n.addl = &snode{}
		}
	}
	return n
}

type fieldWalker struct {
	seen   map[string]struct{}
	refs   []*snode // $ref schemas being expanded: a cycle stops here
	visits int
}

func (w *fieldWalker) add(p string) {
	if len(w.seen) < maxFields {
		w.seen[p] = struct{}{}
	}
}

func (w *fieldWalker) walk(n *snode, prefix string, depth int) {
	if n == nil || depth > maxFieldDepth || w.visits >= maxFieldVisits || len(w.seen) >= maxFields {
		return
	}
	w.visits++
	if n.ref != "" {
		if slices.Contains(w.refs, n) {
			return
		}
		w.refs = append(w.refs, n)
		defer func() { w.refs = w.refs[:len(w.refs)-1] }()
	}
	for _, sub := range n.subs {
		w.walk(sub, prefix, depth)
	}
	for _, p := range n.props {
		fp := p.name
		if prefix != "" {
			fp = prefix + "." + p.name
		}
		w.add(fp)
		w.walk(p.n, fp, depth+1)
	}
	if n.items != nil {
		w.walk(n.items, prefix+"[]", depth+1)
	}
	if n.addl != nil {
		fp := "*"
		if prefix != "" {
			fp = prefix + ".*"
		}
		w.add(fp)
		w.walk(n.addl, fp, depth+1)
	}
}
