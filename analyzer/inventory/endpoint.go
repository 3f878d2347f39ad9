package inventory

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
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

	// Merged lists the templates folded into this endpoint when a
	// position became a parameter.
	Merged []string

	// Documented is set for endpoints routed by a spec: the template is
	// the spec's.
	Documented bool

	node  *node
	dirty bool // changed since the last Save
}

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
		Query:   make(map[string]*QueryParam),
		clients: hyperloglog.New14(),
		latency: sk(), reqSize: sk(), rspSize: sk(),
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
	_ = e.clients.Merge(o.clients)
	_ = e.latency.MergeWith(o.latency)
	_ = e.reqSize.MergeWith(o.reqSize)
	_ = e.rspSize.MergeWith(o.rspSize)
	e.Merged = append(e.Merged, o.Template)
	e.Merged = append(e.Merged, o.Merged...)
	if len(e.Merged) > maxExamples {
		e.Merged = e.Merged[:maxExamples]
	}
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
