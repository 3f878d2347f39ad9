package alert

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// OCSFVersion is the OCSF schema version the encoding targets: 1.5.0 is the
// first with a Detection Finding's anomaly_analyses, where the baseline
// and the observed figures of a statistical alert go.
const OCSFVersion = "1.5.0"

// OCSF Detection Finding constants (class 2004 in category 2, Findings).
const (
	ocsfCategory = 2
	ocsfClass    = 2004
)

// ProductInfo names the product in an event's metadata. The zero value
// names apitap without a version.
type ProductInfo struct {
	Name    string // "": apitap
	Vendor  string // "": apitap
	Version string // "": omitted
}

// The OCSF objects apitap fills, in OCSF's attribute names. Field order is
// output order.
type (
	ocsfFinding struct {
		ActivityID      int                `json:"activity_id"`
		ActivityName    string             `json:"activity_name"`
		CategoryUID     int                `json:"category_uid"`
		CategoryName    string             `json:"category_name"`
		ClassUID        int                `json:"class_uid"`
		ClassName       string             `json:"class_name"`
		TypeUID         int                `json:"type_uid"`
		TypeName        string             `json:"type_name"`
		Time            int64              `json:"time"`
		StartTime       int64              `json:"start_time"`
		EndTime         int64              `json:"end_time"`
		Count           uint64             `json:"count"`
		SeverityID      int                `json:"severity_id"`
		Severity        string             `json:"severity"`
		StatusID        int                `json:"status_id"`
		Status          string             `json:"status"`
		IsAlert         bool               `json:"is_alert,omitempty"`
		Message         string             `json:"message"`
		FindingInfo     ocsfFindingInfo    `json:"finding_info"`
		Resources       []ocsfResource     `json:"resources"`
		Evidences       []ocsfEvidence     `json:"evidences"`
		AnomalyAnalyses []ocsfAnomalyAnaly `json:"anomaly_analyses,omitempty"`
		Metadata        ocsfMetadata       `json:"metadata"`
		Unmapped        ocsfUnmapped       `json:"unmapped"`
	}
	ocsfFindingInfo struct {
		UID           string         `json:"uid"`
		Title         string         `json:"title"`
		Desc          string         `json:"desc,omitempty"`
		CreatedTime   int64          `json:"created_time"`
		ModifiedTime  int64          `json:"modified_time"`
		FirstSeenTime int64          `json:"first_seen_time"`
		LastSeenTime  int64          `json:"last_seen_time"`
		Types         []string       `json:"types"`
		Tags          []ocsfKeyValue `json:"tags,omitempty"`
		Analytic      ocsfAnalytic   `json:"analytic"`
	}
	ocsfKeyValue struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	ocsfAnalytic struct {
		UID    string `json:"uid"`
		Name   string `json:"name"`
		TypeID int    `json:"type_id"`
		Type   string `json:"type"`
	}
	ocsfResource struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	ocsfEvidence struct {
		SrcEndpoint  *ocsfEndpoint     `json:"src_endpoint,omitempty"`
		DstEndpoint  *ocsfEndpoint     `json:"dst_endpoint,omitempty"`
		HTTPRequest  *ocsfHTTPRequest  `json:"http_request,omitempty"`
		HTTPResponse *ocsfHTTPResponse `json:"http_response,omitempty"`
	}
	ocsfEndpoint struct {
		IP       string `json:"ip,omitempty"`
		Port     int    `json:"port,omitempty"`
		Hostname string `json:"hostname,omitempty"`
		Name     string `json:"name,omitempty"`
	}
	ocsfHTTPRequest struct {
		HTTPMethod string  `json:"http_method,omitempty"`
		URL        ocsfURL `json:"url"`
	}
	ocsfURL struct {
		Hostname    string `json:"hostname,omitempty"`
		Port        int    `json:"port,omitempty"`
		Path        string `json:"path"`
		QueryString string `json:"query_string,omitempty"`
	}
	ocsfHTTPResponse struct {
		Code   int   `json:"code"`
		Length int64 `json:"length"`
	}
	ocsfAnomalyAnaly struct {
		AnalysisTarget ocsfResource  `json:"analysis_target"`
		Anomalies      []ocsfPattern `json:"anomalies"`
		Baselines      []ocsfPattern `json:"baselines"`
	}
	ocsfPattern struct {
		ObservedAttribute string            `json:"observed_attribute"`
		ObservationType   string            `json:"observation_type"`
		ObservedPattern   string            `json:"observed_pattern,omitempty"`
		Observations      []ocsfObservation `json:"observations"`
	}
	ocsfObservation struct {
		Value    string        `json:"value"`
		Timespan *ocsfTimespan `json:"timespan,omitempty"`
	}
	ocsfTimespan struct {
		Duration  int64 `json:"duration"`
		StartTime int64 `json:"start_time"`
		EndTime   int64 `json:"end_time"`
	}
	ocsfMetadata struct {
		UID     string      `json:"uid"`
		Product ocsfProduct `json:"product"`
		Version string      `json:"version"`
	}
	ocsfProduct struct {
		Name       string `json:"name"`
		VendorName string `json:"vendor_name"`
		Version    string `json:"version,omitempty"`
	}
	// ocsfUnmapped keeps what OCSF has no attribute for: apitap's own
	// evidence record, in full.
	ocsfUnmapped struct {
		Apitap ocsfApitap `json:"apitap"`
	}
	ocsfApitap struct {
		Type     Type     `json:"type"`
		State    State    `json:"state"`
		OWASP    string   `json:"owasp,omitempty"`
		Evidence Evidence `json:"evidence"`
	}
)

// MarshalOCSF encodes one state change of a as an OCSF Detection Finding
// (class_uid 2004): activity Create, Update or Close by a.State, severity
// as is, finding_info.uid the alert's ID (stable over its life, so a SIEM
// folds the three activities into one finding), an evidence per example
// (or one naming the endpoint and client when there is none), and for
// statistical alerts an anomaly analysis with the baseline and observed
// figures. The OWASP category goes into finding_info.types and .tags.
//
// time is the packet time of the change: Last while the alert is open,
// Closed once it has closed (an alert closes CloseAfter after Last, and
// dating the close at Last would put it before the update it follows).
// status_id is New while open; once closed it is Other, "Closed": no one
// reviewed the finding, so OCSF's Resolved would claim too much.
func MarshalOCSF(a *Alert, product ProductInfo) ([]byte, error) {
	return json.Marshal(ocsfOf(a, product))
}

func ocsfOf(a *Alert, p ProductInfo) *ocsfFinding {
	activity, activityName := ocsfActivity(a.State)
	status, statusName := 1, "New"
	if a.State == Closed {
		status, statusName = 99, "Closed"
	}
	at := a.ChangeTime()
	ev := a.Evidence.Finite()
	host, port := SplitService(a.Service)
	title := a.Title()
	desc := ev.Summary()
	f := &ocsfFinding{
		ActivityID: activity, ActivityName: activityName,
		CategoryUID: ocsfCategory, CategoryName: "Findings",
		ClassUID: ocsfClass, ClassName: "Detection Finding",
		TypeUID: ocsfClass*100 + activity, TypeName: "Detection Finding: " + activityName,
		Time: ms(at), StartTime: ms(a.First), EndTime: ms(a.Last), Count: a.Count,
		SeverityID: int(a.Severity), Severity: a.Severity.Name(),
		StatusID: status, Status: statusName,
		IsAlert: a.State == Open,
		Message: title + ": " + desc,
		FindingInfo: ocsfFindingInfo{
			UID: a.ID, Title: title, Desc: desc,
			CreatedTime: ms(a.First), ModifiedTime: ms(at), FirstSeenTime: ms(a.First), LastSeenTime: ms(a.Last),
			Types: []string{string(a.Type)},
			Analytic: ocsfAnalytic{
				UID: "apitap/" + string(a.Type), Name: a.Type.Title(), TypeID: 1, Type: "Rule",
			},
		},
		Resources: []ocsfResource{{Name: a.Subject(), Type: resourceType(a)}},
		Metadata: ocsfMetadata{
			UID:     a.ChangeID(),
			Product: ocsfProduct{Name: or(p.Name, "apitap"), VendorName: or(p.Vendor, "apitap"), Version: p.Version},
			Version: OCSFVersion,
		},
		Unmapped: ocsfUnmapped{ocsfApitap{Type: a.Type, State: a.State, OWASP: a.OWASP, Evidence: ev}},
	}
	if a.Kind == Statistical {
		f.FindingInfo.Analytic.TypeID, f.FindingInfo.Analytic.Type = 3, "Statistical"
	}
	if a.OWASP != "" {
		name := a.OWASP + " " + OWASPName(a.OWASP)
		f.FindingInfo.Types = append(f.FindingInfo.Types, strings.TrimSpace(name))
		f.FindingInfo.Tags = []ocsfKeyValue{{Name: "owasp_api_top10_2023", Value: a.OWASP}}
	}
	for _, x := range a.Examples {
		e := ocsfEvidence{
			SrcEndpoint:  endpoint(x.Client),
			DstEndpoint:  endpoint(x.Server),
			HTTPResponse: &ocsfHTTPResponse{Code: x.Status, Length: x.Bytes},
		}
		if e.DstEndpoint == nil {
			e.DstEndpoint = &ocsfEndpoint{}
		}
		e.DstEndpoint.Hostname = host
		path, query, _ := strings.Cut(x.Target, "?")
		e.HTTPRequest = &ocsfHTTPRequest{HTTPMethod: x.Method, URL: ocsfURL{Hostname: host, Port: port, Path: path, QueryString: query}}
		f.Evidences = append(f.Evidences, e)
	}
	if len(f.Evidences) == 0 {
		e := ocsfEvidence{SrcEndpoint: endpoint(a.Client), DstEndpoint: &ocsfEndpoint{Hostname: host, Port: port}}
		if a.Method != "" || a.Route != "" {
			e.HTTPRequest = &ocsfHTTPRequest{HTTPMethod: a.Method, URL: ocsfURL{Hostname: host, Port: port, Path: a.Route}}
		}
		f.Evidences = []ocsfEvidence{e}
	}
	if a.Kind == Statistical && ev.Metric != "" {
		pattern := "ABOVE_BASELINE"
		if ev.Observed < ev.Baseline {
			pattern = "BELOW_BASELINE"
		}
		obs := ocsfObservation{Value: num(ev.Observed)}
		if d, err := time.ParseDuration(ev.Window); err == nil && d > 0 {
			obs.Timespan = &ocsfTimespan{Duration: d.Milliseconds(), StartTime: ms(a.Last.Add(-d)), EndTime: ms(a.Last)}
		}
		f.AnomalyAnalyses = []ocsfAnomalyAnaly{{
			AnalysisTarget: ocsfResource{Name: a.Subject(), Type: resourceType(a)},
			Anomalies: []ocsfPattern{{
				ObservedAttribute: ev.Metric, ObservationType: "Deviation Analysis", ObservedPattern: pattern,
				Observations: []ocsfObservation{obs},
			}},
			Baselines: []ocsfPattern{{
				ObservedAttribute: ev.Metric, ObservationType: "Deviation Analysis",
				Observations: []ocsfObservation{{Value: num(ev.Baseline)}},
			}},
		}}
	}
	return f
}

// ocsfActivity is OCSF's activity_id and activity_name of a state change.
func ocsfActivity(s State) (int, string) {
	switch s {
	case Updated:
		return 2, "Update"
	case Closed:
		return 3, "Close"
	}
	return 1, "Create"
}

// ChangeTime is the packet time of the state change a record of a
// reports: Last while a is open, Closed once it has closed. Every format
// dates its record so: an alert closes CloseAfter after Last, so dating
// the close at Last would put it at the same instant as the update
// before it.
func (a *Alert) ChangeTime() time.Time {
	if a.State == Closed && !a.Closed.IsZero() {
		return a.Closed
	}
	return a.Last
}

// ChangeID identifies one state change of a: its ID (stable over its
// life), the OCSF activity_id and ChangeTime in ms. It is OCSF's
// metadata.uid, so the same change resent has the same id in every
// format.
func (a *Alert) ChangeID() string {
	activity, _ := ocsfActivity(a.State)
	return a.ID + "-" + strconv.Itoa(activity) + "-" + strconv.FormatInt(ms(a.ChangeTime()), 10)
}

// Title is the alert in a few words: "Request rate spike on GET
// /orders/{id} at shop.example:8080 from 203.0.113.9".
func (a *Alert) Title() string {
	t := a.Type.Title() + " on " + a.Subject()
	if a.Client != "" {
		t += " from " + a.Client
	}
	return t
}

// Subject names what an alert is about: "GET /orders/{id} at
// shop.example:8080", or the service alone for service-wide alerts.
func (a *Alert) Subject() string {
	ep := strings.TrimSpace(a.Method + " " + a.Route)
	if ep == "" {
		return a.Service
	}
	return ep + " at " + a.Service
}

func resourceType(a *Alert) string {
	if a.Method == "" && a.Route == "" {
		return "API Service"
	}
	return "API Endpoint"
}

// Summary returns ev in one line for people: its Detail, or when the
// detector gave none a line of its figures, e.g. "requests 940 in 5m0s,
// baseline 120 ± 30, z 27.33".
func (ev Evidence) Summary() string {
	if ev.Detail != "" {
		return ev.Detail
	}
	var b strings.Builder
	b.WriteString(or(ev.Metric, "value"))
	b.WriteString(" " + num(ev.Observed))
	if ev.Window != "" {
		b.WriteString(" in " + ev.Window)
	}
	if ev.Baseline != 0 || ev.Spread != 0 {
		fmt.Fprintf(&b, ", baseline %s ± %s", num(ev.Baseline), num(ev.Spread))
	}
	if ev.Distinct > 0 {
		fmt.Fprintf(&b, ", %d distinct", ev.Distinct)
	}
	if ev.Subtype != "" {
		b.WriteString(", " + ev.Subtype)
	}
	if ev.ScoreKind != "" {
		fmt.Fprintf(&b, ", %s %s", ev.ScoreKind, num(ev.Score))
	}
	return b.String()
}

// SplitService returns a service's host and port: "shop.example:8080" and
// "shop.example:8080@vxlan=1" give shop.example and 8080, "[2001:db8::1]"
// gives 2001:db8::1 and 0. The tunnel is no part of an address; port 0 is
// unknown.
func SplitService(s string) (host string, port int) {
	s, _, _ = strings.Cut(s, "@")
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), 0
	}
	port, _ = strconv.Atoi(p)
	return h, port
}

// endpoint is an OCSF network endpoint for an address ("10.0.0.1:5000",
// "10.0.0.1"), or a named one for anything else; nil for "".
func endpoint(s string) *ocsfEndpoint {
	if s == "" {
		return nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return &ocsfEndpoint{IP: ap.Addr().Unmap().String(), Port: int(ap.Port())}
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return &ocsfEndpoint{IP: ip.Unmap().String()}
	}
	return &ocsfEndpoint{Name: s}
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
