package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Dialect is the $schema of what JSONSchema returns: JSON Schema draft
// 2020-12, the dialect of OpenAPI 3.1.
const Dialect = "https://json-schema.org/draft/2020-12/schema"

// JSONSchema returns s as a JSON Schema document: for each path a schema
// with "type" (a name, or an array of names when several were seen),
// "format", objects with "properties" and "required" (the keys every
// observed object held), arrays with "items". An empty Schema gives the
// schema that accepts anything, {"$schema": Dialect}.
func (s *Schema) JSONSchema() map[string]any {
	docs := make([]map[string]any, len(s.nodes))
	for i := range s.nodes {
		n := &s.nodes[i]
		d := map[string]any{}
		switch names := n.types.Names(); len(names) {
		case 0:
		case 1:
			d["type"] = names[0]
		default:
			d["type"] = names
		}
		if f := n.format.name(); f != "" && n.types&String != 0 {
			d["format"] = f
		}
		docs[i] = d
		if n.parent < 0 {
			continue
		}
		p, pn := docs[n.parent], &s.nodes[n.parent]
		if n.elem {
			p["items"] = d
			continue
		}
		props, _ := p["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			p["properties"] = props
		}
		props[n.key] = d
		if pn.objects > 0 && n.count >= pn.objects {
			req, _ := p["required"].([]string)
			p["required"] = append(req, n.key)
		}
	}
	root := map[string]any{}
	if len(docs) > 0 {
		root = docs[0]
	}
	for _, d := range docs {
		if req, ok := d["required"].([]string); ok {
			slices.Sort(req)
		}
	}
	root["$schema"] = Dialect
	return root
}

// wire is the stored form of a Schema.
type wire struct {
	Observations uint64     `json:"observations"`
	Overflow     uint64     `json:"overflow,omitempty"`
	TooDeep      uint64     `json:"too_deep,omitempty"`
	Paths        []wirePath `json:"paths"`
}

// wirePath is one node. Path is for readers; Parent and Key (or Elem)
// define it.
type wirePath struct {
	Path    string   `json:"path"`
	Parent  int32    `json:"parent"`
	Key     string   `json:"key,omitempty"`
	Elem    bool     `json:"elem,omitempty"`
	Types   []string `json:"types"`
	Format  string   `json:"format,omitempty"`
	Count   uint64   `json:"count"`
	Objects uint64   `json:"objects,omitempty"`
}

// MarshalJSON stores s: counters, then its paths in creation order.
func (s *Schema) MarshalJSON() ([]byte, error) {
	w := wire{Observations: s.Observations, Overflow: s.Overflow, TooDeep: s.TooDeep, Paths: make([]wirePath, len(s.nodes))}
	for i, n := range s.nodes {
		w.Paths[i] = wirePath{
			Path: n.path, Parent: n.parent, Key: n.key, Elem: n.elem, Types: n.types.all(),
			Format: formatNames[n.format], Count: n.count, Objects: n.objects,
		}
	}
	return json.Marshal(w)
}

var errStored = errors.New("invalid stored schema")

// UnmarshalJSON restores a Schema stored by MarshalJSON, replacing s.
func (s *Schema) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if len(w.Paths) > MaxPaths {
		return fmt.Errorf("%w: %d paths", errStored, len(w.Paths))
	}
	t := Schema{Observations: w.Observations, Overflow: w.Overflow, TooDeep: w.TooDeep, index: map[string]int32{}}
	var buf [MaxDepth*(2*maxKey+3) + 8]byte
	depth := make([]int, len(w.Paths))
	for i, p := range w.Paths {
		n := node{parent: p.Parent, elem: p.Elem, count: p.Count, objects: p.Objects}
		switch {
		case i == 0:
			if p.Parent != -1 || p.Elem || p.Key != "" {
				return fmt.Errorf("%w: path 0 is not the root", errStored)
			}
		case p.Parent < 0 || int(p.Parent) >= i:
			return fmt.Errorf("%w: path %d has parent %d", errStored, i, p.Parent)
		case p.Elem && p.Key != "" || len(p.Key) > maxKey || string(cutKey([]byte(p.Key))) != p.Key:
			return fmt.Errorf("%w: path %d has key %q", errStored, i, p.Key)
		default:
			if depth[i] = depth[p.Parent] + 1; depth[i] > MaxDepth {
				return fmt.Errorf("%w: path %d too deep", errStored, i)
			}
			pp := t.nodes[p.Parent].path
			copy(buf[:], pp)
			l := appendSegment(buf[:], len(pp), p.Elem, []byte(p.Key))
			n.path, n.key = string(buf[:l]), p.Key
		}
		if _, dup := t.index[n.path]; dup {
			return fmt.Errorf("%w: duplicate path %q", errStored, n.path)
		}
		for _, name := range p.Types {
			ty, ok := typeByName(name)
			if !ok {
				return fmt.Errorf("%w: type %q", errStored, name)
			}
			n.types |= ty
		}
		f, ok := formatByName(p.Format)
		if !ok {
			return fmt.Errorf("%w: format %q", errStored, p.Format)
		}
		n.format = f
		t.add(n)
	}
	*s = t
	return nil
}
