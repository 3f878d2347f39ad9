package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Type names what an alert is about. The values are stable: they are stored,
// sent to SIEMs and matched against scenario labels.
type Type string

// Statistical deviations of an endpoint (or service) from its baseline.
const (
	RateSpike        Type = "rate_spike"         // requests far above the expected count
	RateDrop         Type = "rate_drop"          // requests far below it
	ErrorSurge       Type = "error_surge"        // 5xx ratio far above the baseline
	AuthFailureSurge Type = "auth_failure_surge" // 401/403 ratio far above the baseline
	LatencyShift     Type = "latency_shift"      // median latency moved away from the baseline
	ResponseSizeJump Type = "response_size_jump" // responses far larger than usual: exfiltration
	NewClientsSurge  Type = "new_clients_surge"  // many clients never seen before
	NewEndpoint      Type = "new_endpoint"       // an endpoint appeared after the service's learning period
	Unauthenticated  Type = "unauthenticated_access"
	NewSensitiveData Type = "new_sensitive_data" // a sensitive-data class never returned before
)

// API-abuse patterns, by rule.
const (
	Enumeration        Type = "enumeration"         // one client walking many object ids (BOLA)
	BruteForce         Type = "brute_force"         // failed logins from one client
	CredentialStuffing Type = "credential_stuffing" // failed logins spread over many clients
	Scanning           Type = "scanning"            // 404s and never-seen paths from one client
	Injection          Type = "injection"           // SQLi, XSS, path traversal, command injection
)

// Types lists every Type, in a fixed order.
var Types = []Type{
	RateSpike, RateDrop, ErrorSurge, AuthFailureSurge, LatencyShift, ResponseSizeJump,
	NewClientsSurge, NewEndpoint, Unauthenticated, NewSensitiveData,
	Enumeration, BruteForce, CredentialStuffing, Scanning, Injection,
}

// Severity orders alerts for triage; its numbers are OCSF's severity_id.
type Severity int

const (
	Info     Severity = 1
	Low      Severity = 2
	Medium   Severity = 3
	High     Severity = 4
	Critical Severity = 5
)

// Kind says how an alert was reached: OCSF's analytic type.
type Kind string

const (
	Statistical Kind = "statistical" // a deviation from a learned baseline
	Rule        Kind = "rule"        // a pattern that needs no baseline
)

// State is where an alert is in its life.
type State string

const (
	Open    State = "open"
	Updated State = "updated"
	Closed  State = "closed"
)

// Evidence is what made a detector fire: the figure observed in the window,
// what the baseline expected, its spread, and a score (the larger, the
// stranger; a z-score or -log10 of a p-value, as Score says).
type Evidence struct {
	Metric    string  `json:"metric"`             // what was measured: "requests", "error_ratio_5xx", "latency_p50_ms", ...
	Observed  float64 `json:"observed"`           // in the window
	Baseline  float64 `json:"baseline"`           // expected for the window
	Spread    float64 `json:"spread"`             // standard deviation expected
	Score     float64 `json:"score"`              // see ScoreKind
	ScoreKind string  `json:"score_kind"`         // "z", "neg_log10_p" or "count"
	PValue    float64 `json:"p_value,omitempty"`  // when a count test gave one
	Window    string  `json:"window"`             // e.g. "5m0s"
	Detail    string  `json:"detail,omitempty"`   // one line for people: what and why
	Subtype   string  `json:"subtype,omitempty"`  // injection: "sqli", "xss", "path_traversal", ...
	Distinct  int     `json:"distinct,omitempty"` // enumeration and scanning: distinct ids or paths
}

// Example is one transaction behind an alert, secrets already redacted.
type Example struct {
	Time   time.Time `json:"time"`
	Client string    `json:"client"`
	Server string    `json:"server"`
	Method string    `json:"method"`
	Target string    `json:"target"` // path and query, redacted
	Status int       `json:"status"`
	Bytes  int64     `json:"bytes"` // response body
}

// MaxExamples bounds the examples an alert keeps.
const MaxExamples = 5

// Alert is one finding: opened when a detector first fires for a (type,
// endpoint, client), updated while the condition lasts, closed after it
// has been quiet for a while. Times are packet times.
type Alert struct {
	ID       string    `json:"id"` // stable over the alert's life; see NewID
	Type     Type      `json:"type"`
	Kind     Kind      `json:"kind"`
	Severity Severity  `json:"severity"`
	State    State     `json:"state"`
	OWASP    string    `json:"owasp,omitempty"` // OWASP API Security Top 10 (2023) category, e.g. "API1:2023"
	Service  string    `json:"service"`
	Method   string    `json:"method,omitempty"`
	Route    string    `json:"route,omitempty"` // "" for service-wide alerts
	Client   string    `json:"client,omitempty"`
	First    time.Time `json:"first"` // packet time the condition was first seen
	Last     time.Time `json:"last"`  // packet time it was last seen
	Closed   time.Time `json:"closed,omitzero"`
	Count    uint64    `json:"count"` // windows or transactions that fired
	Evidence Evidence  `json:"evidence"`
	Examples []Example `json:"examples,omitempty"`
}

// Key is what deduplicates alerts: one open alert per key.
type Key struct {
	Type                           Type
	Service, Method, Route, Client string
}

// Key returns a's deduplication key.
func (a *Alert) Key() Key { return Key{a.Type, a.Service, a.Method, a.Route, a.Client} }

// NewID returns the stable id of the alert that k opened at first: the same
// inputs always give the same id, so a SIEM can deduplicate resends.
func NewID(k Key, first time.Time) string {
	h := sha256.New()
	for _, s := range []string{string(k.Type), k.Service, k.Method, k.Route, k.Client, first.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
