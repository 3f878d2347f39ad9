package output

import (
	"strconv"
	"strings"

	"github.com/apitap/apitap/analyzer/alert"
)

// CEF encodes each state change as one ArcSight Common Event Format line,
// without the syslog prefix a syslog transport adds:
//
//	CEF:0|Vendor|Product|Version|Signature ID|Name|Severity|Extension
//
// The signature id is the alert type and the name its title, so ArcSight
// and QRadar group by detector; the severity maps Info 1, Low 3, Medium 5,
// High 8, Critical 10 (0 for an unknown severity).
//
// Header fields escape \ and | as \\ and \|; a line break, which the
// header has no escape for, becomes a space. Extension values escape \, =
// and line breaks as \\, \=, \n and \r; | needs none there. The extension
// uses keys of the CEF extension dictionary (Implementing ArcSight CEF,
// revision 25), each only when the alert has its value:
//
//	rt             deviceReceiptTime: the change's packet time (Last, Closed once closed), ms since the epoch
//	start, end     startTime, endTime: the alert's First and Last, ms since the epoch
//	msg            message: title and evidence in one line
//	act            deviceAction: always "alert"; a passive sensor blocks nothing
//	cat            deviceEventCategory: the OWASP API Security Top 10 (2023) id, e.g. API2:2023
//	app, proto     applicationProtocol HTTP, transportProtocol TCP
//	src, spt       sourceAddress, sourcePort: the client's IP, its port in the first example it sent
//	shost          sourceHostName: the client when it is not an IP
//	dst, dpt       destinationAddress, destinationPort: the service's IP (or the first example's server), port
//	dhost          destinationHostName: the service's host name
//	requestMethod  the HTTP method
//	request        requestUrl: http://host[:port] and the first example's target (redacted)
//	in             bytesIn: the first example's response body bytes (destination to source)
//	cs1 id         deviceCustomString1: the alert id, stable over its life, for deduplication
//	cs2 state      open, updated or closed
//	cs3 owasp      the OWASP category with its name
//	cs4 evidence   the evidence in one line (its detail, or its figures)
//	cs5 route      the route template, e.g. /orders/{id}
//	cs6 service    the service as apitap names it, e.g. shop.example:8080@vxlan=7
//	cn1 count      deviceCustomNumber1: windows or transactions that fired
//	cn2 distinct   distinct ids or paths (enumeration, scanning)
//	cn3 status     the first example's HTTP status
//	cfp1 observed  deviceCustomFloatingPoint1: the figure observed in the window
//	cfp2 baseline  what the baseline expected (statistical alerts: a rule has none)
//	cfp3 spread    its standard deviation
//	cfp4 score_*   the score, its label naming its kind: score_z, score_neg_log10_p, score_count
//
// Each custom field carries its csNLabel, cnNLabel or cfpNLabel. Numbers
// go out in Go's shortest form ('g'), which ArcSight parses as floats.
// It holds no state, so one value may serve any number of queues at once.
type CEF struct {
	product alert.ProductInfo
}

var _ Format = CEF{}

// NewCEF returns the CEF format naming p in each line's header.
func NewCEF(p alert.ProductInfo) CEF { return CEF{product: p} }

// Name returns "cef".
func (CEF) Name() string { return "cef" }

// CEFSeverity maps an alert severity onto CEF's 0-10 scale.
func CEFSeverity(s alert.Severity) int {
	switch s {
	case alert.Info:
		return 1
	case alert.Low:
		return 3
	case alert.Medium:
		return 5
	case alert.High:
		return 8
	case alert.Critical:
		return 10
	}
	return 0
}

// Append appends a as one CEF line.
func (f CEF) Append(dst []byte, a *alert.Alert) ([]byte, error) {
	ev := a.Evidence.Finite()
	p := peersOf(a)
	dst = append(dst, "CEF:0|"...)
	for _, h := range []string{
		orDefault(f.product.Vendor, "apitap"), orDefault(f.product.Name, "apitap"), f.product.Version,
		string(a.Type), a.Type.Title(),
	} {
		dst = appendCEFHeader(dst, h)
		dst = append(dst, '|')
	}
	dst = strconv.AppendInt(dst, int64(CEFSeverity(a.Severity)), 10)
	dst = append(dst, '|')

	e := cefExt{dst: dst}
	e.num("rt", epochMs(a.ChangeTime()))
	e.num("start", epochMs(a.First))
	e.num("end", epochMs(a.Last))
	e.str("msg", recordMessage(a, ev))
	e.str("act", "alert")
	e.str("cat", a.OWASP)
	e.str("app", "HTTP")
	e.str("proto", "TCP")
	if p.clientIP.IsValid() {
		e.str("src", p.clientIP.String())
		if p.clientPort != 0 {
			e.num("spt", int64(p.clientPort))
		}
	} else {
		e.str("shost", p.client)
	}
	if p.ip.IsValid() {
		e.str("dst", p.ip.String())
	}
	e.str("dhost", p.domain)
	if p.port != 0 {
		e.num("dpt", int64(p.port))
	}
	method := a.Method
	if p.ex != nil {
		method = p.ex.Method
	}
	e.str("requestMethod", method)
	if p.ex != nil {
		e.str("request", requestURL(p))
		e.num("in", p.ex.Bytes)
	}
	e.label("cs1", "id", a.ID)
	e.label("cs2", "state", string(a.State))
	e.label("cs3", "owasp", owaspLabel(a.OWASP))
	e.label("cs4", "evidence", ev.Summary())
	e.label("cs5", "route", a.Route)
	e.label("cs6", "service", a.Service)
	e.label("cn1", "count", strconv.FormatUint(a.Count, 10))
	if ev.Distinct > 0 {
		e.label("cn2", "distinct", strconv.Itoa(ev.Distinct))
	}
	if p.ex != nil && p.ex.Status != 0 {
		e.label("cn3", "status", strconv.Itoa(p.ex.Status))
	}
	if ev.Metric != "" || ev.Observed != 0 {
		e.label("cfp1", "observed", cefNum(ev.Observed))
	}
	if ev.Baseline != 0 || ev.Spread != 0 { // a rule alert has no baseline: 0 would read as one
		e.label("cfp2", "baseline", cefNum(ev.Baseline))
		e.label("cfp3", "spread", cefNum(ev.Spread))
	}
	if ev.ScoreKind != "" || ev.Score != 0 {
		e.label("cfp4", "score_"+orDefault(ev.ScoreKind, "unknown"), cefNum(ev.Score))
	}
	return e.dst, nil
}

// requestURL is the first example's URL: http://, the service's host (an
// IPv6 one in brackets), its port when it has one, and the target.
func requestURL(p alertPeers) string {
	host := p.host
	if p.ip.IsValid() && p.domain == "" && p.ip.Is6() {
		host = "[" + host + "]"
	}
	if p.port != 0 && p.port != 80 {
		host += ":" + strconv.Itoa(p.port)
	}
	return "http://" + host + p.ex.Target
}

func cefNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// cefExt appends key=value pairs, space-separated, leaving out empty values
// (CEF has no null, and an empty value reads as a missing one anyway).
type cefExt struct {
	dst []byte
	n   int
}

func (e *cefExt) str(key, v string) {
	if v == "" {
		return
	}
	if e.n > 0 {
		e.dst = append(e.dst, ' ')
	}
	e.n++
	e.dst = append(e.dst, key...)
	e.dst = append(e.dst, '=')
	e.dst = appendCEFValue(e.dst, v)
}

func (e *cefExt) num(key string, v int64) {
	if v == 0 {
		return
	}
	e.str(key, strconv.FormatInt(v, 10))
}

// label writes a custom field and its label, key then keyLabel.
func (e *cefExt) label(key, label, v string) {
	if v == "" {
		return
	}
	e.str(key, v)
	e.str(key+"Label", label)
}

// appendCEFHeader appends a header field: \ and | escaped, line breaks as
// spaces.
func appendCEFHeader(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '|':
			dst = append(dst, '\\', c)
		case '\r', '\n':
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendCEFValue appends an extension value: \ and = escaped, line breaks
// as \n and \r.
func appendCEFValue(dst []byte, s string) []byte {
	if !strings.ContainsAny(s, "\\=\r\n") {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '=':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
