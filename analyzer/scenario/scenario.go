package scenario

import (
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/sensor/synth"
)

// Generate writes the scenario cfg describes to w as a classic pcap
// (Ethernet, IPv4, microsecond timestamps) and returns its summary and the
// labels of the planted attacks, ordered by start. The output depends only
// on cfg (and the spec files it names).
func Generate(w io.Writer, cfg Config) (Summary, []Label, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, nil, err
	}
	cfg = cfg.withDefaults()
	g, err := newGen(w, cfg)
	if err != nil {
		return Summary{}, nil, fmt.Errorf("scenario: %w", err)
	}
	g.plan()
	g.run()
	if err := g.cap.Close(); err != nil {
		return g.summary(), g.labels, fmt.Errorf("scenario: %w", err)
	}
	return g.summary(), g.labels, nil
}

// gen is one run of Generate. Three generators keep the parts apart: the
// model (services, endpoints, clients), the plan (attacks) and the traffic,
// so that the model does not change with the attacks chosen.
type gen struct {
	cfg        Config
	mr, pr, r  *rand.Rand
	cap        *synth.Capture
	svcs       []*service
	attacks    []*attack
	labels     []Label
	events     []event
	exp        []expiry // heap of keep-alive connection expiries
	expN       uint64
	start, end int64 // µs
	extra      int   // clients made outside the populations
	sensitiveN int
	anyLoud    int // some endpoint is loud enough for surges: 1, none: -1, not yet known: 0

	req, resp, body []byte
	dateSec         int64
	date            []byte

	transactions, attackTxns int64
	clients                  int
}

// event is one request to send.
type event struct {
	t  int64
	ep *endpoint
	a  *attack // nil: normal traffic
	k  int     // index in a.times
}

// conn is a client's connection to a service.
type conn struct {
	sc     *synth.Conn
	cl     *client
	svc    *service
	ready  int64
	busy   int64 // end of the last exchange
	gen    uint32
	slot   int // index in svc.idle, -1 if not there
	temp   bool
	closed bool
}

type expiry struct {
	t   int64
	n   uint64
	c   *conn
	gen uint32
}

func newGen(w io.Writer, cfg Config) (*gen, error) {
	s := cfg.Seed
	g := &gen{
		cfg:   cfg,
		mr:    rand.New(rand.NewPCG(s, 0x853c49e6748fea9b)),
		pr:    rand.New(rand.NewPCG(s, 0xda3e39cb94b95bdb)),
		r:     rand.New(rand.NewPCG(s, 0x2545f4914f6cdd1d)),
		cap:   synth.NewCapture(w, synth.CaptureOptions{Seed: s}),
		start: cfg.Start.UnixMicro(),
	}
	g.end = g.start + int64(cfg.Days)*day
	svcs, err := loadServices(&cfg, g.mr)
	if err != nil {
		return nil, err
	}
	g.svcs = svcs
	for _, sv := range svcs {
		sv.setupClients(g.mr, cfg.Clients, g.start, cfg.Days)
	}
	return g, nil
}

func timeOf(us int64) time.Time { return time.UnixMicro(us).UTC() }

// rhythm is the traffic multiplier at t (µs, shifted by the service's
// phase): a smooth daily wave from 0.3 at 03:00 to 1 at 15:00, averaging
// 1 over a weekday, and half that at weekends.
func rhythm(t int64) float64 {
	sec := t / 1e6
	h := float64(sec%86400) / 3600
	d := 0.3 + 0.7*(1-math.Cos(2*math.Pi*(h-3)/24))/2
	// 1970-01-01 was a Thursday: day 2 of the week is Saturday.
	if wd := (sec / 86400) % 7; wd == 2 || wd == 3 {
		d *= 0.5
	}
	return d / 0.65
}

// run sends the traffic minute by minute: the normal requests of every
// endpoint (Poisson at its rate times the rhythm) and the attacks'
// requests, in time order.
func (g *gen) run() {
	r := g.r
	scale := g.cfg.Scale / 1440
	for m := g.start; m < g.end; m += minute {
		mEnd := m + minute
		g.events = g.events[:0]
		for _, s := range g.svcs {
			s.mult = rhythm(m + minute/2 + s.phase*1e6)
			for _, e := range s.eps {
				from := max(m, e.from)
				if from >= mEnd {
					continue
				}
				n := poisson(r, e.rate*scale*s.mult*float64(mEnd-from)/float64(minute))
				for range n {
					t := from + r.Int64N(mEnd-from)
					if e.dropped(t) {
						continue
					}
					ev := event{t: t, ep: e}
					if e.newBy != nil && t < e.newBy.end {
						ev.a = e.newBy
					}
					g.events = append(g.events, ev)
				}
			}
		}
		for _, a := range g.attacks {
			for a.next < len(a.times) && a.times[a.next] < mEnd {
				g.events = append(g.events, event{t: a.times[a.next], ep: a.ep, a: a, k: a.next})
				a.next++
			}
		}
		slices.SortStableFunc(g.events, func(a, b event) int {
			switch {
			case a.t < b.t:
				return -1
			case a.t > b.t:
				return 1
			}
			return 0
		})
		for i := range g.events {
			ev := &g.events[i]
			g.expire(ev.t)
			if g.cap.Advance(timeOf(ev.t)) != nil {
				return
			}
			g.handle(ev)
		}
	}
	g.expire(math.MaxInt64)
}

func (e *endpoint) dropped(t int64) bool {
	for _, a := range e.mods {
		if a.typ == alert.RateDrop && a.active(t) {
			return true
		}
	}
	return false
}

// txn is one request to build and its answer.
type txn struct {
	svc     *service
	ep      *endpoint // nil with path
	cl      *client
	path    string // a literal path instead of ep's template
	id      int    // object of the first id parameter; 0: random
	gotID   int    // the object the first id parameter named
	noAuth  bool
	status  int
	latMul  float64
	sizeMul float64
	class   string   // sensitive data added to the response
	inject  *payload // injection
	where   string   // where the payload goes: "query", "path" or "body"
	login   bool     // send credentials of user
	user    int
	badPass bool
}

func (g *gen) handle(ev *event) {
	a := ev.a
	if a == nil || a.typ == alert.RateSpike || a.typ == alert.NewEndpoint {
		g.normal(ev)
		return
	}
	g.attackTxn(ev)
}

// normal sends a request of the normal traffic, as changed by the attacks
// active on its endpoint.
func (g *gen) normal(ev *event) {
	r := g.r
	e := ev.ep
	x := txn{svc: e.svc, ep: e, cl: g.pickClient(e.svc, ev.t), latMul: 1, sizeMul: 1}
	counted := ev.a != nil
	x.status = g.status(e)
	if e.login {
		x.login, x.user = true, x.cl.user
		x.badPass = x.status == 401
	}
	for _, a := range e.mods {
		if !a.active(ev.t) {
			continue
		}
		counted = true
		switch a.typ {
		case alert.ErrorSurge:
			if r.Float64() < a.factor {
				x.status = []int{500, 500, 502, 503, 504}[r.IntN(5)]
			}
		case alert.AuthFailureSurge:
			if r.Float64() < a.factor {
				x.status = 401
				if r.IntN(4) == 0 {
					x.status = 403
				}
			}
		case alert.LatencyShift:
			x.latMul = a.factor
		case alert.NewSensitiveData:
			x.class = a.class
		}
	}
	g.do(ev.t, &x)
	if counted {
		g.attackTxns++
	}
}

// pickClient chooses the client of a normal request: often one whose
// connection is open and idle, which keeps connections alive for several
// requests, else one of the population by weight.
func (g *gen) pickClient(s *service, t int64) *client {
	r := g.r
	if n := len(s.idle); n > 0 && r.IntN(10) < 7 {
		if c := s.idle[r.IntN(n)]; c.busy < t {
			return c.cl
		}
	}
	return s.pick(r, t)
}

// status draws the status of a normal request to e.
func (g *gen) status(e *endpoint) int {
	u := g.r.Float64()
	if e.login {
		if u < 0.03 {
			return 401
		}
		return e.okStatus
	}
	if u -= e.p5xx; u < 0 {
		return []int{500, 500, 500, 502, 503}[g.r.IntN(5)]
	}
	if u -= e.p404; u < 0 {
		return 404
	}
	if u -= e.p400; u < 0 {
		return 400
	}
	if u -= e.p401; u < 0 {
		if g.r.IntN(4) == 0 {
			return 403
		}
		return 401
	}
	return e.okStatus
}

// attackTxn sends request k of an attack.
func (g *gen) attackTxn(ev *event) {
	r := g.r
	a := ev.a
	s := a.svc
	x := txn{svc: s, ep: a.ep, cl: a.cl, latMul: 1, sizeMul: 1}
	if x.ep != nil {
		x.status = x.ep.okStatus
	}
	switch a.typ {
	case alert.ResponseSizeJump:
		x.sizeMul = a.factor
	case alert.NewClientsSurge:
		x.cl = a.group[a.who[ev.k]]
		x.ep = pickByRate(r, endpoints(s, busy), false)
		x.status = g.status(x.ep)
	case alert.Unauthenticated:
		x.noAuth = true
	case alert.Enumeration:
		x.id = a.idBase + ev.k
		if r.IntN(100) < 15 {
			x.status = 404
		}
	case alert.BruteForce:
		x.login, x.user, x.badPass, x.status = true, a.idBase, true, 401
		if ev.k == len(a.times)-1 && a.idBase%2 == 0 {
			x.badPass, x.status = false, x.ep.okStatus // the last guess was right
		}
	case alert.CredentialStuffing:
		x.cl = a.group[a.who[ev.k]]
		x.login, x.user, x.badPass, x.status = true, 200_000+r.IntN(1_000_000), true, 401
		if r.IntN(100) < 5 {
			x.user, x.badPass, x.status = 1+r.IntN(s.pop), false, x.ep.okStatus
		}
	case alert.Scanning:
		x.path = a.paths[ev.k]
		x.status = 404
		switch u := r.IntN(100); {
		case u < 5:
			x.status = 403
		case u < 8:
			x.status = 401
		case u < 10:
			x.status = 400
		}
	case alert.Injection:
		p := &payloads[(a.idBase+ev.k)%len(payloads)]
		locs := injectLocations(a.ep)
		x.inject, x.where = p, locs[ev.k%len(locs)]
		switch u := r.IntN(100); {
		case u < 45:
			x.status = 400
		case u < 55:
			x.status = 500
		case u < 65:
			x.status = 403
		}
		if a.ep.login {
			x.login, x.user, x.badPass = true, 1+r.IntN(s.pop), x.status != x.ep.okStatus
		}
	}
	g.do(ev.t, &x)
	g.attackTxns++
}

// do sends x at t on a connection of its client and counts it.
func (g *gen) do(t int64, x *txn) {
	r := g.r
	cn, at := g.conn(x.cl, x.svc, t)
	g.req = g.request(g.req[:0], x)
	lat := 1_000 + r.Int64N(2_000) // a 404 of the router
	if x.ep != nil {
		lat = int64(min(logNormal(r, x.ep.latMed, 0.5)*x.latMul, 30e6))
		if x.status == 401 || x.status == 403 {
			lat = lat/4 + 500 // rejected before the work
		}
	}
	g.resp = g.response(g.resp[:0], x, at+lat)
	end := cn.sc.Exchange(timeOf(at), g.req, time.Duration(lat)*time.Microsecond, g.resp)
	g.release(cn, end.UnixMicro())
	g.transactions++
	if !x.cl.seen {
		x.cl.seen = true
		g.clients++
	}
}

// conn returns a connection of cl to s for a request at t and when the
// request can go: the open connection if it is idle, a new one otherwise
// (kept alive unless the open one was busy).
func (g *gen) conn(cl *client, s *service, t int64) (*conn, int64) {
	if c := cl.conn; c != nil {
		if c.busy < t {
			c.gen++
			return c, t
		}
		tmp := g.dial(cl, s, t)
		tmp.temp = true
		return tmp, tmp.ready
	}
	c := g.dial(cl, s, t)
	cl.conn = c
	if !cl.extra {
		c.slot = len(s.idle)
		s.idle = append(s.idle, c)
	}
	return c, c.ready
}

func (g *gen) dial(cl *client, s *service, t int64) *conn {
	port := cl.port
	if cl.port++; cl.port < 32768 {
		cl.port = 32768
	}
	sc := g.cap.Dial(timeOf(t), netip.AddrPortFrom(cl.addr, port), s.addr, time.Duration(cl.rtt)*time.Microsecond)
	return &conn{sc: sc, cl: cl, svc: s, slot: -1, ready: sc.Ready().UnixMicro()}
}

// release marks c idle from end: a kept-alive connection closes after its
// client's idle time unless used again, another right away.
func (g *gen) release(c *conn, end int64) {
	c.busy = end
	if c.temp {
		c.closed = true
		c.sc.Close(timeOf(end+200+g.r.Int64N(2_000)), false)
		return
	}
	g.pushExpiry(expiry{t: end + c.cl.idle, c: c, gen: c.gen})
}

// expire closes the kept-alive connections idle since before t.
func (g *gen) expire(t int64) {
	for len(g.exp) > 0 && g.exp[0].t <= t {
		x := g.popExpiry()
		c := x.c
		if x.gen != c.gen || c.closed {
			continue
		}
		c.closed = true
		// Servers close connections idle for a minute; clients close
		// theirs sooner.
		c.sc.Close(timeOf(x.t), c.cl.idle > 60e6)
		if c.cl.conn == c {
			c.cl.conn = nil
		}
		if i := c.slot; i >= 0 {
			idle := c.svc.idle
			last := idle[len(idle)-1]
			idle[i], last.slot = last, i
			c.svc.idle = idle[:len(idle)-1]
			c.slot = -1
		}
	}
}

func (a *expiry) less(b *expiry) bool { return a.t < b.t || a.t == b.t && a.n < b.n }

func (g *gen) pushExpiry(x expiry) {
	x.n = g.expN
	g.expN++
	g.exp = append(g.exp, x)
	q := g.exp
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q[i].less(&q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (g *gen) popExpiry() expiry {
	q := g.exp
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if rr := l + 1; rr < n && q[rr].less(&q[l]) {
			m = rr
		}
		if !q[m].less(&q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	g.exp = q
	return top
}

// request appends the request of x.
func (g *gen) request(b []byte, x *txn) []byte {
	r := g.r
	e, s, cl := x.ep, x.svc, x.cl
	method := "GET"
	if e != nil {
		method = e.method
	}
	b = append(b, method...)
	b = append(b, ' ')
	sendAuth := false
	if x.path != "" {
		b = append(b, x.path...)
	} else {
		injected := false
		for _, t := range e.toks {
			if !t.isVar {
				b = append(b, t.lit...)
				continue
			}
			if x.inject != nil && x.where == "path" && !injected {
				b = append(b, url.PathEscape(x.inject.s)...)
				injected = true
				continue
			}
			b = g.appendParam(b, s, t.param, x)
		}
		sep := byte('?')
		for _, q := range e.query {
			if !q.required && !(e.login && (q.kind == pUser || q.kind == pPassword)) && r.IntN(10) >= 3 {
				continue
			}
			b = append(b, sep)
			sep = '&'
			b = append(b, url.QueryEscape(q.name)...)
			b = append(b, '=')
			if x.inject != nil && x.where == "query" {
				b = append(b, url.QueryEscape(x.inject.s)...)
				x.where = ""
				continue
			}
			b = g.appendParam(b, s, q.kind, x)
		}
		if x.inject != nil && x.where == "query" {
			b = append(b, sep)
			sep = '&'
			b = append(b, "q="...)
			b = append(b, url.QueryEscape(x.inject.s)...)
		}
		sendAuth = !x.noAuth && !e.login && !cl.noAuth && (e.needsAuth || cl.alwaysAuth)
		if sendAuth && e.auth == authQuery {
			b = append(b, sep)
			b = append(b, url.QueryEscape(e.authName)...)
			b = append(b, '=')
			b = append(b, cl.apiKey...)
		}
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, s.host...)
	b = append(b, "\r\nUser-Agent: "...)
	b = append(b, cl.ua...)
	b = append(b, "\r\nAccept: application/json\r\n"...)
	if sendAuth {
		switch e.auth {
		case authHeader:
			b = append(b, e.authName...)
			b = append(b, ": "...)
			b = append(b, cl.apiKey...)
			b = append(b, "\r\n"...)
		case authBasic:
			b = append(b, "Authorization: Basic "...)
			var up [80]byte
			cred := append(append(appendUsername(up[:0], cl.user), ':'), cl.apiKey[:12]...)
			b = base64.StdEncoding.AppendEncode(b, cred)
			b = append(b, "\r\n"...)
		case authCookie:
			b = append(b, "Cookie: "...)
			b = append(b, e.authName...)
			b = append(b, '=')
			b = append(b, cl.apiKey...)
			b = append(b, "\r\n"...)
		case authQuery:
		default:
			b = append(b, "Authorization: Bearer "...)
			b = append(b, cl.token...)
			b = append(b, "\r\n"...)
		}
	}
	g.body = g.body[:0]
	if e != nil && (method == "POST" || method == "PUT" || method == "PATCH") {
		inject := ""
		if x.inject != nil && x.where == "body" {
			inject = x.inject.s
		}
		if e.req != nil {
			c := bodyCtx{r: r, svc: s, creds: x.login, user: x.user, badPass: x.badPass, inject: inject}
			g.body = c.appendShape(g.body, e.req, true)
			inject = c.inject
		}
		if inject != "" {
			if len(g.body) > 1 && g.body[0] == '{' {
				rest := append([]byte(nil), g.body[1:]...)
				g.body = appendJSONString(append(g.body[:1], `"q":`...), inject)
				if rest[0] != '}' {
					g.body = append(g.body, ',')
				}
				g.body = append(g.body, rest...)
			} else if len(g.body) == 0 {
				g.body = appendJSONString(append(g.body, `{"q":`...), inject)
				g.body = append(g.body, '}')
			}
		}
	}
	if len(g.body) > 0 {
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(g.body)), 10)
		b = append(b, "\r\n\r\n"...)
		return append(b, g.body...)
	}
	if method == "POST" || method == "PUT" || method == "PATCH" {
		b = append(b, "Content-Length: 0\r\n"...)
	}
	return append(b, "\r\n"...)
}

// appendParam appends the value of a path or query parameter.
func (g *gen) appendParam(b []byte, s *service, k paramKind, x *txn) []byte {
	r := g.r
	id := 1 + r.IntN(s.pop)
	if x.gotID == 0 && (k == pInt || k == pUUID || k == pUser || k == pSKU) {
		if x.id > 0 {
			id = x.id
		}
		x.gotID = id
	}
	switch k {
	case pInt:
		return strconv.AppendInt(b, int64(id), 10)
	case pUUID:
		return appendUUID(b, s.seed, id)
	case pUser:
		if x.login {
			return appendUsername(b, x.user)
		}
		return appendUsername(b, id)
	case pPassword:
		return appendPassword(b, r, x.user, x.badPass)
	case pSKU:
		b = append(b, "SKU-"...)
		return strconv.AppendInt(b, int64(10_000+id), 10)
	case pSlug:
		b = append(b, synth.Word(r)...)
		b = append(b, '-')
		return append(b, synth.Word(r)...)
	case pLimit:
		return strconv.AppendInt(b, int64([]int{10, 20, 20, 50, 100}[r.IntN(5)]), 10)
	case pOffset:
		return strconv.AppendInt(b, int64(20*r.IntN(10)), 10)
	case pPage:
		return strconv.AppendInt(b, int64(1+r.IntN(10)), 10)
	case pStatus:
		return append(b, statusWords[r.IntN(3)]...)
	case pSearch:
		return append(b, synth.Word(r)...)
	}
	return append(b, synth.Word(r)...)
}

// appendPassword appends user's password, or a wrong guess.
func appendPassword(b []byte, r *rand.Rand, user int, bad bool) []byte {
	if bad {
		return append(b, commonPasswords[r.IntN(len(commonPasswords))]...)
	}
	h := splitmix(uint64(user) ^ 0x5bd1e995)
	b = append(b, "Pw-"...)
	for range 12 {
		b = append(b, alnum[h%uint64(len(alnum))])
		h /= uint64(len(alnum))
		if h == 0 {
			h = splitmix(uint64(user))
		}
	}
	return b
}

var statusText = map[int]string{
	200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
	400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
	500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}

var errMessages = map[int]string{
	400: "invalid request", 401: "invalid or missing credentials", 403: "access denied",
	404: "not found", 500: "internal server error",
}

// response appends the response of x, sent at t (µs).
func (g *gen) response(b []byte, x *txn, t int64) []byte {
	r := g.r
	s, e := x.svc, x.ep
	st := x.status
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(st), 10)
	b = append(b, ' ')
	if txt, ok := statusText[st]; ok {
		b = append(b, txt...)
	} else {
		b = append(b, "Status"...)
	}
	b = append(b, "\r\nDate: "...)
	b = append(b, g.httpDate(t)...)
	b = append(b, "\r\nServer: "...)
	b = append(b, s.server...)
	b = append(b, "\r\n"...)

	body := g.body[:0]
	ctype := "application/json"
	switch {
	case st == 204:
	case st == 502 || st == 503 || st == 504:
		ctype = "text/html"
		body = append(body, "<html>\r\n<head><title>"...)
		body = strconv.AppendInt(body, int64(st), 10)
		body = append(body, ' ')
		body = append(body, statusText[st]...)
		body = append(body, "</title></head>\r\n<body>\r\n<center><h1>"...)
		body = strconv.AppendInt(body, int64(st), 10)
		body = append(body, ' ')
		body = append(body, statusText[st]...)
		body = append(body, "</h1></center>\r\n</body>\r\n</html>\r\n"...)
	case st >= 300 || e == nil:
		if sh := e.errShape(st); sh != nil {
			c := bodyCtx{r: r, svc: s}
			body = c.appendShape(body, sh, true)
		} else {
			body = append(body, `{"code":`...)
			body = strconv.AppendInt(body, int64(st), 10)
			body = append(body, `,"message":"`...)
			if m, ok := errMessages[st]; ok {
				body = append(body, m...)
			} else {
				body = append(body, "error"...)
			}
			body = append(body, `"}`...)
		}
	case e.resp != nil:
		c := bodyCtx{r: r, svc: s, id: x.gotID, main: e.main, start: len(body)}
		if e.main != nil {
			c.target = int(logNormal(r, e.meanSize, 0.3) * x.sizeMul)
		}
		body = c.appendShape(body, e.resp, true)
		if x.class != "" {
			body = g.addSensitive(body, x.class)
		}
	}
	g.body = body
	if len(body) > 0 {
		b = append(b, "Content-Type: "...)
		b = append(b, ctype...)
		b = append(b, "\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n\r\n"...)
		return append(b, body...)
	}
	if st != 204 {
		b = append(b, "Content-Length: 0\r\n"...)
	}
	return append(b, "\r\n"...)
}

// errShape returns the documented body of an error status, nil if none.
func (e *endpoint) errShape(st int) *shape {
	if e == nil {
		return nil
	}
	return e.errShapes[st]
}

// addSensitive puts a field of the class into the first object of body.
func (g *gen) addSensitive(body []byte, class string) []byte {
	i := 0
	for i < len(body) && body[i] == '[' {
		i++
	}
	if i >= len(body) || body[i] != '{' {
		return body
	}
	i++
	var f [64]byte
	field := f[:0]
	if class == "card" {
		field = append(field, `"card_number":"`...)
		field = appendCard(field, g.r)
	} else {
		field = append(field, `"ssn":"`...)
		field = appendSSN(field, g.r)
	}
	field = append(field, '"')
	if body[i] != '}' {
		field = append(field, ',')
	}
	return slices.Insert(body, i, field...)
}

const httpTimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// httpDate formats t (µs), caching the last second.
func (g *gen) httpDate(t int64) []byte {
	if sec := t / 1e6; sec != g.dateSec || g.date == nil {
		g.dateSec = sec
		g.date = time.Unix(sec, 0).UTC().AppendFormat(g.date[:0], httpTimeFormat)
	}
	return g.date
}

func (g *gen) summary() Summary {
	st := g.cap.Stats()
	sum := Summary{
		Start:              st.First,
		End:                st.Last,
		Clients:            g.clients,
		Transactions:       g.transactions,
		AttackTransactions: g.attackTxns,
		Connections:        st.Connections,
		Packets:            st.Packets,
		Bytes:              st.FileSize(),
		Attacks:            map[string]int{},
	}
	for _, s := range g.svcs {
		initial := 0
		for _, e := range s.eps {
			if e.from == 0 {
				initial++
			}
			sum.Endpoints++
			sum.EndpointDays += float64(g.end-max(g.start, e.from)) / float64(day)
		}
		sum.Services = append(sum.Services, Service{
			Host:      s.host,
			Addr:      s.addr,
			SpecFile:  s.specFile,
			BasePath:  s.base,
			Login:     routeOf(s.login),
			Endpoints: initial,
			Clients:   s.population(g.end),
			Spec:      s.spec,
		})
	}
	for _, l := range g.labels {
		sum.Attacks[l.Type]++
	}
	return sum
}
