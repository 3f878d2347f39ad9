package detect

import (
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"strings"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/sensor/http1"
)

// The abuse rules follow clients over a window of the current and the
// previous bin, so an attack that straddles a bin boundary is counted
// whole, and fire as soon as a threshold is crossed.

// clientKey is one client on one endpoint (scope = endpoint id) or one
// service (scope = a hash of its name with the top bit set).
type clientKey struct {
	addr  netip.Addr
	scope uint64
}

// clientState counts one client's requests in the window.
type clientState struct {
	ids, prevIDs     map[uint64]struct{} // object ids (enumeration) or paths (scanning)
	ok, prevOK       int                 // 2xx responses
	n, prevN         int
	fails, prevFails int // failed logins; 404s when scoped to a service
}

func (c *clientState) window() (n, ok, fails int) {
	return c.n + c.prevN, c.ok + c.prevOK, c.fails + c.prevFails
}

// distinct counts the ids of the window.
func (c *clientState) distinct() int {
	n := len(c.ids)
	for id := range c.prevIDs {
		if _, ok := c.ids[id]; !ok {
			n++
		}
	}
	return n
}

// maxIDs bounds the ids one client state keeps.
const maxIDs = 4096

func (c *clientState) addID(id uint64) {
	if c.ids == nil {
		c.ids = map[uint64]struct{}{}
	}
	if len(c.ids) < maxIDs {
		c.ids[id] = struct{}{}
	}
}

// sweepClients starts a new bin: the current counts become the previous
// ones, and clients quiet for the whole window are forgotten.
func (d *Detector) sweepClients() {
	for k, c := range d.clients {
		if c.n == 0 {
			delete(d.clients, k)
			continue
		}
		c.prevIDs, c.ids = c.ids, nil
		c.prevOK, c.ok = c.ok, 0
		c.prevN, c.n = c.n, 0
		c.prevFails, c.fails = c.fails, 0
	}
}

func (d *Detector) client(k clientKey) *clientState {
	c := d.clients[k]
	if c == nil {
		if len(d.clients) >= d.cfg.MaxClients {
			d.stats.ClientsFull++
			return nil
		}
		c = &clientState{}
		d.clients[k] = c
	}
	return c
}

// rules runs the abuse rules on one transaction.
func (d *Detector) rules(ep *endpoint, t *http1.Transaction, o inventory.Observation, client netip.Addr, status int) {
	s := ep.s
	ts := t.Time()
	ok := status >= 200 && status < 300
	finding := func(typ alert.Type, sev alert.Severity, route bool, withClient bool, ev alert.Evidence) {
		f := alert.Finding{Type: typ, Kind: alert.Rule, Severity: sev, Service: s.Service, Time: ts, Evidence: ev, Example: example(t)}
		if route {
			f.Method, f.Route = s.Method, s.Route
		}
		if withClient {
			f.Client = client.String()
		}
		f.Evidence.Window = (2 * d.cfg.Baseline.Bin).String()
		d.find(f)
	}

	if st, input := d.inspect.inspect(&t.Request); st != "" {
		finding(alert.Injection, alert.High, true, true, alert.Evidence{
			Metric: "injection", Observed: 1, ScoreKind: "count", Score: 1, Subtype: st,
			Detail: fmt.Sprintf("%s attempt in %q", st, Redact(shorten(input, 200))),
		})
	}

	// Enumeration: many distinct object ids of one route from one client.
	// The ids are the values at the route's parameters; on a route still
	// all literal (the inventory has not yet judged a run of new words,
	// such as user names, to be values), the last segment under its
	// parent path.
	scope, route, thr := o.Endpoint.ID, s.Route, 0
	var idBuf [256]byte // the id, hashed where it is built: no string is made
	id := idBuf[:0]
	found := false
	if strings.IndexByte(s.Route, '{') >= 0 {
		id, found = objectID(id, s.Route, t.Request.Target)
		thr = d.enumThreshold(ep)
	} else if parent, last := splitLast(t.Request.Target); last != "" {
		var h maphash.Hash
		h.SetSeed(d.seed)
		h.WriteString(s.Service)
		h.WriteByte(0)
		h.WriteString(s.Method)
		h.WriteByte(0)
		h.WriteString(parent)
		scope = h.Sum64() | 1<<62
		route, id, found, thr = "", append(id, last...), true, d.cfg.EnumerationIDs
	}
	if found {
		if c := d.client(clientKey{client, scope}); c != nil {
			c.n++
			if ok {
				c.ok++
			}
			c.addID(maphash.Bytes(d.seed, id))
			if scope == o.Endpoint.ID {
				ep.maxIDs = max(ep.maxIDs, len(c.ids))
			}
			if len(c.ids)+len(c.prevIDs) >= thr {
				if route == "" {
					parent, _ := splitLast(t.Request.Target)
					route = parent + "/{id}"
				}
				n, okN, _ := c.window()
				if k := c.distinct(); k >= thr && 2*okN >= n {
					m, sd, _ := s.IDs.Expect(d.cfg.Baseline)
					f := alert.Finding{Type: alert.Enumeration, Kind: alert.Rule, Severity: alert.High, Service: s.Service, Method: s.Method, Route: route,
						Client: client.String(), Time: ts, Example: example(t), Evidence: alert.Evidence{
							Metric: "distinct_object_ids", Observed: float64(k), Baseline: math.Exp(m), Spread: sd, Score: float64(k), ScoreKind: "count", Distinct: k,
							Window: (2 * d.cfg.Baseline.Bin).String(),
							Detail: fmt.Sprintf("one client fetched %d distinct ids on %s %s, %d of %d requests successful", k, s.Method, route, okN, n),
						}}
					d.find(f)
				}
			}
		}
	}

	// Failed logins: brute force from one client, stuffing from many.
	if ep.login && (status == 401 || status == 403) {
		ep.fails++
		if ep.failIPs == nil {
			ep.failIPs = map[netip.Addr]uint64{}
		}
		if _, seen := ep.failIPs[client]; seen || len(ep.failIPs) < maxFailIPs {
			ep.failIPs[client] = d.stats.Bins
		}
		if c := d.client(clientKey{client, o.Endpoint.ID}); c != nil {
			c.fails++
			if _, _, fails := c.window(); fails >= d.cfg.LoginFailures {
				finding(alert.BruteForce, alert.Medium, true, true, alert.Evidence{
					Metric: "failed_logins", Observed: float64(fails), Baseline: float64(d.cfg.LoginFailures), ScoreKind: "count", Score: float64(fails),
					Detail: fmt.Sprintf("%d failed logins from one client", fails),
				})
			}
		}
		// Stuffing is slow and spread: counted over the hour, from many
		// clients each failing a few times.
		ips, fails := len(ep.failIPs), ep.fails
		for _, n := range ep.failRing {
			fails += n
		}
		if ips >= d.cfg.StuffingIPs && fails >= float64(2*d.cfg.StuffingIPs) && fails <= float64(5*ips) && d.unusualFailures(ep, fails) {
			finding(alert.CredentialStuffing, alert.High, true, false, alert.Evidence{
				Metric: "failed_logins", Observed: fails, Distinct: ips, ScoreKind: "count", Score: fails,
				Detail: fmt.Sprintf("%.0f failed logins from %d clients", fails, ips),
			})
		}
	}

	// Scanning: a client collecting 404s on paths of one service.
	if status == 404 {
		if c := d.client(clientKey{client, serviceScope(d.seed, s.Service)}); c != nil {
			c.n++
			c.fails++
			path, _ := inventory.SplitTarget(t.Request.Target)
			c.addID(maphash.String(d.seed, path))
			if _, _, misses := c.window(); misses >= d.cfg.ScanMisses {
				if k := c.distinct(); 10*k >= 7*d.cfg.ScanMisses {
					finding(alert.Scanning, alert.Medium, false, true, alert.Evidence{
						Metric: "not_found", Observed: float64(misses), Distinct: k, ScoreKind: "count", Score: float64(misses),
						Detail: fmt.Sprintf("%d requests answered 404 on %d distinct paths from one client", misses, k),
					})
				}
			}
		}
	}
}

// enumThreshold is the distinct ids one client must fetch in a window to
// be walking the route: the configured floor, or well above the most any
// client fetched in the endpoint's ordinary bins.
func (d *Detector) enumThreshold(ep *endpoint) int {
	thr := d.cfg.EnumerationIDs
	if m, sd, ok := ep.s.IDs.Expect(d.cfg.Baseline); ok {
		thr = max(thr, int(4*math.Exp(m+3*sd)))
	}
	return thr
}

// maxFailIPs bounds the failing clients an endpoint remembers.
const maxFailIPs = 4096

// unusualFailures reports failed logins well above what the endpoint's
// baseline share of 401/403 predicts for the window.
func (d *Detector) unusualFailures(ep *endpoint, fails float64) bool {
	p0, ok := d.share(ep, &ep.s.Denied)
	if !ok {
		return true
	}
	m, _, _ := ep.s.Requests.Expect(d.cfg.Baseline, d.bin)
	return fails > 5*max(p0, 0.01)*winBins*max(m, ep.n)
}

func serviceScope(seed maphash.Seed, name string) uint64 {
	return maphash.String(seed, name) | 1<<63
}

// objectID appends to id the values of a route's parameters in a request
// target, joined: the object the request addresses. Templates may carry a
// base path the target has too, so the two are aligned at their ends.
func objectID(id []byte, route, target string) ([]byte, bool) {
	path, _ := inventory.SplitTarget(target)
	route, path = strings.Trim(route, "/"), strings.Trim(path, "/")
	start := len(id)
	for route != "" {
		ri, pi := strings.LastIndexByte(route, '/'), strings.LastIndexByte(path, '/')
		r, p := route[ri+1:], path[pi+1:]
		if path == "" && p == "" {
			return id[:start], false // the route is longer than the path
		}
		if strings.HasPrefix(r, "{") {
			id = append(append(id, p...), '/')
		}
		if ri < 0 {
			break
		}
		route = route[:ri]
		if pi < 0 {
			return id[:start], false
		}
		path = path[:pi]
	}
	return id, len(id) > start
}

// splitLast splits a request target's path at its last segment:
// "/users/ann?x=1" gives "/users" and "ann".
func splitLast(target string) (parent, last string) {
	path, _ := inventory.SplitTarget(target)
	path = strings.TrimSuffix(path, "/")
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", ""
	}
	return path[:i], path[i+1:]
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
