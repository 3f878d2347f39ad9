package sensor_test

import (
	"io"
	"os/exec"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/internal/testlink"
	"github.com/apitap/apitap/sensor/sensortest"
)

// A VXLAN mirror replayed live: the per-source counters equal those of
// reading the file, though the metrics and Sources are read all along
// while the workers publish (run with -race: no map is shared), and a
// pedantic registry takes the metrics.
func TestLiveSources(t *testing.T) {
	const file = "zeek/tunnels/vxlan-encapsulated-http.pcap"
	a, b := testlink.Veth(t)
	for _, dev := range []string{a, b} { // the capture has 9100-byte frames
		if out, err := exec.Command("ip", "link", "set", dev, "mtu", "9216").CombinedOutput(); err != nil {
			t.Fatalf("ip link set %s mtu 9216: %v: %s", dev, err, out)
		}
	}

	p := sensor.New(sensor.Config{}, nil, func(*http1.Transaction) {})
	src, err := capture.OpenFile(sensortest.Corpus(t, file))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var frames [][]byte
	for {
		pk, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, append([]byte(nil), pk.Data...))
		p.Packet(pk)
	}
	p.Flush()
	want := map[string]sensor.Source{}
	for k, s := range p.Stats().Flow.Sources {
		lbl := decap.Unpack(k).String()
		want[lbl] = sensor.Source{Label: lbl, SourceStats: s}
	}

	l, err := sensor.StartLive(sensor.LiveConfig{
		Interfaces: []string{b},
		Workers:    3,
		Capture:    capture.LiveConfig{BlockSize: 1 << 20, NumBlocks: 8, Timeout: 20 * time.Millisecond},
	}, func(*http1.Transaction) {})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(sensor.NewCollector(l))
	series := func() map[string]int {
		mfs, err := reg.Gather()
		if err != nil {
			t.Error(err)
		}
		n := map[string]int{}
		for _, mf := range mfs {
			n[mf.GetName()] = len(mf.GetMetric())
		}
		return n
	}
	done := make(chan struct{})
	scraped := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				scraped <- n
				return
			default:
			}
			series()
			l.Sources()
			n++
			time.Sleep(5 * time.Millisecond)
		}
	}()
	send := testlink.NewSender(t, a)
	for _, f := range frames {
		send.Send(t, f)
	}
	time.Sleep(300 * time.Millisecond) // the readers' batches and the workers' queues drain
	l.Stop()
	close(done)
	t.Logf("%d frames replayed, %d scrapes meanwhile", len(frames), <-scraped)

	got := l.Sources()
	if len(got) != len(want) {
		t.Fatalf("live sources %+v, reading the file %+v", got, want)
	}
	for _, s := range got {
		if s != want[s.Label] {
			t.Errorf("live %+v, reading the file %+v", s, want[s.Label])
		}
	}
	n := series()
	for _, name := range []string{"apitap_flow_source_payload_bytes_total", "apitap_flow_source_retransmitted_bytes_total",
		"apitap_flow_source_gap_bytes_total", "apitap_flow_source_connections_total", "apitap_flow_source_one_sided_total",
		"apitap_flow_pressure_flushes_total", "apitap_capture_ring_usage_ratio", "apitap_capture_ring_backlog_bytes"} {
		if n[name] != 1 {
			t.Errorf("%s: %d series, want 1", name, n[name])
		}
	}
}
