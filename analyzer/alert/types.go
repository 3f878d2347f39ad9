package alert

// typeInfo is what the package knows about each Type: the words people
// read, the kind a detector of that type usually is, and the OWASP API
// Security Top 10 (2023) category it evidences.
type typeInfo struct {
	title string
	kind  Kind
	owasp string
}

// The OWASP API Security Top 10, 2023 edition
// (https://owasp.org/API-Security/editions/2023/en/0x11-t10/). The 2023
// list has no injection entry of its own: the 2019 list's API8:2019
// Injection was dropped, and apitap files injection under API8:2023
// Security Misconfiguration, where the missing input hardening that lets
// it reach an API belongs.
var owaspNames = map[string]string{
	"API1:2023":  "Broken Object Level Authorization",
	"API2:2023":  "Broken Authentication",
	"API3:2023":  "Broken Object Property Level Authorization",
	"API4:2023":  "Unrestricted Resource Consumption",
	"API5:2023":  "Broken Function Level Authorization",
	"API6:2023":  "Unrestricted Access to Sensitive Business Flows",
	"API7:2023":  "Server Side Request Forgery",
	"API8:2023":  "Security Misconfiguration",
	"API9:2023":  "Improper Inventory Management",
	"API10:2023": "Unsafe Consumption of APIs",
}

// types maps each Type to its typeInfo. A type that evidences no single
// OWASP category (a latency shift, a rate drop, scanning) has none rather
// than a forced one.
var types = map[Type]typeInfo{
	RateSpike:          {"Request rate spike", Statistical, "API4:2023"},
	RateDrop:           {"Request rate drop", Statistical, ""},
	ErrorSurge:         {"Server error surge", Statistical, ""},
	AuthFailureSurge:   {"Authentication failure surge", Statistical, ""},
	LatencyShift:       {"Latency shift", Statistical, ""},
	ResponseSizeJump:   {"Response size jump", Statistical, "API3:2023"},
	NewClientsSurge:    {"New clients surge", Statistical, ""},
	NewEndpoint:        {"New endpoint", Statistical, "API9:2023"},
	Unauthenticated:    {"Unauthenticated access", Statistical, "API2:2023"},
	NewSensitiveData:   {"New sensitive data", Statistical, "API3:2023"},
	Enumeration:        {"Object enumeration", Rule, "API1:2023"},
	BruteForce:         {"Login brute force", Rule, "API2:2023"},
	CredentialStuffing: {"Credential stuffing", Rule, "API2:2023"},
	Scanning:           {"Scanning", Rule, ""},
	Injection:          {"Injection attempt", Rule, "API8:2023"},
}

// Title returns the words people read for t, e.g. "Object enumeration"; an
// unknown type is its own title.
func (t Type) Title() string {
	if i, ok := types[t]; ok {
		return i.title
	}
	return string(t)
}

// OWASP returns the OWASP API Security Top 10 (2023) category t evidences,
// e.g. "API1:2023", or "" when it evidences none.
func (t Type) OWASP() string { return types[t].owasp }

// OWASPName returns the name of an OWASP API Security Top 10 (2023)
// category id, e.g. "Broken Object Level Authorization" for "API1:2023",
// or "" for an unknown id.
func OWASPName(id string) string { return owaspNames[id] }

// defaultKind is the kind of a finding whose detector did not say: the
// kind of its type's block in alert.go.
func defaultKind(t Type) Kind {
	if i, ok := types[t]; ok {
		return i.kind
	}
	return Rule
}

// Name returns the OCSF caption of s ("Informational" ... "Critical").
func (s Severity) Name() string {
	switch s {
	case Info:
		return "Informational"
	case Low:
		return "Low"
	case Medium:
		return "Medium"
	case High:
		return "High"
	case Critical:
		return "Critical"
	}
	return "Unknown"
}
