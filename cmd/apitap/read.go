package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/output"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/http1"
)

// cmdRead implements `apitap read`. It returns the exit status: 0 when every
// capture was read whole, 1 when any failed (the others are still read), 2
// on bad usage.
func cmdRead(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("read", stderr, "usage: apitap read [flags] CAPTURE...\n\nReads pcap and pcapng files (gzip-compressed or not) and parses the HTTP/1.x\ntransactions in them. Without --emit it prints a summary; with --spec or --alerts and\nwithout --state, also the API inventory and the alerts.\n\nflags:\n")
	emit := fs.String("emit", "", "write records to stdout as JSON Lines: \"transactions\"")
	var cfg sensor.Config
	fs.IntVar(&cfg.Flow.MaxFlows, "max-flows", 0, "cap on concurrently tracked TCP connections (default 262144)")
	fs.IntVar(&cfg.Flow.MaxPages, "max-pages", 0, "cap on reassembly pages (1900 B) buffered for out-of-order data (default 65536)")
	fs.IntVar(&cfg.Flow.MaxPagesPerFlow, "max-pages-per-flow", 0, "cap on reassembly pages per connection (default 256)")
	fs.DurationVar(&cfg.Flow.IdleTimeout, "idle-timeout", 0, "close connections idle that long, in packet time (default 2m)")
	fs.IntVar(&cfg.HTTP.MaxHeaderBytes, "max-header-bytes", 0, "cap on a header block (default 65536)")
	var specs specFiles
	fs.Var(&specs, "spec", "OpenAPI 3.x or Swagger 2.0 `FILE` (or HOST=FILE) documenting APIs; repeatable")
	state := fs.String("state", "", "merge the API inventory, baselines and alerts into the store in `DIR`")
	alertsFile := fs.String("alerts", "", "append alerts to `FILE` as JSON Lines of OCSF Detection Findings: the sink file://FILE?format=ocsf")
	var sinks sinkURLs
	fs.Var(&sinks, "sink", sinkUsage)
	sinkWait := fs.Duration("sink-timeout", 30*time.Second, "at the end, wait this long for the sinks to take the alerts")
	var dcfg detect.Config
	fs.DurationVar(&dcfg.Baseline.Learning, "learning", 24*time.Hour, "packet time an endpoint is learnt before its baselines are tested")
	fs.Float64Var(&dcfg.FalseAlerts, "alert-budget", 0.5, "false alerts allowed per 100 endpoint-days over all statistical tests: sets their significance")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	// Parse HTTP in a second goroutine; keep no body samples unless the
	// inventory needs them (below): transactions carry no bodies.
	cfg.Staged = true
	cfg.HTTP.BodySample, cfg.HTTP.KeepEncoded = -1, true
	if err := dcfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "apitap read: %v\n", err)
		return 2
	}
	if *alertsFile != "" {
		sinks = append(sinks, alertsSinkURL(*alertsFile))
	}
	sinkSpecs, err := sinks.check()
	if err != nil {
		fmt.Fprintf(stderr, "apitap read: %v\n", err)
		return 2
	}
	if *emit != "" && *emit != "transactions" {
		fmt.Fprintf(stderr, "apitap read: --emit %q: want \"transactions\"\n", *emit)
		return 2
	}

	idx, err := specs.load()
	if err != nil {
		fmt.Fprintf(stderr, "apitap read: %v\n", err)
		return 2
	}
	var an *analysis
	var log alertLog
	var spool *output.Spool
	if idx != nil || *state != "" || len(sinks) > 0 {
		acfg := alert.Config{Sinks: []alert.Sink{&log}}
		if len(sinkSpecs) > 0 {
			slog, _ := newLogger("console", stderr)
			sp, remove, err := openSpool(sinkSpecs, *state, secretsFrom(nil), slog, nil)
			if err != nil {
				fmt.Fprintf(stderr, "apitap read: %v\n", err)
				return 1
			}
			defer remove()
			defer sp.Close(context.Background())
			spool = sp
			acfg.Sinks = append(acfg.Sinks, sp)
		}
		if an, err = openAnalysis(*state, idx, inventory.Config{}, dcfg, acfg); err != nil {
			fmt.Fprintf(stderr, "apitap read: %v\n", err)
			return 1
		}
		defer an.close()
		// The analysers read bodies: schemas, sensitive data, injection.
		cfg.HTTP.BodySample, cfg.HTTP.KeepEncoded = 0, false
	}

	out := bufio.NewWriterSize(stdout, 1<<16)
	defer out.Flush()
	var line []byte
	var txns uint64
	onTxn := func(t *http1.Transaction) {
		if an != nil {
			an.observe(t)
			// Long reads save as they go: a killed read loses at most
			// the last batch.
			if txns++; an.st != nil && txns%saveEvery == 0 {
				if err := an.save(); err != nil {
					fmt.Fprintf(stderr, "apitap read: %v\n", err)
				}
			}
		}
		if *emit == "transactions" {
			line = http1.AppendJSON(line[:0], t)
			line = append(line, '\n')
			out.Write(line)
		}
	}
	p := sensor.New(cfg, nil, onTxn)
	p.OnPanic = func(v any, stack []byte) {
		fmt.Fprintf(stderr, "apitap read: internal error (contained, counted): %v\n%s", v, stack)
	}

	start := time.Now()
	status, files := 0, 0
	for _, name := range fs.Args() {
		src, err := capture.OpenFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "apitap read: %v\n", err)
			status = 1
			continue
		}
		lc := &linkCheck{Source: src}
		err = p.Run(lc)
		src.Close()
		files++
		if err != nil {
			fmt.Fprintf(stderr, "apitap read: %v\n", err)
			status = 1
		}
		if lc.skipped > 0 {
			fmt.Fprintf(stderr, "apitap read: %s: %d of %d packets skipped: link type %s not supported\n",
				name, lc.skipped, lc.packets, lc.badList())
			status = 1
		}
	}
	p.Flush()
	if *emit == "" {
		printSummary(out, files, p, time.Since(start))
	}
	if an != nil {
		an.finish()
		if spool != nil {
			ctx, cancel := context.WithTimeout(context.Background(), *sinkWait)
			left := spool.Drain(ctx)
			cancel()
			switch {
			case left > 0 && *state != "":
				fmt.Fprintf(stderr, "apitap read: %d alert records not delivered yet: they stay queued in %s for the next run\n", left, filepath.Join(*state, "spool.db"))
			case left > 0:
				fmt.Fprintf(stderr, "apitap read: %d alert records not delivered within --sink-timeout %v (use --state to keep them for a later run)\n", left, *sinkWait)
				status = 1
			}
		}
		if an.st != nil {
			if err := an.save(); err != nil {
				fmt.Fprintf(stderr, "apitap read: %v\n", err)
				status = 1
			}
			if *emit == "" {
				fmt.Fprintf(out, "alerts        %d raised or updated (apitap alerts --state %s)%s\n", len(log.alerts), *state, an.refused())
				fmt.Fprintf(out, "inventory     %d endpoints in %s\n", len(an.inv.Endpoints()), an.st.Path())
			}
		} else if *emit == "" {
			// Orphans (documented, never seen) would bury what the
			// capture showed; `apitap inventory --class orphan` lists them.
			rows := report.Build(an.inv, idx, report.Filter{Classes: []report.Class{report.Documented, report.Shadow, report.Zombie}})
			fmt.Fprintln(out)
			report.Table(out, rows)
			if len(log.alerts) > 0 {
				fmt.Fprintln(out)
				slices.SortStableFunc(log.alerts, func(a, b alert.Alert) int { return a.First.Compare(b.First) })
				alertsTable(out, log.alerts)
			}
		}
	}
	// A write error (a full disk, a reader gone) lost output: report it and
	// fail, whatever it is. bufio keeps the first error, so it is reported
	// once and nothing more is written after it.
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "apitap read: %v\n", err)
		return 1
	}
	return status
}

// saveEvery is how many transactions a read with --state handles between
// saves.
const saveEvery = 100_000

func printSummary(w io.Writer, files int, p *sensor.Pipeline, took time.Duration) {
	s, h := p.Stats(), p.HTTPStats()
	fmt.Fprintf(w, "captures      %d\n", files)
	fmt.Fprintf(w, "packets       %d (%d bytes; tcp %d, udp %d, other %d)\n", s.Packets, s.Bytes, s.TCP, s.UDP, s.Other)
	fmt.Fprintf(w, "flows         %d tcp connections (%d refused at the cap), %d gaps (%d bytes missing)\n",
		s.Flow.Flows, s.Flow.Refused, s.Flow.Gaps, s.Flow.GapBytes)
	fmt.Fprintf(w, "http          %d connections, %d requests, %d responses, %d datagrams, %d upgrades\n",
		h.Connections.Load(), h.Requests.Load(), h.Responses.Load(), h.Datagrams.Load(), h.Upgrades.Load())
	fmt.Fprintf(w, "transactions  %d\n", h.Transactions.Load())
	var errs []string
	for reason, n := range s.Undecodable {
		errs = append(errs, fmt.Sprintf("%s=%d", reason, n))
	}
	if s.Truncated > 0 {
		errs = append(errs, fmt.Sprintf("snaplen_truncated=%d", s.Truncated))
	}
	if s.Panics > 0 {
		errs = append(errs, fmt.Sprintf("internal_error=%d", s.Panics))
	}
	sort.Strings(errs)
	fmt.Fprintf(w, "packet errors %s\n", orNone(errs))
	var an []string
	for i, reason := range http1.AnomalyReasons() {
		if n := h.Anomalies[i].Load(); n > 0 {
			an = append(an, fmt.Sprintf("%s=%d", reason, n))
		}
	}
	fmt.Fprintf(w, "anomalies     %s\n", orNone(an))
	if n := h.SkippedBytes.Load(); n > 0 || h.NonHTTP.Load() > 0 {
		fmt.Fprintf(w, "not http      %d connections left alone, %d bytes skipped resynchronising\n", h.NonHTTP.Load(), n)
	}
	fmt.Fprintf(w, "took          %s\n", took.Round(time.Millisecond))
}

// linkCheck passes frames through and counts those of a link type package
// decap does not know. decap only counts them as undecodable packets, so
// without this a capture of an unsupported link type would read as an empty
// one, with no error and exit status 0.
type linkCheck struct {
	capture.Source
	packets, skipped int
	last             layers.LinkType
	lastOK, started  bool
	bad              []layers.LinkType // distinct unsupported link types, in order seen
}

func (c *linkCheck) Next() (capture.Packet, error) {
	pk, err := c.Source.Next()
	if err != nil {
		return pk, err
	}
	c.packets++
	if !c.started || pk.LinkType != c.last {
		c.started, c.last = true, pk.LinkType
		if c.lastOK = decap.SupportsLinkType(pk.LinkType); !c.lastOK && !slices.Contains(c.bad, pk.LinkType) {
			c.bad = append(c.bad, pk.LinkType)
		}
	}
	if !c.lastOK {
		c.skipped++
	}
	return pk, nil
}

func (c *linkCheck) badList() string {
	s := make([]string, len(c.bad))
	for i, l := range c.bad {
		s[i] = strconv.Itoa(int(l))
	}
	return strings.Join(s, ", ")
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}
