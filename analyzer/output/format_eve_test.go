package output_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/output"
)

// fmtTestEVE is the part of an EVE alert that Suricata's consumers read
// (the Elastic and Splunk Suricata integrations, EveBox), decoded with
// their key names and types: a renamed key or a number sent as a string
// shows here.
type fmtTestEVE struct {
	Timestamp string `json:"timestamp"`
	EventType string `json:"event_type"`
	SrcIP     string `json:"src_ip"`
	SrcPort   *int   `json:"src_port"`
	DestIP    string `json:"dest_ip"`
	DestPort  *int   `json:"dest_port"`
	Proto     string `json:"proto"`
	AppProto  string `json:"app_proto"`
	Alert     struct {
		Action      string              `json:"action"`
		GID         int                 `json:"gid"`
		SignatureID int                 `json:"signature_id"`
		Rev         int                 `json:"rev"`
		Signature   string              `json:"signature"`
		Category    string              `json:"category"`
		Severity    int                 `json:"severity"`
		Metadata    map[string][]string `json:"metadata"`
	} `json:"alert"`
	HTTP *struct {
		Hostname   string `json:"hostname"`
		URL        string `json:"url"`
		HTTPMethod string `json:"http_method"`
		Status     int    `json:"status"`
		Length     *int64 `json:"length"`
	} `json:"http"`
	Apitap map[string]any `json:"apitap"`
}

func fmtTestEVERecord(t *testing.T, a *alert.Alert) *fmtTestEVE {
	t.Helper()
	b, err := output.NewEVE(fmtTestProduct).Append(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	var r fmtTestEVE
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return &r
}

func TestEVEKeys(t *testing.T) {
	all := fmtTestAlerts()
	r := fmtTestEVERecord(t, &all[0])
	if r.EventType != "alert" || r.Proto != "TCP" || r.AppProto != "http" {
		t.Errorf("event_type, proto, app_proto = %q, %q, %q", r.EventType, r.Proto, r.AppProto)
	}
	ts, err := time.Parse(output.EVETimeLayout, r.Timestamp)
	if err != nil || !ts.Equal(all[0].Last) || r.Timestamp != "2026-03-01T12:00:00.000000+0000" {
		t.Errorf("timestamp = %q (%v), want Suricata's layout of %v", r.Timestamp, err, all[0].Last)
	}
	if r.SrcIP != "203.0.113.9" || r.SrcPort == nil || *r.SrcPort != 50412 {
		t.Errorf("src = %q %v", r.SrcIP, r.SrcPort)
	}
	if r.DestIP != "10.0.0.5" || r.DestPort == nil || *r.DestPort != 8080 {
		t.Errorf("dest = %q %v", r.DestIP, r.DestPort)
	}
	al := r.Alert
	if al.Action != "allowed" || al.GID != 1 || al.Rev != 1 || al.SignatureID != 9000001 ||
		al.Signature != "Request rate spike" || al.Severity != 1 || al.Category != "Attempted Denial of Service" {
		t.Errorf("alert = %+v", al)
	}
	if m := al.Metadata; len(m["owasp"]) != 1 || m["owasp"][0] != "API4:2023" ||
		len(m["apitap_id"]) != 1 || m["apitap_id"][0] != all[0].ID || m["apitap_state"][0] != "open" {
		t.Errorf("alert.metadata = %v", m)
	}
	if h := r.HTTP; h == nil || h.Hostname != "shop.example" || h.URL != "/orders/1001?expand=items" ||
		h.HTTPMethod != "GET" || h.Status != 200 || h.Length == nil || *h.Length != 512 {
		t.Errorf("http = %+v", h)
	}
	if r.Apitap["id"] != all[0].ID || r.Apitap["route"] != "/orders/{id}" {
		t.Errorf("apitap = %v", r.Apitap)
	}

	// Closed: dated when it closed.
	if r := fmtTestEVERecord(t, &all[2]); r.Timestamp != "2026-03-01T12:45:00.000000+0000" {
		t.Errorf("closed timestamp = %q", r.Timestamp)
	}
	// Service-wide, no examples: no made-up addresses, ports 0.
	r = fmtTestEVERecord(t, &all[3])
	if r.SrcIP != "" || r.DestIP != "" || r.SrcPort == nil || *r.SrcPort != 0 || *r.DestPort != 0 {
		t.Errorf("service-wide: src %q:%v dest %q:%v", r.SrcIP, r.SrcPort, r.DestIP, r.DestPort)
	}
	if r.HTTP == nil || r.HTTP.Hostname != "login.example" || r.HTTP.URL != "" || r.HTTP.Length != nil {
		t.Errorf("service-wide http = %+v", r.HTTP)
	}
	// IPv6.
	r = fmtTestEVERecord(t, &all[4])
	if r.SrcIP != "2001:db8::99" || *r.SrcPort != 41000 || r.DestIP != "2001:db8::5" || *r.DestPort != 8443 || r.Alert.Severity != 2 {
		t.Errorf("IPv6: src %q:%d dest %q:%d severity %d", r.SrcIP, *r.SrcPort, r.DestIP, *r.DestPort, r.Alert.Severity)
	}
}

// Signature ids are pinned: rules and suppressions in Suricata tooling
// refer to them, so reordering alert.Types must fail here.
func TestEVESignatureID(t *testing.T) {
	want := map[alert.Type]int{
		alert.RateSpike: 9000001, alert.RateDrop: 9000002, alert.ErrorSurge: 9000003,
		alert.AuthFailureSurge: 9000004, alert.LatencyShift: 9000005, alert.ResponseSizeJump: 9000006,
		alert.NewClientsSurge: 9000007, alert.NewEndpoint: 9000008, alert.Unauthenticated: 9000009,
		alert.NewSensitiveData: 9000010, alert.Enumeration: 9000011, alert.BruteForce: 9000012,
		alert.CredentialStuffing: 9000013, alert.Scanning: 9000014, alert.Injection: 9000015,
	}
	if len(want) != len(alert.Types) {
		t.Errorf("alert.Types has %d types, the pinned ids %d: pin the new one", len(alert.Types), len(want))
	}
	for typ, id := range want {
		if got := output.EVESignatureID(typ); got != id {
			t.Errorf("EVESignatureID(%s) = %d, want %d", typ, got, id)
		}
	}
	u := output.EVESignatureID("future_type")
	if u < 9100000 || u >= 9200000 || u != output.EVESignatureID("future_type") {
		t.Errorf("EVESignatureID(unknown) = %d, want a stable id in [9100000, 9200000)", u)
	}
}

func TestEVESeverity(t *testing.T) {
	for _, tt := range []struct {
		s    alert.Severity
		want int
	}{
		{alert.Critical, 1}, {alert.High, 1}, {alert.Medium, 2}, {alert.Low, 3}, {alert.Info, 3}, {0, 3},
	} {
		if got := output.EVESeverity(tt.s); got != tt.want {
			t.Errorf("EVESeverity(%d) = %d, want %d", tt.s, got, tt.want)
		}
	}
}
