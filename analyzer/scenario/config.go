package scenario

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/spec"
)

// Config describes a scenario. The zero value is usable: every zero field
// takes the default given in its comment.
type Config struct {
	// Seed selects the scenario: the same Config gives the same bytes.
	Seed uint64

	// Days is the length of the capture in days. Default 7. The first
	// LearningDays are always clean.
	Days int

	// Start is the time of the capture's first packet, truncated to the
	// second. Default 2026-01-05T00:00:00Z, a Monday. It must lie between
	// 1970 and 2106 (pcap stores 32-bit seconds).
	Start time.Time

	// Specs are OpenAPI 3.x or Swagger 2.0 files, one per service (see
	// Services). Default: a built-in shop API.
	Specs []string

	// Services is the number of API services. Default: one per spec, or
	// 4 with the built-in spec. With more services than specs the specs
	// are reused in turn, under other host names.
	Services int

	// Clients is the initial client population of each service. Default
	// 300. New clients join at about 3 % of it a day.
	Clients int

	// Attacks lists the attack types to plant, by alert type name
	// ("rate_spike", "scanning", ...; see AllAttacks). Empty: none.
	Attacks []string

	// Scale multiplies every request rate. Default DefaultScale, where a
	// 7-day scenario of the four built-in services has about 125 000
	// transactions in 190 MB; at 1 the endpoints' weekday rates span 200
	// to 20 000 requests a day.
	Scale float64
}

// LearningDays are the days at the start that carry no attack.
const LearningDays = 2

// DefaultScale is Config.Scale's default: it keeps a week of the four
// default services under 200 MB.
const DefaultScale = 0.05

var defaultStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

const (
	defaultDays     = 7
	defaultServices = 4
	defaultClients  = 300
	maxServices     = 200
	maxDays         = 366
)

// AllAttacks returns every attack type Generate can plant, in the order of
// alert.Types.
func AllAttacks() []string {
	out := make([]string, len(alert.Types))
	for i, t := range alert.Types {
		out[i] = string(t)
	}
	return out
}

// ParseAttacks turns the --attacks flag into a list: "all", "none" (or
// ""), or type names separated by commas.
func ParseAttacks(s string) ([]string, error) {
	switch s = strings.TrimSpace(s); s {
	case "", "none":
		return nil, nil
	case "all":
		return AllAttacks(), nil
	}
	var out []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(alert.Types, alert.Type(name)) {
			return nil, fmt.Errorf("unknown attack type %q (want all, none or some of %s)", name, strings.Join(AllAttacks(), ","))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

func (cfg Config) withDefaults() Config {
	if cfg.Days == 0 {
		cfg.Days = defaultDays
	}
	if cfg.Start.IsZero() {
		cfg.Start = defaultStart
	}
	cfg.Start = cfg.Start.UTC().Truncate(time.Second)
	if cfg.Services == 0 {
		cfg.Services = len(cfg.Specs)
		if cfg.Services == 0 {
			cfg.Services = defaultServices
		}
	}
	if cfg.Clients == 0 {
		cfg.Clients = defaultClients
	}
	if cfg.Scale == 0 {
		cfg.Scale = DefaultScale
	}
	return cfg
}

// Validate reports a Config that Generate cannot generate. Zero fields are
// valid: they take their defaults. Spec files are read by Generate, not
// here.
func (cfg Config) Validate() error {
	c := cfg.withDefaults()
	var errs []error
	if c.Days < 1 || c.Days > maxDays {
		errs = append(errs, fmt.Errorf("days %d outside [1, %d]", c.Days, maxDays))
	}
	if c.Services < 1 || c.Services > maxServices {
		errs = append(errs, fmt.Errorf("services %d outside [1, %d]", c.Services, maxServices))
	}
	if c.Clients < 1 || c.Clients > 20_000 {
		errs = append(errs, fmt.Errorf("clients %d outside [1, 20000]", c.Clients))
	}
	if !(c.Scale > 0 && c.Scale <= 100) {
		errs = append(errs, fmt.Errorf("scale %g outside (0, 100]", c.Scale))
	}
	for _, a := range c.Attacks {
		if !slices.Contains(alert.Types, alert.Type(a)) {
			errs = append(errs, fmt.Errorf("unknown attack type %q", a))
		}
	}
	if s := c.Start.Unix(); s < 0 || s+int64(c.Days+1)*86400 > 1<<32-1 {
		errs = append(errs, fmt.Errorf("start time %v outside the pcap range", c.Start))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("scenario config: %w", err)
	}
	return nil
}

// Label is one planted attack: the ground truth a detector's alerts are
// matched against.
type Label struct {
	Type    string    `json:"type"` // an alert.Type value
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Service string    `json:"service"` // the Host, as the inventory names the service
	Method  string    `json:"method"`  // "" when the attack spans the service's endpoints
	Route   string    `json:"route"`   // documented template with base path, the literal path of an undocumented endpoint, or ""
	Client  string    `json:"client"`  // the one client's IP, "" when many
	Detail  string    `json:"detail"`
}

// Summary describes what Generate wrote.
type Summary struct {
	Start time.Time `json:"start"` // time of the first packet
	End   time.Time `json:"end"`   // and of the last

	Services     []Service `json:"services"`
	Endpoints    int       `json:"endpoints"`     // distinct (service, method, route) of normal traffic, new endpoints included
	EndpointDays float64   `json:"endpoint_days"` // the sum over those endpoints of the days each existed: the denominator of false alarms per endpoint-day
	Clients      int       `json:"clients"`       // distinct client addresses that sent requests, attackers included

	Transactions       int64 `json:"transactions"`        // HTTP exchanges, each answered
	AttackTransactions int64 `json:"attack_transactions"` // those sent or changed by the planted attacks (rate_spike's extra load, error_surge's window, ...)
	Connections        int64 `json:"connections"`
	Packets            int64 `json:"packets"`
	Bytes              int64 `json:"bytes"` // size of the pcap file

	Attacks map[string]int `json:"attacks"` // labels by type
}

// Service is one generated API service.
type Service struct {
	Host      string         `json:"host"`      // Host header and inventory service name
	Addr      netip.AddrPort `json:"addr"`      // server address
	SpecFile  string         `json:"spec_file"` // the spec's path, or "builtin"
	BasePath  string         `json:"base_path"` // of the spec's first server, prefixed to every route
	Login     string         `json:"login"`     // "METHOD route" of the login endpoint
	Endpoints int            `json:"endpoints"` // operations in use from the start, the login included
	Clients   int            `json:"clients"`   // client population at the end, attackers not counted

	// Spec is the service's spec with its servers' host set to Host, for
	// spec.NewIndex: with it the inventory names the routes as the labels
	// do.
	Spec *spec.Spec `json:"-"`
}

// Specs returns the spec of each service, for spec.NewIndex.
func (s *Summary) Specs() []*spec.Spec {
	out := make([]*spec.Spec, len(s.Services))
	for i := range s.Services {
		out[i] = s.Services[i].Spec
	}
	return out
}
