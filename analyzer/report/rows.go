package report

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/schema"
	"github.com/apitap/apitap/analyzer/spec"
)

// Class is how an endpoint stands against the specs.
type Class string

// The classes.
const (
	Documented Class = "documented"
	Shadow     Class = "shadow"
	Zombie     Class = "zombie"
	Orphan     Class = "orphan"
)

// Row is one endpoint of the report.
type Row struct {
	Class    Class  `json:"class"`
	Why      string `json:"why,omitempty"` // for zombies: "deprecated" or "documented in another version"
	Service  string `json:"service"`
	Method   string `json:"method"`
	Template string `json:"template"`
	Spec     string `json:"spec,omitempty"`      // the file that documents it
	SpecPath string `json:"spec_path,omitempty"` // its documented template

	// Baseline says whether the detectors test the endpoint yet:
	// "learning until <time>" during its learning period, "ready" after,
	// "" when no baseline is known (the inventory was read without them).
	Baseline string `json:"baseline,omitempty"`

	ID        uint64            `json:"id,omitempty"`
	FirstSeen *time.Time        `json:"first_seen,omitempty"`
	LastSeen  *time.Time        `json:"last_seen,omitempty"`
	Requests  uint64            `json:"requests"`
	Partial   uint64            `json:"partial,omitempty"`
	Statuses  map[string]uint64 `json:"statuses,omitempty"`
	Clients   uint64            `json:"clients"`
	LatencyMS [3]float64        `json:"latency_ms"` // p50, p90, p99
	ReqBytes  [3]float64        `json:"req_bytes"`
	RespBytes [3]float64        `json:"resp_bytes"`
	ReqTypes  []string          `json:"req_content_types,omitempty"`
	RespTypes []string          `json:"resp_content_types,omitempty"`
	Query     []Param           `json:"query_params,omitempty"`

	// Auth is the share of requests carrying each authentication scheme
	// ("none", "basic", "bearer_jwt", ...), JWTFlags the share with risky
	// tokens ("alg_none", "no_expiry", "expired").
	Auth      map[string]float64    `json:"auth,omitempty"`
	JWTFlags  map[string]float64    `json:"jwt_flags,omitempty"`
	Sensitive []inventory.Sensitive `json:"sensitive,omitempty"`
	// ReqFields and RespFields are the JSON body fields seen ("a.b",
	// "items[].id") with their types.
	ReqFields  []Field `json:"request_fields,omitempty"`
	RespFields []Field `json:"response_fields,omitempty"`

	Drift    *Drift              `json:"drift,omitempty"`
	Evidence *inventory.Evidence `json:"param_evidence,omitempty"`
	Merged   uint64              `json:"merged,omitempty"` // endpoints folded into this one

	// For OpenAPI export.
	security              []string
	reqSchema, respSchema *schema.Schema
}

// Param is a query parameter seen on an endpoint.
type Param struct {
	Name  string   `json:"name"`
	Count uint64   `json:"count"`
	Types []string `json:"types"`
}

// Field is one JSON body field.
type Field struct {
	Path     string   `json:"path"`
	Types    []string `json:"types"`
	Format   string   `json:"format,omitempty"`
	Optional bool     `json:"optional,omitempty"`
}

// Drift is how a documented endpoint's traffic departs from its spec.
type Drift struct {
	Query    []string `json:"undocumented_query,omitempty"`
	Statuses []int    `json:"undocumented_statuses,omitempty"`
	Fields   []string `json:"undocumented_response_fields,omitempty"`
}

// Filter selects rows.
type Filter struct {
	Service string  // "" for all
	Classes []Class // none for all
}

func (f Filter) keep(r *Row) bool {
	if f.Service != "" && r.Service != f.Service && serviceHost(r.Service) != f.Service {
		return false
	}
	return len(f.Classes) == 0 || slices.Contains(f.Classes, r.Class)
}

// serviceHost strips the tunnel from a service name: "api@vxlan=1" -> "api".
func serviceHost(service string) string {
	h, _, _ := strings.Cut(service, "@")
	return h
}

// Build classifies every endpoint of inv against idx (which may be nil: no
// specs, everything seen is shadow) and adds the documented operations never
// seen as orphans. Rows are sorted by service, template and method.
func Build(inv *inventory.Inventory, idx *spec.Index, f Filter) []Row {
	var rows []Row
	seen := map[string]bool{} // spec file + method + spec template
	for _, e := range inv.Endpoints() {
		r := row(e)
		if idx != nil && !inventory.IsBucket(e.Template) {
			host := serviceHost(e.Service)
			if m, ok := idx.Match(host, e.Method, e.Template); ok {
				r.Class, r.Spec, r.SpecPath = Documented, m.Spec.File, m.Template
				seen[m.Spec.File+" "+e.Method+" "+m.Template] = true
				if m.Op.Deprecated {
					r.Class, r.Why = Zombie, "deprecated"
				}
				r.Drift = drift(e, m.Op)
			} else if m, ok := idx.MatchOtherVersion(host, e.Method, e.Template); ok {
				r.Class, r.Why, r.Spec, r.SpecPath = Zombie, "documented in another version", m.Spec.File, m.Template
			}
		}
		if f.keep(&r) {
			rows = append(rows, r)
		}
	}
	if idx != nil {
		for _, m := range idx.Ops() {
			if seen[m.Spec.File+" "+m.Op.Method+" "+m.Template] {
				continue
			}
			r := Row{Class: Orphan, Service: orphanService(m), Method: m.Op.Method, Template: m.Template,
				Spec: m.Spec.File, SpecPath: m.Template}
			if m.Op.Deprecated {
				r.Why = "deprecated"
			}
			if f.keep(&r) {
				rows = append(rows, r)
			}
		}
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Template, b.Template), cmp.Compare(a.Method, b.Method))
	})
	return rows
}

func orphanService(m spec.Match) string {
	for _, s := range m.Spec.Servers {
		if s.Host != "" {
			return s.Host
		}
	}
	return "*"
}

func row(e *inventory.Endpoint) Row {
	r := Row{
		Class: Shadow, Service: e.Service, Method: e.Method, Template: e.Template, ID: e.ID,
		Requests: e.Requests, Partial: e.Partial, Clients: e.Clients(),
		LatencyMS: e.Latency(), ReqBytes: e.ReqSize(), RespBytes: e.RespSize(),
		Evidence: e.Evidence(), Merged: e.Merged,
	}
	if !e.FirstSeen.IsZero() {
		first, last := e.FirstSeen.UTC(), e.LastSeen.UTC()
		r.FirstSeen, r.LastSeen = &first, &last
	}
	if len(e.Statuses) > 0 {
		r.Statuses = make(map[string]uint64, len(e.Statuses))
		for s, n := range e.Statuses {
			r.Statuses[strconv.Itoa(s)] = n
		}
	}
	r.Auth = shares(e.Auth, e.Requests)
	r.JWTFlags = shares(e.AuthFlags, e.Requests)
	r.Sensitive = e.SensitiveList()
	r.ReqFields, r.RespFields = fields(e.ReqSchema), fields(e.RespSchema)
	r.reqSchema, r.respSchema = e.ReqSchema, e.RespSchema
	if e.Auth["basic"] > 0 {
		r.security = append(r.security, "basic")
	}
	if e.Auth["bearer_jwt"]+e.Auth["bearer_opaque"] > 0 {
		r.security = append(r.security, "bearer")
	}
	r.security = append(r.security, sortedKeys(e.AuthNames)...)
	r.ReqTypes = sortedKeys(e.ReqTypes)
	r.RespTypes = sortedKeys(e.RespTypes)
	for name, q := range e.Query {
		r.Query = append(r.Query, Param{Name: name, Count: q.Count, Types: q.Types.Names()})
	}
	slices.SortFunc(r.Query, func(a, b Param) int { return cmp.Compare(a.Name, b.Name) })
	return r
}

func sortedKeys(m map[string]uint64) []string { return slices.Sorted(maps.Keys(m)) }

// drift lists what e's traffic shows that op does not document.
func drift(e *inventory.Endpoint, op *spec.Operation) *Drift {
	var d Drift
	for name := range e.Query {
		if !slices.ContainsFunc(op.Params, func(p spec.Param) bool { return p.In == "query" && p.Name == name }) {
			d.Query = append(d.Query, name)
		}
	}
	slices.Sort(d.Query)
	if e.RespSchema != nil {
		documented := map[string]bool{}
		for status, paths := range op.ResponseFields {
			if strings.HasPrefix(status, "2") || status == "default" {
				for _, p := range paths {
					documented[p] = true
				}
			}
		}
		if len(documented) > 0 {
			for _, f := range e.RespSchema.Fields() {
				if f.Path != "" && !documented[f.Path] { // "" is the body itself
					d.Fields = append(d.Fields, f.Path)
				}
			}
		}
	}
	for _, s := range e.StatusCodes() {
		if !statusDocumented(op.Statuses, s) {
			d.Statuses = append(d.Statuses, s)
		}
	}
	if len(d.Query) == 0 && len(d.Statuses) == 0 && len(d.Fields) == 0 {
		return nil
	}
	return &d
}

// statusDocumented matches a code against "200", "4XX" and "default".
func statusDocumented(documented []string, code int) bool {
	c := strconv.Itoa(code)
	for _, d := range documented {
		if d == c || d == "default" || len(d) == 3 && (d[1:] == "XX" || d[1:] == "xx") && d[0] == c[0] {
			return true
		}
	}
	return false
}

// Counts tallies rows by class.
func Counts(rows []Row) map[Class]int {
	m := map[Class]int{}
	for _, r := range rows {
		m[r.Class]++
	}
	return m
}

// shares divides counts by the number of requests.
func shares(m map[string]uint64, n uint64) map[string]float64 {
	if len(m) == 0 || n == 0 {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = float64(v) / float64(n)
	}
	return out
}

func fields(s *schema.Schema) []Field {
	if s == nil {
		return nil
	}
	var out []Field
	for _, f := range s.Fields() {
		out = append(out, Field{Path: f.Path, Types: f.Types.Names(), Format: f.Format, Optional: f.Optional})
	}
	return out
}
