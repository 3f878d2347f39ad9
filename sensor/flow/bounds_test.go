package flow

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// counter is a Handler factory that only counts calls, for floods.
type counter struct {
	opened, closed, other int
}

type countHandler struct{ c *counter }

func (c *counter) newHandler(Key) Handler { c.opened++; return countHandler{c} }

func (h countHandler) Data(Dir, uint32, []byte, []Span) bool { h.c.other++; return true }
func (h countHandler) Gap(Dir, int)                          { h.c.other++ }
func (h countHandler) End(Dir)                               { h.c.other++ }
func (h countHandler) Close()                                { h.c.closed++ }

// floodClient returns the i-th of many distinct clients.
func floodClient(i int) tuple {
	a := netip.AddrFrom4([4]byte{10, 1, byte(i >> 16), byte(i >> 8)})
	return tuple{a: netip.AddrPortFrom(a, 1024+uint16(i&0xff)), b: srv}
}

// TestTableFlood: a SYN flood of 100k connections never holds more than
// MaxFlows, the rest are refused and counted, and the held ones are closed
// by packet time, by the idle sweep or sooner under pressure.
func TestTableFlood(t *testing.T) {
	const (
		flows = 100_000
		max   = 1000
		idle  = 10 * time.Second
	)
	for _, tc := range []struct {
		name     string
		at       time.Duration // time of the packet after the flood
		pressure uint64        // sweeps forced by MaxFlows
	}{
		// The regular sweep closes them before the Table notices it is
		// full.
		{name: "idle", at: idle + 200*ms, pressure: 1},
		// A full Table closes connections idle for IdleTimeout/16 once
		// per SweepInterval.
		{name: "pressure", at: 2 * time.Second, pressure: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c counter
			tbl := NewTable(Config{MaxFlows: max, IdleTimeout: idle}, c.newHandler)
			for i := range flows {
				feed(tbl, floodClient(i).ab(time.Duration(i)*time.Microsecond, "S", 1000, 0, ""))
				if a := tbl.Stats().Active; a > max {
					t.Fatalf("packet %d: %d connections active, MaxFlows is %d", i, a, max)
				}
			}
			// Stray ACKs of unknown connections open nothing.
			for i := range 10 {
				feed(tbl, floodClient(flows+i).ab(150*ms, "A", 1001, 1, ""))
			}
			want := Stats{Packets: flows + 10, Flows: max, Refused: flows - max, Active: max, Stray: 10, PressureFlush: 1}
			checkStats(t, "after the flood", tbl.Stats(), want)
			if c.opened != max || c.closed != 0 {
				t.Errorf("after the flood: %d handlers opened, %d closed; want %d, 0", c.opened, c.closed, max)
			}

			// Later, a new connection finds room.
			feed(tbl, floodClient(flows+10).ab(tc.at, "S", 1000, 0, ""))
			// The SYN-only connections closed were one-sided.
			want = Stats{Packets: flows + 11, Flows: max + 1, Refused: flows - max, Active: 1, Stray: 10, PressureFlush: tc.pressure, OneSided: max}
			checkStats(t, fmt.Sprintf("at %v", tc.at), tbl.Stats(), want)
			if c.opened != max+1 || c.closed != max || c.other != 0 {
				t.Errorf("at %v: %d handlers opened, %d closed, %d other calls; want %d, %d, 0",
					tc.at, c.opened, c.closed, c.other, max+1, max)
			}
		})
	}
}

// TestTableFlushOrder: connections whose gaps are given up in one sweep, or
// by FlushAll, see their Handler calls in the order the connections were
// opened, although the assembler visits them in map order.
func TestTableFlushOrder(t *testing.T) {
	const conns = 8
	for _, tc := range []struct {
		name  string
		flush func(*Table)
		close bool
	}{
		{name: "sweep", flush: func(tbl *Table) {
			// Any packet after GapTimeout+SweepInterval sweeps.
			feed(tbl, c1.port(50000).ab(3*time.Second, "A", 1, 1, ""))
		}},
		{name: "FlushAll", flush: (*Table).FlushAll, close: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// What each run must log: the flush's calls grouped per
			// connection, oldest first; per connection, the assembler's
			// own order (server half first).
			var want []string
			for i := 1; i <= conns; i++ {
				want = append(want,
					fmt.Sprintf("c%d gap ba 3", i),
					fmt.Sprintf(`c%d data ba seq=5004 "def" spans=[5004@%dms/1004]`, i, 10*i+5),
					fmt.Sprintf("c%d gap ab 3", i),
					fmt.Sprintf(`c%d data ab seq=1004 "def" spans=[1004@%dms/5001]`, i, 10*i+3))
				if tc.close {
					want = append(want, fmt.Sprintf("c%d close", i))
				}
			}
			var first []string
			for run := range 20 {
				r := &rec{}
				tbl := NewTable(Config{}, r.newHandler)
				for i := 1; i <= conns; i++ {
					tp, at := c1.port(uint16(40000+i)), time.Duration(10*i)*ms
					feed(tbl, tp.ab(at, "S", 1000, 0, ""))
					feed(tbl, tp.ba(at+1*ms, "SA", 5000, 1001, ""))
					// "abc" is lost each way.
					feed(tbl, tp.ab(at+3*ms, "PA", 1004, 5001, "def"))
					feed(tbl, tp.ba(at+5*ms, "PA", 5004, 1004, "def"))
				}
				if len(r.log) != conns {
					t.Fatalf("before the flush:\n\t%s", strings.Join(r.log, "\n\t"))
				}
				tc.flush(tbl)
				got := r.log[conns:]
				if run == 0 {
					first = got
					if !slices.Equal(got, want) {
						t.Fatalf("flush calls:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
					}
				} else if !slices.Equal(got, first) {
					t.Fatalf("run %d differs from run 0:\n\t%s", run, strings.Join(got, "\n\t"))
				}
			}
		})
	}
}

// nopHandler accepts everything and keeps nothing.
type nopHandler struct{}

func (nopHandler) Data(Dir, uint32, []byte, []Span) bool { return true }
func (nopHandler) Gap(Dir, int)                          {}
func (nopHandler) End(Dir)                               {}
func (nopHandler) Close()                                {}

// TestTableAllocs: in-order data of an open connection costs no
// allocation per packet.
func TestTableAllocs(t *testing.T) {
	tbl := NewTable(Config{}, func(Key) Handler { return nopHandler{} })
	feed(tbl, c1.ab(0, "S", 1000, 0, ""))
	feed(tbl, c1.ba(0, "SA", 5000, 1001, ""))
	const n = 400
	var pkts []pk
	seq := [2]uint32{1001, 5001}
	for i := range n {
		d := Dir(i & 1)
		data := strings.Repeat("x", 100+i)
		p := pk{tp: c1, dir: d, at: time.Duration(i) * time.Microsecond, flags: "PA", seq: seq[d], ack: seq[d^1], data: data}
		seq[d] += uint32(len(data))
		pkts = append(pkts, p)
	}
	built := make([]builtPacket, len(pkts))
	for i, p := range pkts {
		built[i].p, built[i].ci = p.packet()
	}
	i := 0
	allocs := testing.AllocsPerRun(n-1, func() {
		tbl.Packet(built[i].p, built[i].ci)
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per in-order packet, want 0", allocs)
	}
	if s := tbl.Stats(); s.Active != 1 || s.Gaps != 0 {
		t.Errorf("stats %+v", s)
	}
}
