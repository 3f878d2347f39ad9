package inventory

import (
	"cmp"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/analyzer/schema"
	"github.com/apitap/apitap/analyzer/sensitive"
	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/http1"
)

// Config bounds an Inventory. The zero value gives the defaults noted.
type Config struct {
	// MaxEndpoints caps endpoints per service; past it, new routes count
	// towards the service's overflow endpoint. Default 2000.
	MaxEndpoints int
	// MaxNodes caps each service's route tree. Default 20000.
	MaxNodes int
	// MaxDepth caps the path segments routed. Default 24.
	MaxDepth int
	// MaxTotalEndpoints caps endpoints over all services (a memory
	// budget: an endpoint with its sketches and schemas takes some 10-20
	// KiB); past it, new routes count towards their service's overflow
	// endpoint. Default 200000.
	MaxTotalEndpoints int
	// MaxServices caps services; past it, transactions count towards one
	// overflow service. Default 10000.
	MaxServices int
	// PromoteAfter is how many new words one position may show before they
	// are judged, while routing, for becoming a parameter (a report judges
	// every position again). Default 64.
	PromoteAfter int
	// Specs, when set, gives documented templates: a path that matches
	// one takes it.
	Specs Matcher
}

// Matcher finds the documented template of a request.
type Matcher interface {
	MatchTemplate(host, method, path string) (template string, ok bool)
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxEndpoints, 2000)
	def(&c.MaxNodes, 20000)
	def(&c.MaxDepth, 24)
	def(&c.MaxServices, 10000)
	def(&c.MaxTotalEndpoints, 200000)
	def(&c.PromoteAfter, 64)
	return c
}

// OverflowTemplate is the template of the endpoint that collects a
// service's routes past its caps.
const OverflowTemplate = "/{overflow}"

// NotFoundTemplate is the template of the endpoint that collects a
// service's 404s on paths none of its routes match. A path the server does
// not know is not an endpoint: a scanner's thousand probes would otherwise
// each become one, and their words would turn a real position (/api/v3/pet,
// /api/v3/user) into a parameter and merge the service's endpoints.
const NotFoundTemplate = "/{not_found}"

// IsBucket reports whether a template is one of the catch-all endpoints
// (overflow, not found) rather than a route.
func IsBucket(template string) bool {
	return template == OverflowTemplate || template == NotFoundTemplate
}

// OverflowService collects transactions past MaxServices.
const OverflowService = "{overflow}"

// Service is one API host as seen on the wire.
type Service struct {
	Name string
	tree *tree
	docs map[route]*Endpoint // documented routes
	n    int                 // endpoints
	over map[route]*Endpoint // overflow and not-found endpoints by method and template
}

// route is a documented endpoint's key within its service.
type route struct{ method, template string }

// Inventory is the endpoint table.
type Inventory struct {
	cfg      Config
	services map[string]*Service
	nextID   uint64
	gone     []uint64 // stored endpoints folded into others since the last Save
	// byKey finds a transaction's service without building its name,
	// once the same Host header, server and tunnel were seen.
	byKey map[serviceKey]*Service
	total int // endpoints over all services
	stats Stats
	// client holds the address being counted: the sketch's hash takes a
	// slice that escapes, which a local array would cost an allocation
	// per transaction.
	client [16]byte
}

// Stats counts what the inventory could not place.
type Stats struct {
	Transactions uint64 // observed
	NoRequest    uint64 // response-only transactions: no path to place
	Overflow     uint64 // routed to an overflow endpoint or service
	NotFound     uint64 // 404s on paths no route matches, counted on the not-found endpoint
}

// New returns an empty Inventory.
func New(cfg Config) *Inventory {
	return &Inventory{cfg: cfg.withDefaults(), services: make(map[string]*Service), byKey: make(map[serviceKey]*Service)}
}

// SetSpecs replaces the documented templates (after a reload). Endpoints
// already learned stay; new traffic that matches takes the spec's template.
func (inv *Inventory) SetSpecs(m Matcher) {
	inv.cfg.Specs = m
	inv.reconcile()
}

// Stats returns the counters.
func (inv *Inventory) Stats() Stats { return inv.stats }

// ServiceName names the service of a transaction: the Host header with
// the port kept unless it is the default, else the server address; the
// mirror's tunnel is appended when there is one ("api@vxlan=5001").
func ServiceName(host string, server netip.AddrPort, tun decap.Tunnel) string {
	name := strings.ToLower(host)
	if name == "" {
		name = server.String()
	} else {
		name = strings.TrimSuffix(name, ":80")
		name = strings.TrimSuffix(name, ".") // FQDN dot
	}
	if !tun.IsZero() {
		name += "@" + tun.String()
	}
	return name
}

// SplitTarget returns the path of a request-target and its query: it
// handles origin-form, absolute-form ("http://h/p?q") and "*"; an
// authority (CONNECT) has no path.
func SplitTarget(target string) (path, query string) {
	if i := strings.Index(target, "://"); i >= 0 {
		target = target[i+3:]
		if j := strings.IndexByte(target, '/'); j >= 0 {
			target = target[j:]
		} else {
			target = "/"
		}
	}
	if i := strings.IndexByte(target, '#'); i >= 0 {
		target = target[:i]
	}
	if i := strings.IndexByte(target, '?'); i >= 0 {
		return target[:i], target[i+1:]
	}
	return target, ""
}

// Observation is what the inventory made of one transaction, for the
// analysers that follow it (package detect): the endpoint it counted
// towards and what it read of the content.
type Observation struct {
	// Endpoint is the endpoint counted, nil for a transaction without a
	// request. It stays owned by the Inventory: read it before the next
	// Observe, under the same lock.
	Endpoint *Endpoint
	// New reports that this transaction made the endpoint.
	New bool
	// Likely is the endpoint Endpoint will most likely be merged into:
	// set when the path's words wait as literals at positions whose
	// words have proved to be values. Per-route statistics belong there
	// already: counted on a hundred one-request literals, an error surge
	// on /users/{name} would never show.
	Likely *Endpoint
	// Authenticated reports credentials in the request (any scheme).
	Authenticated bool
	// Analysed reports that the bodies were scanned (busy endpoints are
	// sampled); RespClasses is then the set of sensitive-data classes
	// found in the response, one bit per sensitive.Class.
	Analysed    bool
	RespClasses uint32
}

// Observe adds one transaction and says what it was.
func (inv *Inventory) Observe(t *http1.Transaction) Observation {
	inv.stats.Transactions++
	r := &t.Request
	if r.Method == "" {
		inv.stats.NoRequest++
		return Observation{}
	}
	svc := inv.serviceOf(r.Host, t.Server, t.Tunnel)
	path, query := SplitTarget(r.Target)
	before := inv.nextID
	e := inv.endpoint(svc, r.Host, r.Method, path, t.Response.Status == 404)
	o := Observation{Endpoint: e, New: e.ID > before}
	if n := e.node; n != nil {
		if m := n.likely(); m != nil {
			o.Likely = m.eps[r.Method]
		}
	}
	e.observe(t, query, &o)
	inv.client = t.Client.Addr().As16()
	e.clients.Insert(inv.client[:])
	return o
}

// serviceKey is what ServiceName builds a name from.
type serviceKey struct {
	host   string         // the Host header as sent
	server netip.AddrPort // without a Host header
	tun    decap.Tunnel
}

// serviceOf finds the service of a transaction. Building the name costs
// allocations (the tunnel's above all), so it is done once per key. A
// service has few keys (spellings of its Host header); to stay bounded
// under random ones, the keys are forgotten when they outnumber the
// services twice.
func (inv *Inventory) serviceOf(host string, server netip.AddrPort, tun decap.Tunnel) *Service {
	k := serviceKey{host: host, tun: tun}
	if host == "" {
		k.server = server
	}
	if s := inv.byKey[k]; s != nil {
		return s
	}
	if len(inv.byKey) >= 2*inv.cfg.MaxServices {
		clear(inv.byKey)
	}
	s := inv.service(ServiceName(host, server, tun))
	inv.byKey[k] = s
	return s
}

func (inv *Inventory) service(name string) *Service {
	if s := inv.services[name]; s != nil {
		return s
	}
	if len(inv.services) >= inv.cfg.MaxServices {
		// Counted once per transaction by overflow, where the endpoint
		// of the overflow service is found.
		name = OverflowService
		if s := inv.services[name]; s != nil {
			return s
		}
	}
	s := &Service{Name: name, docs: make(map[route]*Endpoint), over: make(map[route]*Endpoint)}
	s.tree = &tree{inv: inv, svc: s, root: &node{}}
	inv.services[name] = s
	return s
}

// full reports whether a service may not take a new endpoint.
func (inv *Inventory) full(svc *Service) bool {
	return svc.n >= inv.cfg.MaxEndpoints || inv.total >= inv.cfg.MaxTotalEndpoints
}

func (inv *Inventory) newEndpoint(svc *Service, method string) *Endpoint {
	inv.nextID++
	inv.total++
	svc.n++
	return newEndpoint(inv.nextID, svc.Name, method)
}

// endpoint finds the endpoint of a request, making it when new.
func (inv *Inventory) endpoint(svc *Service, host, method, path string, notFound bool) *Endpoint {
	if svc.Name == OverflowService {
		return inv.overflow(svc, method)
	}
	if inv.cfg.Specs != nil {
		if tmpl, ok := inv.cfg.Specs.MatchTemplate(host, method, path); ok {
			key := route{method, tmpl}
			e := svc.docs[key]
			if e == nil {
				if inv.full(svc) {
					return inv.overflow(svc, method)
				}
				e = inv.newEndpoint(svc, method)
				e.Template, e.Documented = tmpl, true
				svc.docs[key] = e
			}
			return e
		}
	}
	if path == "" || path[0] != '/' {
		// "*" (OPTIONS), an authority (CONNECT): one literal segment.
		path = "/" + path
	}
	// Segments past MaxDepth are not routed: one more tells route so.
	var buf [32]string
	segs := buf[:0]
	for s := range strings.SplitSeq(path[1:], "/") {
		if s != "" {
			if len(segs) > inv.cfg.MaxDepth {
				break
			}
			segs = append(segs, s)
		}
	}
	if notFound {
		// Counted on the route it matches, if one has the method;
		// never the start of a new one.
		if n := svc.tree.find(segs); n != nil && n.eps[method] != nil {
			return n.eps[method]
		}
		inv.stats.NotFound++
		return inv.bucket(svc, method, NotFoundTemplate)
	}
	n := svc.tree.route(segs)
	if n == nil {
		return inv.overflow(svc, method)
	}
	e := n.eps[method]
	if e == nil {
		if inv.full(svc) {
			return inv.overflow(svc, method)
		}
		e = inv.newEndpoint(svc, method)
		n.attach(e)
	}
	return e
}

func (inv *Inventory) overflow(svc *Service, method string) *Endpoint {
	inv.stats.Overflow++
	return inv.bucket(svc, method, OverflowTemplate)
}

// bucket returns the service's catch-all endpoint of a method and
// template, making it when new; buckets do not count towards the caps.
func (inv *Inventory) bucket(svc *Service, method, template string) *Endpoint {
	k := route{method, template}
	e := svc.over[k]
	if e == nil {
		inv.nextID++
		e = newEndpoint(inv.nextID, svc.Name, method)
		e.Template = template
		svc.over[k] = e
	}
	return e
}

// fold merges endpoint e into d. A stored e has its record deleted at the
// next Save; one never stored leaves nothing behind, so a position that
// keeps showing new values costs no memory once they are merged.
func (inv *Inventory) fold(e, d *Endpoint) {
	d.absorb(e)
	if e.stored {
		inv.gone = append(inv.gone, e.ID)
	}
}

// retire folds e, which counts towards the caps, into d.
func (inv *Inventory) retire(e, d *Endpoint) {
	inv.fold(e, d)
	inv.total--
	if s := inv.services[e.Service]; s != nil {
		s.n--
	}
}

// observe updates the endpoint with one transaction; Observe counts its
// client.
func (e *Endpoint) observe(t *http1.Transaction, query string, o *Observation) {
	ts := t.Time()
	if e.FirstSeen.IsZero() || ts.Before(e.FirstSeen) {
		e.FirstSeen = ts
	}
	if ts.After(e.LastSeen) {
		e.LastSeen = ts
	}
	e.Requests++
	e.dirty = true
	if t.Partial() {
		e.Partial++
	}
	if s := t.Response.Status; s > 0 {
		e.Statuses[s]++
	}
	reqType, hasReqType := t.Request.Header.Get("Content-Type")
	respType, hasRespType := t.Response.Header.Get("Content-Type")
	if hasReqType {
		addType(e.ReqTypes, reqType)
	}
	if hasRespType {
		addType(e.RespTypes, respType)
	}
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		name, value, _ := strings.Cut(kv, "=")
		if name == "" || len(name) > 64 {
			continue
		}
		q := e.Query[name]
		if q == nil {
			if len(e.Query) >= maxQueryParams {
				e.QueryOverflow++
				continue
			}
			q = &QueryParam{}
			e.Query[strings.Clone(name)] = q
		}
		q.Count++
		q.Types |= inferType(value)
	}
	e.observeContent(t, reqType, respType, o)
	if t.Response.Seen() {
		_ = e.latency.Add(float64(t.Latency()) / float64(time.Millisecond))
		_ = e.rspSize.Add(float64(t.Response.Body.Len))
	}
	_ = e.reqSize.Add(float64(t.Request.Body.Len))
}

// addType counts a Content-Type header's media type.
func addType(m map[string]uint64, ct string) {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	if _, known := m[ct]; known || len(m) < maxContentTypes {
		m[ct]++
	}
}

// Endpoints returns every endpoint, sorted by service, template and
// method, with their templates current.
func (inv *Inventory) Endpoints() []*Endpoint {
	var out []*Endpoint
	for _, s := range inv.services {
		s.tree.settle()
		out = append(out, slices.Collect(maps.Values(s.docs))...)
		out = append(out, slices.Collect(maps.Values(s.over))...)
		s.tree.root.walk(func(n *node) {
			for _, e := range n.eps {
				e.Template = n.template()
				out = append(out, e)
			}
		})
	}
	slices.SortFunc(out, func(a, b *Endpoint) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Template, b.Template), cmp.Compare(a.Method, b.Method))
	})
	return out
}

// Route returns the endpoint's template as it stands now. Unlike the
// Template field, which Endpoints refreshes, it is current between calls
// to Endpoints; it allocates, so call it when a template is needed, not
// per transaction.
func (e *Endpoint) Route() string {
	if e.node != nil {
		return e.node.template()
	}
	return e.Template
}

// Evidence returns why the last parameter of an endpoint's template is a
// parameter, or nil.
func (e *Endpoint) Evidence() *Evidence {
	for n := e.node; n != nil; n = n.parent {
		if n.ev != nil {
			return n.ev
		}
	}
	return nil
}

// observeContent records authentication, sensitive data and body schemas;
// reqType and respType are the Content-Type headers.
func (e *Endpoint) observeContent(t *http1.Transaction, reqType, respType string, o *Observation) {
	r := auth.Classify(&t.Request, t.Time())
	o.Authenticated = r.Schemes != 0
	for s := range r.Schemes.All() { // "none" when there is none
		e.Auth[s.String()]++
	}
	for _, n := range []struct{ kind, name string }{
		{"apiKeyHeader:", r.APIKeyHeader}, {"apiKeyQuery:", r.APIKeyParam}, {"cookie:", r.SessionCookie},
	} {
		if n.name != "" {
			k := n.kind + n.name
			if _, ok := e.AuthNames[k]; ok || len(e.AuthNames) < maxContentTypes {
				e.AuthNames[k]++
			}
		}
	}
	if r.Schemes.Has(auth.BearerJWT) {
		for _, f := range []auth.Flags{auth.AlgNone, auth.NoExpiry, auth.Expired} {
			if r.JWT.Flags&f != 0 {
				e.AuthFlags[f.String()]++
			}
		}
	}
	// Bodies cost the most to look at. An endpoint's first bodies are all
	// analysed; after that one in sampleEvery, which still finds a new
	// field or data class within a few dozen requests on a busy endpoint.
	if e.Requests > sampleAll && e.Requests%sampleEvery != 0 {
		return
	}
	e.Analysed++
	o.Analysed = true
	var buf [16]sensitive.Finding
	found := buf[:0]
	found = sensitive.Scan(t.Request.Body.Sample, reqType, found)
	found = sensitive.ScanQuery(t.Request.Target, found)
	found = sensitive.ScanHeaders(t.Request.Header, found)
	nreq := len(found)
	if t.Response.Seen() {
		found = sensitive.Scan(t.Response.Body.Sample, respType, found)
		found = sensitive.ScanHeaders(t.Response.Header, found)
	}
	for i, f := range found {
		dir := "request"
		if i >= nreq {
			dir = "response"
			o.RespClasses |= 1 << f.Class
		}
		k := sensitiveKey{dir, f.Class.String(), f.Path}
		if s := e.sensitive[k]; s != nil {
			s.Count++
		} else if len(e.sensitive) < maxSensitive {
			e.sensitive[k] = &Sensitive{Dir: dir, Class: k.class, Path: f.Path, Count: 1, Masked: f.Masked}
		}
	}
	if isJSON(reqType, t.Request.Body.Sample) && !t.Request.Body.Truncated {
		if e.ReqSchema == nil {
			e.ReqSchema = new(schema.Schema)
		}
		_ = e.ReqSchema.Observe(t.Request.Body.Sample) // invalid JSON records nothing
	}
	if isJSON(respType, t.Response.Body.Sample) && !t.Response.Body.Truncated && t.Response.Status < 300 {
		if e.RespSchema == nil {
			e.RespSchema = new(schema.Schema)
		}
		_ = e.RespSchema.Observe(t.Response.Body.Sample)
	}
}

// Body sampling: every transaction of an endpoint up to sampleAll, then
// one in sampleEvery.
const (
	sampleAll   = 256
	sampleEvery = 16
)

// isJSON tells a JSON body: application/json or a +json type, or, as
// clients often omit or mislabel it, no type or text/plain with a body that
// starts like JSON.
func isJSON(ct string, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	if ct == "application/json" || strings.HasSuffix(ct, "+json") {
		return true
	}
	return (ct == "" || ct == "text/plain") && (body[0] == '{' || body[0] == '[')
}
