package scenario

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/sensor/synth"
)

// attack is one planted attack: a window, a target and either requests of
// its own (times) or a change to the normal traffic of its endpoint (mods).
type attack struct {
	typ        alert.Type
	svc        *service
	ep         *endpoint // target; nil when the attack spans the service
	start, end int64     // µs
	cl         *client   // the one client
	group      []*client // many clients
	factor     float64
	class      string  // new_sensitive_data: "card" or "us_ssn"
	times      []int64 // requests it sends, sorted
	who        []int32 // for each of times, the client in group
	next       int     // index in times of the next request to queue
	paths      []string
	idBase     int
	label      Label
}

func (a *attack) active(t int64) bool { return t >= a.start && t < a.end }

const (
	minute = int64(60e6)
	hour   = 60 * minute
	day    = 24 * hour
	slot   = 3 * hour // attacks on one service and day never share a slot
)

// statistical reports whether a type is judged against the endpoint's
// volume: those go where traffic is, in the daytime slots.
func statistical(t alert.Type) bool {
	switch t {
	case alert.RateSpike, alert.RateDrop, alert.ErrorSurge, alert.AuthFailureSurge, alert.LatencyShift, alert.NewSensitiveData:
		return true
	}
	return false
}

// plan places the attacks of cfg.Attacks: on every day after the learning
// days, one of each type, on the services in turn (the next one that can
// take it when a service has no fitting endpoint or free slot).
func (g *gen) plan() {
	var types []alert.Type
	for _, t := range alert.Types {
		if slices.Contains(g.cfg.Attacks, string(t)) {
			types = append(types, t)
		}
	}
	n := len(g.svcs)
	used := make([]uint8, n*g.cfg.Days) // slot bits per service and day
	for d := LearningDays; d < g.cfg.Days; d++ {
		for k, typ := range types {
			for try := range n {
				s := g.svcs[(k+d+try)%n]
				if !g.eligible(typ, s) {
					continue
				}
				lo := 0
				if statistical(typ) {
					lo = 2 // from 06:00
				}
				var free []int
				for sl := lo; sl < int(day/slot); sl++ {
					if used[s.idx*g.cfg.Days+d]&(1<<sl) == 0 {
						free = append(free, sl)
					}
				}
				if len(free) == 0 {
					continue
				}
				sl := free[g.pr.IntN(len(free))]
				used[s.idx*g.cfg.Days+d] |= 1 << sl
				g.plant(typ, s, g.start+int64(d)*day+int64(sl)*slot)
				break
			}
		}
	}
	slices.SortStableFunc(g.labels, func(a, b Label) int { return a.Start.Compare(b.Start) })
}

// endpoints returns the service's endpoints in use from the start that
// satisfy ok.
func endpoints(s *service, ok func(*endpoint) bool) []*endpoint {
	var out []*endpoint
	for _, e := range s.eps {
		if e.from == 0 && ok(e) {
			out = append(out, e)
		}
	}
	return out
}

// minAffected is the requests an endpoint must be expected to get during
// a surge (of errors, of 401s, of latency) for the surge to be planted
// there: at a few requests an hour, a "50 % error surge" is two errors,
// which no analyst would want an alert for and no test can tell from
// chance.
const minAffected = 30

// minDaily is the requests a day an endpoint needs (at the scenario's
// scale) to carry a surge or a drop: about 40 an hour on average, so that
// minAffected fall within the hour even early in the day. A service whose
// routes are all quieter gets these attacks on another service instead.
const minDaily = 1000

// loud reports whether e is busy enough for a surge or a drop. In a
// scenario scaled so small that no endpoint is (the tests of the
// generator itself), any busy endpoint will do.
func (g *gen) loud(e *endpoint) bool {
	if !busy(e) {
		return false
	}
	if g.anyLoud == 0 {
		g.anyLoud = -1
		for _, s := range g.svcs {
			for _, x := range s.eps {
				if busy(x) && x.rate*g.cfg.Scale >= minDaily {
					g.anyLoud = 1
				}
			}
		}
	}
	return g.anyLoud < 0 || e.rate*g.cfg.Scale >= minDaily
}

// visible keeps the endpoints expected to get minAffected requests during
// a, or, when none does, the one expected to get the most.
func (g *gen) visible(eps []*endpoint, a *attack) []*endpoint {
	var out []*endpoint
	var best *endpoint
	bestN := -1.0
	for _, e := range eps {
		n := g.expected(e, a.start, a.end)
		if n >= minAffected {
			out = append(out, e)
		}
		if n > bestN {
			best, bestN = e, n
		}
	}
	if len(out) == 0 && best != nil {
		out = append(out, best)
	}
	return out
}

// stretch lengthens a surge on an endpoint too quiet for minAffected
// requests in its time (a service with one busy route), 10 minutes at a
// time up to limit, the end of its slot.
func (g *gen) stretch(a *attack, limit int64) {
	for g.expected(a.ep, a.start, a.end) < minAffected && a.end+10*minute <= limit {
		a.end += 10 * minute
	}
}

func busy(e *endpoint) bool { return !e.login && e.from == 0 }

func getWithBody(e *endpoint) bool { return busy(e) && e.method == "GET" && e.resp != nil }

// eligible reports whether s has what an attack of type t needs.
func (g *gen) eligible(t alert.Type, s *service) bool {
	switch t {
	case alert.AuthFailureSurge:
		return len(endpoints(s, func(e *endpoint) bool { return g.loud(e) && e.needsAuth })) > 0
	case alert.ErrorSurge, alert.LatencyShift, alert.RateDrop:
		return len(endpoints(s, g.loud)) > 0
	case alert.Unauthenticated:
		return len(endpoints(s, func(e *endpoint) bool { return busy(e) && e.needsAuth && e.okStatus != 204 })) > 0
	case alert.ResponseSizeJump:
		return len(endpoints(s, func(e *endpoint) bool { return getWithBody(e) && e.main != nil })) > 0
	case alert.NewSensitiveData:
		return len(endpoints(s, getWithBody)) > 0
	case alert.Enumeration:
		return len(endpoints(s, func(e *endpoint) bool { return getWithBody(e) && e.hasIDs })) > 0
	case alert.NewEndpoint:
		return g.newPath(s) != ""
	}
	return len(endpoints(s, busy)) > 0
}

// newPath returns an undocumented path not yet used on s, "" if none is
// left.
func (g *gen) newPath(s *service) string {
	for _, p := range newEndpointPaths {
		p = s.base + p
		if _, ok := s.index.Match(s.host, "GET", p); ok {
			continue
		}
		if !slices.ContainsFunc(s.eps, func(e *endpoint) bool { return e.route == p }) {
			return p
		}
	}
	return ""
}

// pickByRate chooses one of eps with probability proportional to its rate,
// from the busier half when top is set.
func pickByRate(r *rand.Rand, eps []*endpoint, top bool) *endpoint {
	if top && len(eps) > 1 {
		eps = slices.Clone(eps)
		slices.SortStableFunc(eps, func(a, b *endpoint) int {
			switch {
			case a.rate > b.rate:
				return -1
			case a.rate < b.rate:
				return 1
			}
			return 0
		})
		eps = eps[:(len(eps)+1)/2]
	}
	total := 0.0
	for _, e := range eps {
		total += e.rate
	}
	u := r.Float64() * total
	for _, e := range eps {
		if u -= e.rate; u < 0 {
			return e
		}
	}
	return eps[len(eps)-1]
}

// expected returns the number of requests e gets in [from, to) on average.
func (g *gen) expected(e *endpoint, from, to int64) float64 {
	n := 0.0
	for t := from; t < to; t += minute {
		n += e.rate * g.cfg.Scale / 1440 * rhythm(t+e.svc.phase*1e6) * float64(min(minute, to-t)) / float64(minute)
	}
	return n
}

// uniformTimes returns n sorted times uniform in [from, to).
func uniformTimes(r *rand.Rand, n int, from, to int64) []int64 {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = from + r.Int64N(to-from)
	}
	slices.Sort(ts)
	return ts
}

// steadyTimes returns n times from from to about to, at even gaps jittered
// by up to half a gap: one client working through a list.
func steadyTimes(r *rand.Rand, n int, from, to int64) []int64 {
	ts := make([]int64, n)
	gap := (to - from) / int64(n)
	for i := range ts {
		ts[i] = from + int64(i)*gap + r.Int64N(gap/2+1)
	}
	return ts
}

func durMinutes(r *rand.Rand, lo, hi int) int64 { return int64(lo+r.IntN(hi-lo+1)) * minute }

func routeOf(e *endpoint) string { return e.method + " " + e.route }

// plant makes an attack of type t on s in the slot starting at slotStart.
func (g *gen) plant(t alert.Type, s *service, slotStart int64) {
	r := g.pr
	var dur int64
	switch t {
	case alert.RateDrop, alert.LatencyShift:
		dur = hour
	case alert.NewClientsSurge:
		dur = 30 * minute
	case alert.BruteForce:
		dur = 10 * minute
	case alert.Enumeration:
		dur = durMinutes(r, 10, 20)
	case alert.Scanning, alert.Injection:
		dur = durMinutes(r, 10, 30)
	case alert.ErrorSurge, alert.AuthFailureSurge, alert.CredentialStuffing:
		dur = durMinutes(r, 20, 60)
	default:
		dur = durMinutes(r, 10, 60)
	}
	margin := 10 * minute
	start := slotStart + margin + r.Int64N(slot-dur-2*margin)
	start -= start % 1e6
	a := &attack{typ: t, svc: s, start: start, end: start + dur}
	a.label = Label{Type: string(t), Service: s.host}

	switch t {
	case alert.RateSpike:
		a.ep = pickByRate(r, endpoints(s, busy), false)
		a.factor = 10 + 20*r.Float64()
		base := g.expected(a.ep, a.start, a.end)
		n := max(poisson(r, (a.factor-1)*base), 20)
		a.times = uniformTimes(r, n, a.start, a.end)
		a.label.Detail = fmt.Sprintf("%.0fx the usual rate of %s for %d min: %d requests over about %.0f expected", a.factor, routeOf(a.ep), dur/minute, n, base)

	case alert.RateDrop:
		eps := endpoints(s, busy)
		a.ep = slices.MaxFunc(eps, func(x, y *endpoint) int {
			switch {
			case x.rate > y.rate:
				return 1
			case x.rate < y.rate:
				return -1
			}
			return 0
		})
		a.ep.mods = append(a.ep.mods, a)
		a.label.Detail = fmt.Sprintf("%s silent for %d min: about %.0f requests expected", routeOf(a.ep), dur/minute, g.expected(a.ep, a.start, a.end))

	case alert.ErrorSurge:
		a.ep = pickByRate(r, g.visible(endpoints(s, busy), a), true)
		g.stretch(a, slotStart+slot-margin)
		a.factor = 0.3 + 0.3*r.Float64()
		a.ep.mods = append(a.ep.mods, a)
		a.label.Detail = fmt.Sprintf("%.0f%% of %s answered 5xx for %d min", 100*a.factor, routeOf(a.ep), (a.end-a.start)/minute)

	case alert.AuthFailureSurge:
		a.ep = pickByRate(r, g.visible(endpoints(s, func(e *endpoint) bool { return busy(e) && e.needsAuth }), a), true)
		g.stretch(a, slotStart+slot-margin)
		a.factor = 0.3 + 0.4*r.Float64()
		a.ep.mods = append(a.ep.mods, a)
		a.label.Detail = fmt.Sprintf("%.0f%% of %s answered 401 or 403 for %d min", 100*a.factor, routeOf(a.ep), (a.end-a.start)/minute)

	case alert.LatencyShift:
		a.ep = pickByRate(r, g.visible(endpoints(s, busy), a), true)
		g.stretch(a, slotStart+slot-margin)
		a.factor = 5
		a.ep.mods = append(a.ep.mods, a)
		a.label.Detail = fmt.Sprintf("median latency of %s x5 (%.0f ms to %.0f ms) for %d min", routeOf(a.ep), a.ep.latMed/1e3, 5*a.ep.latMed/1e3, (a.end-a.start)/minute)

	case alert.ResponseSizeJump:
		a.ep = pickByRate(r, endpoints(s, func(e *endpoint) bool { return getWithBody(e) && e.main != nil }), false)
		a.cl = s.pick(r, a.start)
		a.factor = 20 + 80*r.Float64()
		n := 20 + r.IntN(61)
		a.times = steadyTimes(r, n, a.start, a.end)
		a.label.Client = a.cl.addr.String()
		a.label.Detail = fmt.Sprintf("one client pulled %d responses of %s about %.0fx the usual %.0f bytes", n, routeOf(a.ep), a.factor, a.ep.meanSize)

	case alert.NewClientsSurge:
		n := 200 + r.IntN(301)
		for range n {
			a.group = append(a.group, g.extraClient(s, true))
		}
		for i := range n {
			for range 1 + r.IntN(3) {
				a.times = append(a.times, a.start+r.Int64N(dur))
				a.who = append(a.who, int32(i))
			}
		}
		sortTimes(a)
		a.label.Detail = fmt.Sprintf("%d never-seen clients made %d requests in %d min", n, len(a.times), dur/minute)

	case alert.NewEndpoint:
		p := g.newPath(s)
		e := s.newEndpoint(r, "GET", p, nil)
		e.resp = buildShape([]string{"count", "records", "records[].created_at", "records[].email", "records[].id", "records[].name", "records[].status"})
		e.main = e.resp.mainArray()
		e.meanSize = synth.LogUniform(r, 1000, 8000)
		e.needsAuth, e.auth = true, authBearer
		e.p404, e.p400 = 0, 0
		e.from = a.start
		e.rate = max(2000, 600/g.cfg.Scale)
		e.newBy = a
		s.eps = append(s.eps, e)
		a.ep = e
		a.label.Detail = fmt.Sprintf("undocumented GET %s used from then on, about %.0f requests a day", p, e.rate*g.cfg.Scale)

	case alert.Unauthenticated:
		eps := endpoints(s, func(e *endpoint) bool { return busy(e) && e.needsAuth && e.okStatus != 204 })
		gets := slices.DeleteFunc(slices.Clone(eps), func(e *endpoint) bool { return e.method != "GET" })
		if len(gets) > 0 {
			eps = gets
		}
		a.ep = eps[r.IntN(len(eps))]
		a.cl = g.extraClient(s, false)
		a.cl.noAuth = true
		n := 20 + r.IntN(81)
		a.times = steadyTimes(r, n, a.start, a.end)
		a.label.Client = a.cl.addr.String()
		a.label.Detail = fmt.Sprintf("%d successful requests to %s without credentials", n, routeOf(a.ep))

	case alert.NewSensitiveData:
		a.ep = pickByRate(r, endpoints(s, getWithBody), true)
		a.class = "card"
		if g.sensitiveN%2 == 1 {
			a.class = "us_ssn"
		}
		g.sensitiveN++
		a.ep.mods = append(a.ep.mods, a)
		a.label.Detail = fmt.Sprintf("responses of %s carry %s numbers for %d min", routeOf(a.ep), a.class, dur/minute)

	case alert.Enumeration:
		a.ep = pickByRate(r, endpoints(s, func(e *endpoint) bool { return getWithBody(e) && e.hasIDs }), false)
		a.cl = s.pick(r, a.start)
		n := 200 + r.IntN(801)
		a.idBase = 1 + r.IntN(s.pop-n)
		a.times = steadyTimes(r, n, a.start, a.end)
		a.label.Client = a.cl.addr.String()
		a.label.Detail = fmt.Sprintf("one client fetched %d consecutive ids of %s in %d min", n, routeOf(a.ep), dur/minute)

	case alert.BruteForce:
		a.ep = s.login
		a.cl = g.extraClient(s, false)
		a.cl.ua = bruteAgents[r.IntN(len(bruteAgents))]
		a.idBase = 1 + r.IntN(s.pop)
		n := 100 + r.IntN(201)
		a.times = steadyTimes(r, n, a.start, a.end)
		a.label.Client = a.cl.addr.String()
		a.label.Detail = fmt.Sprintf("%d failed logins for one account from one client", n)

	case alert.CredentialStuffing:
		a.ep = s.login
		n := 50 + r.IntN(101)
		for i := range n {
			c := g.extraClient(s, true)
			c.ua = appAgents[4+r.IntN(3)]
			a.group = append(a.group, c)
			for range 1 + r.IntN(4) {
				a.times = append(a.times, a.start+r.Int64N(dur))
				a.who = append(a.who, int32(i))
			}
		}
		sortTimes(a)
		a.label.Detail = fmt.Sprintf("%d clients tried %d leaked credentials, mostly failing", n, len(a.times))

	case alert.Scanning:
		a.cl = g.extraClient(s, false)
		a.cl.ua = scannerAgents[r.IntN(len(scannerAgents))]
		a.paths = scanCandidates(s)
		r.Shuffle(len(a.paths), func(i, j int) { a.paths[i], a.paths[j] = a.paths[j], a.paths[i] })
		n := min(len(a.paths), 200+r.IntN(301))
		a.paths = a.paths[:n]
		a.times = steadyTimes(r, n, a.start, a.end)
		a.label.Method = "GET"
		a.label.Client = a.cl.addr.String()
		a.label.Detail = fmt.Sprintf("%d never-seen paths requested, mostly 404", n)

	case alert.Injection:
		// Where parameters or a body invite it, if anywhere.
		eps := endpoints(s, func(e *endpoint) bool { return e.from == 0 && (len(injectLocations(e)) > 1 || len(e.query) > 0) })
		if len(eps) == 0 {
			eps = endpoints(s, func(e *endpoint) bool { return e.from == 0 })
		}
		a.ep = pickByRate(r, eps, false)
		a.cl = g.extraClient(s, false)
		a.cl.ua = injectionAgents[r.IntN(len(injectionAgents))]
		n := 50 + r.IntN(151)
		a.times = steadyTimes(r, n, a.start, a.end)
		a.idBase = r.IntN(len(payloads))
		var kinds []string
		for i := range n {
			p := payloads[(a.idBase+i)%len(payloads)]
			if !slices.Contains(kinds, p.subtype) {
				kinds = append(kinds, p.subtype)
			}
		}
		a.label.Client = a.cl.addr.String()
		a.label.Detail = fmt.Sprintf("%d requests to %s with %s payloads in %s", n, routeOf(a.ep), strings.Join(kinds, ", "), strings.Join(injectLocations(a.ep), ", "))
	}
	if a.ep != nil && t != alert.NewClientsSurge && t != alert.Scanning {
		a.label.Method, a.label.Route = a.ep.method, a.ep.route
	}
	if len(a.times) > 0 {
		a.end = max(a.end, a.times[len(a.times)-1]+1)
	}
	a.label.Start = timeOf(a.start)
	a.label.End = timeOf(a.end)
	g.attacks = append(g.attacks, a)
	g.labels = append(g.labels, a.label)
}

func sortTimes(a *attack) {
	idx := make([]int, len(a.times))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		switch {
		case a.times[i] < a.times[j]:
			return -1
		case a.times[i] > a.times[j]:
			return 1
		}
		return 0
	})
	ts, who := make([]int64, len(idx)), make([]int32, len(idx))
	for k, i := range idx {
		ts[k], who[k] = a.times[i], a.who[i]
	}
	a.times, a.who = ts, who
}

// scanCandidates returns the paths a scan of s may request: none of them
// is documented.
func scanCandidates(s *service) []string {
	var out []string
	add := func(p string) {
		if _, ok := s.index.Match(s.host, "GET", p); ok || slices.Contains(out, p) {
			return
		}
		out = append(out, p)
	}
	for _, p := range scanPaths {
		add(p)
	}
	for _, w := range scanWords {
		for _, x := range scanExts {
			add("/" + w + x)
			if s.base != "" {
				add(s.base + "/" + w + x)
			}
		}
	}
	return out
}

// injectLocations lists where an injection into e can go.
func injectLocations(e *endpoint) []string {
	out := []string{"query"}
	for _, t := range e.toks {
		if t.isVar {
			out = append(out, "path")
			break
		}
	}
	if e.req != nil {
		out = append(out, "body")
	}
	return out
}
