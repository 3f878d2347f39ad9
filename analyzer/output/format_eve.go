package output

import (
	"hash/fnv"

	"github.com/apitap/apitap/analyzer/alert"
)

// EVE encodes each state change as one Suricata EVE JSON alert, so that
// pipelines built for Suricata (the Elastic, Splunk and Sentinel Suricata
// integrations, jq scripts, EveBox) take apitap's alerts as they are:
//
//   - timestamp is the change's packet time (Last, Closed once closed) in
//     Suricata's layout, 2006-01-02T15:04:05.000000-0700, in UTC.
//   - src_ip and src_port are the client's (the port from the first
//     example it sent, 0 when unknown); dest_ip and dest_port the
//     service's, from the first example when the service is named by host.
//     An address the alert does not know is left out rather than empty:
//     integrations map these keys to IP fields, which reject "".
//   - proto is "TCP" and app_proto "http": apitap sees HTTP/1 over TCP.
//   - alert.action is "allowed" (a passive sensor blocks nothing), gid 1,
//     rev 1; signature_id is EVESignatureID of the type, signature its
//     title, category the Suricata classtype description that fits the
//     type, severity 1 for High and Critical, 2 for Medium, 3 for Low and
//     Info (Suricata: 1 is the most severe).
//   - alert.metadata carries, as Suricata's rule metadata does, lists of
//     strings: owasp, apitap_id, apitap_state, apitap_kind.
//   - http holds the first example: hostname (the service's host), url
//     (the target, redacted), http_method, status and length (response
//     body bytes).
//   - flow_id is left out: apitap alerts span many flows, and a made-up
//     id would join them to an unrelated Suricata flow.
//   - apitap keeps the whole alert in its own words.
//
// It holds no state, so one value may serve any number of queues at once.
type EVE struct {
	product alert.ProductInfo
}

var _ Format = EVE{}

// NewEVE returns the EVE format; p goes into apitap.product.
func NewEVE(p alert.ProductInfo) EVE { return EVE{product: p} }

// Name returns "eve".
func (EVE) Name() string { return "eve" }

// EVETimeLayout is the layout of Suricata's EVE timestamps.
const EVETimeLayout = "2006-01-02T15:04:05.000000-0700"

// EVESignatureID is the stable Suricata signature id of an alert type:
// 9000001 plus its index in alert.Types (in the range Suricata leaves to
// local rules), so rate_spike is 9000001 and injection 9000015. alert.Types
// only ever grows at its end, which keeps the numbers stable. A type not
// in the list takes 9100000 plus a hash of its name mod 100000.
func EVESignatureID(t alert.Type) int {
	for i, x := range alert.Types {
		if x == t {
			return 9000001 + i
		}
	}
	h := fnv.New32a()
	h.Write([]byte(t))
	return 9100000 + int(h.Sum32()%100000)
}

// eveCategory is the Suricata classtype description (classification.config)
// that fits each type: dashboards built for Suricata group by it.
var eveCategory = map[alert.Type]string{
	alert.RateSpike:          "Attempted Denial of Service",
	alert.RateDrop:           "Misc activity",
	alert.ErrorSurge:         "Potentially Bad Traffic",
	alert.AuthFailureSurge:   "Attempted User Privilege Gain",
	alert.LatencyShift:       "Misc activity",
	alert.ResponseSizeJump:   "Attempted Information Leak",
	alert.NewClientsSurge:    "Potentially Bad Traffic",
	alert.NewEndpoint:        "Misc activity",
	alert.Unauthenticated:    "Attempted Information Leak",
	alert.NewSensitiveData:   "Potential Corporate Privacy Violation",
	alert.Enumeration:        "Attempted Information Leak",
	alert.BruteForce:         "Attempted User Privilege Gain",
	alert.CredentialStuffing: "Attempted User Privilege Gain",
	alert.Scanning:           "Attempted Information Leak",
	alert.Injection:          "Web Application Attack",
}

// EVESeverity maps an alert severity onto Suricata's, where 1 is the most
// severe: High and Critical 1, Medium 2, Low and Info (and unknown) 3.
func EVESeverity(s alert.Severity) int {
	switch {
	case s >= alert.High:
		return 1
	case s == alert.Medium:
		return 2
	}
	return 3
}

// The EVE record. Field order is output order, Suricata's where it has one.
type (
	eveRecord struct {
		Timestamp string    `json:"timestamp"`
		EventType string    `json:"event_type"`
		SrcIP     string    `json:"src_ip,omitempty"`
		SrcPort   int       `json:"src_port"`
		DestIP    string    `json:"dest_ip,omitempty"`
		DestPort  int       `json:"dest_port"`
		Proto     string    `json:"proto"`
		AppProto  string    `json:"app_proto"`
		Alert     eveAlert  `json:"alert"`
		HTTP      *eveHTTP  `json:"http,omitempty"`
		Apitap    eveApitap `json:"apitap"`
	}
	eveAlert struct {
		Action      string      `json:"action"`
		GID         int         `json:"gid"`
		SignatureID int         `json:"signature_id"`
		Rev         int         `json:"rev"`
		Signature   string      `json:"signature"`
		Category    string      `json:"category"`
		Severity    int         `json:"severity"`
		Metadata    eveMetadata `json:"metadata"`
	}
	eveMetadata struct {
		OWASP       []string `json:"owasp,omitempty"`
		ApitapID    []string `json:"apitap_id"`
		ApitapState []string `json:"apitap_state"`
		ApitapKind  []string `json:"apitap_kind,omitempty"`
	}
	eveHTTP struct {
		Hostname   string `json:"hostname,omitempty"`
		URL        string `json:"url,omitempty"`
		HTTPMethod string `json:"http_method,omitempty"`
		Status     int    `json:"status,omitempty"`
		Length     *int64 `json:"length,omitempty"` // nil without an example: unknown, not 0
	}
	// eveApitap is the apitap namespace with the product that wrote it:
	// EVE has no field for the sensor's name and version.
	eveApitap struct {
		*apitapFields
		Product eveProduct `json:"product"`
	}
	eveProduct struct {
		Name    string `json:"name"`
		Vendor  string `json:"vendor"`
		Version string `json:"version,omitempty"`
	}
)

// Append appends a as one EVE JSON alert.
func (f EVE) Append(dst []byte, a *alert.Alert) ([]byte, error) {
	return appendRecordJSON(dst, f.record(a))
}

func (f EVE) record(a *alert.Alert) *eveRecord {
	ev := a.Evidence.Finite()
	p := peersOf(a)
	cat, ok := eveCategory[a.Type]
	if !ok {
		cat = "Misc activity"
	}
	r := &eveRecord{
		Timestamp: a.ChangeTime().UTC().Format(EVETimeLayout),
		EventType: "alert",
		SrcIP:     ipString(p.clientIP), SrcPort: p.clientPort,
		DestIP: ipString(p.ip), DestPort: p.port,
		Proto: "TCP", AppProto: "http",
		Alert: eveAlert{
			Action: "allowed", GID: 1, SignatureID: EVESignatureID(a.Type), Rev: 1,
			Signature: oneLine(a.Type.Title()), Category: cat, Severity: EVESeverity(a.Severity),
			Metadata: eveMetadata{ApitapID: []string{a.ID}, ApitapState: []string{string(a.State)}},
		},
		Apitap: eveApitap{
			apitapFields: apitapOf(a, ev),
			Product:      eveProduct{Name: orDefault(f.product.Name, "apitap"), Vendor: orDefault(f.product.Vendor, "apitap"), Version: f.product.Version},
		},
	}
	if a.OWASP != "" {
		r.Alert.Metadata.OWASP = []string{a.OWASP}
	}
	if a.Kind != "" {
		r.Alert.Metadata.ApitapKind = []string{string(a.Kind)}
	}
	h := &eveHTTP{Hostname: p.host, HTTPMethod: a.Method}
	if p.ex != nil {
		h.URL, h.HTTPMethod, h.Status, h.Length = p.ex.Target, p.ex.Method, p.ex.Status, &p.ex.Bytes
	}
	if h.Hostname != "" || h.HTTPMethod != "" || h.URL != "" {
		r.HTTP = h
	}
	return r
}
