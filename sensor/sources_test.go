package sensor_test

import (
	"io"
	"maps"
	"slices"
	"testing"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/sensortest"
)

// TestSourcesAddUp reads mirror captures through a pipeline: the payload
// bytes counted per mirror source add up to the TCP payload of the capture
// (decoded here apart), and so do connections, gap bytes and one-sided
// connections to the flow table's totals.
func TestSourcesAddUp(t *testing.T) {
	for _, tc := range []struct {
		file    string
		sources []string // the sources' labels, "none" for plain frames
	}{
		{"zeek/tunnels/vxlan-encapsulated-http.pcap", []string{"vxlan=1"}},
		{"zeek/erspan.pcap", []string{"gre=0"}}, // ERSPAN type I: GRE without a session id
		{"zeek/mixed-vlan-mpls.pcap", []string{"none", "vlan=4093"}},
		{"zeek/vlan-qinqinq.pcap", []string{"vlan=20.10"}},
		{"zeek/tunnels/geneve-many-options.pcap", []string{"geneve=786734"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := sensortest.Corpus(t, tc.file)
			p := sensor.New(sensor.Config{}, nil, func(*http1.Transaction) {})
			p.OnPanic = func(v any, stack []byte) { t.Errorf("panic: %v\n%s", v, stack) }
			src, err := capture.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if err := p.Run(src); err != nil {
				t.Fatal(err)
			}
			p.Flush()
			st := p.Stats().Flow

			var sum struct{ payload, conns, gapBytes, oneSided uint64 }
			var labels []string
			for k, s := range st.Sources {
				sum.payload += s.PayloadBytes
				sum.conns += s.Connections
				sum.gapBytes += s.GapBytes
				sum.oneSided += s.OneSided
				lbl := decap.Unpack(k).String()
				if lbl == "" {
					lbl = "none"
				}
				labels = append(labels, lbl)
			}
			slices.Sort(labels)
			if !slices.Equal(labels, tc.sources) {
				t.Errorf("sources %q, want %q", labels, tc.sources)
			}
			if want := tcpPayload(t, path); sum.payload != want || st.PayloadBytes != want || want == 0 {
				t.Errorf("payload bytes: %d over the sources, %d in the flow table; the capture has %d", sum.payload, st.PayloadBytes, want)
			}
			if sum.conns != st.Flows || sum.gapBytes != st.GapBytes || sum.oneSided != st.OneSided {
				t.Errorf("over the sources: %d connections, %d gap bytes, %d one-sided; the flow table counts %d, %d, %d",
					sum.conns, sum.gapBytes, sum.oneSided, st.Flows, st.GapBytes, st.OneSided)
			}
			t.Logf("%d payload bytes; sources %v", st.PayloadBytes, slices.Collect(maps.Values(st.Sources)))
		})
	}
}

// tcpPayload returns the TCP payload bytes of the capture at path, decoded
// frame by frame.
func tcpPayload(t *testing.T, path string) (n uint64) {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dec := decap.NewDecoder()
	var pkt decap.Packet
	for {
		pk, err := src.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		if dec.Decode(pk.LinkType, pk.Data, &pk.Info, &pkt) == nil && pkt.Transport == decap.TransportTCP {
			n += uint64(len(pkt.Payload))
		}
	}
}
