package decap

import (
	"testing"
)

// BenchmarkDecode decodes every frame of real captures held in memory.
//
//	go test -run='^$' -bench=BenchmarkDecode -count 6 ./sensor/decap/ | tee new.txt
//	benchstat old.txt new.txt
func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct{ name, file string }{
		{"ethernet", "zeek/http/bro.org.pcap"},
		{"vlan-gtpu", "ndpi/http_origin_different_than_host.pcap"},
		{"vxlan", "zeek/tunnels/vxlan-encapsulated-http.pcap"},
		{"geneve", "zeek/tunnels/geneve-many-options.pcap"},
		{"gre", "zeek/erspan.pcap"},
		{"erspan2", "suricata-verify/bug-5437-02/input.pcap"},
		{"sll", "ndpi/log4j-webapp-exploit.pcap"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := loadCapture(b, bc.file)
			var total int64
			for _, f := range c.frames {
				total += int64(len(f.data))
			}
			d := NewDecoder()
			var p Packet
			b.SetBytes(total) // MB/s of frames
			b.ReportAllocs()
			for b.Loop() {
				for _, f := range c.frames {
					_ = d.Decode(c.link, f.data, &f.info, &p)
				}
			}
			pkts := float64(len(c.frames)) * float64(b.N)
			b.ReportMetric(pkts/b.Elapsed().Seconds(), "pkts/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/pkts, "ns/pkt")
		})
	}
}
