package detect

import (
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/baseline"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/sensitive"
	"github.com/apitap/apitap/sensor/http1"
)

// Raiser receives findings; alert.Manager implements it.
type Raiser interface {
	Raise(f alert.Finding)
}

// Config tunes the detectors. Zero values take the defaults.
type Config struct {
	// Baseline sets the bin width (5m), the learning period (24h) and
	// the half-life of the baselines (72h).
	Baseline baseline.Config
	// FalseAlerts is the false-alert budget of the statistical tests, in
	// alerts per 100 endpoint-days over all of them (default 0.5): each
	// test's significance level follows from it and the number of tests
	// run per day.
	FalseAlerts float64
	// MaxEndpoints bounds the endpoints with baselines (default 20000);
	// the least recently seen are dropped first.
	MaxEndpoints int
	// MaxClients bounds the per-client state of the abuse rules (default
	// 100000); clients past it are not followed until others go idle.
	MaxClients int
	// Thresholds of the abuse rules, per window of two bins.
	EnumerationIDs int // distinct object ids one client fetches on one route (default 50)
	LoginFailures  int // failed logins of one client: brute force (default 20)
	StuffingIPs    int // distinct clients failing logins: credential stuffing (default 20)
	ScanMisses     int // 404s of one client on one service (default 10)
}

// Validate reports settings the detectors cannot work with, naming the
// flag that sets them.
func (c Config) Validate() error {
	if c.FalseAlerts < 0 || math.IsNaN(c.FalseAlerts) {
		return fmt.Errorf("--alert-budget %v: want a positive number of false alerts per 100 endpoint-days", c.FalseAlerts)
	}
	if c.Baseline.Learning < 0 {
		return fmt.Errorf("--learning %v: want a positive duration", c.Baseline.Learning)
	}
	return c.Baseline.Validate()
}

func (c *Config) withDefaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	if c.Baseline.Bin <= 0 {
		c.Baseline.Bin = 5 * time.Minute
	}
	if c.Baseline.Learning <= 0 {
		c.Baseline.Learning = 24 * time.Hour
	}
	if c.Baseline.HalfLife <= 0 {
		c.Baseline.HalfLife = 72 * time.Hour
	}
	if c.FalseAlerts <= 0 {
		c.FalseAlerts = 0.5
	}
	def(&c.MaxEndpoints, 20000)
	def(&c.MaxClients, 100000)
	def(&c.EnumerationIDs, 50)
	def(&c.LoginFailures, 20)
	def(&c.StuffingIPs, 20)
	def(&c.ScanMisses, 10)
}

// testsPerBin is the number of statistical tests one endpoint takes per
// bin (rate up and down, 5xx, 401/403, latency level and drift, size), the
// divisor of the false-alert budget.
const testsPerBin = 7

// Stats counts what the detectors did and what they could not keep.
type Stats struct {
	Transactions uint64
	Bins         uint64 // bins closed
	Tested       uint64 // statistical tests run
	Findings     uint64
	EvictedEPs   uint64 // endpoint baselines dropped at MaxEndpoints
	ClientsFull  uint64 // transactions whose client could not be followed
	Skipped      uint64 // transactions older than the current bin by more than a bin: rules only
}

// Detector learns per-endpoint baselines from transactions and raises
// findings. Time is packet time: the transactions' own. It is not safe
// for concurrent use.
type Detector struct {
	cfg     Config
	raise   Raiser
	alpha   float64 // significance level of one statistical test
	z       float64 // the matching one-sided z
	bin     time.Time
	eps     map[uint64]*endpoint // by inventory endpoint id
	series  map[string]*Series   // every baseline known, by seriesKey: live, loaded or evicted
	owner   map[string]uint64    // the endpoint id a live baseline belongs to
	evicted []*Series            // evicted since the last Save
	svcs    map[string]*service
	clients map[clientKey]*clientState
	inspect inspector
	seed    maphash.Seed
	stats   Stats
}

// New returns a Detector that hands findings to raise.
func New(cfg Config, raise Raiser) *Detector {
	cfg.withDefaults()
	binsPerDay := float64(24*time.Hour) / float64(cfg.Baseline.Bin)
	// Per endpoint-day the budget is FalseAlerts/100 alerts, spread over
	// testsPerBin tests in each bin of the day.
	alpha := baseline.Alpha(cfg.FalseAlerts/100, testsPerBin*binsPerDay)
	return &Detector{
		cfg: cfg, raise: raise, alpha: alpha, z: baseline.ZFor(alpha),
		eps: map[uint64]*endpoint{}, series: map[string]*Series{}, owner: map[string]uint64{}, svcs: map[string]*service{},
		clients: map[clientKey]*clientState{}, seed: maphash.MakeSeed(),
	}
}

// Stats returns the detector's counters.
func (d *Detector) Stats() Stats { return d.stats }

// Series is an endpoint's learnt baseline, as stored.
type Series struct {
	Service, Method, Route string

	First    time.Time            `json:"first"` // first bin
	Requests baseline.Counts      `json:"requests"`
	Err5xx   baseline.Ratio       `json:"err_5xx"`
	Denied   baseline.Ratio       `json:"denied"`  // 401 and 403 among requests
	Latency  baseline.Level       `json:"latency"` // log of a bin's median latency in ms
	Drift    baseline.PageHinkley `json:"drift"`   // slow latency shifts
	Huge     baseline.Ratio       `json:"huge"`    // responses hugeFactor times the usual size
	IDs      baseline.Level       `json:"ids"`     // log of the most distinct ids one client fetched in a bin
	// LogLatency and LogSize follow single requests (log ms, log bytes),
	// so an hour of a quiet endpoint's few requests can be tested.
	LogLatency, LogSize Moments
	// Authenticated and Anonymous count requests with and without
	// credentials; Classes are the sensitive-data classes responses have
	// carried (bits of sensitive.Class) over Analysed responses.
	Authenticated, Anonymous uint64
	Classes                  uint32
	Analysed                 uint64
	// Fresh holds classes seen after the learning period and not yet
	// accepted: when each was first and last seen in its current run.
	Fresh map[uint8][2]time.Time `json:"fresh,omitempty"`
}

// key names a Series in storage and in the loaded map.
func seriesKey(service, method, route string) string {
	return service + "\x00" + method + "\x00" + route
}

// endpoint is an endpoint's baseline and its current bin.
type endpoint struct {
	s        *Series
	e        *inventory.Endpoint // to follow its template as the inventory refines it
	login    bool                // a login-like route: failed logins are watched
	known    bool                // the route had a baseline before this endpoint was made
	pending  int                 // a new endpoint's 2xx responses until it is reported
	lastSeen time.Time
	dirty    bool

	// the current bin
	n, e5, denied, huge, fails float64
	lat, size                  []float64
	win                        [winBins]binSums // the last bins, for the window tests
	wi                         int
	fired                      []alert.Type // what the bin's tests raised: not learnt
	silentMean, silentVar      float64      // expected requests over the current run of silent bins
	silentBins                 int
	failIPs                    map[netip.Addr]uint64  // failing clients of the last hour: the bin of their last failure
	failRing                   [winBins - 1]float64   // failed logins of the previous bins
	top                        map[netip.Addr]float64 // requests per client
	hugeBy                     netip.Addr
	hugeMax                    int64
	example                    sample // the bin's first transaction, or its largest huge response
	maxIDs                     int
}

// hugeFactor: a response this many times an endpoint's median size is
// counted as huge; a run of them is a response-size jump.
const hugeFactor = 8

// maxBinSamples bounds the latencies and sizes kept per bin for medians.
const maxBinSamples = 256

var loginRoute = regexp.MustCompile(`(?i)(log-?in|sign-?in|log-?on|auth|token|session|oauth|password)`)

// service is what the detectors keep per service.
type service struct {
	first   time.Time
	known   *bloom // clients seen before
	newN    float64
	newBin  baseline.Counts
	example sample // the bin's first new client
	dirty   bool
}

// Observe takes one transaction and what the inventory made of it.
func (d *Detector) Observe(t *http1.Transaction, o inventory.Observation) {
	if o.Likely != nil {
		// A value waiting as a literal: its statistics belong to the
		// parameter's endpoint, and it is no new endpoint.
		o.Endpoint, o.New = o.Likely, false
	}
	e := o.Endpoint
	if e == nil {
		return
	}
	d.stats.Transactions++
	ts := t.Time()
	if d.bin.IsZero() {
		d.bin = ts.Truncate(d.cfg.Baseline.Bin)
	}
	d.Advance(ts)
	ep := d.endpoint(e)
	svc := d.service(e.Service, ts)
	client := t.Client.Addr()
	status := t.Response.Status
	if ts.Before(d.bin.Add(-d.cfg.Baseline.Bin)) {
		// Far older than the bin being filled (captures read out of
		// time order): counting it would put it in the wrong bin, so
		// only the rules that need no baseline look at it.
		d.stats.Skipped++
		d.rules(ep, t, o, client, status)
		return
	}
	ep.lastSeen = ts

	ep.n++
	if ep.top == nil {
		ep.top = map[netip.Addr]float64{}
	}
	if _, ok := ep.top[client]; ok || len(ep.top) < 256 {
		ep.top[client]++
	}
	switch {
	case status >= 500:
		ep.e5++
	case status == 401 || status == 403:
		ep.denied++
	}
	if t.Response.Seen() {
		if len(ep.lat) < maxBinSamples {
			ep.lat = append(ep.lat, float64(t.Latency())/float64(time.Millisecond))
			ep.size = append(ep.size, float64(t.Response.Body.Len))
		}
		lsz := math.Log(max(float64(t.Response.Body.Len), 1))
		if m, _, ok := ep.s.LogSize.expect(); ok && lsz > math.Log(hugeFactor)+m && t.Response.Body.Len > 2048 {
			ep.huge++
			if t.Response.Body.Len > ep.hugeMax {
				ep.hugeMax, ep.hugeBy = t.Response.Body.Len, client
				ep.example = sampleOf(t)
			}
		}
	}
	if ep.example.time.IsZero() {
		ep.example = sampleOf(t)
	}
	if !svc.known.has(client) {
		svc.known.add(client)
		svc.newN++
		svc.dirty = true
		if svc.example.time.IsZero() {
			svc.example = sampleOf(t)
		}
	}
	ready := ts.Sub(ep.s.First) >= d.cfg.Baseline.Learning
	d.authentication(ep, t, o, ready, status)
	d.content(ep, t, o, ready)
	d.newEndpoint(ep, svc, t, o, ts, status)
	d.rules(ep, t, o, client, status)
}

// authentication follows whether an endpoint is always called with
// credentials, and reports a successful call without any on one that is.
func (d *Detector) authentication(ep *endpoint, t *http1.Transaction, o inventory.Observation, ready bool, status int) {
	s := ep.s
	if o.Authenticated {
		s.Authenticated++
		return
	}
	always := s.Authenticated >= 100 && float64(s.Anonymous) < 0.001*float64(s.Authenticated)
	ep.dirty = true
	if !ready || !always || status < 200 || status >= 300 {
		s.Anonymous++
		return
	}
	// Not counted: an attack must not teach the baseline that the
	// endpoint is open to anyone.
	d.find(alert.Finding{
		Type: alert.Unauthenticated, Kind: alert.Statistical, Severity: alert.High,
		Service: s.Service, Method: s.Method, Route: s.Route, Client: t.Client.Addr().String(), Time: t.Time(),
		Evidence: alert.Evidence{
			Metric: "unauthenticated_success", Observed: 1, Baseline: float64(s.Anonymous), Score: float64(s.Authenticated), ScoreKind: "count",
			Detail: fmt.Sprintf("a successful request without credentials on an endpoint called with them %d times, without %d times", s.Authenticated, s.Anonymous),
		},
		Example: example(t),
	})
}

// content reports a sensitive-data class an endpoint's responses never
// carried before. A class seen during the learning period is normal; one
// that appears later alerts, and stays unusual (alerting again on each
// return) until it has been seen for acceptAfter without a gap of
// freshGap: a leak fixed on Monday that returns on Friday is reported
// twice, a field added for good stops alerting after a day.
func (d *Detector) content(ep *endpoint, t *http1.Transaction, o inventory.Observation, ready bool) {
	if !o.Analysed || !t.Response.Seen() {
		return
	}
	s := ep.s
	s.Analysed++
	fresh := o.RespClasses &^ s.Classes
	if fresh == 0 {
		return
	}
	ep.dirty = true
	if !ready || s.Analysed < 20 {
		s.Classes |= fresh
		return
	}
	now := t.Time()
	if s.Fresh == nil {
		s.Fresh = map[uint8][2]time.Time{}
	}
	for c := uint8(0); c < 32; c++ {
		if fresh&(1<<c) == 0 {
			continue
		}
		seen := s.Fresh[c]
		if seen[1].IsZero() || now.Sub(seen[1]) > freshGap {
			seen[0] = now
		}
		seen[1] = now
		if seen[1].Sub(seen[0]) >= acceptAfter {
			s.Classes |= 1 << c
			delete(s.Fresh, c)
			fresh &^= 1 << c
			continue
		}
		s.Fresh[c] = seen
	}
	if fresh == 0 {
		return
	}
	d.find(alert.Finding{
		Type: alert.NewSensitiveData, Kind: alert.Statistical, Severity: alert.High,
		Service: s.Service, Method: s.Method, Route: s.Route, Client: t.Client.Addr().String(), Time: now,
		Evidence: alert.Evidence{
			Metric: "sensitive_classes", Observed: float64(popcount(o.RespClasses)), Baseline: float64(popcount(s.Classes)),
			Score: float64(s.Analysed), ScoreKind: "count", Subtype: classNames(fresh),
			Detail: "responses carry a sensitive-data class not seen on this endpoint before: " + classNames(fresh),
		},
		Example: example(t),
	})
}

// A sensitive-data class is accepted as the endpoint's after acceptAfter
// of being seen without a gap of freshGap.
const (
	acceptAfter = 24 * time.Hour
	freshGap    = 6 * time.Hour
)

// newEndpoint reports an endpoint that appeared on a service after the
// service's learning period, once it has answered a few requests with
// success: a path that only ever 404s is a probe, not an API.
func (d *Detector) newEndpoint(ep *endpoint, svc *service, t *http1.Transaction, o inventory.Observation, ts time.Time, status int) {
	if o.New && !ep.known && ts.Sub(svc.first) >= d.cfg.Baseline.Learning && !inventory.IsBucket(o.Endpoint.Template) {
		ep.pending = newEndpointAfter
	}
	if ep.pending == 0 || status < 200 || status >= 300 || !apiContent(t) {
		return
	}
	if ts.Sub(ep.s.First) > newEndpointWithin+d.cfg.Baseline.Bin {
		// Called now and then, not taken into use: a rare caller of an
		// endpoint that existed all along, more likely than a new API.
		ep.pending = 0
		return
	}
	if ep.pending--; ep.pending > 0 {
		return
	}
	s := ep.s
	sev, detail := alert.Medium, "an endpoint not in any spec appeared after the service's learning period: a shadow API"
	if o.Endpoint.Documented {
		sev, detail = alert.Low, "a documented endpoint was called for the first time after the service's learning period"
	}
	d.find(alert.Finding{
		Type: alert.NewEndpoint, Kind: alert.Statistical, Severity: sev,
		Service: s.Service, Method: s.Method, Route: s.Route, Client: t.Client.Addr().String(), Time: ts,
		Evidence: alert.Evidence{Metric: "successful_requests", Observed: newEndpointAfter, ScoreKind: "count", Score: newEndpointAfter, Detail: detail},
		Example:  example(t),
	})
}

// apiContent reports a response an API would give: JSON, XML, protobuf
// or gRPC, form data, plain text, or no body. A new path serving images,
// pages, scripts or styles is a web site growing, not a shadow API.
func apiContent(t *http1.Transaction) bool {
	ct, ok := t.Response.Header.Get("Content-Type")
	if !ok || t.Response.Body.Len == 0 {
		return true
	}
	ct = strings.ToLower(ct)
	for _, k := range []string{"json", "xml", "protobuf", "grpc", "x-www-form-urlencoded", "text/plain", "msgpack", "cbor"} {
		if strings.Contains(ct, k) {
			return true
		}
	}
	return false
}

// A new endpoint is reported when it answers newEndpointAfter requests
// with success within newEndpointWithin of its first sight.
const (
	newEndpointAfter  = 3
	newEndpointWithin = time.Hour
)

// endpoint returns the state of e, making it (from a stored baseline when
// there is one) on first sight.
func (d *Detector) endpoint(e *inventory.Endpoint) *endpoint {
	if ep := d.eps[e.ID]; ep != nil {
		return ep
	}
	if len(d.eps) >= d.cfg.MaxEndpoints {
		d.evict()
	}
	route := e.Route()
	k := seriesKey(e.Service, e.Method, route)
	s := d.series[k]
	if s == nil {
		s = &Series{Service: e.Service, Method: e.Method, Route: route, First: d.bin}
		d.series[k] = s
	} else if old, ok := d.owner[k]; ok {
		// The inventory made the route's endpoint again (its values
		// were merged into a parameter, then it stood out as a word
		// once more): the baseline moves to the new one.
		delete(d.eps, old)
	}
	ep := &endpoint{s: s, e: e, known: s.First.Before(d.bin), login: loginRoute.MatchString(route), dirty: true}
	d.eps[e.ID] = ep
	d.owner[k] = e.ID
	return ep
}

// refreshRoute follows the inventory: when a position of the endpoint's
// route became a parameter ("/users/ann" is now "/users/{name}"), the
// baseline is renamed, so alerts and the stored baseline carry the route
// people see in the inventory.
func (d *Detector) refreshRoute(ep *endpoint) {
	r := ep.e.Route()
	s := ep.s
	if r == s.Route {
		return
	}
	old, k := seriesKey(s.Service, s.Method, s.Route), seriesKey(s.Service, s.Method, r)
	if d.series[old] == s {
		delete(d.series, old)
		delete(d.owner, old)
	}
	s.Route = r
	ep.login = loginRoute.MatchString(r)
	ep.dirty = true
	if _, taken := d.series[k]; !taken {
		d.series[k] = s
		d.owner[k] = ep.e.ID
	}
}

// evict drops the least recently seen tenth of the endpoints. Their
// baselines are saved at the next Save, and kept in memory while the
// stored map has room, so an endpoint that returns finds its baseline.
func (d *Detector) evict() {
	ids := make([]uint64, 0, len(d.eps))
	for id := range d.eps {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uint64) int { return d.eps[a].lastSeen.Compare(d.eps[b].lastSeen) })
	for _, id := range ids[:max(1, len(ids)/10)] {
		d.stats.EvictedEPs++
		s := d.eps[id].s
		k := seriesKey(s.Service, s.Method, s.Route)
		delete(d.owner, k)
		if len(d.series) > 2*d.cfg.MaxEndpoints {
			delete(d.series, k)
		}
		d.evicted = append(d.evicted, s)
		delete(d.eps, id)
	}
}

func (d *Detector) service(name string, ts time.Time) *service {
	s := d.svcs[name]
	if s == nil {
		s = &service{first: d.bin, known: newBloom(), dirty: true}
		if s.first.IsZero() {
			s.first = ts
		}
		d.svcs[name] = s
	}
	return s
}

// Learning reports when the baseline of an endpoint is ready to test (its
// first bin plus the learning period), and whether one is known.
func (d *Detector) Learning(service, method, route string) (until time.Time, ok bool) {
	s := d.series[seriesKey(service, method, route)]
	if s == nil {
		return time.Time{}, false
	}
	return s.First.Add(d.cfg.Baseline.Learning), true
}

// find counts and hands on one finding.
func (d *Detector) find(f alert.Finding) {
	d.stats.Findings++
	if d.raise != nil {
		d.raise.Raise(f)
	}
}

// example is a transaction as an alert shows it, with secrets redacted.
func example(t *http1.Transaction) *alert.Example { return sampleOf(t).example() }

// sample is what an alert's example needs of a transaction, kept as it
// came (the transaction's strings are its own, never packet memory): a
// bin keeps one for the findings it may raise, and only a finding pays
// for the redaction and the address strings.
type sample struct {
	time           time.Time // zero: none
	client, server netip.AddrPort
	method, target string
	status         int
	bytes          int64
}

func sampleOf(t *http1.Transaction) sample {
	return sample{
		time: t.Time(), client: t.Client, server: t.Server,
		method: t.Request.Method, target: t.Request.Target, status: t.Response.Status, bytes: t.Response.Body.Len,
	}
}

// example returns the sample as an alert shows it, with secrets
// redacted; nil when there is none.
func (s sample) example() *alert.Example {
	if s.time.IsZero() {
		return nil
	}
	return &alert.Example{
		Time: s.time, Client: s.client.Addr().String(), Server: s.server.String(),
		Method: s.method, Target: Redact(s.target), Status: s.status, Bytes: s.bytes,
	}
}

func popcount(x uint32) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func classNames(x uint32) string {
	var names []string
	for c := 0; c < 32; c++ {
		if x&(1<<c) != 0 {
			names = append(names, sensitive.Class(c).String())
		}
	}
	return strings.Join(names, ",")
}
