package flow

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/apitap/apitap/sensor/decap"
)

// t0 is the packet time of the tests' first packet; span times are printed
// relative to it.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

const ms = time.Millisecond

// rec records the Handler calls of every connection of a Table, one line per
// call, in the order they were made: "c2 data ab seq=1001 ..." is a call on
// the second Handler created.
type rec struct {
	log    []string
	n      int  // handlers created
	refuse bool // Data returns false
}

func (r *rec) newHandler(k Key) Handler {
	r.n++
	h := &recHandler{r: r, id: r.n}
	line := fmt.Sprintf("c%d open %s>%s", h.id, k.A, k.B)
	if !k.Tunnel.IsZero() {
		line += " " + k.Tunnel.String()
	}
	r.log = append(r.log, line)
	return h
}

type recHandler struct {
	r      *rec
	id     int
	closed bool
}

func (h *recHandler) add(format string, args ...any) {
	line := fmt.Sprintf("c%d ", h.id) + fmt.Sprintf(format, args...)
	if h.closed {
		line += " AFTER CLOSE"
	}
	h.r.log = append(h.r.log, line)
}

func (h *recHandler) Data(dir Dir, seq uint32, data []byte, spans []Span) bool {
	h.add("data %s seq=%d %q spans=%s", dir, seq, data, fmtSpans(seq, len(data), spans))
	return !h.r.refuse
}

func (h *recHandler) Gap(dir Dir, n int) { h.add("gap %s %d", dir, n) }
func (h *recHandler) End(dir Dir)        { h.add("end %s", dir) }
func (h *recHandler) Close()             { h.add("close"); h.closed = true }

// fmtSpans prints spans as seq@time/ack, time relative to t0 and ack "?"
// when unknown, and flags spans that break the Handler contract: at least
// one, the first at seq, strictly increasing, all inside the data.
func fmtSpans(seq uint32, n int, spans []Span) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range spans {
		if i > 0 {
			b.WriteByte(' ')
		}
		ack := "?"
		if s.AckOK {
			ack = fmt.Sprint(s.Ack)
		}
		fmt.Fprintf(&b, "%d@%v/%s", s.Seq, time.Duration(s.Time-t0.UnixNano()), ack)
		off := s.Seq - seq // wrap-safe offset into the data
		if i == 0 && off != 0 || i > 0 && (off <= spans[i-1].Seq-seq || off >= uint32(n)) {
			b.WriteString("(BAD)")
		}
	}
	if len(spans) == 0 {
		b.WriteString("NONE")
	}
	b.WriteByte(']')
	return b.String()
}

// tuple is one connection's addresses as seen from its client, A.
type tuple struct {
	a, b netip.AddrPort
	tun  decap.Tunnel
}

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:80")
	c1  = tuple{a: cli, b: srv}
)

// port returns the tuple with another client port.
func (tp tuple) port(p uint16) tuple {
	tp.a = netip.AddrPortFrom(tp.a.Addr(), p)
	return tp
}

// pk describes one packet: flags is any of "SAFRP".
type pk struct {
	tp       tuple
	dir      Dir
	at       time.Duration // since t0
	flags    string
	seq, ack uint32
	data     string
}

func (tp tuple) ab(at time.Duration, flags string, seq, ack uint32, data string) pk {
	return pk{tp: tp, dir: DirAB, at: at, flags: flags, seq: seq, ack: ack, data: data}
}

func (tp tuple) ba(at time.Duration, flags string, seq, ack uint32, data string) pk {
	return pk{tp: tp, dir: DirBA, at: at, flags: flags, seq: seq, ack: ack, data: data}
}

func (p pk) String() string {
	return fmt.Sprintf("%s %v %s seq=%d ack=%d len=%d", p.dir, p.at, p.flags, p.seq, p.ack, len(p.data))
}

// packet builds the decoded packet as decap.Decoder would hand it on.
func (p pk) packet() (*decap.Packet, gopacket.CaptureInfo) {
	src, dst := p.tp.a, p.tp.b
	if p.dir == DirBA {
		src, dst = dst, src
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.Port()),
		DstPort: layers.TCPPort(dst.Port()),
		Seq:     p.seq,
		Ack:     p.ack,
		Window:  65535,
	}
	for _, f := range p.flags {
		switch f {
		case 'S':
			tcp.SYN = true
		case 'A':
			tcp.ACK = true
		case 'F':
			tcp.FIN = true
		case 'R':
			tcp.RST = true
		case 'P':
			tcp.PSH = true
		default:
			panic("flag " + string(f))
		}
	}
	tcp.SetInternalPortsForTesting() // as decoding sets them: TransportFlow uses them
	tcp.Payload = []byte(p.data)
	pkt := &decap.Packet{
		Tunnel:    p.tp.tun,
		IPv6:      src.Addr().Is6(),
		Transport: decap.TransportTCP,
		TCP:       tcp,
		SrcPort:   src.Port(),
		DstPort:   dst.Port(),
		Payload:   tcp.Payload,
	}
	pkt.Src, pkt.Dst = addr16(src.Addr()), addr16(dst.Addr())
	n := 54 + len(p.data)
	return pkt, gopacket.CaptureInfo{Timestamp: t0.Add(p.at), CaptureLength: n, Length: n}
}

// builtPacket is a packet built ahead, for benchmarks and allocation tests.
type builtPacket struct {
	p  *decap.Packet
	ci gopacket.CaptureInfo
}

// addr16 stores an address as decap.Packet does: IPv4 in the first 4 bytes.
func addr16(a netip.Addr) (b [16]byte) {
	if a.Is4() {
		v := a.As4()
		copy(b[:], v[:])
		return b
	}
	return a.As16()
}

// feed gives p to the Table, then scribbles over the payload: the frame
// buffer is reused by the capture, so the Table must have copied whatever
// it keeps.
func feed(tbl *Table, p pk) {
	pkt, ci := p.packet()
	tbl.Packet(pkt, ci)
	for i := range pkt.Payload {
		pkt.Payload[i] = '#'
	}
}

// step is one packet, or FlushAll, and the Handler calls it must cause.
type step struct {
	p     pk
	flush bool
	want  []string
}

func flushAll(want ...string) step { return step{flush: true, want: want} }

// run feeds the steps to tbl and checks the calls each one caused.
func run(t *testing.T, tbl *Table, r *rec, steps []step) {
	t.Helper()
	for i, s := range steps {
		before := len(r.log)
		what := "FlushAll"
		if s.flush {
			tbl.FlushAll()
		} else {
			what = s.p.String()
			feed(tbl, s.p)
		}
		if got := r.log[before:]; !slices.Equal(got, s.want) {
			t.Errorf("step %d (%s) made calls:\n\t%s\nwant:\n\t%s", i, what,
				strings.Join(got, "\n\t"), strings.Join(s.want, "\n\t"))
		}
	}
}

// payloadOf returns the TCP payload bytes of the steps' packets.
func payloadOf(steps []step) (n uint64) {
	for _, s := range steps {
		n += uint64(len(s.p.data))
	}
	return n
}

// checkStats compares a Table's counters with want, but for Sources, which
// must add up: every payload byte is counted under a source (the tests
// refuse no packet that carries any), and so is every connection.
func checkStats(t *testing.T, what string, got, want Stats) {
	t.Helper()
	var payload, conns, oneSided, gapBytes uint64
	for _, src := range got.Sources {
		payload += src.PayloadBytes
		conns += src.Connections
		oneSided += src.OneSided
		gapBytes += src.GapBytes
	}
	if payload != got.PayloadBytes || conns != got.Flows || oneSided != got.OneSided || gapBytes != got.GapBytes {
		t.Errorf("%s: sources add up to payload %d, connections %d, one-sided %d, gap bytes %d; the totals are %d, %d, %d, %d",
			what, payload, conns, oneSided, gapBytes, got.PayloadBytes, got.Flows, got.OneSided, got.GapBytes)
	}
	got.Sources = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n got %+v\nwant %+v", what, got, want)
	}
}
