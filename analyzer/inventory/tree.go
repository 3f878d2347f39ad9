package inventory

import (
	"maps"
	"slices"
	"strings"
)

// node is one position of a service's route tree: a literal segment or a
// parameter, with the endpoints (one per method) whose path ends here.
type node struct {
	parent *node
	seg    string // the literal, or the placeholder of a parameter node
	lits   map[string]*node
	param  *node
	eps    map[string]*Endpoint

	hits uint64 // transactions routed through this node
	born uint64 // the parent's hits when this node was made

	// Word positions: how many new words arrived since the last
	// judgement, and whether some were merged into the parameter (how
	// many: the parameter's Evidence.Distinct).
	pending  int
	promoted bool
	ev       *Evidence // on parameter nodes: why
}

// Evidence explains why a position is a parameter.
type Evidence struct {
	Reason   string   `json:"reason"`   // "type" or "many distinct values"
	Values   uint64   `json:"values"`   // values routed here (not distinct)
	Distinct int      `json:"distinct"` // words merged into the parameter
	Examples []string `json:"examples"` // a few of them, masked ("al***")
}

const maxExamples = 5

func (n *node) child(seg string) *node {
	c := &node{parent: n, seg: seg, born: n.hits}
	if n.lits == nil {
		n.lits = make(map[string]*node)
	}
	n.lits[seg] = c
	return c
}

// paramChild returns the parameter child, creating it as placeholder.
func (n *node) paramChild(placeholder, reason string) *node {
	if n.param == nil {
		n.param = &node{parent: n, seg: placeholder, born: n.hits, ev: &Evidence{Reason: reason}}
	}
	return n.param
}

// note records a value routed into a parameter node.
func (p *node) note(value string) {
	p.ev.Values++
	p.example(value)
}

// example keeps a few values, masked: path values are often identifiers
// of people (user names, e-mails, account numbers), so only their first
// characters and length are kept.
func (p *node) example(value string) {
	if len(p.ev.Examples) >= maxExamples {
		return
	}
	if m := maskValue(value); !slices.Contains(p.ev.Examples, m) {
		p.ev.Examples = append(p.ev.Examples, m)
	}
}

// maskValue keeps the first two bytes of a value and stars for the rest,
// eight at most: "alice" -> "al***". Values of three bytes or fewer are all
// stars.
func maskValue(v string) string {
	const stars = "********"
	if len(v) <= 3 {
		return stars[:len(v)]
	}
	return v[:2] + stars[:min(len(v)-2, len(stars))]
}

// template renders the route from the root to n.
func (n *node) template() string {
	if n.parent == nil {
		return "/"
	}
	var segs []string
	for c := n; c.parent != nil; c = c.parent {
		segs = append(segs, c.seg)
	}
	slices.Reverse(segs)
	return "/" + strings.Join(segs, "/")
}

// pressed reports whether the service nears its caps: promoted positions
// then stop learning new literals.
func (t *tree) pressed() bool {
	cfg := &t.inv.cfg
	return t.nodes >= cfg.MaxNodes/2 || t.svc.n >= cfg.MaxEndpoints/2
}

// tree is one service's route tree.
type tree struct {
	inv   *Inventory
	svc   *Service
	root  *node
	nodes int
}

// route finds (or makes) the node for a path's segments. It returns nil
// when the service's caps are reached and the path is new.
// find follows segs through the routes already known, literals first,
// and returns the node they lead to, or nil: it learns nothing.
func (t *tree) find(segs []string) *node {
	n := t.root
	for _, s := range segs {
		next := n.lits[s]
		if next == nil {
			next = n.param
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// likely returns the node a path routed to n will most likely end at once
// the pending words are judged: a word still waiting as a literal at a
// position whose words have proved to be values (a user name under
// /users/{name}) stands for the parameter, and n for the node the
// parameter leads to. Words seen more than a few times keep their own
// node. It returns nil when n stands for itself.
func (n *node) likely() *node {
	stands := func(c *node) bool {
		p := c.parent
		return p.promoted && p.param != nil && c != p.param && c.hits <= likelyHits
	}
	var buf [16]*node // the path from n up, substitutes in place
	path := buf[:0]
	changed := false
	for c := n; c.parent != nil; c = c.parent {
		if stands(c) {
			changed = true
			path = append(path, c.parent.param)
		} else {
			path = append(path, c)
		}
	}
	if !changed {
		return nil
	}
	m := n
	for m.parent != nil {
		m = m.parent
	}
	for i := len(path) - 1; i >= 0; i-- {
		c := path[i]
		next := m.lits[c.seg]
		if c.parent.param == c {
			next = m.param
		}
		if next == nil {
			return nil
		}
		m = next
	}
	return m
}

// likelyHits: a literal routed more often than this at a parameter
// position is judged on its own, not taken for a value.
const likelyHits = 4

func (t *tree) route(segs []string) *node {
	n := t.root
	n.hits++
	cfg := &t.inv.cfg
	for i, s := range segs {
		if i >= cfg.MaxDepth {
			return nil
		}
		k := classify(s)
		var next *node
		switch k {
		case kindWord, kindVersion:
			next = n.lits[s]
			if next == nil && k == kindWord && n.promoted && t.pressed() {
				// Under pressure, a new word at a parameter position
				// goes straight to the parameter. Otherwise it starts
				// as a literal and is judged with the next batch: a word
				// merged early can still prove to be a literal later.
				next = n.param
				next.note(s)
			}
			if next == nil {
				if k == kindWord {
					n.pending++
				}
				if t.nodes >= cfg.MaxNodes {
					// Full: judge this position now, which may free
					// nodes and make the word a value.
					if k == kindWord && n.pending >= minSettle {
						t.promote(n, true)
					}
					if !n.promoted || k != kindWord {
						return nil
					}
					next = n.param
					next.note(s)
					break
				}
				t.nodes++
				next = n.child(s)
				if k == kindWord && n.pending >= cfg.PromoteAfter {
					t.promote(n, t.pressed())
					if n.lits[s] == nil { // s was judged a value
						next = n.param
					}
				}
			}
		default:
			if n.param == nil {
				if t.nodes >= cfg.MaxNodes {
					return nil
				}
				t.nodes++
			}
			next = n.paramChild(paramName[k], "type")
			next.note(s)
		}
		next.hits++
		n = next
	}
	return n
}

// promote judges the word children of n: those that look like values of
// one parameter (each seen little, their subtrees alike) merge into the
// parameter child; the others stay literal. A young word is not judged
// until it had a fair chance to show it is a frequent literal, except when
// settling (before a report) a position already known to be a parameter:
// then its young words are judged by their subtrees alone.
func (t *tree) promote(n *node, settle bool) {
	n.pending = 0
	cfg := &t.inv.cfg
	young := uint64(4 * cfg.PromoteAfter)
	var cands []*node
	for seg, c := range n.lits {
		if classify(seg) != kindWord || n.hits-c.born < young && !settle {
			continue
		}
		cands = append(cands, c)
	}
	minCands := cfg.PromoteAfter / 2
	if settle {
		minCands = minSettle
	}
	if len(cands) < minCands && !n.promoted {
		return
	}
	// A parameter position shows many distinct words, each seen little;
	// a handful of words each seen often (an API's literal operations) is
	// not one.
	hits := make([]uint64, len(cands))
	for i, c := range cands {
		hits[i] = c.hits
	}
	slices.Sort(hits)
	median := uint64(0)
	if len(hits) > 0 {
		median = hits[len(hits)/2]
	}
	if p := n.param; n.promoted && p.ev.Distinct > 0 {
		// The words merged before are values around the candidates too:
		// a literal left alone beside the parameter ("me") is compared
		// with them, not with itself.
		median = min(median, p.ev.Values/uint64(p.ev.Distinct))
	}
	if !n.promoted && !(median <= 4 || len(cands) >= 64) {
		return
	}
	freq := features(n)
	total := len(n.lits)
	if n.param != nil {
		total++
	}
	shapes := map[byte]int{}
	for _, c := range cands {
		shapes[shape(c.seg)]++
	}
	var merge []*node
	for _, c := range cands {
		// Keep a literal seen far more than the values around it, or one
		// that stands out by its subtree or its shape ("_search" among
		// index names) and was seen often enough to tell: a scanner's
		// random words are seen once each.
		frequent := c.hits >= max(5, 8*median)
		// A word of a rare shape ("_bulk" among index names) is a literal
		// from its first sighting, unless the service is under pressure.
		if shapes[shape(c.seg)]*3 < len(cands) && (settle || !t.pressed()) {
			continue
		}
		var distinct bool
		if n.param != nil && hasFeatures(n.param) {
			// Values of the parameter share its subtree.
			distinct = containment(c, n.param) < 0.5
		} else {
			distinct = typicality(c, freq, total) < 0.15
		}
		if frequent || c.hits >= 3 && distinct {
			continue
		}
		merge = append(merge, c)
	}
	if len(merge) == 0 {
		return
	}
	// Merge in a fixed order, so the surviving endpoint does not depend on
	// map iteration.
	slices.SortFunc(merge, func(a, b *node) int { return strings.Compare(a.seg, b.seg) })
	p := n.paramChild(wordParam, "many distinct values")
	if p.ev.Reason == "type" {
		p.ev.Reason = "type and many distinct values"
	}
	for _, c := range merge {
		delete(n.lits, c.seg)
		p.ev.Distinct++
		p.ev.Values += c.hits
		p.example(c.seg)
		t.merge(p, c)
	}
	n.promoted = true
}

// shape is the class of a word's first byte: lower, upper, digit, or the
// byte itself ('_', '.', '-').
func shape(w string) byte {
	switch c := w[0]; {
	case c >= 'a' && c <= 'z':
		return 'a'
	case c >= 'A' && c <= 'Z':
		return 'A'
	case c >= '0' && c <= '9':
		return '0'
	default:
		return c
	}
}

// features returns, for each feature (a method with an endpoint, a literal
// grandchild, a parameter grandchild), how many children of n have it.
func features(n *node) map[string]int {
	f := make(map[string]int)
	add := func(c *node) {
		for m := range c.eps {
			f["m:"+m]++
		}
		for s := range c.lits {
			f["l:"+s]++
		}
		if c.param != nil {
			f["p"]++
		}
	}
	for _, c := range n.lits {
		add(c)
	}
	if n.param != nil {
		add(n.param)
	}
	return f
}

func hasFeatures(n *node) bool { return len(n.eps) > 0 || len(n.lits) > 0 || n.param != nil }

// containment is the share of c's features that p has too.
func containment(c, p *node) float64 {
	var in, all int
	for m := range c.eps {
		all++
		if p.eps[m] != nil {
			in++
		}
	}
	for s := range c.lits {
		all++
		if p.lits[s] != nil {
			in++
		}
	}
	if c.param != nil {
		all++
		if p.param != nil {
			in++
		}
	}
	if all == 0 {
		return 1
	}
	return float64(in) / float64(all)
}

// typicality is how common c's features are among its siblings (0..1):
// values of one parameter share their subtrees, literal siblings do not.
func typicality(c *node, freq map[string]int, total int) float64 {
	var sum float64
	var k int
	each := func(key string) {
		sum += float64(freq[key]) / float64(total)
		k++
	}
	for m := range c.eps {
		each("m:" + m)
	}
	for s := range c.lits {
		each("l:" + s)
	}
	if c.param != nil {
		each("p")
	}
	if k == 0 {
		return 1
	}
	return sum / float64(k)
}

// merge folds the subtree src into dst: children merge by segment and
// endpoints by method, their statistics re-homed into the survivor.
func (t *tree) merge(dst, src *node) {
	dst.hits += src.hits
	for m, e := range src.eps {
		if d := dst.eps[m]; d != nil {
			t.inv.retire(e, d)
		} else {
			dst.attach(e)
		}
	}
	for seg, c := range src.lits {
		if d := dst.lits[seg]; d != nil {
			t.merge(d, c)
			t.nodes--
		} else {
			if dst.lits == nil {
				dst.lits = make(map[string]*node)
			}
			c.parent = dst
			dst.lits[seg] = c
		}
	}
	if src.param != nil {
		if dst.param != nil {
			t.merge(dst.param, src.param)
			t.nodes--
		} else {
			src.param.parent = dst
			dst.param = src.param
		}
	}
	t.nodes--
}

// minSettle is how many words a position needs before a report judges
// whether they are values.
const minSettle = 8

// settle judges, before a report, every position with enough words: with
// all the traffic seen so far, including words too young for the judgement
// made while routing.
func (t *tree) settle() {
	t.root.walk(func(n *node) {
		if len(n.lits) >= minSettle || n.promoted && len(n.lits) > 0 {
			t.promote(n, true)
		}
	})
}

// walk calls fn on n and then on the nodes below it, literals in order
// and the parameter last: what fn does must not depend on map iteration.
// The children are those n has once fn returns.
func (n *node) walk(fn func(*node)) {
	fn(n)
	for _, seg := range slices.Sorted(maps.Keys(n.lits)) {
		n.lits[seg].walk(fn)
	}
	if n.param != nil {
		n.param.walk(fn)
	}
}
