package sensor

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/apitap/apitap/sensor/http1"
)

// liveCollector exposes a Live sensor's counters. It reads the snapshots
// readers and workers publish every quarter second, the shared HTTP
// counters and the sockets' kernel statistics at scrape time, so the hot
// path pays nothing for metrics. Labels are bounded: interface (as configured),
// reason (fixed vocabularies), tunnel and source (at most 64 mirror
// tunnels, then other).
type liveCollector struct{ l *Live }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("apitap_"+name, help, labels, nil)
}

var liveDescs = map[string]*prometheus.Desc{
	"frames":         desc("capture_frames_total", "Frames read from the capture rings."),
	"bytes":          desc("capture_bytes_total", "Bytes of frames read from the capture rings."),
	"iface_frames":   desc("capture_interface_frames_total", "Frames read, per interface.", "interface"),
	"iface_bytes":    desc("capture_interface_bytes_total", "Bytes of frames read, per interface.", "interface"),
	"tunnel_frames":  desc("capture_tunnel_frames_total", "Frames read, per mirror tunnel (none for plain frames; at most 64 per socket, then other).", "tunnel"),
	"tunnel_bytes":   desc("capture_tunnel_bytes_total", "Bytes of frames read, per mirror tunnel.", "tunnel"),
	"kernel_packets": desc("capture_kernel_packets_total", "Packets the kernel handed to the sockets, those it dropped included.", "interface"),
	"kernel_drops":   desc("capture_kernel_drops_total", "Packets the kernel dropped because a ring was full.", "interface"),
	"kernel_freezes": desc("capture_kernel_freezes_total", "Times a ring froze.", "interface"),
	"ring_backlog":   desc("capture_ring_backlog_bytes", "Bytes of frames waiting in the capture ring at the last quarter-second tick, as the reader measured them; the fullest of the interface's rings.", "interface"),
	"ring_usage":     desc("capture_ring_usage_ratio", "The capture ring's backlog over its size; the fullest of the interface's rings. Near 1 the kernel drops.", "interface"),
	"decode_errors":  desc("decode_errors_total", "Frames that could not be decoded, by reason.", "reason"),
	"truncated":      desc("decode_truncated_frames_total", "Frames cut by the snap length."),
	"panics":         desc("panics_total", "Packets whose processing panicked (contained)."),
	"flows":          desc("flow_connections_total", "TCP connections opened."),
	"active":         desc("flow_active", "TCP connections open now."),
	"refused":        desc("flow_refused_total", "Packets of new connections refused at the connection cap."),
	"gaps":           desc("flow_gaps_total", "Gaps (bytes never captured) delivered to the parser."),
	"gap_bytes":      desc("flow_gap_bytes_total", "Bytes never captured."),
	"one_sided":      desc("flow_one_sided_total", "Connections closed with only one direction seen: a mirror that copies one way."),
	"pressure":       desc("flow_pressure_flushes_total", "Sweeps forced by the connection cap (the memory budget): connections idle for a sixteenth of the idle timeout were closed early."),
	"src_payload":    desc("flow_source_payload_bytes_total", "TCP payload bytes, per mirror source (the tunnel: none for plain frames; at most 64, then other).", "source"),
	"src_retrans":    desc("flow_source_retransmitted_bytes_total", "TCP payload bytes at sequence numbers already delivered (retransmitted, or mirrored twice), per mirror source.", "source"),
	"src_gap":        desc("flow_source_gap_bytes_total", "Bytes never captured, per mirror source.", "source"),
	"src_ignored":    desc("flow_source_ignored_bytes_total", "TCP payload bytes of connections the parser gave up on (not HTTP), per mirror source: neither gaps nor retransmissions are counted in them.", "source"),
	"src_conns":      desc("flow_source_connections_total", "TCP connections opened, per mirror source.", "source"),
	"src_one_sided":  desc("flow_source_one_sided_total", "Connections closed with only one direction seen, per mirror source.", "source"),
	"transactions":   desc("http_transactions_total", "HTTP transactions emitted."),
	"requests":       desc("http_requests_total", "HTTP requests parsed."),
	"responses":      desc("http_responses_total", "HTTP final responses parsed."),
	"non_http":       desc("http_non_http_connections_total", "Connections left alone as not HTTP."),
	"anomalies":      desc("http_anomalies_total", "Transactions with a parse anomaly, by reason.", "reason"),
}

// NewCollector returns a Prometheus collector of l's counters.
func NewCollector(l *Live) prometheus.Collector { return &liveCollector{l: l} }

func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range liveDescs {
		ch <- d
	}
}

func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(name string, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(liveDescs[name], prometheus.CounterValue, float64(v), labels...)
	}
	l := c.l
	var frames, bytes uint64
	ifFrames, ifBytes := map[string]uint64{}, map[string]uint64{}
	tun := map[string][2]uint64{}
	for i := range l.counts {
		c := l.counts[i].Load()
		if c == nil {
			continue
		}
		frames += c.Frames
		bytes += c.Bytes
		ifFrames[c.Iface] += c.Frames
		ifBytes[c.Iface] += c.Bytes
		for k, v := range c.Tunnels {
			lbl := tunnelLabel(k)
			t := tun[lbl]
			tun[lbl] = [2]uint64{t[0] + v[0], t[1] + v[1]}
		}
	}
	counter("frames", frames)
	counter("bytes", bytes)
	for iface, n := range ifFrames {
		counter("iface_frames", n, iface)
		counter("iface_bytes", ifBytes[iface], iface)
	}
	for lbl, v := range tun {
		counter("tunnel_frames", v[0], lbl)
		counter("tunnel_bytes", v[1], lbl)
	}
	perIface := map[string][3]uint64{}
	for _, s := range l.srcs {
		p, d, f, err := s.Stats()
		if err != nil {
			continue
		}
		v := perIface[s.Name()]
		perIface[s.Name()] = [3]uint64{v[0] + p, v[1] + d, v[2] + f}
	}
	for iface, v := range perIface {
		counter("kernel_packets", v[0], iface)
		counter("kernel_drops", v[1], iface)
		counter("kernel_freezes", v[2], iface)
	}
	backlog, usage := map[string]uint64{}, map[string]float64{}
	for i, s := range l.srcs {
		n := l.backlog[i].Load()
		backlog[s.Name()] = max(backlog[s.Name()], n)
		usage[s.Name()] = max(usage[s.Name()], float64(n)/float64(s.RingBytes()))
	}
	for iface, n := range backlog {
		ch <- prometheus.MustNewConstMetric(liveDescs["ring_backlog"], prometheus.GaugeValue, float64(n), iface)
		ch <- prometheus.MustNewConstMetric(liveDescs["ring_usage"], prometheus.GaugeValue, usage[iface], iface)
	}
	sum := l.pipelineStats()
	for r, n := range sum.Undecodable {
		counter("decode_errors", n, r)
	}
	counter("truncated", sum.Truncated)
	counter("panics", sum.Panics)
	counter("flows", sum.Flow.Flows)
	ch <- prometheus.MustNewConstMetric(liveDescs["active"], prometheus.GaugeValue, float64(sum.Flow.Active))
	counter("refused", sum.Flow.Refused)
	counter("gaps", sum.Flow.Gaps)
	counter("gap_bytes", sum.Flow.GapBytes)
	counter("one_sided", sum.Flow.OneSided)
	counter("pressure", sum.Flow.PressureFlush)
	for _, src := range sourcesOf(sum.Flow.Sources) {
		counter("src_payload", src.PayloadBytes, src.Label)
		counter("src_retrans", src.RetransBytes, src.Label)
		counter("src_gap", src.GapBytes, src.Label)
		counter("src_ignored", src.IgnoredBytes, src.Label)
		counter("src_conns", src.Connections, src.Label)
		counter("src_one_sided", src.OneSided, src.Label)
	}
	h := l.http
	counter("transactions", h.Transactions.Load())
	counter("requests", h.Requests.Load())
	counter("responses", h.Responses.Load())
	counter("non_http", h.NonHTTP.Load())
	for i, r := range http1.AnomalyReasons() {
		counter("anomalies", h.Anomalies[i].Load(), r)
	}
}

// Health sums what the workers saw of the mirror's quality: connections,
// one-sided ones, gap bytes, captured bytes and snap-length-cut frames.
func (l *Live) Health() (flows, oneSided, gapBytes, bytes, truncated uint64) {
	sum := l.pipelineStats()
	for i := range l.counts {
		if c := l.counts[i].Load(); c != nil {
			bytes += c.Bytes
		}
	}
	return sum.Flow.Flows, sum.Flow.OneSided, sum.Flow.GapBytes, bytes, sum.Truncated
}
