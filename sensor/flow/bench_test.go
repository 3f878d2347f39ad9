package flow

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// keepAlive builds the packets of conns keep-alive HTTP connections doing
// reqs request/response exchanges each, interleaved as a busy link would
// carry them, and the number of payload bytes they hold.
func keepAlive(conns, reqs int) ([]builtPacket, int64) {
	req := "GET /api/v1/items?page=2 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1200\r\n\r\n" + strings.Repeat("x", 1200)
	scripts := make([][]pk, conns)
	for i := range scripts {
		a := netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)})
		tp := tuple{a: netip.AddrPortFrom(a, 40000+uint16(i)), b: srv}
		c, s := uint32(1000*i), uint32(0xfffff000-7*i) // some wrap
		sc := []pk{tp.ab(0, "S", c, 0, ""), tp.ba(0, "SA", s, c+1, ""), tp.ab(0, "A", c+1, s+1, "")}
		c, s = c+1, s+1
		for range reqs {
			sc = append(sc, tp.ab(0, "PA", c, s, req))
			c += uint32(len(req))
			sc = append(sc, tp.ba(0, "PA", s, c, resp))
			s += uint32(len(resp))
			sc = append(sc, tp.ab(0, "A", c, s, ""))
		}
		sc = append(sc, tp.ab(0, "FA", c, s, ""), tp.ba(0, "FA", s, c+1, ""), tp.ab(0, "A", c+1, s+1, ""))
		scripts[i] = sc
	}
	var pkts []builtPacket
	var bytes int64
	for k := range scripts[0] {
		for _, sc := range scripts {
			p := sc[k]
			p.at = time.Duration(len(pkts)) * 10 * time.Microsecond
			var b builtPacket
			b.p, b.ci = p.packet()
			pkts = append(pkts, b)
			bytes += int64(len(p.data))
		}
	}
	return pkts, bytes
}

// BenchmarkTable feeds 300 keep-alive connections of 10 exchanges each,
// built in memory, through a fresh Table and flushes it:
//
//	go test -run '^$' -bench BenchmarkTable -benchmem -count 6 ./sensor/flow | tee bench.txt
//	benchstat old.txt bench.txt
func BenchmarkTable(b *testing.B) {
	const conns, reqs = 300, 10
	pkts, n := keepAlive(conns, reqs)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		tbl := NewTable(Config{}, func(Key) Handler { return nopHandler{} })
		for i := range pkts {
			tbl.Packet(pkts[i].p, pkts[i].ci)
		}
		tbl.FlushAll()
		if s := tbl.Stats(); s.Flows != conns || s.Active != 0 || s.Gaps != 0 {
			b.Fatalf("stats %+v", s)
		}
	}
	b.ReportMetric(float64(len(pkts))*float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}
