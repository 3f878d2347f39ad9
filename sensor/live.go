package sensor

import (
	"bytes"
	"errors"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/flow"
	"github.com/apitap/apitap/sensor/http1"
)

// LiveConfig configures a live sensor.
type LiveConfig struct {
	// Interfaces to capture from, each with one socket per worker in a
	// fanout group.
	Interfaces []string
	// Workers is the number of pipelines. Default: the number of CPUs.
	Workers int
	// Capture is the template of every socket's configuration (Interface
	// and FanoutGroup are set per socket).
	Capture capture.LiveConfig
	// Pipeline configures each worker's pipeline (Staged is ignored).
	Pipeline Config
	// OnError hears about a capture error that ended a socket.
	OnError func(error)
	// OnPanic hears about a contained panic.
	OnPanic func(v any, stack []byte)
}

// Live runs AF_PACKET capture into one pipeline per worker. The kernel
// spreads frames over the sockets of a fanout group by a hash of their
// outer headers; a reader then decodes each frame down to its inner flow
// and hands it to the worker that owns that flow (a symmetric hash of the
// inner addresses, ports and tunnel), so both directions of a connection
// meet in one worker even when a mirror tunnel sends them from different
// outer ports. Each worker owns its pipeline: reassembly state is never
// shared. Fragmented mirror datagrams arrive whole (the fanout group
// defragments), so a frame never needs another frame's bytes to decode.
type Live struct {
	cfg     LiveConfig
	srcs    []*capture.Live
	counts  []atomic.Pointer[readerCounts] // per source, published by its reader
	backlog []atomic.Uint64                // per source: bytes in its ring at the last tick (see ringBacklog)
	workers []*worker
	http    *http1.Stats
	stop    atomic.Bool
	readers sync.WaitGroup
	done    sync.WaitGroup
	free    sync.Pool
	// named holds the mirror sources summed under their own label (see
	// sumSources); srcMu guards it, as the metrics and the health check
	// sum concurrently.
	srcMu sync.Mutex
	named map[uint64]bool
}

type worker struct {
	p    *Pipeline
	in   chan *frameBatch
	quit chan struct{}
	snap atomic.Pointer[Stats] // the pipeline's counters, published on each tick
}

// frameBatch carries copied frames from a reader to a worker.
type frameBatch struct {
	data []byte
	pkts []capture.Packet
}

const (
	liveBatchFrames = 64
	liveBatchBytes  = 256 << 10
	liveQueue       = 64 // batches waiting per worker
	liveTick        = 250 * time.Millisecond
)

// StartLive opens every socket (so a missing capability or interface is
// reported at once) and starts capturing. emit is called from the worker
// goroutines, concurrently.
func StartLive(cfg LiveConfig, emit func(*http1.Transaction)) (*Live, error) {
	if len(cfg.Interfaces) == 0 {
		return nil, errors.New("no interface to capture from")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	l := &Live{cfg: cfg, http: new(http1.Stats), named: map[uint64]bool{}}
	l.free.New = func() any {
		return &frameBatch{data: make([]byte, 0, liveBatchBytes+65536), pkts: make([]capture.Packet, 0, liveBatchFrames)}
	}
	group := uint16(uint32(time.Now().UnixNano())&0x7fff) | 1
	for i, iface := range cfg.Interfaces {
		for range cfg.Workers {
			c := cfg.Capture
			c.Interface, c.FanoutGroup = iface, group+uint16(i)
			src, err := capture.OpenLive(c)
			if err != nil {
				l.closeSources()
				return nil, err
			}
			l.srcs = append(l.srcs, src)
		}
	}
	pcfg := cfg.Pipeline
	pcfg.Staged = false
	for range cfg.Workers {
		w := &worker{p: New(pcfg, l.http, emit), in: make(chan *frameBatch, liveQueue), quit: make(chan struct{})}
		w.p.OnPanic = cfg.OnPanic
		l.workers = append(l.workers, w)
		l.done.Add(1)
		go l.work(w)
	}
	l.counts = make([]atomic.Pointer[readerCounts], len(l.srcs))
	l.backlog = make([]atomic.Uint64, len(l.srcs))
	for i, src := range l.srcs {
		l.readers.Add(1)
		go l.read(src, &l.counts[i], &l.backlog[i])
	}
	return l, nil
}

func (l *Live) closeSources() {
	for _, s := range l.srcs {
		s.Close()
	}
}

// read takes frames off one ring and hands each to the worker owning its
// flow, in batches. When a worker falls behind, the reader waits for it:
// frames then queue in the kernel's ring, which is far larger than the
// workers' queues, and when that fills too the kernel drops and counts
// (apitap_capture_kernel_drops_total). Loss happens in one place, after
// the largest buffer. At each tick the reader also measures how many bytes
// the ring held (see ringBacklog).
func (l *Live) read(src *capture.Live, publish *atomic.Pointer[readerCounts], backlog *atomic.Uint64) {
	defer l.readers.Done()
	counts := readerCounts{Iface: src.Name(), Tunnels: map[uint64]*[2]uint64{}}
	defer func() { c := counts.clone(); publish.Store(&c) }()
	dec := decap.NewDecoder()
	var pkt decap.Packet
	pending := make([]*frameBatch, len(l.workers))
	send := func(i int) {
		b := pending[i]
		if b == nil || len(b.pkts) == 0 {
			return
		}
		pending[i] = nil
		l.workers[i].in <- b
	}
	var ring ringBacklog
	lastFlush := time.Now()
	for !l.stop.Load() {
		pk, err := src.Next()
		if err == capture.ErrTimeout || time.Since(lastFlush) > liveTick {
			for i := range pending {
				send(i)
			}
			lastFlush = time.Now()
			c := counts.clone()
			publish.Store(&c)
			if err == capture.ErrTimeout {
				backlog.Store(ring.empty())
				continue
			}
			if !ring.measuring {
				ring = newRingBacklog(pk.LinkType)
				ring.start(lastFlush)
			}
		}
		if err != nil {
			if l.cfg.OnError != nil && !l.stop.Load() {
				l.cfg.OnError(err)
			}
			return
		}
		if ring.measuring {
			if n, done := ring.frame(pk.Info.Timestamp, len(pk.Data)); done {
				backlog.Store(n)
			}
		}
		owner := 0
		if dec.Decode(pk.LinkType, pk.Data, &pk.Info, &pkt) == nil || pkt.Transport != decap.TransportNone {
			owner = int(flowHash(&pkt) % uint32(len(l.workers)))
		}
		counts.add(pkt.Tunnel.Pack(), len(pk.Data))
		b := pending[owner]
		if b == nil {
			b = l.free.Get().(*frameBatch)
			pending[owner] = b
		}
		// Should append move b.data, the packets before keep pointing into
		// the old array, which still holds their bytes.
		off := len(b.data)
		b.data = append(b.data, pk.Data...)
		pk.Data = b.data[off:len(b.data):len(b.data)]
		b.pkts = append(b.pkts, pk)
		if len(b.pkts) >= liveBatchFrames || len(b.data) >= liveBatchBytes {
			send(owner)
		}
	}
	for i := range pending {
		send(i)
	}
}

func (l *Live) recycle(b *frameBatch) {
	b.data, b.pkts = b.data[:0], b.pkts[:0]
	l.free.Put(b)
}

// work runs one pipeline: batches from the readers, and a clock tick on a
// quiet link so idle connections close.
func (l *Live) work(w *worker) {
	defer l.done.Done()
	tick := time.NewTicker(liveTick)
	defer tick.Stop()
	run := func(b *frameBatch) {
		for _, pk := range b.pkts {
			w.p.Packet(pk)
		}
		l.recycle(b)
	}
	for {
		select {
		case b := <-w.in:
			run(b)
		case now := <-tick.C:
			w.p.Tick(now)
			w.publish()
		case <-w.quit:
			for {
				select {
				case b := <-w.in:
					run(b)
				default:
					w.p.Flush()
					w.publish()
					return
				}
			}
		}
	}
}

// publish makes the pipeline's counters readable by other goroutines.
func (w *worker) publish() {
	st := w.p.Stats()
	w.snap.Store(&st)
}

// Stop ends capture, parses what was captured and flushes every
// connection, emitting what is still pending.
func (l *Live) Stop() {
	l.stop.Store(true)
	l.readers.Wait()
	l.closeSources()
	for _, w := range l.workers {
		close(w.quit)
	}
	l.done.Wait()
}

// pipelineStats sums the workers' pipeline counters as last published
// (workers publish them every quarter second; reading them directly would
// race with the worker). Only the counters the metrics, Health and Sources
// read are summed.
func (l *Live) pipelineStats() Stats {
	sum := Stats{Undecodable: map[string]uint64{}}
	sum.Flow.Sources = map[uint64]flow.SourceStats{}
	l.srcMu.Lock()
	defer l.srcMu.Unlock()
	for _, w := range l.workers {
		s := w.snap.Load()
		if s == nil {
			continue
		}
		sum.Truncated += s.Truncated
		sum.Panics += s.Panics
		sum.Flow.Flows += s.Flow.Flows
		sum.Flow.Active += s.Flow.Active
		sum.Flow.Refused += s.Flow.Refused
		sum.Flow.Gaps += s.Flow.Gaps
		sum.Flow.GapBytes += s.Flow.GapBytes
		sum.Flow.OneSided += s.Flow.OneSided
		sum.Flow.PressureFlush += s.Flow.PressureFlush
		sum.Flow.PayloadBytes += s.Flow.PayloadBytes
		for r, n := range s.Undecodable {
			sum.Undecodable[r] += n
		}
		l.sumSources(sum.Flow.Sources, s.Flow.Sources)
	}
	return sum
}

// sumSources adds a worker's per-source counters to sum. Each worker
// counts 64 sources apart, but together they may have seen more: the first
// maxTunnels sources summed keep their own key for good, later ones count
// under the other key. So a source never moves between its label and
// other, and every exported counter only grows. Call with srcMu held.
func (l *Live) sumSources(sum, add map[uint64]flow.SourceStats) {
	for _, k := range slices.Sorted(maps.Keys(add)) { // the same choice on every run
		v := add[k]
		if k != otherTunnel && !l.named[k] {
			if len(l.named) < maxTunnels {
				l.named[k] = true
			} else {
				k = otherTunnel
			}
		}
		sum[k] = addSource(sum[k], v)
	}
}

func addSource(a, b flow.SourceStats) flow.SourceStats {
	a.PayloadBytes += b.PayloadBytes
	a.RetransBytes += b.RetransBytes
	a.GapBytes += b.GapBytes
	a.IgnoredBytes += b.IgnoredBytes
	a.Connections += b.Connections
	a.OneSided += b.OneSided
	return a
}

// Source is one mirror source's TCP counters, summed over the workers.
type Source struct {
	// Label names the source as the metrics' source label does: "none"
	// for plain frames, "vxlan=4242", "vlan=10", "other" for the sources
	// past the 64th.
	Label string
	flow.SourceStats
}

// Sources returns the counters of each mirror source since the start, as
// the workers last published them, sorted by label.
func (l *Live) Sources() []Source { return sourcesOf(l.pipelineStats().Flow.Sources) }

// sourcesOf labels summed per-source counters.
func sourcesOf(sources map[uint64]flow.SourceStats) []Source {
	byLabel := map[string]flow.SourceStats{}
	for k, v := range sources {
		lbl := tunnelLabel(k)
		byLabel[lbl] = addSource(byLabel[lbl], v)
	}
	out := make([]Source, 0, len(byLabel))
	for _, lbl := range slices.Sorted(maps.Keys(byLabel)) {
		out = append(out, Source{Label: lbl, SourceStats: byLabel[lbl]})
	}
	return out
}

// flowHash is symmetric: both directions of a connection hash alike.
func flowHash(p *decap.Packet) uint32 {
	n := p.AddrLen()
	a, b := p.Src[:n], p.Dst[:n]
	pa, pb := p.SrcPort, p.DstPort
	if c := bytes.Compare(a, b); c > 0 || c == 0 && pa > pb {
		a, b, pa, pb = b, a, pb, pa
	}
	h := uint32(2166136261)
	mix := func(x byte) { h = (h ^ uint32(x)) * 16777619 }
	for _, x := range a {
		mix(x)
	}
	for _, x := range b {
		mix(x)
	}
	mix(byte(pa >> 8))
	mix(byte(pa))
	mix(byte(pb >> 8))
	mix(byte(pb))
	t := p.Tunnel.Pack()
	for i := 0; i < 8; i++ {
		mix(byte(t >> (8 * i)))
	}
	return h
}

// readerCounts are one socket's frame and byte counts, per mirror tunnel
// (VLAN tags and VXLAN/Geneve/ERSPAN ids; key 0 for plain frames).
type readerCounts struct {
	Iface   string
	Frames  uint64
	Bytes   uint64
	Tunnels map[uint64]*[2]uint64 // frames, bytes
}

// maxTunnels bounds the tunnels counted apart per socket (add) and summed
// over the workers (sumSources); the rest count under one key (a metric
// label must stay bounded).
const maxTunnels = flow.MaxSources

// otherTunnel is the key of the tunnels past the bound, the same as the
// flow tables' (flow.OtherSource), so both share the label "other".
const otherTunnel = flow.OtherSource

// add counts one frame of n bytes; a frame of a tunnel already counted
// costs one map lookup.
func (c *readerCounts) add(tunnel uint64, n int) {
	c.Frames++
	c.Bytes += uint64(n)
	v := flow.BoundedEntry(c.Tunnels, tunnel)
	v[0]++
	v[1] += uint64(n)
}

func (c *readerCounts) clone() readerCounts {
	out := *c
	out.Tunnels = make(map[uint64]*[2]uint64, len(c.Tunnels))
	for k, v := range c.Tunnels {
		out.Tunnels[k] = &[2]uint64{v[0], v[1]}
	}
	return out
}

// tunnelLabel names a tunnel key for a metric label.
func tunnelLabel(k uint64) string {
	switch k {
	case 0:
		return "none"
	case otherTunnel:
		return "other"
	}
	return decap.Unpack(k).String()
}

// SetFilter replaces the capture filter (tcpdump syntax; "" keeps
// everything) on every socket while capture runs. A filter that does not
// compile changes nothing; should the kernel refuse it on one socket, the
// sockets already changed get the old filter back. Frames already in the
// rings are still read. Not for use concurrently with itself or Stop.
func (l *Live) SetFilter(expr string) error {
	raw, err := capture.CompileFilter(expr)
	if err != nil {
		return err
	}
	for i, src := range l.srcs {
		if err := src.SetFilter(raw); err != nil {
			if old, cerr := capture.CompileFilter(l.cfg.Capture.Filter); cerr == nil {
				for _, s := range l.srcs[:i] {
					s.SetFilter(old)
				}
			}
			return err
		}
	}
	l.cfg.Capture.Filter = expr
	return nil
}
