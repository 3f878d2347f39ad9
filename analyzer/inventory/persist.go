package inventory

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/schema"
)

// BucketEndpoints is the storage bucket of endpoint records.
const BucketEndpoints = "endpoints"

// Writer receives changed records (storage.Batch implements it).
type Writer interface {
	Put(bucket, key string, value []byte)
	Delete(bucket, key string)
}

// Reader lists stored records (storage.Store implements it).
type Reader interface {
	ForEach(bucket string, fn func(key, value []byte) error) error
}

// record is an endpoint as stored: its statistics, sketches encoded.
type record struct {
	ID            uint64                 `json:"id"`
	Service       string                 `json:"service"`
	Method        string                 `json:"method"`
	Template      string                 `json:"template"`
	Documented    bool                   `json:"documented,omitempty"`
	FirstSeen     time.Time              `json:"first_seen"`
	LastSeen      time.Time              `json:"last_seen"`
	Requests      uint64                 `json:"requests"`
	Analysed      uint64                 `json:"analysed,omitempty"`
	Partial       uint64                 `json:"partial,omitempty"`
	Statuses      map[int]uint64         `json:"statuses,omitempty"`
	ReqTypes      map[string]uint64      `json:"req_types,omitempty"`
	RespTypes     map[string]uint64      `json:"resp_types,omitempty"`
	Query         map[string]*QueryParam `json:"query,omitempty"`
	QueryOverflow uint64                 `json:"query_overflow,omitempty"`
	Merged        uint64                 `json:"merged,omitempty"`
	Auth          map[string]uint64      `json:"auth,omitempty"`
	AuthFlags     map[string]uint64      `json:"auth_flags,omitempty"`
	AuthNames     map[string]uint64      `json:"auth_names,omitempty"`
	Sensitive     []Sensitive            `json:"sensitive,omitempty"`
	ReqSchema     *schema.Schema         `json:"req_schema,omitempty"`
	RespSchema    *schema.Schema         `json:"resp_schema,omitempty"`
	Clients       []byte                 `json:"clients"`
	Latency       []byte                 `json:"latency"`
	ReqSize       []byte                 `json:"req_size"`
	RespSize      []byte                 `json:"resp_size"`
}

func key(id uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id)
	return string(b[:])
}

// Save writes the endpoints changed since the last Save, and deletes the
// records of endpoints merged into others.
func (inv *Inventory) Save(w Writer) error {
	for _, e := range inv.Endpoints() {
		if !e.dirty {
			continue
		}
		r := record{
			ID: e.ID, Service: e.Service, Method: e.Method, Template: e.Template, Documented: e.Documented,
			FirstSeen: e.FirstSeen, LastSeen: e.LastSeen, Requests: e.Requests, Analysed: e.Analysed, Partial: e.Partial,
			Statuses: e.Statuses, ReqTypes: e.ReqTypes, RespTypes: e.RespTypes,
			Query: e.Query, QueryOverflow: e.QueryOverflow, Merged: e.Merged,
			Auth: e.Auth, AuthFlags: e.AuthFlags, AuthNames: e.AuthNames, Sensitive: e.SensitiveList(),
			ReqSchema: e.ReqSchema, RespSchema: e.RespSchema,
		}
		var err error
		if r.Clients, err = e.clients.MarshalBinary(); err != nil {
			return fmt.Errorf("endpoint %d: %w", e.ID, err)
		}
		e.latency.Encode(&r.Latency, false)
		e.reqSize.Encode(&r.ReqSize, false)
		e.rspSize.Encode(&r.RespSize, false)
		b, err := json.Marshal(&r)
		if err != nil {
			return fmt.Errorf("endpoint %d: %w", e.ID, err)
		}
		w.Put(BucketEndpoints, key(e.ID), b)
		e.dirty, e.stored = false, true
	}
	for _, id := range inv.gone {
		w.Delete(BucketEndpoints, key(id))
	}
	inv.gone = inv.gone[:0]
	return nil
}

// Load merges stored endpoints into the inventory: their templates rebuild
// the route trees, so later traffic lands on the same endpoints.
func (inv *Inventory) Load(r Reader) error {
	err := r.ForEach(BucketEndpoints, func(k, v []byte) error {
		var rec record
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("stored endpoint %x: %w", k, err)
		}
		e := newEndpoint(rec.ID, rec.Service, rec.Method)
		e.stored = true
		e.Template, e.Documented = rec.Template, rec.Documented
		e.FirstSeen, e.LastSeen, e.Requests, e.Partial = rec.FirstSeen, rec.LastSeen, rec.Requests, rec.Partial
		e.Analysed = rec.Analysed
		maps.Copy(e.Statuses, rec.Statuses)
		addCapped(e.ReqTypes, rec.ReqTypes, maxContentTypes)
		addCapped(e.RespTypes, rec.RespTypes, maxContentTypes)
		maps.Copy(e.Query, rec.Query)
		e.QueryOverflow, e.Merged = rec.QueryOverflow, rec.Merged
		maps.Copy(e.Auth, rec.Auth)
		maps.Copy(e.AuthFlags, rec.AuthFlags)
		addCapped(e.AuthNames, rec.AuthNames, maxContentTypes)
		for _, s := range rec.Sensitive {
			e.sensitive[s.key()] = &s
		}
		e.ReqSchema, e.RespSchema = rec.ReqSchema, rec.RespSchema
		if err := e.clients.UnmarshalBinary(rec.Clients); err != nil {
			return fmt.Errorf("stored endpoint %d clients: %w", rec.ID, err)
		}
		for _, s := range []struct {
			b   []byte
			dst interface{ DecodeAndMergeWith([]byte) error }
		}{{rec.Latency, e.latency}, {rec.ReqSize, e.reqSize}, {rec.RespSize, e.rspSize}} {
			if err := s.dst.DecodeAndMergeWith(s.b); err != nil {
				return fmt.Errorf("stored endpoint %d sketch: %w", rec.ID, err)
			}
		}
		inv.place(e)
		if e.ID > inv.nextID {
			inv.nextID = e.ID
		}
		return nil
	})
	if err != nil {
		return err
	}
	inv.reconcile()
	return nil
}

// reconcile makes the endpoints agree with the specs now set: documented
// endpoints that no spec documents any more join the route tree, and
// learned endpoints that a spec documents move to their documented
// endpoint. So a store filled with and without specs, or under other
// specs, lists each endpoint once, and new traffic finds it.
func (inv *Inventory) reconcile() {
	specs := inv.cfg.Specs
	for _, svc := range inv.services {
		host, _, _ := strings.Cut(svc.Name, "@")
		// In order, so which endpoint survives a fold does not depend on
		// map iteration.
		withdrawn := slices.SortedFunc(maps.Keys(svc.docs), func(a, b route) int {
			return cmp.Or(cmp.Compare(a.template, b.template), cmp.Compare(a.method, b.method))
		})
		withdrawn = slices.DeleteFunc(withdrawn, func(k route) bool { // still documented
			if specs == nil {
				return false
			}
			tmpl, ok := specs.MatchTemplate(host, k.method, k.template)
			return ok && tmpl == k.template
		})
		for _, k := range withdrawn {
			e := svc.docs[k]
			delete(svc.docs, k)
			e.Documented, e.dirty = false, true
			n := svc.tree.node(e.Template)
			if d := n.eps[e.Method]; d != nil {
				inv.retire(e, d)
			} else {
				n.attach(e)
			}
		}
		if specs == nil {
			continue
		}
		svc.tree.root.walk(func(n *node) {
			for m, e := range n.eps {
				tmpl, ok := specs.MatchTemplate(host, m, n.template())
				if !ok {
					continue
				}
				k := route{m, tmpl}
				d := svc.docs[k]
				if d == nil {
					e.Template, e.Documented, e.node = tmpl, true, nil
					svc.docs[k] = e
				} else {
					inv.retire(e, d)
				}
				e.dirty = true
				delete(n.eps, m)
			}
		})
	}
}

// place puts a stored endpoint where its template leads.
func (inv *Inventory) place(e *Endpoint) {
	svc := inv.service(e.Service)
	switch {
	case IsBucket(e.Template):
		k := route{e.Method, e.Template}
		if o := svc.over[k]; o != nil {
			inv.fold(e, o)
			return
		}
		svc.over[k] = e
		return
	case e.Documented:
		// Documented under the specs of its time: reconcile judges it
		// against the specs of now.
		k := route{e.Method, e.Template}
		if d := svc.docs[k]; d != nil {
			inv.fold(e, d)
			return
		}
		svc.docs[k] = e
	default:
		n := svc.tree.node(e.Template)
		// Hits are not stored: give the route back its requests, or a
		// later judgement of the position would see every word as seen
		// never and merge an API's literal operations ("/api", "/pet")
		// with the one-off words beside them.
		for c := n; c != nil; c = c.parent {
			c.hits += e.Requests
		}
		if d := n.eps[e.Method]; d != nil {
			inv.fold(e, d)
			return
		}
		n.attach(e)
	}
	svc.n++
	inv.total++
}

// node returns the node of a stored template, making the nodes it lacks.
func (t *tree) node(template string) *node {
	n := t.root
	for s := range strings.SplitSeq(strings.TrimPrefix(template, "/"), "/") {
		if s == "" {
			continue
		}
		if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' {
			if n.param == nil {
				t.nodes++
			}
			p := n.paramChild(s, "stored")
			if s == wordParam {
				n.promoted = true
			}
			n = p
			continue
		}
		c := n.lits[s]
		if c == nil {
			t.nodes++
			c = n.child(s)
		}
		n = c
	}
	return n
}

// attach makes e the endpoint of its method at n.
func (n *node) attach(e *Endpoint) {
	if n.eps == nil {
		n.eps = make(map[string]*Endpoint)
	}
	e.node = n
	n.eps[e.Method] = e
}
