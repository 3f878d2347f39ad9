package output

import (
	"github.com/apitap/apitap/analyzer/alert"
)

// ECSVersion is the Elastic Common Schema version the ECS records declare
// in ecs.version: every field they use, and the api event category, are in
// it.
const ECSVersion = "8.17.0"

// ECS encodes each state change as one Elastic Common Schema document, the
// shape Elastic Security's alert views and detection rules read:
//
//   - @timestamp is the change's packet time (Last, or Closed once closed,
//     as OCSF's time), event.start and event.end the alert's First and
//     Last.
//   - event.kind is "alert"; event.category is ["intrusion_detection",
//     "api"]; event.type is ["info"] plus the alert's life: "start" when it
//     opens, "change" on an update, "end" when it closes. ECS expects info
//     for intrusion_detection and start, change and end for api, the
//     category of events about API calls (REST among them).
//   - event.action and event.code are the alert type, the same signature
//     id CEF carries; event.id is per change (alert id, activity, time:
//     OCSF's metadata.uid), the alert's own id is apitap.id.
//   - event.severity is the alert's severity as is (1 Info .. 5 Critical):
//     ECS wants the source's own numbers there.
//   - rule.id and rule.name are the type and its title; for a type that
//     evidences an OWASP API Security Top 10 (2023) category, rule.ruleset
//     names the list, rule.category the category with its name and
//     rule.reference the list's page.
//   - source, destination, url and http come from the client, the service
//     and the alert's first example (its target already redacted).
//   - observer names apitap as a passive sensor.
//   - apitap.* keeps the whole alert in its own words, evidence included,
//     for what ECS has no field for.
//
// It holds no state, so one value may serve any number of queues at once.
type ECS struct {
	product alert.ProductInfo
}

var _ Format = ECS{}

// NewECS returns the ECS format naming p in each document's observer.
func NewECS(p alert.ProductInfo) ECS { return ECS{product: p} }

// Name returns "ecs".
func (ECS) Name() string { return "ecs" }

// The ECS document. Field order is output order; ECS field sets nest as
// objects (source.ip is {"source":{"ip":...}}), which every Elastic ingest
// path accepts.
type (
	ecsDoc struct {
		Timestamp   string        `json:"@timestamp"`
		Message     string        `json:"message"`
		Tags        []string      `json:"tags"`
		ECS         ecsVersion    `json:"ecs"`
		Event       ecsEvent      `json:"event"`
		Rule        ecsRule       `json:"rule"`
		Source      *ecsEndpoint  `json:"source,omitempty"`
		Destination *ecsEndpoint  `json:"destination,omitempty"`
		URL         *ecsURL       `json:"url,omitempty"`
		HTTP        *ecsHTTP      `json:"http,omitempty"`
		Network     ecsNetwork    `json:"network"`
		Observer    ecsObserver   `json:"observer"`
		Apitap      *apitapFields `json:"apitap"`
	}
	ecsVersion struct {
		Version string `json:"version"`
	}
	ecsEvent struct {
		Kind     string   `json:"kind"`
		Category []string `json:"category"`
		Type     []string `json:"type"`
		Action   string   `json:"action"`
		Code     string   `json:"code"`
		ID       string   `json:"id"`
		Severity int      `json:"severity"`
		Start    string   `json:"start,omitempty"`
		End      string   `json:"end,omitempty"`
		Duration int64    `json:"duration"`
		Dataset  string   `json:"dataset"`
		Module   string   `json:"module"`
		Provider string   `json:"provider"`
	}
	ecsRule struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Ruleset     string `json:"ruleset,omitempty"`
		Category    string `json:"category,omitempty"`
		Reference   string `json:"reference,omitempty"`
	}
	ecsEndpoint struct {
		Address string `json:"address,omitempty"`
		IP      string `json:"ip,omitempty"`
		Port    int    `json:"port,omitempty"`
		Domain  string `json:"domain,omitempty"`
	}
	ecsURL struct {
		Domain string `json:"domain,omitempty"`
		Port   int    `json:"port,omitempty"`
		Path   string `json:"path,omitempty"`
		Query  string `json:"query,omitempty"`
	}
	ecsHTTP struct {
		Request  *ecsRequest  `json:"request,omitempty"`
		Response *ecsResponse `json:"response,omitempty"`
	}
	ecsRequest struct {
		Method string `json:"method"`
	}
	ecsResponse struct {
		StatusCode int     `json:"status_code"`
		Body       ecsBody `json:"body"`
	}
	ecsBody struct {
		Bytes int64 `json:"bytes"`
	}
	ecsNetwork struct {
		Transport string `json:"transport"`
		Protocol  string `json:"protocol"`
	}
	ecsObserver struct {
		Vendor  string `json:"vendor"`
		Product string `json:"product"`
		Type    string `json:"type"`
		Version string `json:"version,omitempty"`
	}
)

// ecsLife is the event.type of each state, after "info".
var ecsLife = map[alert.State]string{alert.Open: "start", alert.Updated: "change", alert.Closed: "end"}

// Append appends a as one ECS document in JSON.
func (f ECS) Append(dst []byte, a *alert.Alert) ([]byte, error) {
	return appendRecordJSON(dst, f.doc(a))
}

func (f ECS) doc(a *alert.Alert) *ecsDoc {
	ev := a.Evidence.Finite()
	p := peersOf(a)
	types := []string{"info"}
	if t, ok := ecsLife[a.State]; ok {
		types = append(types, t)
	}
	d := &ecsDoc{
		Timestamp: utcRFC3339(a.ChangeTime()),
		Message:   recordMessage(a, ev),
		Tags:      []string{"apitap", string(a.Type)},
		ECS:       ecsVersion{ECSVersion},
		Event: ecsEvent{
			Kind: "alert", Category: []string{"intrusion_detection", "api"}, Type: types,
			Action: string(a.Type), Code: string(a.Type), ID: a.ChangeID(),
			Severity: int(a.Severity),
			Start:    utcRFC3339(a.First), End: utcRFC3339(a.Last),
			Dataset: "apitap.alert", Module: "apitap", Provider: "apitap",
		},
		Rule: ecsRule{
			ID: string(a.Type), Name: a.Type.Title(), Description: oneLine(ev.Summary()),
		},
		Network:  ecsNetwork{Transport: "tcp", Protocol: "http"},
		Observer: ecsObserver{Vendor: orDefault(f.product.Vendor, "apitap"), Product: orDefault(f.product.Name, "apitap"), Type: "sensor", Version: f.product.Version},
		Apitap:   apitapOf(a, ev),
	}
	if !a.First.IsZero() && a.Last.After(a.First) {
		d.Event.Duration = a.Last.Sub(a.First).Nanoseconds() // ECS: nanoseconds
	}
	if a.OWASP != "" {
		d.Tags = append(d.Tags, a.OWASP)
		d.Rule.Ruleset, d.Rule.Category, d.Rule.Reference = OWASPRuleset, owaspLabel(a.OWASP), owaspURL
	}
	if p.client != "" {
		d.Source = &ecsEndpoint{Address: p.client, IP: ipString(p.clientIP), Port: p.clientPort}
	}
	if p.host != "" || p.ip.IsValid() {
		d.Destination = &ecsEndpoint{Address: p.host, IP: ipString(p.ip), Port: p.port, Domain: p.domain}
	}
	path, query := p.target()
	if p.host != "" || path != "" {
		d.URL = &ecsURL{Domain: p.host, Port: p.port, Path: path, Query: query}
	}
	method, h := a.Method, &ecsHTTP{}
	if p.ex != nil {
		method = p.ex.Method
		h.Response = &ecsResponse{StatusCode: p.ex.Status, Body: ecsBody{p.ex.Bytes}}
	}
	if method != "" {
		h.Request = &ecsRequest{Method: method}
	}
	if h.Request != nil || h.Response != nil {
		d.HTTP = h
	}
	return d
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
