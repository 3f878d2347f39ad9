package report

import (
	"cmp"
	"io"
	"slices"
	"strconv"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/spec"
)

// Services lists the services of the rows that were seen (orphans are
// documented, not learned), sorted.
func Services(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if r.Class != Orphan && !slices.Contains(out, r.Service) {
			out = append(out, r.Service)
		}
	}
	slices.Sort(out)
	return out
}

// Learned gathers what traffic showed of one service, for OpenAPI export.
func Learned(rows []Row, service string) spec.Learned {
	l := spec.Learned{Service: serviceHost(service)}
	for _, r := range rows {
		if r.Service != service || r.Class == Orphan || inventory.IsBucket(r.Template) || !spec.OpenAPIMethod(r.Method) {
			continue
		}
		e := spec.LearnedEndpoint{Method: r.Method, Template: r.Template, Deprecated: r.Class == Zombie && r.Why == "deprecated",
			Security: r.security}
		if r.reqSchema != nil {
			e.RequestSchema = r.reqSchema.JSONSchema()
		}
		if r.respSchema != nil {
			e.ResponseSchemas = map[int]map[string]any{r.okStatus(): r.respSchema.JSONSchema()}
		}
		for code := range r.Statuses {
			if n, err := strconv.Atoi(code); err == nil {
				e.Statuses = append(e.Statuses, n)
			}
		}
		slices.Sort(e.Statuses)
		for _, q := range r.Query {
			e.QueryParams = append(e.QueryParams, spec.LearnedParam{Name: q.Name, Type: jsonType(q.Types), Required: q.Count == r.Requests})
		}
		l.Endpoints = append(l.Endpoints, e)
	}
	slices.SortFunc(l.Endpoints, func(a, b spec.LearnedEndpoint) int {
		return cmp.Or(cmp.Compare(a.Template, b.Template), cmp.Compare(a.Method, b.Method))
	})
	return l
}

// jsonType maps inferred query value types to one JSON Schema type.
func jsonType(types []string) string {
	switch {
	case len(types) == 1 && (types[0] == "integer" || types[0] == "number" || types[0] == "boolean"):
		return types[0]
	case len(types) == 2 && slices.Contains(types, "integer") && slices.Contains(types, "number"):
		return "number"
	}
	return "string"
}

// OpenAPI writes the OpenAPI 3.1 document of one service.
func OpenAPI(w io.Writer, rows []Row, service string) error {
	return spec.Write(w, Learned(rows, service))
}

// okStatus is the most frequent 2xx status of a row, 200 without one.
func (r *Row) okStatus() int {
	best, n := 200, uint64(0)
	for code, c := range r.Statuses {
		if s, err := strconv.Atoi(code); err == nil && s >= 200 && s < 300 && c > n {
			best, n = s, c
		}
	}
	return best
}
