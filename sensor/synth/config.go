package synth

import (
	"errors"
	"fmt"
	"time"
)

// Config describes the traffic Write generates. The zero value is usable:
// every zero field takes the default given in its comment.
type Config struct {
	// Seed selects the traffic. The same Config (Seed included) gives the
	// same bytes, with the same Go version (compress/gzip output is part of
	// the bytes).
	Seed uint64

	// Connections is the number of TCP connections. Default 1000.
	Connections int

	// RequestsPerConn is the average number of keep-alive requests per
	// connection; each connection carries between 1 and 2*RequestsPerConn-1
	// of them, uniformly. Default 10.
	RequestsPerConn int

	// Concurrency is how many connections are open at the same time; their
	// packets interleave in the capture. Default 32.
	Concurrency int

	// Services are the HTTP servers the clients talk to. Default: the four
	// services listed in DefaultServices.
	Services []Service

	// MSS is the largest TCP payload in one segment. Default 1448.
	MSS int

	// ChunkedShare is the share of responses with a body that use
	// Transfer-Encoding: chunked instead of Content-Length. Default 0.25;
	// a negative value means none.
	ChunkedShare float64

	// GzipShare is the share of responses with a body that are sent with
	// Content-Encoding: gzip (if the request accepted gzip, which most
	// clients do). Default 0.2; a negative value means none.
	GzipShare float64

	// LossRate is the share of data segments (those with payload) that are
	// left out of the capture, as a lossy mirror would. The endpoints still
	// see them, so sequence and acknowledgement numbers run on past the gap.
	// Default 0.
	LossRate float64

	// StartTime is the timestamp of the first packet. Default
	// 2024-03-01T12:00:00Z. It must lie between 1970 and 2106 (pcap stores
	// 32-bit seconds).
	StartTime time.Time
}

// Service is one HTTP server.
type Service struct {
	Host   string // Host header without port, e.g. "api.shop.example"
	Port   uint16 // TCP port; 0 means 80. The Host header names it when not 80.
	Prefix string // path prefix of every route, e.g. "/api/v1"; may be empty
}

// DefaultServices returns the services used when Config.Services is empty.
func DefaultServices() []Service {
	return []Service{
		{Host: "api.shop.example", Port: 80, Prefix: "/api/v1"},
		{Host: "users.example", Port: 8080, Prefix: "/v2"},
		{Host: "payments.example", Port: 80, Prefix: "/payments/v1"},
		{Host: "inventory.internal", Port: 8000, Prefix: "/internal/inventory"},
	}
}

var defaultStart = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.Connections == 0 {
		cfg.Connections = 1000
	}
	if cfg.RequestsPerConn == 0 {
		cfg.RequestsPerConn = 10
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 32
	}
	if len(cfg.Services) == 0 {
		cfg.Services = DefaultServices()
	}
	if cfg.MSS == 0 {
		cfg.MSS = 1448
	}
	switch {
	case cfg.ChunkedShare == 0:
		cfg.ChunkedShare = 0.25
	case cfg.ChunkedShare < 0:
		cfg.ChunkedShare = 0
	}
	switch {
	case cfg.GzipShare == 0:
		cfg.GzipShare = 0.2
	case cfg.GzipShare < 0:
		cfg.GzipShare = 0
	}
	if cfg.StartTime.IsZero() {
		cfg.StartTime = defaultStart
	}
	return cfg
}

// Validate reports a Config that Write cannot generate. Zero fields are
// valid: they take their defaults.
func (cfg Config) Validate() error {
	c := cfg.withDefaults()
	var errs []error
	if c.Connections < 0 {
		errs = append(errs, fmt.Errorf("connections %d < 0", c.Connections))
	}
	if c.RequestsPerConn < 0 {
		errs = append(errs, fmt.Errorf("requests per connection %d < 0", c.RequestsPerConn))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("concurrency %d < 0", c.Concurrency))
	}
	if c.MSS < 64 || c.MSS > 9000 {
		errs = append(errs, fmt.Errorf("mss %d outside [64, 9000]", c.MSS))
	}
	if c.ChunkedShare > 1 {
		errs = append(errs, fmt.Errorf("chunked share %g > 1", c.ChunkedShare))
	}
	if c.GzipShare > 1 {
		errs = append(errs, fmt.Errorf("gzip share %g > 1", c.GzipShare))
	}
	if c.LossRate < 0 || c.LossRate >= 1 {
		errs = append(errs, fmt.Errorf("loss rate %g outside [0, 1)", c.LossRate))
	}
	if len(c.Services) > 200 {
		errs = append(errs, fmt.Errorf("%d services, at most 200", len(c.Services)))
	}
	for i, s := range c.Services {
		if s.Host == "" {
			errs = append(errs, fmt.Errorf("service %d: empty host", i))
		}
	}
	if s := c.StartTime.Unix(); s < 0 || s > 1<<32-1-1e6 {
		errs = append(errs, fmt.Errorf("start time %v outside the pcap range", c.StartTime))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("synth config: %w", err)
	}
	return nil
}
