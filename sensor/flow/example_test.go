package flow_test

import (
	"fmt"
	"net"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/flow"
)

// printer is a Handler that prints what it is given.
type printer struct{}

func (printer) Data(dir flow.Dir, seq uint32, data []byte, spans []flow.Span) bool {
	fmt.Printf("%s seq=%d %q in %d packet(s)\n", dir, seq, data, len(spans))
	return true // false: no more of this connection
}
func (printer) Gap(dir flow.Dir, n int) { fmt.Printf("%s lost %d bytes\n", dir, n) }
func (printer) End(dir flow.Dir)        { fmt.Printf("%s ended\n", dir) }
func (printer) Close()                  { fmt.Println("closed") }

func ExampleTable() {
	tbl := flow.NewTable(flow.Config{}, func(k flow.Key) flow.Handler {
		fmt.Println("open", k.A, "->", k.B)
		return printer{}
	})
	dec := decap.NewDecoder()
	var p decap.Packet
	start := time.Unix(1700000000, 0)
	for i, f := range [][]byte{
		frame(true, "S", 1000, 0, ""),
		frame(false, "SA", 5000, 1001, ""),
		frame(true, "A", 1001, 5001, ""),
		frame(true, "PA", 1001, 5001, "GET / HTTP/1.1\r\n\r\n"),
		frame(false, "PA", 5011, 1019, "00 OK\r\n\r\n"), // overtakes the one before it
		frame(false, "PA", 5001, 1019, "HTTP/1.1 2"),
		frame(true, "FA", 1019, 5020, ""),
	} {
		// Packet time, never wall time: a capture file replays as live.
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}
		if err := dec.Decode(layers.LinkTypeEthernet, f, &ci, &p); err != nil {
			continue // count it by decap.Reason(err)
		}
		tbl.Packet(&p, ci)
	}
	tbl.FlushAll() // the end of the capture
	st := tbl.Stats()
	fmt.Println("packets", st.Packets, "connections", st.Flows, "active", st.Active)
	// Output:
	// open 192.0.2.1:40000 -> 192.0.2.2:80
	// ab seq=1001 "GET / HTTP/1.1\r\n\r\n" in 1 packet(s)
	// ba seq=5001 "HTTP/1.1 200 OK\r\n\r\n" in 2 packet(s)
	// ab ended
	// closed
	// packets 7 connections 1 active 0
}

// frame builds an Ethernet frame of a packet between 192.0.2.1:40000 (the
// client) and 192.0.2.2:80.
func frame(fromClient bool, flags string, seq, ack uint32, data string) []byte {
	cli, srv := net.IP{192, 0, 2, 1}, net.IP{192, 0, 2, 2}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: cli, DstIP: srv}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: seq, Ack: ack, Window: 65535}
	if !fromClient {
		ip.SrcIP, ip.DstIP = srv, cli
		tcp.SrcPort, tcp.DstPort = 80, 40000
	}
	for _, c := range flags {
		switch c {
		case 'S':
			tcp.SYN = true
		case 'A':
			tcp.ACK = true
		case 'F':
			tcp.FIN = true
		case 'P':
			tcp.PSH = true
		}
	}
	tcp.SetNetworkLayerForChecksum(ip)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, tcp, gopacket.Payload(data)); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
