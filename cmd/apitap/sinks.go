package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/output"
)

// sinkURLs is the repeatable --sink flag: one SIEM destination per URL.
type sinkURLs []string

func (s *sinkURLs) String() string     { return strings.Join(*s, " ") }
func (s *sinkURLs) Set(v string) error { *s = append(*s, v); return nil }
func (*sinkURLs) repeatable()          {}

const sinkUsage = "send alerts to `URL` (repeatable): file:///path.jsonl?format=ocsf, syslog+tcp://host:514?format=cef, " +
	"syslog+tls://host:6514?ca=FILE, syslog+udp://..., https://splunk:8088/services/collector/event?format=hec, " +
	"https://hook/path?format=ocsf, kafka://broker:9092/topic; min_severity= and types= filter. " +
	"Secrets come from the config file's secrets or APITAP_SPLUNK_TOKEN, APITAP_WEBHOOK_SECRET, APITAP_KAFKA_PASSWORD"

// check parses every URL, so a bad one stops the start with what is wrong.
func (s sinkURLs) check() ([]output.SinkSpec, error) {
	var specs []output.SinkSpec
	for _, raw := range s {
		spec, err := output.ParseSink(raw)
		if err != nil {
			return nil, fmt.Errorf("--sink: %w", err)
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// secretsFrom looks a sink's secret up in the config file's secrets, then
// in the environment (APITAP_SPLUNK_TOKEN for "splunk_token").
func secretsFrom(config map[string]string) func(string) string {
	return func(name string) string {
		if v := config[name]; v != "" {
			return v
		}
		return os.Getenv("APITAP_" + strings.ToUpper(name))
	}
}

// openSpool opens the destinations and the spool that feeds them, in
// state/spool.db. Without a state directory the spool lives in a
// temporary directory, and remove deletes it: a read without --state
// delivers what it can before it ends and says what it could not.
func openSpool(specs []output.SinkSpec, state string, secrets func(string) string, log *zap.Logger, reg prometheus.Registerer) (sp *output.Spool, remove func(), err error) {
	var dests []output.Destination
	closeAll := func() {
		for _, d := range dests {
			d.Transport.Close()
		}
	}
	for _, spec := range specs {
		d, err := output.Open(spec, secrets, alert.ProductInfo{Name: "apitap", Vendor: "apitap", Version: version})
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		dests = append(dests, d)
	}
	remove = func() {}
	dir := state
	if dir == "" {
		if dir, err = os.MkdirTemp("", "apitap-spool-"); err != nil {
			closeAll()
			return nil, nil, err
		}
		remove = func() { os.RemoveAll(dir) }
	}
	sp, err = output.NewSpool(output.SpoolConfig{Path: filepath.Join(dir, "spool.db")}, dests, log, reg)
	if err != nil {
		closeAll()
		remove()
		return nil, nil, fmt.Errorf("open spool: %w", err)
	}
	return sp, remove, nil
}

// alertsSinkURL is the sink --alerts FILE stands for: OCSF JSON Lines in
// FILE, through the spool like any sink.
func alertsSinkURL(file string) string {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(file), RawQuery: "format=ocsf"}).String()
}
