package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/output"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/analyzer/spec"
	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/flow"
)

// runOptions are the flags of apitap run.
type runOptions struct {
	ifaces, state, listen, logFormat, config string
	alerts                                   string
	sinks                                    sinkURLs
	secrets                                  map[string]string // the config file's secrets (never a flag)
	detect                                   detect.Config
	workers, vxlanPort                       int
	maxMemory                                byteSize
	specs                                    specFiles
	flushEvery                               time.Duration
	capture                                  capture.LiveConfig
	flags                                    *flag.FlagSet // parsed into the fields above; diffRun reads them through it
}

// liveKeys are the keys of run a SIGHUP applies while capture goes on;
// any other key takes effect at the next start.
var liveKeys = []string{"filter", "flush-interval", "spec"}

// parseRun parses run's command line, then the --config file it names:
// flags given on the command line override the file. Errors are written to
// stderr as well as returned.
func parseRun(args []string, stderr io.Writer) (*runOptions, *flag.FlagSet, error) {
	var o runOptions
	fs := newFlagSet("run", stderr, `usage: apitap run --iface IF[,IF...] [flags]

Captures mirrored traffic live (AF_PACKET) and keeps the API inventory.

SIGHUP reads the --config file and the specs again: filter, flush-interval
and spec take effect while capture goes on; a change to any other key is
logged and waits for a restart. An invalid file changes nothing.

flags:
`)
	fs.StringVar(&o.ifaces, "iface", "", "capture from these `INTERFACES`, comma-separated (required)")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "pipelines, each with its own reassembly state")
	fs.StringVar(&o.state, "state", "", "keep the API inventory in the store in `DIR`")
	fs.Var(&o.specs, "spec", "OpenAPI 3.x or Swagger 2.0 `FILE` (or HOST=FILE); repeatable; read again on SIGHUP")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9187", "serve /metrics, /healthz, /readyz and /api/v1/endpoints on `ADDR`")
	fs.DurationVar(&o.flushEvery, "flush-interval", 10*time.Second, "write the inventory, baselines and alerts to the store this often")
	fs.StringVar(&o.alerts, "alerts", "", "append alerts to `FILE` as JSON Lines of OCSF Detection Findings: the sink file://FILE?format=ocsf")
	fs.Var(&o.sinks, "sink", sinkUsage)
	fs.DurationVar(&o.detect.Baseline.Learning, "learning", 24*time.Hour, "packet time an endpoint is learnt before its baselines are tested")
	fs.Float64Var(&o.detect.FalseAlerts, "alert-budget", 0.5, "false alerts allowed per 100 endpoint-days over all statistical tests: sets their significance")
	fs.StringVar(&o.logFormat, "log-format", "json", "json or console")
	fs.Var(&o.maxMemory, "max-memory", "memory `BUDGET` (e.g. 2GiB): sizes the flow tables and reassembly pages, and sets the GC's soft limit")
	fs.IntVar(&o.capture.FrameSize, "snaplen", 65536, "bytes kept of each frame")
	fs.StringVar(&o.capture.Filter, "filter", "", "capture filter `EXPR` in tcpdump syntax, applied in the kernel")
	fs.IntVar(&o.capture.BlockSize, "ring-block-size", 1<<20, "bytes per ring block")
	fs.IntVar(&o.capture.NumBlocks, "ring-blocks", 64, "blocks per ring (per socket)")
	fs.StringVar(&o.config, "config", "", "read flags from the YAML `FILE` (keys are flag names); flags given here override it; read again on SIGHUP")
	fs.IntVar(&o.vxlanPort, "vxlan-port", 0, "also open a UDP socket on this `PORT` (4789 for AWS VPC Traffic Mirroring), so the host does not answer the mirror with ICMP errors")
	if err := fs.Parse(args); err != nil {
		return nil, fs, err // the flag package wrote it
	}
	if o.config != "" {
		var err error
		if o.secrets, err = readConfig(fs, o.config); err != nil {
			fmt.Fprintf(stderr, "apitap run: %v\n", err)
			return nil, fs, err
		}
	}
	o.flags = fs
	return &o, fs, nil
}

// allSinks are the --sink URLs and the one --alerts stands for.
func (o *runOptions) allSinks() sinkURLs {
	if o.alerts == "" {
		return o.sinks
	}
	return append(slices.Clip(o.sinks), alertsSinkURL(o.alerts))
}

// check finds the values the flag parser lets through that run cannot use.
func (o *runOptions) check() error {
	if _, err := capture.CompileFilter(o.capture.Filter); err != nil {
		return fmt.Errorf("--filter: %w", err)
	}
	if o.flushEvery <= 0 {
		return fmt.Errorf("--flush-interval %v: want a positive duration", o.flushEvery)
	}
	if o.logFormat != "json" && o.logFormat != "console" {
		return fmt.Errorf("--log-format %q: want json or console", o.logFormat)
	}
	if _, err := o.allSinks().check(); err != nil {
		return err
	}
	return o.detect.Validate()
}

// readReload reads the configuration again, as SIGHUP asks: parsing the
// same command line again reads the --config file as it is now (a flag on
// the command line still wins), and the specs it names are loaded. Any
// error (bad YAML, an unknown key, a bad value, a spec that does not load)
// is returned, and then nothing is to change.
func readReload(args []string) (*runOptions, *spec.Index, error) {
	o, _, err := parseRun(args, io.Discard)
	if err != nil {
		return nil, nil, err
	}
	if err := o.check(); err != nil {
		return nil, nil, err
	}
	idx, err := o.specs.load()
	if err != nil {
		return nil, nil, err
	}
	return o, idx, nil
}

// diffRun compares the running options with those read again, key by key
// (the flag names, as the config file spells them, in order): changes are
// the keys that differ and a reload applies (liveKeys), restart those that
// differ and only a restart applies.
func diffRun(old, next *runOptions) (changes, restart []string) {
	old.flags.VisitAll(func(f *flag.Flag) {
		nf := next.flags.Lookup(f.Name)
		if nf != nil && nf.Value.String() == f.Value.String() {
			return
		}
		if slices.Contains(liveKeys, f.Name) {
			changes = append(changes, f.Name)
		} else {
			restart = append(restart, f.Name)
		}
	})
	return changes, restart
}

// cmdRun implements `apitap run`: the live sensor. It returns when a
// SIGINT or SIGTERM stopped it (0) or it could not start (1, 2 for usage).
func cmdRun(args []string, stdout, stderr io.Writer) int {
	o, fs, err := parseRun(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if o.ifaces == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if err := o.check(); err != nil {
		fmt.Fprintf(stderr, "apitap run: %v\n", err)
		return 2
	}
	log, err := newLogger(o.logFormat, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "apitap run: %v\n", err)
		return 2
	}
	defer log.Sync()

	idx, err := o.specs.load()
	if err != nil {
		log.Error("load specs", zap.Error(err))
		return 2
	}
	var pcfg sensor.Config
	var icfg inventory.Config
	if o.maxMemory > 0 {
		budget := int64(o.maxMemory)
		budgetPipelines(&pcfg, budget, o.workers)
		icfg.MaxTotalEndpoints = max(1000, int(budget/10/(16<<10)))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(budget)) // restored on return (tests run it in-process)
	}
	acfg := alert.Config{}
	reg := prometheus.NewRegistry()
	var spool *output.Spool
	var queue *output.Async
	if sinks := o.allSinks(); len(sinks) > 0 {
		// Alerts go through the spool in the state directory: a sink
		// that is down gets them when it is back, also after a restart.
		specs, _ := sinks.check() // checked at start
		sp, remove, err := openSpool(specs, o.state, secretsFrom(o.secrets), log.Named("output"), reg)
		if err != nil {
			log.Error("open sinks", zap.Error(err))
			return 1
		}
		defer remove()
		spool = sp
		// The detectors raise alerts holding the lock capture waits
		// for; the spool fsyncs each one. A bounded queue between them
		// keeps a stalled disk from holding capture up.
		queue = output.NewAsync(sp, 10000)
		acfg.Sinks = append(acfg.Sinks, queue)
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "apitap_output_queue_dropped_total",
			Help: "Alert state changes refused because the queue in front of the spool was full (the spool's disk stalled).",
		}, func() float64 { return float64(queue.Dropped()) }))
	}
	an, err := openAnalysis(o.state, idx, icfg, o.detect, acfg)
	if err != nil {
		log.Error("open state", zap.Error(err))
		return 1
	}
	defer an.close()
	emit := an.observe
	if o.vxlanPort > 0 {
		// The mirror sends VXLAN to this host; without a socket the kernel
		// answers every packet with an ICMP port-unreachable. The packets
		// themselves are read from the capture ring; the socket's copies
		// are discarded.
		pc, err := net.ListenPacket("udp", fmt.Sprintf(":%d", o.vxlanPort))
		if err != nil {
			log.Error("vxlan socket", zap.Int("port", o.vxlanPort), zap.Error(err))
			return 1
		}
		defer pc.Close()
		go func() {
			buf := make([]byte, 65536)
			for {
				if _, _, err := pc.ReadFrom(buf); err != nil {
					return
				}
			}
		}()
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		log.Error("listen", zap.String("addr", o.listen), zap.Error(err))
		return 1
	}
	live, err := sensor.StartLive(sensor.LiveConfig{
		Interfaces: strings.Split(o.ifaces, ","), Workers: o.workers, Capture: o.capture, Pipeline: pcfg,
		OnError: func(err error) { log.Error("capture stopped", zap.Error(err)) },
		OnPanic: func(v any, stack []byte) {
			log.Error("internal error contained", zap.Any("panic", v), zap.ByteString("stack", stack))
		},
	}, emit)
	if err != nil {
		ln.Close()
		log.Error("start capture", zap.Error(err))
		return 1
	}
	log.Info("capturing", zap.String("iface", o.ifaces), zap.Int("workers", o.workers), zap.String("addr", ln.Addr().String()))

	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		sensor.NewCollector(live), analysisCollector{an})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ready") })
	mux.HandleFunc("/api/v1/endpoints", func(w http.ResponseWriter, _ *http.Request) {
		an.mu.Lock()
		rows := report.Build(an.inv, an.idx, report.Filter{})
		markLearning(rows, an.det, an.inv)
		an.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		report.JSON(w, rows)
	})
	mux.HandleFunc("/api/v1/alerts", func(w http.ResponseWriter, _ *http.Request) {
		an.mu.Lock()
		open := an.alerts.Alerts()
		an.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		alertsJSON(w, open)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)

	// Only the encoding holds the lock: the workers wait for it, and a
	// batch's values are its own, so the disk write (an fsync) runs while
	// they go on.
	save := func() {
		if err := an.save(); err != nil {
			log.Error("save state", zap.Error(err))
		}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	var health mirrorCounts // what the last health check saw
	tick := time.NewTicker(o.flushEvery)
	defer tick.Stop()
	// reload applies what a SIGHUP can change while capture goes on, all
	// of it or (an invalid file, a filter the kernel refuses) none.
	reload := func() {
		n, nidx, err := readReload(args)
		if err != nil {
			log.Error("configuration not reloaded", zap.Error(err))
			return
		}
		changes, restart := diffRun(o, n)
		if len(restart) > 0 {
			log.Warn("configuration keys need a restart", zap.Strings("keys", restart))
		}
		if n.capture.Filter != o.capture.Filter {
			if err := live.SetFilter(n.capture.Filter); err != nil {
				log.Error("configuration not reloaded", zap.Error(err))
				return
			}
			o.capture.Filter = n.capture.Filter
		}
		if n.flushEvery != o.flushEvery {
			tick.Reset(n.flushEvery)
			o.flushEvery = n.flushEvery
		}
		o.specs = n.specs // read again even when the list is the same: the files may have changed
		an.setSpecs(nidx)
		log.Info("configuration reloaded", zap.Strings("changed", changes), zap.Int("specs", len(n.specs)))
	}
	for {
		select {
		case now := <-tick.C:
			// Live, packet time is close to the clock: advancing by
			// it closes bins and alerts on a link gone quiet.
			an.advance(now)
			save()
			mirrorHealth(log, live, &health)
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				reload()
				continue
			}
			log.Info("stopping", zap.String("signal", sig.String()))
			live.Stop()
			an.finish()
			save()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			srv.Shutdown(ctx)
			if spool != nil {
				queue.Close() // into the spool
				// What is not delivered stays in the spool file for
				// the next start.
				if left := spool.Drain(ctx); left > 0 {
					log.Warn("alerts left in the spool for the next start", zap.Int("count", left))
				}
				spool.Close(ctx)
			}
			cancel()
			return 0
		}
	}
}

// newLogger builds the production zap logger (sampling on) in JSON or
// console encoding.
func newLogger(format string, w io.Writer) (*zap.Logger, error) {
	cfg := zap.NewProductionEncoderConfig()
	cfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	switch format {
	case "json":
		enc = zapcore.NewJSONEncoder(cfg)
	case "console":
		enc = zapcore.NewConsoleEncoder(cfg)
	default:
		return nil, fmt.Errorf("--log-format %q: want json or console", format)
	}
	core := zapcore.NewCore(enc, zapcore.AddSync(w), zap.InfoLevel)
	// Repeated messages are sampled: the first 10 per second, then one in
	// 100, so an error storm cannot flood the log.
	core = zapcore.NewSamplerWithOptions(core, time.Second, 10, 100)
	return zap.New(core).Named("apitap"), nil
}

// byteSize is a flag holding a size in bytes, given as parseSize reads it.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	n, err := parseSize(s)
	if err == nil {
		*b = byteSize(n)
	}
	return err
}

// parseSize reads "512MiB", "2GiB", "1G" or a number of bytes.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"B", 1}, {"", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
			if err != nil || v <= 0 || v > math.MaxInt64/u.mult {
				return 0, errors.New("want a size such as 512MiB or 2GiB")
			}
			return v * u.mult, nil
		}
	}
	return 0, errors.New("want a size such as 512MiB or 2GiB")
}

// budgetPipelines shares a memory budget: half for out-of-order
// reassembly pages (1900 bytes each), a fifth for connections (about 4 KiB
// each with their parser state), split over the workers; a tenth goes to
// the inventory's endpoints (see cmdRun). What the caps refuse is counted
// (apitap_flow_refused_total, gaps, apitap_inventory_overflow_total); the
// rest of the budget is the capture rings' and the runtime's.
func budgetPipelines(cfg *sensor.Config, budget int64, workers int) {
	per := budget / int64(max(workers, 1))
	cfg.Flow.MaxPages = int(per / 2 / 1900)
	cfg.Flow.MaxFlows = int(per / 5 / 4096)
	cfg.Flow.MaxPagesPerFlow = min(256, max(16, cfg.Flow.MaxPages/64))
}

// mirrorCounts are the counters a health check saw, so that the next one
// judges the interval since, not the time since the start: a mirror that
// broke an hour into a day shows at once, and one that healed stops
// warning.
type mirrorCounts struct {
	sources   map[string]flow.SourceStats // by label
	truncated uint64
}

// Below these amounts in an interval, a source is not judged: one lost
// segment in a few kilobytes is not a broken mirror.
const (
	healthMinBytes = 1 << 20
	healthMinFlows = 20
)

// mirrorHealth warns (sampled by the logger) about each mirror source that
// looked broken over the interval since the last check (last, which it
// updates): over 1% of its bytes missing, over 5% seen again (the network
// retransmits, or the mirror copies packets twice), most of its
// connections one-sided. Sources are judged apart, so one broken mirror
// session among healthy ones is named rather than averaged away. It also
// warns when frames were cut by the snap length.
func mirrorHealth(log *zap.Logger, live *sensor.Live, last *mirrorCounts) {
	_, _, _, _, truncated := live.Health()
	checkMirror(log, live.Sources(), truncated, last)
}

// checkMirror is mirrorHealth on counters read already.
func checkMirror(log *zap.Logger, sources []sensor.Source, truncated uint64, last *mirrorCounts) {
	now := make(map[string]flow.SourceStats, len(sources))
	for _, s := range sources {
		now[s.Label] = s.SourceStats
		was := last.sources[s.Label]
		delta := func(now, was uint64) uint64 { return now - min(was, now) }
		// Bytes of connections the parser gave up on are not
		// reassembled: their gaps and retransmissions are not counted,
		// so they are left out of the ratios.
		payload := delta(s.PayloadBytes-s.IgnoredBytes, was.PayloadBytes-was.IgnoredBytes)
		gap, retrans := delta(s.GapBytes, was.GapBytes), delta(s.RetransBytes, was.RetransBytes)
		conns, oneSided := delta(s.Connections, was.Connections), delta(s.OneSided, was.OneSided)
		src := zap.String("source", s.Label)
		if payload >= healthMinBytes && gap*100 > payload {
			log.Warn("mirror loses data: over 1% of the bytes are missing", src, zap.Uint64("bytes", gap))
		}
		if payload >= healthMinBytes && retrans*20 > payload {
			log.Warn("mirror repeats data: over 5% of the bytes were seen again (retransmitted, or mirrored twice)", src, zap.Uint64("bytes", retrans))
		}
		if conns >= healthMinFlows && oneSided*2 > conns {
			log.Warn("mirror is one-sided: most connections show one direction only", src,
				zap.Uint64("count", oneSided), zap.Uint64("flows", conns))
		}
	}
	if truncated > last.truncated {
		log.Warn("frames cut by the snap length", zap.Uint64("count", truncated-last.truncated))
	}
	last.sources, last.truncated = now, truncated
}
