package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/scenario"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// cmdGen implements `apitap gen`: a labelled, deterministic capture of API
// traffic with planted attacks. It returns the exit status: 0 on success, 1
// when writing failed, 2 on bad usage.
func cmdGen(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("gen", stderr, "usage: apitap gen --out FILE.pcap[.gz] [--labels FILE.jsonl] [flags]\n\nGenerates realistic API traffic from OpenAPI specs, with attacks planted at\nknown times, and writes their labels: ground truth for the detectors.\n\nflags:\n")
	var cfg scenario.Config
	fs.Uint64Var(&cfg.Seed, "seed", 1, "selects the scenario: the same seed and flags give the same bytes")
	fs.IntVar(&cfg.Days, "days", 7, "length of the capture in days; the first 2 are always clean")
	out := fs.String("out", "", "write the capture to `FILE` (.pcap, or .pcap.gz compressed)")
	labels := fs.String("labels", "", "write the planted attacks to `FILE` as JSON Lines")
	var specs stringList
	fs.Var(&specs, "spec", "OpenAPI 3.x or Swagger 2.0 `FILE`, one per service; repeatable (default: a built-in shop API)")
	fs.IntVar(&cfg.Services, "services", 0, "number of services (default: one per --spec, or 4)")
	fs.IntVar(&cfg.Clients, "clients", 300, "initial clients of each service")
	attacks := fs.String("attacks", "all", "attacks to plant: all, none, or types separated by commas")
	start := fs.String("start", "2026-01-05T00:00:00Z", "time of the first packet, RFC 3339")
	fs.Float64Var(&cfg.Scale, "scale", scenario.DefaultScale, "multiplies every request rate (at 1, endpoints get 200 to 20000 requests a weekday)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	cfg.Specs = specs
	var err error
	if cfg.Attacks, err = scenario.ParseAttacks(*attacks); err != nil {
		fmt.Fprintf(stderr, "apitap gen: --attacks: %v\n", err)
		return 2
	}
	if cfg.Start, err = time.Parse(time.RFC3339, *start); err != nil {
		fmt.Fprintf(stderr, "apitap gen: --start: %v\n", err)
		return 2
	}
	// Zero means the default to Config, but nothing to a flag.
	if cfg.Days < 1 || cfg.Clients < 1 || cfg.Scale <= 0 {
		fmt.Fprintf(stderr, "apitap gen: --days, --clients and --scale must be positive\n")
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "apitap gen: %v\n", err)
		return 2
	}

	began := time.Now()
	sum, ls, err := generate(*out, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "apitap gen: %v\n", err)
		return 1
	}
	if *labels != "" {
		if err := writeLabels(*labels, ls); err != nil {
			fmt.Fprintf(stderr, "apitap gen: %v\n", err)
			return 1
		}
	}
	printGenSummary(stdout, &sum, *out, time.Since(began))
	return 0
}

// generate writes the scenario to the file name, gzip-compressed when the
// name ends in .gz. A file left incomplete by an error is removed.
func generate(name string, cfg scenario.Config) (sum scenario.Summary, ls []scenario.Label, err error) {
	f, err := os.Create(name)
	if err != nil {
		return sum, nil, err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			os.Remove(name)
		}
	}()
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(name, ".gz") {
		// BestSpeed: the default level takes four times as long and saves
		// a tenth.
		zw, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
		w = zw
	}
	if sum, ls, err = scenario.Generate(w, cfg); err != nil {
		return sum, nil, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return sum, nil, fmt.Errorf("write %s: %w", name, err)
		}
	}
	return sum, ls, nil
}

func writeLabels(name string, ls []scenario.Label) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range ls {
		if err := enc.Encode(&ls[i]); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Close()
}

func printGenSummary(w io.Writer, s *scenario.Summary, out string, took time.Duration) {
	fmt.Fprintf(w, "services      %d\n", len(s.Services))
	for _, sv := range s.Services {
		fmt.Fprintf(w, "  %-28s %-15s %3d endpoints %5d clients  login %s  spec %s\n",
			sv.Host, sv.Addr, sv.Endpoints, sv.Clients, sv.Login, sv.SpecFile)
	}
	fmt.Fprintf(w, "endpoints     %d (%.1f endpoint-days)\n", s.Endpoints, s.EndpointDays)
	fmt.Fprintf(w, "clients       %d\n", s.Clients)
	fmt.Fprintf(w, "transactions  %d (%d by attacks)\n", s.Transactions, s.AttackTransactions)
	fmt.Fprintf(w, "connections   %d\n", s.Connections)
	fmt.Fprintf(w, "packets       %d (%d bytes of pcap)\n", s.Packets, s.Bytes)
	fmt.Fprintf(w, "time          %s to %s\n", s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339))
	var as []string
	total := 0
	for t, n := range s.Attacks {
		as = append(as, fmt.Sprintf("%s=%d", t, n))
		total += n
	}
	slices.Sort(as)
	fmt.Fprintf(w, "attacks       %d %s\n", total, orNone(as))
	fmt.Fprintf(w, "wrote         %s\n", out)
	fmt.Fprintf(w, "took          %s\n", took.Round(time.Millisecond))
}
