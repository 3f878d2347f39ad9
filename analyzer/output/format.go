package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
)

// FormatNames lists the formats FormatByName knows, in the order its error
// lists them.
var FormatNames = []string{"ocsf", "ecs", "cef", "eve"}

// FormatByName returns the format a sink URL names ("ocsf", "ecs", "cef",
// "eve"), naming the product apitap without a version. Use NewFormat to
// stamp the running version into the records: a SIEM rule that matches on
// the version then sees it.
func FormatByName(name string) (Format, error) {
	return NewFormat(name, alert.ProductInfo{})
}

// NewFormat returns the format called name, naming product p in each
// record (OCSF metadata.product, ECS observer, the CEF header's vendor,
// product and version, EVE's apitap.product). An unknown name is an error
// that lists the known ones, so a typo in a sink URL says what would work.
func NewFormat(name string, p alert.ProductInfo) (Format, error) {
	switch name {
	case "ocsf":
		return NewOCSF(p), nil
	case "ecs":
		return NewECS(p), nil
	case "cef":
		return NewCEF(p), nil
	case "eve":
		return NewEVE(p), nil
	}
	return nil, fmt.Errorf("unknown format %q: want one of %s", name, strings.Join(FormatNames, ", "))
}

func epochMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// recordMessage is the alert in one line for people: its title and
// evidence. Line breaks a detector or a route let through become spaces:
// SIEM list views show message and msg as one line, and the exact text
// stays in the apitap fields (and CEF's cs4, cs5, cs6).
func recordMessage(a *alert.Alert, ev alert.Evidence) string {
	return oneLine(a.Title() + ": " + ev.Summary())
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

// owaspLabel is a category with its name, "API1:2023 Broken Object Level
// Authorization", or "" for none.
func owaspLabel(id string) string {
	if id == "" {
		return ""
	}
	return strings.TrimSpace(id + " " + alert.OWASPName(id))
}

// OWASPRuleset names the list the OWASP categories come from, in ECS
// rule.ruleset.
const OWASPRuleset = "OWASP API Security Top 10 2023"

// owaspURL is the 2023 list's page: the one reference every category has.
const owaspURL = "https://owasp.org/API-Security/editions/2023/en/0x11-t10/"

// alertPeers is where an alert's traffic went from and to, as far as the alert
// tells: the client (an address or a name), the service's host and port,
// and the first example's addresses for what the service name leaves out
// (a service named by host has no IP; its examples' servers do).
type alertPeers struct {
	client     string     // a.Client as is: an IP, or a name when not one
	clientIP   netip.Addr // invalid when the client is not an address
	clientPort int        // from the first example of this client; 0 unknown
	host       string     // the service's host: a name or an IP, no port or tunnel
	domain     string     // host when it is a name, else ""
	ip         netip.Addr // host when it is an IP, else the first example's server
	port       int        // the service's port, else the first example's server port
	ex         *alert.Example
}

// peersOf parses a's service ("host", "host:port", "ip:port", "[v6]:port",
// "host@vxlan=42": the tunnel goes, it is no part of an address) and
// client, and fills in from the first example.
func peersOf(a *alert.Alert) alertPeers {
	var p alertPeers
	p.client = a.Client
	p.clientIP, p.clientPort = parseAddrPort(a.Client)
	p.host, p.port = alert.SplitService(a.Service)
	if ip, err := netip.ParseAddr(p.host); err == nil {
		p.ip = ip.Unmap()
	} else {
		p.domain = p.host
	}
	if len(a.Examples) > 0 {
		x := &a.Examples[0]
		p.ex = x
		sip, sport := parseAddrPort(x.Server)
		if !p.ip.IsValid() {
			p.ip = sip
		}
		if p.port == 0 {
			p.port = sport
		}
		for i := range a.Examples {
			cip, cport := parseAddrPort(a.Examples[i].Client)
			if p.clientIP.IsValid() && cip == p.clientIP && p.clientPort == 0 {
				p.clientPort = cport
				break
			}
		}
	}
	return p
}

// parseAddrPort parses "ip:port", "[v6]:port" or "ip"; the zero Addr and 0 for
// anything else.
func parseAddrPort(s string) (netip.Addr, int) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), int(ap.Port())
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return ip.Unmap(), 0
	}
	return netip.Addr{}, 0
}

// ipString is ip in text, or "" for the zero Addr (omitted by omitempty).
func ipString(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	return ip.String()
}

// target splits the first example's target into path and query; both ""
// without an example.
func (p *alertPeers) target() (path, query string) {
	if p.ex == nil {
		return "", ""
	}
	path, query, _ = strings.Cut(p.ex.Target, "?")
	return path, query
}

// appendRecordJSON appends v as JSON without a trailing newline and without
// escaping <, > and & (routes and queries keep them readable; no record is
// embedded in HTML). Line breaks inside strings are escaped by JSON itself.
func appendRecordJSON(dst []byte, v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte{'\n'})...), nil
}

// apitapFields is the alert in its own words, the apitap namespace of the
// JSON formats (ECS apitap.*, EVE apitap): what SIEM schemas have no field
// for stays searchable under one prefix.
type apitapFields struct {
	ID       string          `json:"id"`
	Type     alert.Type      `json:"type"`
	Kind     alert.Kind      `json:"kind,omitempty"`
	Severity string          `json:"severity"`
	State    alert.State     `json:"state"`
	OWASP    string          `json:"owasp,omitempty"`
	Service  string          `json:"service"`
	Method   string          `json:"method,omitempty"`
	Route    string          `json:"route,omitempty"`
	Client   string          `json:"client,omitempty"`
	Count    uint64          `json:"count"`
	First    string          `json:"first"`
	Last     string          `json:"last"`
	Closed   string          `json:"closed,omitempty"`
	Evidence alert.Evidence  `json:"evidence"`
	Examples []alert.Example `json:"examples,omitempty"`
}

func apitapOf(a *alert.Alert, ev alert.Evidence) *apitapFields {
	f := &apitapFields{
		ID: a.ID, Type: a.Type, Kind: a.Kind, Severity: a.Severity.Name(), State: a.State, OWASP: a.OWASP,
		Service: a.Service, Method: a.Method, Route: a.Route, Client: a.Client, Count: a.Count,
		First: utcRFC3339(a.First), Last: utcRFC3339(a.Last), Closed: utcRFC3339(a.Closed),
		Evidence: ev, Examples: a.Examples,
	}
	return f
}

// utcRFC3339 is t in UTC, RFC 3339 with as many fractional digits as it has;
// "" for the zero time.
func utcRFC3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
