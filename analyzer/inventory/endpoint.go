package inventory

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/apitap/apitap/analyzer/schema"
	"github.com/axiomhq/hyperloglog"
)

// Bounds on what one endpoint keeps: each map is capped, and what does not
// fit is counted, not stored.
const (
	maxQueryParams  = 32
	maxContentTypes = 8
	sketchBins      = 512
)

// Endpoint is what the inventory knows about one (service, method,
// template).
type Endpoint struct {
	ID       uint64
	Service  string
	Method   string
	Template string // kept current by the tree; see Inventory.Endpoints

	FirstSeen, LastSeen time.Time // packet time
	Requests            uint64
	Partial             uint64 // transactions with part of them unseen
	Statuses            map[int]uint64
	ReqTypes, RespTypes map[string]uint64 // content types
	Query               map[string]*QueryParam
	QueryOverflow       uint64 // parameters past the cap

	clients                   *hyperloglog.Sketch // distinct client addresses
	latency, reqSize, rspSize *ddsketch.DDSketch  // milliseconds, bytes

	// Auth counts requests per authentication scheme ("none", "basic",
	// "bearer_jwt", ...; a request may carry several), and AuthFlags the
	// risky JWTs ("alg_none", "no_expiry", "expired").
	Auth, AuthFlags map[string]uint64
	// AuthNames counts where credentials were carried, in OpenAPI's terms:
	// "apiKeyHeader:X-API-Key", "apiKeyQuery:api_key", "cookie:sessionid".
	AuthNames map[string]uint64
	// sensitive holds the sensitive data seen (see SensitiveList), over
	// the Analysed transactions: bodies are sampled on busy endpoints.
	sensitive map[sensitiveKey]*Sensitive
	Analysed  uint64
	// ReqSchema and RespSchema are the JSON body schemas; nil until a JSON
	// body was seen.
	ReqSchema, RespSchema *schema.Schema

	// Merged counts the endpoints folded into this one when a position
	// became a parameter (their paths are not kept: they held values).
	Merged uint64

	// Documented is set for endpoints routed by a spec: the template is
	// the spec's.
	Documented bool

	node   *node
	dirty  bool // changed since the last Save
	stored bool // has a record: saved or loaded
}

// Sensitive is one kind of sensitive data seen at one place of an
// endpoint's traffic.
type Sensitive struct {
	Dir    string `json:"dir"` // "request" or "response"
	Class  string `json:"class"`
	Path   string `json:"path"` // JSON path, form field, query parameter or header
	Count  uint64 `json:"count"`
	Masked string `json:"masked"` // an example, masked
}

const maxSensitive = 64

// sensitiveKey is where a Sensitive was seen.
type sensitiveKey struct{ dir, class, path string }

func (s *Sensitive) key() sensitiveKey { return sensitiveKey{s.Dir, s.Class, s.Path} }

// QueryParam is one query parameter name seen on an endpoint.
type QueryParam struct {
	Count uint64  `json:"count"`
	Types typeSet `json:"types"`
}

func newEndpoint(id uint64, service, method string) *Endpoint {
	sk := func() *ddsketch.DDSketch {
		s, _ := ddsketch.LogCollapsingLowestDenseDDSketch(0.01, sketchBins)
		return s
	}
	return &Endpoint{
		ID: id, Service: service, Method: method,
		Statuses: make(map[int]uint64), ReqTypes: make(map[string]uint64), RespTypes: make(map[string]uint64),
		Query: make(map[string]*QueryParam),
		Auth:  make(map[string]uint64), AuthFlags: make(map[string]uint64), AuthNames: make(map[string]uint64),
		sensitive: make(map[sensitiveKey]*Sensitive),
		clients:   hyperloglog.New14(),
		latency:   sk(), reqSize: sk(), rspSize: sk(),
	}
}

// absorb folds o's statistics into e.
func (e *Endpoint) absorb(o *Endpoint) {
	e.dirty = true
	if e.FirstSeen.IsZero() || !o.FirstSeen.IsZero() && o.FirstSeen.Before(e.FirstSeen) {
		e.FirstSeen = o.FirstSeen
	}
	if o.LastSeen.After(e.LastSeen) {
		e.LastSeen = o.LastSeen
	}
	e.Requests += o.Requests
	e.Analysed += o.Analysed
	e.Partial += o.Partial
	for k, v := range o.Statuses {
		e.Statuses[k] += v
	}
	addCapped(e.ReqTypes, o.ReqTypes, maxContentTypes)
	addCapped(e.RespTypes, o.RespTypes, maxContentTypes)
	for k, q := range o.Query {
		if p := e.Query[k]; p != nil {
			p.Count += q.Count
			p.Types |= q.Types
		} else if len(e.Query) < maxQueryParams {
			e.Query[k] = q
		} else {
			e.QueryOverflow += q.Count
		}
	}
	e.QueryOverflow += o.QueryOverflow
	for k, v := range o.Auth {
		e.Auth[k] += v
	}
	for k, v := range o.AuthFlags {
		e.AuthFlags[k] += v
	}
	addCapped(e.AuthNames, o.AuthNames, maxContentTypes)
	for k, v := range o.sensitive {
		if d := e.sensitive[k]; d != nil {
			d.Count += v.Count
		} else if len(e.sensitive) < maxSensitive {
			e.sensitive[k] = v
		}
	}
	e.ReqSchema = mergeSchema(e.ReqSchema, o.ReqSchema)
	e.RespSchema = mergeSchema(e.RespSchema, o.RespSchema)
	_ = e.clients.Merge(o.clients)
	_ = e.latency.MergeWith(o.latency)
	_ = e.reqSize.MergeWith(o.reqSize)
	_ = e.rspSize.MergeWith(o.rspSize)
	e.Merged += 1 + o.Merged
}

func addCapped(dst, src map[string]uint64, limit int) {
	for k, v := range src {
		if _, ok := dst[k]; ok || len(dst) < limit {
			dst[k] += v
		}
	}
}

// Clients estimates the distinct client addresses seen.
func (e *Endpoint) Clients() uint64 { return e.clients.Estimate() }

// Quantiles of latency (ms) and body sizes (bytes): p50, p90, p99.
func (e *Endpoint) Latency() [3]float64  { return quantiles(e.latency) }
func (e *Endpoint) ReqSize() [3]float64  { return quantiles(e.reqSize) }
func (e *Endpoint) RespSize() [3]float64 { return quantiles(e.rspSize) }

func quantiles(s *ddsketch.DDSketch) [3]float64 {
	var q [3]float64
	if s.IsEmpty() {
		return q
	}
	v, err := s.GetValuesAtQuantiles([]float64{0.5, 0.9, 0.99})
	if err == nil {
		copy(q[:], v)
	}
	return q
}

// StatusCodes returns the status codes seen, ascending.
func (e *Endpoint) StatusCodes() []int { return slices.Sorted(maps.Keys(e.Statuses)) }

// typeSet is a set of inferred value types.
type typeSet uint8

const (
	tInt typeSet = 1 << iota
	tNumber
	tBool
	tUUID
	tDate
	tEmail
	tString
	tEmpty
)

var typeNames = []string{"integer", "number", "boolean", "uuid", "date", "email", "string", "empty"}

func (t typeSet) Names() []string {
	var out []string
	for i, n := range typeNames {
		if t&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

func (t typeSet) String() string { return strings.Join(t.Names(), "|") }

// MarshalJSON renders the set as a list of names.
func (t typeSet) MarshalJSON() ([]byte, error) { return json.Marshal(t.Names()) }

// UnmarshalJSON reads a list of names.
func (t *typeSet) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return err
	}
	*t = 0
	for _, n := range names {
		if i := slices.Index(typeNames, n); i >= 0 {
			*t |= 1 << i
		}
	}
	return nil
}

// inferType tells the type of a query value.
func inferType(v string) typeSet {
	switch {
	case v == "":
		return tEmpty
	case v == "true" || v == "false":
		return tBool
	}
	switch classify(v) {
	case kindInt:
		return tInt
	case kindUUID:
		return tUUID
	case kindDate:
		return tDate
	case kindEmail:
		return tEmail
	}
	dot, digits := 0, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dot++
		case c == '-' && i == 0:
		default:
			return tString
		}
	}
	if dot == 1 && digits > 0 {
		return tNumber
	}
	return tString
}

func mergeSchema(a, b *schema.Schema) *schema.Schema {
	switch {
	case b == nil:
		return a
	case a == nil:
		return b
	}
	a.Merge(b)
	return a
}

// SensitiveList returns the sensitive data seen, by direction, class and
// field path: counts and a masked example, never a value. Counts are over
// the Analysed transactions.
func (e *Endpoint) SensitiveList() []Sensitive {
	out := make([]Sensitive, 0, len(e.sensitive))
	for _, s := range e.sensitive {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Sensitive) int {
		return cmp.Or(cmp.Compare(a.Dir, b.Dir), cmp.Compare(a.Class, b.Class), cmp.Compare(a.Path, b.Path))
	})
	return out
}
