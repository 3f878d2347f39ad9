package spec

import (
	"slices"
	"testing"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	"os"
)

type oldWalker struct {
	seen   map[string]struct{}
	refs   []string
	visits int
}

func (w *oldWalker) add(p string) {
	if len(w.seen) < maxFields {
		w.seen[p] = struct{}{}
	}
}

func (w *oldWalker) walk(sp *base.SchemaProxy, prefix string, depth int) {
	if sp == nil || depth > maxFieldDepth || w.visits >= maxFieldVisits || len(w.seen) >= maxFields {
		return
	}
	w.visits++
	if sp.IsReference() {
		ref := sp.GetReference()
		if slices.Contains(w.refs, ref) {
			return
		}
		w.refs = append(w.refs, ref)
		defer func() { w.refs = w.refs[:len(w.refs)-1] }()
	}
	s := sp.Schema()
	if s == nil {
		return
	}
	for _, sub := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
		w.walk(sub, prefix, depth)
	}
	if s.Properties != nil {
		for name, p := range s.Properties.FromOldest() {
			fp := name
			if prefix != "" {
				fp = prefix + "." + name
			}
			w.add(fp)
			w.walk(p, fp, depth+1)
		}
	}
	if s.Items != nil && s.Items.IsA() && s.Items.A != nil {
		w.walk(s.Items.A, prefix+"[]", depth+1)
	}
	if ap := s.AdditionalProperties; ap != nil && ap.IsA() && ap.A != nil {
		fp := "*"
		if prefix != "" {
			fp = prefix + ".*"
		}
		w.add(fp)
		w.walk(ap.A, fp, depth+1)
	}
}

func TestTmpDiff(t *testing.T) {
	b, _ := os.ReadFile(corpusFile(t, "docker/v1.41.yaml"))
	d, _ := libopenapi.NewDocument(b)
	m, _ := d.BuildV2Model()
	fc := newFieldCache()
	for path, item := range m.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			for code, r := range op.Responses.Codes.FromOldest() {
				if r.Schema == nil {
					continue
				}
				w := oldWalker{seen: map[string]struct{}{}}
				w.walk(r.Schema, "", 0)
				nw := fc.fields(r.Schema)
				if len(w.seen) != len(nw) {
					var extra []string
					for _, f := range nw {
						if _, ok := w.seen[f]; !ok {
							extra = append(extra, f)
						}
					}
					t.Log(method, path, code, len(w.seen), len(nw), extra[:min(5, len(extra))])
				}
			}
		}
	}
}
