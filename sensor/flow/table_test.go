package flow

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor/decap"
)

// TestTable feeds scripted connections packet by packet and checks every
// Handler call each packet causes, and the Table's counters at the end.
func TestTable(t *testing.T) {
	const open1 = "c1 open 10.0.0.1:40000>10.0.0.2:80"
	// s is one direction's byte stream; byte i has sequence number 1001+i.
	const s = "0123456789abcdefghijABCDEFGHIJklmnopqrstKLMNOPQRST"
	vx1 := tuple{a: cli, b: srv, tun: decap.Tunnel{Kind: decap.KindVXLAN, ID: 1}}
	vx2 := tuple{a: cli, b: srv, tun: decap.Tunnel{Kind: decap.KindVXLAN, ID: 2}}
	vlan := tuple{a: cli, b: srv, tun: decap.Tunnel{VLAN: 7, Tagged: true}}
	c2 := c1.port(40001)

	for _, tc := range []struct {
		name   string
		cfg    Config
		refuse bool // the Handler's Data returns false
		steps  []step
		stats  Stats
	}{{
		name: "normal connection",
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ba(1*ms, "SA", 5000, 1001, "")},
			{p: c1.ab(2*ms, "A", 1001, 5001, "")},
			{p: c1.ab(2*ms, "S", 1000, 0, "")}, // a late copy of the SYN changes nothing
			{p: c1.ab(3*ms, "PA", 1001, 5001, "GET / HTTP/1.1\r\n\r\n"), want: []string{
				`c1 data ab seq=1001 "GET / HTTP/1.1\r\n\r\n" spans=[1001@3ms/5001]`}},
			{p: c1.ba(4*ms, "A", 5001, 1019, "")},
			// The response's second segment overtakes its first: one
			// Data call, with a span per packet.
			{p: c1.ba(5*ms, "PA", 5011, 1019, "00 OK\r\n\r\n")},
			{p: c1.ba(6*ms, "A", 5001, 1019, "HTTP/1.1 2"), want: []string{
				`c1 data ba seq=5001 "HTTP/1.1 200 OK\r\n\r\n" spans=[5001@6ms/1019 5011@5ms/1019]`}},
			{p: c1.ab(7*ms, "FA", 1019, 5020, ""), want: []string{"c1 end ab"}},
			{p: c1.ba(8*ms, "FA", 5020, 1020, ""), want: []string{"c1 end ba", "c1 close"}},
			// The last ACK comes after the connection is gone: stray.
			{p: c1.ab(9*ms, "A", 1020, 5021, "")},
		},
		stats: Stats{Packets: 11, Flows: 1, Stray: 1},
	}, {
		name: "out of order, duplicates and overlaps",
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ab(1*ms, "PA", 1001, 101, s[0:10]), want: []string{
				`c1 data ab seq=1001 "0123456789" spans=[1001@1ms/101]`}},
			{p: c1.ab(2*ms, "PA", 1021, 102, s[20:30])},
			{p: c1.ab(3*ms, "PA", 1021, 103, s[20:30])}, // duplicate: keeps the first one's span
			{p: c1.ab(4*ms, "PA", 1011, 104, s[10:20]), want: []string{
				`c1 data ab seq=1011 "abcdefghijABCDEFGHIJ" spans=[1011@4ms/104 1021@2ms/102]`}},
			{p: c1.ab(5*ms, "PA", 1001, 105, s[0:10])}, // retransmission of delivered bytes
			{p: c1.ab(6*ms, "PA", 1026, 106, s[25:40]), want: []string{
				`c1 data ab seq=1031 "klmnopqrst" spans=[1031@6ms/106]`}},
			{p: c1.ab(7*ms, "PA", 1046, 107, s[45:50])},
			{p: c1.ab(8*ms, "PA", 1044, 108, s[43:47])}, // overlaps the queued segment
			{p: c1.ab(9*ms, "PA", 1039, 109, s[38:45]), want: []string{
				`c1 data ab seq=1041 "KLMNOPQRST" spans=[1041@9ms/109 1046@7ms/107]`}},
			{p: c1.ab(10*ms, "PA", 1001, 110, s[0:50])}, // all of it again
			{p: c1.ab(11*ms, "FA", 1051, 111, ""), want: []string{"c1 end ab"}},
			flushAll("c1 close"),
		},
		stats: Stats{Packets: 12, Flows: 1, OneSided: 1}, // only one direction seen
	}, {
		name: "picked up mid-stream",
		steps: []step{
			{p: c1.ab(0, "A", 3000, 7000, "")}, // a bare ACK opens nothing
			{p: c1.ab(1*ms, "PA", 3000, 7000, "GET /a HTTP/1.1\r\n\r\n"), want: []string{open1,
				`c1 data ab seq=3000 "GET /a HTTP/1.1\r\n\r\n" spans=[3000@1ms/7000]`}},
			{p: c1.ba(2*ms, "PA", 7000, 3019, "HTTP/1.1 204 No Content\r\n\r\n"), want: []string{
				`c1 data ba seq=7000 "HTTP/1.1 204 No Content\r\n\r\n" spans=[7000@2ms/3019]`}},
			{p: c1.ab(3*ms, "PA", 2990, 7027, "0123456789")}, // from before we joined
			{p: c1.ab(4*ms, "PA", 3019, 7027, "GET /b HTTP/1.1\r\n\r\n"), want: []string{
				`c1 data ab seq=3019 "GET /b HTTP/1.1\r\n\r\n" spans=[3019@4ms/7027]`}},
		},
		stats: Stats{Packets: 5, Flows: 1, Active: 1, Stray: 1},
	}, {
		name: "picked up mid-stream, server first",
		steps: []step{
			// Without the SYN, A is whoever sent the first data.
			{p: c1.ba(0, "PA", 7000, 3019, "HTTP/1.1 200 OK\r\n\r\n"), want: []string{
				"c1 open 10.0.0.2:80>10.0.0.1:40000",
				`c1 data ab seq=7000 "HTTP/1.1 200 OK\r\n\r\n" spans=[7000@0s/3019]`}},
			{p: c1.ab(1*ms, "PA", 3019, 7019, "GET"), want: []string{
				`c1 data ba seq=3019 "GET" spans=[3019@1ms/7019]`}},
		},
		stats: Stats{Packets: 2, Flows: 1, Active: 1},
	}, {
		name: "lost segment skipped after GapTimeout of packet time",
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ba(1*ms, "SA", 5000, 1001, "")},
			{p: c1.ab(2*ms, "PA", 1001, 5001, "aaaaaaaaaa"), want: []string{
				`c1 data ab seq=1001 "aaaaaaaaaa" spans=[1001@2ms/5001]`}},
			// 1011 "bbbbbbbbbb" is lost.
			{p: c1.ab(4*ms, "PA", 1021, 5001, "cccccccccc")},
			{p: c1.ba(1000*ms, "A", 5001, 1011, "")}, // sweep: waited 996ms
			{p: c1.ba(2000*ms, "A", 5001, 1011, "")}, // sweep: waited 1.996s
			{p: c1.ba(2500*ms, "A", 5001, 1011, "")}, // no sweep before 3s
			{p: c1.ba(3000*ms, "A", 5001, 1011, ""), want: []string{
				"c1 gap ab 10",
				`c1 data ab seq=1021 "cccccccccc" spans=[1021@4ms/5001]`}},
			{p: c1.ab(3001*ms, "PA", 1031, 5001, "dddd"), want: []string{
				`c1 data ab seq=1031 "dddd" spans=[1031@3.001s/5001]`}},
		},
		stats: Stats{Packets: 9, Flows: 1, Active: 1, Gaps: 1, GapBytes: 10},
	}, {
		name: "lost segments skipped by FlushAll",
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ab(1*ms, "PA", 1001, 5001, "aaaaa"), want: []string{
				`c1 data ab seq=1001 "aaaaa" spans=[1001@1ms/5001]`}},
			{p: c1.ab(3*ms, "PA", 1011, 5001, "ccccc")},
			{p: c1.ab(5*ms, "PA", 1021, 5001, "eeeee")},
			flushAll(
				"c1 gap ab 5",
				`c1 data ab seq=1011 "ccccc" spans=[1011@3ms/5001]`,
				"c1 gap ab 5",
				`c1 data ab seq=1021 "eeeee" spans=[1021@5ms/5001]`,
				"c1 close"),
		},
		stats: Stats{Packets: 4, Flows: 1, Gaps: 2, GapBytes: 10, OneSided: 1}, // only one direction seen
	}, {
		name: "sequence numbers wrap",
		steps: []step{
			{p: c1.ab(0, "S", 0xfffffff8, 0, ""), want: []string{open1}},
			{p: c1.ab(1*ms, "PA", 0xfffffff9, 1, "0123456789"), want: []string{
				`c1 data ab seq=4294967289 "0123456789" spans=[4294967289@1ms/1]`}},
			{p: c1.ab(2*ms, "PA", 8, 2, "klmno")},
			{p: c1.ab(3*ms, "PA", 3, 3, "abcde"), want: []string{
				`c1 data ab seq=3 "abcdeklmno" spans=[3@3ms/3 8@2ms/2]`}},
			{p: c1.ab(4*ms, "FA", 13, 4, ""), want: []string{"c1 end ab"}},
		},
		stats: Stats{Packets: 5, Flows: 1, Active: 1},
	}, {
		name: "sequence numbers wrap inside a gap",
		steps: []step{
			{p: c1.ab(0, "S", 0xfffffff0, 0, ""), want: []string{open1}},
			{p: c1.ab(1*ms, "PA", 0xfffffff1, 1, "abcde"), want: []string{
				`c1 data ab seq=4294967281 "abcde" spans=[4294967281@1ms/1]`}},
			// 20 bytes from 0xfffffff6 to 0x0a are lost.
			{p: c1.ab(2*ms, "PA", 0x0a, 2, "klmno")},
			{p: c1.ab(3*ms, "PA", 0xfffffff2, 3, "bcd")}, // old retransmission
			flushAll(
				"c1 gap ab 20",
				`c1 data ab seq=10 "klmno" spans=[10@2ms/2]`,
				"c1 close"),
		},
		stats: Stats{Packets: 4, Flows: 1, Gaps: 1, GapBytes: 20, OneSided: 1}, // only one direction seen
	}, {
		name: "port reuse after FIN",
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ba(1*ms, "SA", 5000, 1001, "")},
			{p: c1.ab(2*ms, "PA", 1001, 5001, "ping"), want: []string{
				`c1 data ab seq=1001 "ping" spans=[1001@2ms/5001]`}},
			{p: c1.ba(3*ms, "PA", 5001, 1005, "pong"), want: []string{
				`c1 data ba seq=5001 "pong" spans=[5001@3ms/1005]`}},
			{p: c1.ab(4*ms, "FA", 1005, 5005, ""), want: []string{"c1 end ab"}},
			{p: c1.ba(5*ms, "FA", 5005, 1006, ""), want: []string{"c1 end ba", "c1 close"}},
			{p: c1.ab(6*ms, "A", 1006, 5006, "")},
			{p: c1.ab(1000*ms, "S", 9000, 0, ""), want: []string{"c2 open 10.0.0.1:40000>10.0.0.2:80"}},
			{p: c1.ba(1001*ms, "SA", 12000, 9001, "")},
			{p: c1.ab(1002*ms, "PA", 9001, 12001, "ping2"), want: []string{
				`c2 data ab seq=9001 "ping2" spans=[9001@1.002s/12001]`}},
			{p: c1.ba(1003*ms, "PA", 12001, 9006, "pong2"), want: []string{
				`c2 data ba seq=12001 "pong2" spans=[12001@1.003s/9006]`}},
		},
		stats: Stats{Packets: 11, Flows: 2, Active: 1, Stray: 1},
	}, {
		name: "port reuse after RST",
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ba(1*ms, "SA", 5000, 1001, "")},
			{p: c1.ab(2*ms, "PA", 1001, 5001, "ping"), want: []string{
				`c1 data ab seq=1001 "ping" spans=[1001@2ms/5001]`}},
			{p: c1.ba(3*ms, "PA", 5001, 1005, "pong"), want: []string{
				`c1 data ba seq=5001 "pong" spans=[5001@3ms/1005]`}},
			// The client aborts; the server's half stays open, as data
			// in flight may still come.
			{p: c1.ab(4*ms, "RA", 1005, 5005, ""), want: []string{"c1 end ab"}},
			{p: c1.ba(5*ms, "PA", 5005, 1005, "late"), want: []string{
				`c1 data ba seq=5005 "late" spans=[5005@5ms/1005]`}},
			// A new connection on the same 4-tuple closes the old one.
			{p: c1.ab(1000*ms, "S", 9000, 0, ""), want: []string{"c1 close", "c2 open 10.0.0.1:40000>10.0.0.2:80"}},
			{p: c1.ba(1001*ms, "SA", 12000, 9001, "")},
			{p: c1.ab(1002*ms, "PA", 9001, 12001, "ping2"), want: []string{
				`c2 data ab seq=9001 "ping2" spans=[9001@1.002s/12001]`}},
			{p: c1.ba(1003*ms, "PA", 12001, 9006, "pong2"), want: []string{
				`c2 data ba seq=12001 "pong2" spans=[12001@1.003s/9006]`}},
		},
		stats: Stats{Packets: 10, Flows: 2, Active: 1},
	}, {
		name: "port reuse after a FIN the capture lost",
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ba(1*ms, "SA", 5000, 1001, "")},
			{p: c1.ab(2*ms, "PA", 1001, 5001, "ping"), want: []string{
				`c1 data ab seq=1001 "ping" spans=[1001@2ms/5001]`}},
			{p: c1.ba(3*ms, "FPA", 5001, 1005, "pong"), want: []string{
				`c1 data ba seq=5001 "pong" spans=[5001@3ms/1005]`, "c1 end ba"}},
			// The client's FIN is lost.
			{p: c1.ab(2000*ms, "S", 9000, 0, ""), want: []string{"c1 close", "c2 open 10.0.0.1:40000>10.0.0.2:80"}},
			{p: c1.ab(2001*ms, "PA", 9001, 12001, "ping2"), want: []string{
				`c2 data ab seq=9001 "ping2" spans=[9001@2.001s/12001]`}},
		},
		stats: Stats{Packets: 6, Flows: 2, Active: 1},
	}, {
		name: "refused connection retried",
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ba(1*ms, "RA", 0, 1001, ""), want: []string{"c1 end ba"}},
			{p: c1.ab(1000*ms, "S", 1000, 0, ""), want: []string{"c1 close", "c2 open 10.0.0.1:40000>10.0.0.2:80"}},
			{p: c1.ba(1001*ms, "SA", 5000, 1001, "")},
			{p: c1.ab(1002*ms, "PA", 1001, 5001, "ping"), want: []string{
				`c2 data ab seq=1001 "ping" spans=[1001@1.002s/5001]`}},
		},
		stats: Stats{Packets: 5, Flows: 2, Active: 1},
	}, {
		name: "port reuse, the server never seen",
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ab(1*ms, "PA", 1001, 5001, "ping"), want: []string{
				`c1 data ab seq=1001 "ping" spans=[1001@1ms/5001]`}},
			{p: c1.ab(2*ms, "FA", 1005, 5001, ""), want: []string{"c1 end ab"}},
			{p: c1.ab(1000*ms, "S", 9000, 0, ""), want: []string{"c1 close", "c2 open 10.0.0.1:40000>10.0.0.2:80"}},
			{p: c1.ab(1001*ms, "PA", 9001, 12001, "ping2"), want: []string{
				`c2 data ab seq=9001 "ping2" spans=[9001@1.001s/12001]`}},
		},
		stats: Stats{Packets: 5, Flows: 2, Active: 1, OneSided: 1}, // only one direction seen
	}, {
		name:   "port reuse after the handler gave up",
		refuse: true,
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ab(2*ms, "PA", 1001, 5001, "ping"), want: []string{
				`c1 data ab seq=1001 "ping" spans=[1001@2ms/5001]`}},
			{p: c1.ab(4*ms, "FA", 1005, 5005, "")},
			{p: c1.ba(5*ms, "FA", 5001, 1006, "")},
			{p: c1.ab(1000*ms, "S", 9000, 0, ""), want: []string{"c1 close", "c2 open 10.0.0.1:40000>10.0.0.2:80"}},
			{p: c1.ab(1001*ms, "PA", 9001, 12001, "ping2"), want: []string{
				`c2 data ab seq=9001 "ping2" spans=[9001@1.001s/12001]`}},
		},
		stats: Stats{Packets: 6, Flows: 2, Active: 1, Ignored: 2, OneSided: 1}, // only one direction seen
	}, {
		name: "tunnels keep equal addresses apart",
		steps: []step{
			{p: vx1.ab(0, "S", 1000, 0, ""), want: []string{open1 + " vxlan=1"}},
			{p: vx2.ab(1*ms, "S", 1000, 0, ""), want: []string{"c2 open 10.0.0.1:40000>10.0.0.2:80 vxlan=2"}},
			{p: vlan.ab(2*ms, "S", 1000, 0, ""), want: []string{"c3 open 10.0.0.1:40000>10.0.0.2:80 vlan=7"}},
			{p: vx1.ab(3*ms, "PA", 1001, 5001, "one"), want: []string{
				`c1 data ab seq=1001 "one" spans=[1001@3ms/5001]`}},
			{p: vx2.ab(4*ms, "PA", 1001, 5001, "two"), want: []string{
				`c2 data ab seq=1001 "two" spans=[1001@4ms/5001]`}},
			{p: vlan.ab(5*ms, "PA", 1001, 5001, "three"), want: []string{
				`c3 data ab seq=1001 "three" spans=[1001@5ms/5001]`}},
			{p: vx2.ba(6*ms, "PA", 5001, 1004, "TWO"), want: []string{
				`c2 data ba seq=5001 "TWO" spans=[5001@6ms/1004]`}},
			{p: vx1.ba(7*ms, "PA", 5001, 1004, "ONE"), want: []string{
				`c1 data ba seq=5001 "ONE" spans=[5001@7ms/1004]`}},
			{p: c1.ab(8*ms, "PA", 1004, 5004, "none"), want: []string{"c4 open 10.0.0.1:40000>10.0.0.2:80",
				`c4 data ab seq=1004 "none" spans=[1004@8ms/5004]`}}, // no tunnel: one more
		},
		stats: Stats{Packets: 9, Flows: 4, Active: 4},
	}, {
		name: "page budget gives up a hole early",
		cfg:  Config{MaxPagesPerFlow: 4, GapTimeout: time.Hour, SweepInterval: time.Hour},
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			// 1001 "0123456789" is lost; each later segment takes a page.
			{p: c1.ab(2*ms, "PA", 1011, 5001, "aaaaaaaaaa")},
			{p: c1.ab(3*ms, "PA", 1021, 5001, "bbbbbbbbbb")},
			{p: c1.ab(4*ms, "PA", 1031, 5001, "cccccccccc")},
			{p: c1.ab(5*ms, "PA", 1041, 5001, "dddddddddd"), want: []string{
				"c1 gap ab 10",
				`c1 data ab seq=1011 "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd" spans=[1011@2ms/5001 1021@3ms/5001 1031@4ms/5001 1041@5ms/5001]`}},
			{p: c1.ab(6*ms, "PA", 1051, 5001, "eeeeeeeeee"), want: []string{
				`c1 data ab seq=1051 "eeeeeeeeee" spans=[1051@6ms/5001]`}},
			// Another hole: the budget counts again from nothing.
			{p: c1.ab(8*ms, "PA", 1071, 5001, "gggggggggg")},
			{p: c1.ab(9*ms, "PA", 1081, 5001, "hhhhhhhhhh")},
			{p: c1.ab(10*ms, "PA", 1091, 5001, "iiiiiiiiii")},
			{p: c1.ab(11*ms, "PA", 1101, 5001, "jjjjjjjjjj"), want: []string{
				"c1 gap ab 10",
				`c1 data ab seq=1071 "gggggggggghhhhhhhhhhiiiiiiiiiijjjjjjjjjj" spans=[1071@8ms/5001 1081@9ms/5001 1091@10ms/5001 1101@11ms/5001]`}},
		},
		stats: Stats{Packets: 10, Flows: 1, Active: 1, Gaps: 2, GapBytes: 20},
	}, {
		name: "idle connections closed by packet time",
		cfg:  Config{IdleTimeout: 10 * time.Second},
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ab(1*ms, "PA", 1001, 5001, "x"), want: []string{`c1 data ab seq=1001 "x" spans=[1001@1ms/5001]`}},
			{p: c2.ab(5*time.Second, "S", 2000, 0, ""), want: []string{"c2 open 10.0.0.1:40001>10.0.0.2:80"}},
			{p: c2.ab(9*time.Second, "PA", 2001, 6001, "y"), want: []string{`c2 data ab seq=2001 "y" spans=[2001@9s/6001]`}},
			// c1 has been idle exactly IdleTimeout: not yet.
			{p: c2.ab(10001*ms, "PA", 2002, 6001, "z"), want: []string{`c2 data ab seq=2002 "z" spans=[2002@10.001s/6001]`}},
			// The sweep runs before the packet that triggers it.
			{p: c2.ab(11002*ms, "PA", 2003, 6001, "w"), want: []string{"c1 close",
				`c2 data ab seq=2003 "w" spans=[2003@11.002s/6001]`}},
			{p: c1.port(40002).ab(22*time.Second, "A", 1, 1, ""), want: []string{"c2 close"}},
			// c1's addresses come back: a new connection, joined mid-stream.
			{p: c1.ab(22001*ms, "PA", 1002, 5001, "late"), want: []string{"c3 open 10.0.0.1:40000>10.0.0.2:80",
				`c3 data ab seq=1002 "late" spans=[1002@22.001s/5001]`}},
		},
		stats: Stats{Packets: 8, Flows: 3, Active: 1, Stray: 1, OneSided: 2}, // only one direction seen
	}, {
		name:   "handler gives up",
		refuse: true,
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ba(1*ms, "SA", 5000, 1001, "")},
			{p: c1.ab(2*ms, "PA", 1001, 5001, "GET"), want: []string{`c1 data ab seq=1001 "GET" spans=[1001@2ms/5001]`}},
			{p: c1.ba(3*ms, "PA", 5001, 1004, "HTTP")},
			{p: c1.ab(4*ms, "PA", 1004, 5005, "more")},
			{p: c1.ab(5*ms, "FA", 1008, 5005, "")},
			{p: c1.ba(6*ms, "FA", 5005, 1009, "")},
			flushAll("c1 close"),
		},
		stats: Stats{Packets: 7, Flows: 1, Ignored: 4},
	}, {
		name:   "handler gives up during a flush",
		refuse: true,
		steps: []step{
			{p: c1.ab(0, "S", 1000, 0, ""), want: []string{open1}},
			{p: c1.ab(3*ms, "PA", 1011, 5001, "ccccc")},
			{p: c1.ab(5*ms, "PA", 1021, 5001, "eeeee")},
			// The second gap and Data are held back like the first, but
			// not replayed once Data said no.
			flushAll(
				"c1 gap ab 10",
				`c1 data ab seq=1011 "ccccc" spans=[1011@3ms/5001]`,
				"c1 close"),
		},
		stats: Stats{Packets: 3, Flows: 1, Gaps: 2, GapBytes: 15, OneSided: 1}, // only one direction seen
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := &rec{refuse: tc.refuse}
			tbl := NewTable(tc.cfg, r.newHandler)
			run(t, tbl, r, tc.steps)
			want := tc.stats
			want.PayloadBytes = payloadOf(tc.steps)
			checkStats(t, "stats", tbl.Stats(), want)
		})
	}
}

// TestTableSources: the counters of each mirror source (the tunnel its
// connections arrived in) see only that source's retransmissions, gaps and
// one-sided connections.
func TestTableSources(t *testing.T) {
	vxlan := decap.Tunnel{Kind: decap.KindVXLAN, ID: 4242}
	vlan := decap.Tunnel{VLAN: 7, Tagged: true}
	vx := tuple{a: cli, b: srv, tun: vxlan}
	vl := tuple{a: cli, b: srv, tun: vlan}
	const req = "GET / HTTP/1.1\r\n\r\n" // 18 bytes, seq 1001..1018

	for _, tc := range []struct {
		name   string
		refuse bool // the Handler's Data returns false
		pkts   []pk // then FlushAll
		want   map[uint64]SourceStats
	}{{
		name: "retransmission on one tunnel, loss on another",
		pkts: []pk{
			vx.ab(0, "S", 1000, 0, ""),
			vx.ba(1*ms, "SA", 5000, 1001, ""),
			vx.ab(2*ms, "PA", 1001, 5001, req),
			vx.ab(300*ms, "PA", 1001, 5001, req),             // all 18 again
			vx.ab(301*ms, "PA", 1011, 5001, req[10:]+"more"), // 8 again, 4 new
			vx.ab(302*ms, "PA", 995, 5001, "early"),          // before the SYN's seq: old
			vx.ba(303*ms, "PA", 5001, 1023, "HTTP/1.1 204 \r\n\r\n"),
			vx.ba(304*ms, "PA", 5001, 1023, "HTTP/1.1 204 \r\n\r\n"), // the mirror copied it twice

			vl.ab(0, "S", 1000, 0, ""),
			vl.ab(2*ms, "PA", 1001, 5001, "aaaaaaaaaa"),
			// 1011 "bbbbbbbbbb" is lost; only the client's side is mirrored.
			vl.ab(4*ms, "PA", 1021, 5001, "cccccccccc"),
			vl.ab(5*ms, "PA", 1021, 5001, "cccc"), // queued data sent again: not delivered yet, not counted
		},
		want: map[uint64]SourceStats{
			vxlan.Pack(): {PayloadBytes: 18 + 18 + 12 + 5 + 17 + 17, RetransBytes: 18 + 8 + 5 + 17, Connections: 1},
			vlan.Pack():  {PayloadBytes: 10 + 10 + 4, GapBytes: 10, Connections: 1, OneSided: 1},
		},
	}, {
		name: "joined mid-stream",
		pkts: []pk{
			vx.ab(0, "PA", 3000, 7000, req),
			// 10 bytes from before we joined and 2 delivered: all old.
			vx.ab(1*ms, "PA", 2990, 7000, "0123456789ab"),
		},
		want: map[uint64]SourceStats{
			vxlan.Pack(): {PayloadBytes: 18 + 12, RetransBytes: 12, Connections: 1, OneSided: 1},
		},
	}, {
		name:   "handler gives up: its bytes are ignored",
		refuse: true,
		pkts: []pk{
			vl.ab(0, "S", 1000, 0, ""),
			vl.ba(1*ms, "SA", 5000, 1001, ""),
			vl.ab(2*ms, "PA", 1001, 5001, req),
			vl.ab(3*ms, "PA", 1001, 5001, req), // a retransmission, but nobody is looking
			vl.ab(4*ms, "PA", 1030, 5001, "after a hole"),
		},
		want: map[uint64]SourceStats{
			vlan.Pack(): {PayloadBytes: 18 + 18 + 12, IgnoredBytes: 18 + 12, Connections: 1},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := &rec{refuse: tc.refuse}
			tbl := NewTable(Config{}, r.newHandler)
			for _, p := range tc.pkts {
				feed(tbl, p)
			}
			tbl.FlushAll()
			if got := tbl.Stats().Sources; !maps.Equal(got, tc.want) {
				t.Errorf("sources\n got %+v\nwant %+v\ncalls:\n\t%s", got, tc.want, strings.Join(r.log, "\n\t"))
			}
		})
	}
}

// TestTableSourcesBounded: past MaxSources, connections count under
// OtherSource, and Stats hands out a copy.
func TestTableSourcesBounded(t *testing.T) {
	var c counter
	tbl := NewTable(Config{}, c.newHandler)
	const n = MaxSources + 6
	for i := range n {
		tp := tuple{a: cli, b: srv, tun: decap.Tunnel{Kind: decap.KindVXLAN, ID: uint32(i + 1)}}
		feed(tbl, tp.ab(time.Duration(i)*ms, "PA", 1000, 1, "x"))
	}
	st := tbl.Stats()
	if len(st.Sources) != MaxSources+1 {
		t.Fatalf("%d sources, want %d", len(st.Sources), MaxSources+1)
	}
	for i := range MaxSources {
		k := decap.Tunnel{Kind: decap.KindVXLAN, ID: uint32(i + 1)}.Pack()
		if got := st.Sources[k]; got != (SourceStats{PayloadBytes: 1, Connections: 1}) {
			t.Errorf("vxlan=%d: %+v", i+1, got)
		}
	}
	if got := st.Sources[OtherSource]; got != (SourceStats{PayloadBytes: 6, Connections: 6}) {
		t.Errorf("other: %+v", got)
	}
	st.Sources[OtherSource] = SourceStats{}
	if got := tbl.Stats().Sources[OtherSource]; got.Connections != 6 {
		t.Errorf("changing a copy of the stats changed the Table's: %+v", got)
	}
}
