package output_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/output"
)

// fmtTestECSFields are the ECS fields the ECS format may write, copied from
// the ECS 8.17 field reference (https://www.elastic.co/docs/reference/ecs,
// field sets Base, ECS, Event, Rule, Source, Destination, URL, HTTP,
// Network, Observer). It is a subset, the fields apitap fills: a key not
// here and not under apitap. is a typo or an invented field, which Elastic
// would index as an unmapped keyword nobody's rules look at.
var fmtTestECSFields = map[string]bool{
	"@timestamp": true, "message": true, "tags": true,
	"ecs.version": true,
	"event.kind":  true, "event.category": true, "event.type": true, "event.action": true,
	"event.code": true, "event.id": true, "event.severity": true, "event.start": true,
	"event.end": true, "event.duration": true, "event.dataset": true, "event.module": true,
	"event.provider": true,
	"rule.id":        true, "rule.name": true, "rule.description": true, "rule.ruleset": true,
	"rule.category": true, "rule.reference": true,
	"source.address": true, "source.ip": true, "source.port": true,
	"destination.address": true, "destination.ip": true, "destination.port": true, "destination.domain": true,
	"url.domain": true, "url.port": true, "url.path": true, "url.query": true,
	"http.request.method": true, "http.response.status_code": true, "http.response.body.bytes": true,
	"network.transport": true, "network.protocol": true,
	"observer.vendor": true, "observer.product": true, "observer.type": true, "observer.version": true,
}

// The allowed values of ECS's categorisation fields that the format uses,
// from the ECS 8.17 reference's "ECS categorization fields" pages.
var (
	fmtTestECSKinds      = map[string]bool{"alert": true}
	fmtTestECSCategories = map[string]bool{"intrusion_detection": true, "api": true}
	fmtTestECSTypes      = map[string]bool{"info": true, "start": true, "change": true, "end": true}
)

// fmtTestPaths flattens a JSON object into its leaves' dotted key paths;
// an array is a leaf (ECS fields are arrays of values, not of objects,
// except apitap's own).
func fmtTestPaths(prefix string, v any, out map[string]any) {
	m, ok := v.(map[string]any)
	if !ok {
		out[prefix] = v
		return
	}
	for k, x := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		fmtTestPaths(p, x, out)
	}
}

func fmtTestECSDoc(t *testing.T, a *alert.Alert) map[string]any {
	t.Helper()
	b, err := output.NewECS(fmtTestProduct).Append(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	paths := map[string]any{}
	fmtTestPaths("", doc, paths)
	return paths
}

// Every key is an ECS field or under apitap., and the categorisation
// fields hold allowed values only.
func TestECSFieldsAreECS(t *testing.T) {
	alerts := fmtTestAlerts()
	for _, typ := range alert.Types {
		for _, s := range []alert.State{alert.Open, alert.Updated, alert.Closed} {
			alerts = append(alerts, fmtTestNasty(typ, s, alert.High, true), fmtTestNasty(typ, s, alert.High, false))
		}
	}
	seen := map[string]bool{}
	for i := range alerts {
		paths := fmtTestECSDoc(t, &alerts[i])
		for p, v := range paths {
			seen[p] = true
			if !fmtTestECSFields[p] && !strings.HasPrefix(p, "apitap.") {
				t.Errorf("%s: %q is neither an ECS field nor under apitap.", alerts[i].Type, p)
			}
			for field, allowed := range map[string]map[string]bool{
				"event.kind": fmtTestECSKinds, "event.category": fmtTestECSCategories, "event.type": fmtTestECSTypes,
			} {
				if p != field {
					continue
				}
				vals, ok := v.([]any)
				if !ok {
					vals = []any{v}
				}
				for _, x := range vals {
					if s, _ := x.(string); !allowed[s] {
						t.Errorf("%s = %v: %v is not an allowed value", field, v, x)
					}
				}
			}
		}
	}
	// The list is the fields used: one never written is stale.
	var unused []string
	for f := range fmtTestECSFields {
		if !seen[f] {
			unused = append(unused, f)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("ECS fields listed but never written: %v", unused)
	}
}

// The values of the fields SIEM rules key on, for the fixtures.
func TestECSValues(t *testing.T) {
	all := fmtTestAlerts()
	for _, tt := range []struct {
		name string
		a    alert.Alert
		want map[string]any // nil value: absent
	}{
		{"open", all[0], map[string]any{
			"@timestamp": "2026-03-01T12:00:00Z", "event.kind": "alert",
			"event.type": []any{"info", "start"}, "event.action": "rate_spike", "event.severity": 4.0,
			"event.dataset": "apitap.alert", "event.module": "apitap",
			"rule.ruleset": output.OWASPRuleset, "rule.category": "API4:2023 Unrestricted Resource Consumption",
			"source.ip": "203.0.113.9", "source.port": 50412.0,
			"destination.domain": "shop.example", "destination.ip": "10.0.0.5", "destination.port": 8080.0,
			"url.path": "/orders/1001", "url.query": "expand=items", "url.domain": "shop.example",
			"http.request.method": "GET", "http.response.status_code": 200.0, "http.response.body.bytes": 512.0,
			"observer.type": "sensor", "observer.version": "1.2.3",
			"apitap.id": all[0].ID, "apitap.state": "open", "apitap.evidence.baseline": 120.0,
		}},
		{"updated", all[1], map[string]any{
			"@timestamp": "2026-03-01T12:15:00Z", "event.type": []any{"info", "change"},
			"event.start": "2026-03-01T12:00:00Z", "event.end": "2026-03-01T12:15:00Z",
			"event.duration": float64(15 * 60 * 1e9),
		}},
		{"closed: dated when it closed", all[2], map[string]any{
			"@timestamp": "2026-03-01T12:45:00Z", "event.type": []any{"info", "end"},
			"event.end": "2026-03-01T12:15:00Z", "apitap.closed": "2026-03-01T12:45:00Z",
		}},
		{"service-wide, no examples", all[3], map[string]any{
			"source.ip": nil, "destination.address": "login.example", "destination.ip": nil,
			"url.path": nil, "http.request.method": nil, "event.severity": 5.0, "apitap.evidence.distinct": 97.0,
		}},
		{"IPv6", all[4], map[string]any{
			"source.ip": "2001:db8::99", "source.port": 41000.0,
			"destination.ip": "2001:db8::5", "destination.domain": nil, "destination.port": 8443.0,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := fmtTestECSDoc(t, &tt.a)
			for k, want := range tt.want {
				v, ok := got[k]
				if want == nil {
					if ok {
						t.Errorf("%s = %v, want absent", k, v)
					}
					continue
				}
				gb, _ := json.Marshal(v)
				wb, _ := json.Marshal(want)
				if string(gb) != string(wb) {
					t.Errorf("%s = %s, want %s", k, gb, wb)
				}
			}
		})
	}
}
