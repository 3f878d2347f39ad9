package scenario

import (
	_ "embed"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apitap/apitap/analyzer/spec"
	"github.com/apitap/apitap/sensor/synth"
)

//go:embed builtin.yaml
var builtinYAML []byte

const builtinName = "builtin"

// service is one API server with its endpoints and client population.
type service struct {
	idx      int
	host     string
	name     string // host without ".example"
	seed     uint64 // for UUIDs of its objects
	addr     netip.AddrPort
	spec     *spec.Spec
	index    *spec.Index
	specFile string
	base     string
	server   string // Server header
	uas      []string

	eps   []*endpoint // normal endpoints, new ones appended when planted
	login *endpoint
	pop   int // objects of each kind: ids 1..pop

	clients []*client // by join time
	cum     []float64 // cumulative client weights
	joins   []int64   // join times, for the population at a time
	idle    []*conn   // open keep-alive connections
	phase   int64     // seconds the daily rhythm is shifted by
	mult    float64   // rhythm multiplier of the current minute
}

type authKind uint8

const (
	authNone authKind = iota
	authBearer
	authHeader
	authQuery
	authBasic
	authCookie
)

// paramKind is what a path or query parameter holds.
type paramKind uint8

const (
	pWord paramKind = iota
	pInt
	pUUID
	pUser
	pPassword
	pSKU
	pSlug
	pLimit
	pOffset
	pPage
	pStatus
	pSearch
)

type token struct {
	lit   string
	param paramKind
	name  string
	isVar bool
}

type qparam struct {
	name     string
	kind     paramKind
	required bool
}

// endpoint is one operation in use.
type endpoint struct {
	svc        *service
	method     string
	route      string // base path + template
	toks       []token
	query      []qparam
	auth       authKind
	authName   string
	needsAuth  bool // always called with credentials
	login      bool
	hasIDs     bool // a path parameter names an object
	rate       float64
	okStatus   int
	resp       *shape
	req        *shape
	errShapes  map[int]*shape
	main       *shape  // array the response grows by
	meanSize   float64 // target response size, with main
	latMed     float64 // µs
	p404       float64
	p400       float64
	p5xx       float64
	p401       float64
	from       int64   // µs: used from then on (new endpoints), 0 from the start
	newBy      *attack // the new_endpoint attack that added it
	mods       []*attack
	documented bool
}

// client is one source of requests.
type client struct {
	addr       netip.Addr
	ua         string
	user       int // user number: name, email and password derive from it
	token      []byte
	apiKey     []byte
	weight     float64
	join       int64
	rtt        int64 // µs
	idle       int64 // µs a kept-alive connection stays open
	port       uint16
	conn       *conn
	alwaysAuth bool // sends credentials to public endpoints too
	noAuth     bool // never sends credentials
	extra      bool // not of the population: an attacker or one of a surge
	seen       bool
}

var appAgents = []string{
	"okhttp/4.12.0",
	"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240305.019)",
	"%s/5.14.2 (iPhone; iOS 17.3.1; Scale/3.00)",
	"%s/5.14.2 CFNetwork/1494.0.7 Darwin/23.4.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
	"python-requests/2.31.0",
	"Go-http-client/1.1",
	"axios/1.6.7",
	"Java-http-client/17.0.9",
}

var serverNames = []string{"nginx/1.25.3", "envoy", "gunicorn", "Kestrel", "Jetty(11.0.20)", "openresty"}

// loadServices builds the services of cfg with the model generator r.
func loadServices(cfg *Config, r *rand.Rand) ([]*service, error) {
	type loaded struct {
		s    *spec.Spec
		file string
		name string
	}
	var specs []loaded
	if len(cfg.Specs) == 0 {
		s, err := spec.Parse(builtinName, builtinYAML)
		if err != nil {
			return nil, err
		}
		specs = append(specs, loaded{s, builtinName, "shop"})
	}
	for _, f := range cfg.Specs {
		s, err := spec.Load(f)
		if err != nil {
			return nil, err
		}
		specs = append(specs, loaded{s, f, hostLabel(f)})
	}
	names := map[string]int{}
	svcs := make([]*service, cfg.Services)
	for i := range svcs {
		l := specs[i%len(specs)]
		name := l.name
		if names[name]++; names[name] > 1 {
			name += "-" + strconv.Itoa(names[name])
		}
		sp := *l.s // shallow: SetHost replaces Servers, Ops are shared and read-only
		host := name + ".example"
		base := ""
		if len(sp.Servers) > 0 {
			base = sp.Servers[0].BasePath
		}
		sp.SetHost(host)
		s := &service{
			idx:      i,
			host:     host,
			name:     name,
			seed:     r.Uint64(),
			addr:     netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i / 200), byte(10 + i%200)}), 80),
			spec:     &sp,
			specFile: l.file,
			base:     base,
			server:   serverNames[r.IntN(len(serverNames))],
			pop:      5000,
			phase:    int64(r.IntN(4*3600)) - 2*3600,
		}
		s.index = spec.NewIndex(s.spec)
		app := strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "-", "")
		for _, ua := range appAgents {
			if strings.Contains(ua, "%s") {
				ua = fmt.Sprintf(ua, app)
			}
			s.uas = append(s.uas, ua)
		}
		s.setupEndpoints(r)
		svcs[i] = s
	}
	return svcs, nil
}

// hostLabel names a service after its spec file: the directory name
// ("crapi" for openapi/crapi/crapi-openapi-spec.json), in letters, digits
// and dashes.
func hostLabel(file string) string {
	name := filepath.Base(filepath.Dir(file))
	if name == "." || name == "/" || name == "" {
		name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	if s := strings.Trim(b.String(), "-"); s != "" {
		return s
	}
	return "api"
}

// loginScore ranks an operation as the service's login endpoint; 0 is not
// one.
func loginScore(op *spec.Operation) float64 {
	p := strings.ToLower(op.Path)
	for _, no := range []string{"logout", "otp", "with-token", "signup", "register", "forget", "reset", "refresh"} {
		if strings.Contains(p, no) {
			return 0
		}
	}
	var s float64
	switch {
	case strings.Contains(p, "login"):
		s = 4
	case strings.Contains(p, "signin"), strings.Contains(p, "sign-in"):
		s = 3
	case strings.Contains(p, "token"):
		s = 2
	case strings.Contains(p, "auth"):
		s = 1
	default:
		return 0
	}
	switch op.Method {
	case "POST":
		s += 0.5
	case "GET":
	default:
		return 0
	}
	return s - float64(len(p))/1000
}

func (s *service) setupEndpoints(r *rand.Rand) {
	var cand []int
	login, best := -1, 0.0
	for i := range s.spec.Ops {
		op := &s.spec.Ops[i]
		switch op.Method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			continue
		}
		cand = append(cand, i)
		if sc := loginScore(op); sc > best {
			login, best = i, sc
		}
	}
	r.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	n := min(len(cand), 10+r.IntN(11))
	use := cand[:n]
	if login >= 0 && !slices.Contains(use, login) {
		use[n-1] = login
	}
	slices.Sort(use)
	for _, i := range use {
		op := &s.spec.Ops[i]
		e := s.newEndpoint(r, op.Method, s.base+op.Path, op)
		if i == login {
			e.login, e.needsAuth, e.auth = true, false, authNone
			if len(op.ResponseFields[strconv.Itoa(e.okStatus)]) == 0 {
				e.resp = nil // a token, below, rather than the default shape
			}
			s.login = e
		}
		s.eps = append(s.eps, e)
	}
	if s.login == nil {
		e := s.newEndpoint(r, "POST", s.base+"/auth/login", nil)
		e.login = true
		e.req = buildShape([]string{"password", "username"})
		e.resp = nil
		s.login = e
		s.eps = append(s.eps, e)
	}
	if s.login.resp == nil {
		s.login.resp = buildShape([]string{"expires_in", "token"})
	}
	s.login.okStatus = 200
	s.login.main = nil

	// Weekday rates: stratified log-uniform between 200 and 20 000 a day,
	// so the sum varies little between scenarios; the busiest GET gets
	// 20 000, the login a few thousand.
	m := len(s.eps)
	perm := r.Perm(m)
	hot, hotQ := -1, -1.0
	for i, e := range s.eps {
		q := (float64(perm[i]) + r.Float64()) / float64(m)
		e.rate = 200 * math.Pow(100, q)
		if e.method == "GET" && !e.login && q > hotQ {
			hot, hotQ = i, q
		}
	}
	if hot >= 0 {
		s.eps[hot].rate = 20_000
	}
	s.login.rate = synth.LogUniform(r, 500, 3000)
}

// newEndpoint makes an endpoint for op (nil: undocumented) at route.
func (s *service) newEndpoint(r *rand.Rand, method, route string, op *spec.Operation) *endpoint {
	e := &endpoint{svc: s, method: method, route: route, documented: op != nil, okStatus: 200}
	params := map[string]spec.Param{}
	if op != nil {
		for _, p := range op.Params {
			params[p.In+":"+p.Name] = p
			if p.In == "query" {
				e.query = append(e.query, qparam{p.Name, queryKind(p.Name, p.Type), p.Required})
			}
		}
		if len(op.Security) > 0 && !op.AuthOptional {
			e.needsAuth = true
			e.auth, e.authName = schemeOf(op.Security)
		}
		for _, st := range op.Statuses {
			if code, err := strconv.Atoi(st); err == nil && code >= 200 && code < 300 {
				e.okStatus = code
				break
			}
		}
		e.resp = buildShape(op.ResponseFields[strconv.Itoa(e.okStatus)])
		if method == "POST" || method == "PUT" || method == "PATCH" {
			e.req = buildShape(op.RequestFields)
		}
		for st, f := range op.ResponseFields {
			if code, err := strconv.Atoi(st); err == nil && code >= 400 {
				if e.errShapes == nil {
					e.errShapes = map[int]*shape{}
				}
				e.errShapes[code] = buildShape(f)
			}
		}
	}
	rest := route
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			e.toks = append(e.toks, token{lit: rest})
			break
		}
		if i > 0 {
			e.toks = append(e.toks, token{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			e.toks = append(e.toks, token{lit: rest[i:]})
			break
		}
		name := rest[i+1 : i+j]
		k := pathKind(name, params["path:"+name].Type)
		e.toks = append(e.toks, token{param: k, name: name, isVar: true})
		if k == pInt || k == pUUID || k == pUser {
			e.hasIDs = true
		}
		rest = rest[i+j+1:]
	}
	if e.okStatus == 204 {
		e.resp = nil
	} else if e.resp == nil && !e.login {
		e.resp = defaultShape(method, e.toks)
	}
	if e.main = e.resp.mainArray(); e.main != nil {
		if method == "GET" {
			e.meanSize = synth.LogUniform(r, 300, 2500)
		} else {
			e.meanSize = synth.LogUniform(r, 200, 1000)
		}
	}
	e.latMed = synth.LogUniform(r, 5_000, 200_000)
	f := synth.LogUniform(r, 0.5, 2)
	e.p5xx = 0.002 * f
	if e.hasIDs {
		e.p404 = 0.01 * f
	}
	if e.req != nil || len(e.query) > 0 {
		e.p400 = 0.005 * f
	}
	if e.needsAuth {
		e.p401 = 0.003 * f
	}
	return e
}

// defaultShape is the response of an operation whose spec gives none.
func defaultShape(method string, toks []token) *shape {
	switch {
	case method == "GET" && len(toks) > 0 && !toks[len(toks)-1].isVar:
		return buildShape([]string{"[].created_at", "[].id", "[].name", "[].status"})
	case method == "GET":
		return buildShape([]string{"created_at", "id", "name", "status", "updated_at"})
	case method == "POST":
		return buildShape([]string{"created_at", "id", "status"})
	}
	return buildShape([]string{"message", "status"})
}

func schemeOf(sec []string) (authKind, string) {
	for _, k := range sec {
		switch {
		case k == "bearer" || k == "oauth2" || k == "openIdConnect" || strings.HasPrefix(k, "http:"):
			return authBearer, ""
		case strings.HasPrefix(k, "apiKeyHeader:"):
			return authHeader, strings.TrimPrefix(k, "apiKeyHeader:")
		case strings.HasPrefix(k, "apiKeyQuery:"):
			return authQuery, strings.TrimPrefix(k, "apiKeyQuery:")
		case k == "basic":
			return authBasic, ""
		case strings.HasPrefix(k, "cookie:"):
			return authCookie, strings.TrimPrefix(k, "cookie:")
		}
	}
	return authBearer, ""
}

func pathKind(name, typ string) paramKind {
	n := strings.ToLower(name)
	switch {
	case typ == "integer" || typ == "number":
		return pInt
	case strings.Contains(n, "uuid") || strings.Contains(n, "guid"):
		return pUUID
	case strings.Contains(n, "sku"):
		return pSKU
	case strings.Contains(n, "title") || strings.Contains(n, "slug"):
		return pSlug
	case strings.Contains(n, "user") || strings.Contains(n, "name"):
		return pUser
	case strings.HasSuffix(n, "id"):
		return pUUID
	}
	return pWord
}

func queryKind(name, typ string) paramKind {
	n := strings.ToLower(name)
	switch {
	case n == "limit" || n == "size" || n == "per_page" || n == "pagesize":
		return pLimit
	case n == "offset" || n == "skip":
		return pOffset
	case n == "page":
		return pPage
	case strings.Contains(n, "status"):
		return pStatus
	case n == "q" || strings.Contains(n, "search") || strings.Contains(n, "query"):
		return pSearch
	case strings.Contains(n, "password"):
		return pPassword
	case strings.Contains(n, "user") || strings.Contains(n, "email"):
		return pUser
	case typ == "integer" || typ == "number" || strings.HasSuffix(n, "id"):
		return pInt
	}
	return pWord
}

// setupClients makes the service's client population: n clients from the
// start, and about 3 % of n more each day of the scenario.
func (s *service) setupClients(r *rand.Rand, n int, start int64, days int) {
	joinEvery := int64(86400e6 / max(0.03*float64(n), 0.1))
	total := min(n+int(int64(days)*86400e6/joinEvery), 250*256)
	for k := range total {
		join := start
		if k >= n {
			join = start + int64(k-n+1)*joinEvery - r.Int64N(joinEvery)
		}
		c := s.newClient(r, netip.AddrFrom4([4]byte{10, byte(16 + s.idx), byte(k / 250), byte(k%250 + 1)}), k+1)
		c.join = join
		c.weight = math.Exp(1.2 * r.NormFloat64())
		s.clients = append(s.clients, c)
		s.joins = append(s.joins, join)
		prev := 0.0
		if k > 0 {
			prev = s.cum[k-1]
		}
		s.cum = append(s.cum, prev+c.weight)
	}
}

func (s *service) newClient(r *rand.Rand, addr netip.Addr, user int) *client {
	c := &client{
		addr:       addr,
		ua:         s.uas[r.IntN(len(s.uas))],
		user:       user,
		rtt:        int64(synth.LogUniform(r, 1_000, 80_000)),
		idle:       int64(synth.LogUniform(r, 5e6, 75e6)),
		port:       uint16(32768 + r.IntN(28000)),
		alwaysAuth: r.IntN(2) == 0,
	}
	c.token = appendJWT(nil, r, user, s.host)
	c.apiKey = synth.AppendHex(nil, r, 32)
	return c
}

// extraClient makes a client outside the population: an attacker
// (external) or one of a surge (many, never seen before).
func (g *gen) extraClient(s *service, many bool) *client {
	g.extra++
	n := g.extra
	var a [4]byte
	if many {
		// 100.64.0.0/10, as from carrier-grade NAT or residential proxies.
		a = [4]byte{100, byte(64 + n/(250*250)%64), byte(n / 250 % 250), byte(n%250 + 1)}
	} else {
		// 198.18.0.0/15.
		a = [4]byte{198, byte(18 + n/(250*250)%2), byte(n / 250 % 250), byte(n%250 + 1)}
	}
	c := s.newClient(g.pr, netip.AddrFrom4(a), 100_000+n)
	c.extra = true
	return c
}

// population returns how many clients have joined by t.
func (s *service) population(t int64) int {
	n, _ := slices.BinarySearch(s.joins, t+1)
	return max(n, 1)
}

// pick chooses a client that has joined by t, by weight.
func (s *service) pick(r *rand.Rand, t int64) *client {
	n := s.population(t)
	u := r.Float64() * s.cum[n-1]
	i, _ := slices.BinarySearch(s.cum[:n], u)
	return s.clients[min(i, n-1)]
}

// logNormal returns median * e^(sigma*N(0,1)).
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// poisson draws a Poisson variate of mean lambda.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 60 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
