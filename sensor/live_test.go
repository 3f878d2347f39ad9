package sensor_test

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/internal/testlink"
	"github.com/apitap/apitap/sensor/sensortest"
)

// summary is what a transaction says independently of when its packets were
// read: live capture stamps frames with the time they arrive.
func summary(x *http1.Transaction) string {
	return fmt.Sprintf("%s %s %d req=%d resp=%d partial=%v",
		x.Request.Method, x.Request.Target, x.Response.Status, x.Request.Body.Len, x.Response.Body.Len, x.Partial())
}

// A mirror whose outer IPv4 packets are fragmented (ERSPAN of full-size
// frames) must lose nothing live with several workers: the fragments of one
// datagram arrive as separate frames, yet the worker owning the inner flow
// has to see the whole datagram. The capture replayed over a veth pair must
// give the transactions reading the file gives.
func TestLiveFragmentedMirror(t *testing.T) {
	const file = "zeek/erspan.pcap"
	a, b := testlink.Veth(t)

	var want []string
	sensortest.Each(t, sensortest.Corpus(t, file), func(x *http1.Transaction) { want = append(want, summary(x)) })
	if len(want) == 0 {
		t.Fatalf("%s: no transactions read from the file", file)
	}

	var (
		mu  sync.Mutex
		got []string
	)
	l, err := sensor.StartLive(sensor.LiveConfig{
		Interfaces: []string{b},
		Workers:    4,
		Capture:    capture.LiveConfig{BlockSize: 1 << 20, NumBlocks: 8, Timeout: 20 * time.Millisecond},
	}, func(x *http1.Transaction) {
		mu.Lock()
		got = append(got, summary(x))
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	send := testlink.NewSender(t, a)
	src, err := capture.OpenFile(sensortest.Corpus(t, file))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	frames := 0
	for {
		pk, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		send.Send(t, pk.Data)
		frames++
	}
	time.Sleep(300 * time.Millisecond) // the readers' batches and the workers' queues drain
	l.Stop()

	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%d frames replayed live: %d transactions, reading the file: %d\nlive:\n%q\nfile:\n%q",
			frames, len(got), len(want), got, want)
	}
}

// SetFilter changes every socket or none: a filter that does not compile
// is refused, and one the kernel takes on the first interface but that the
// second (a tun device: no Ethernet header) refuses is taken back from the
// first, so traffic the old filter admitted still arrives.
func TestLiveSetFilterAllOrNothing(t *testing.T) {
	const file = "zeek/http/get-gzip.pcap" // TCP port 80
	a, b := testlink.Veth(t)
	tun, _ := testlink.Tun(t)
	var (
		mu  sync.Mutex
		got int
	)
	l, err := sensor.StartLive(sensor.LiveConfig{
		Interfaces: []string{b, tun},
		Workers:    2,
		Capture:    capture.LiveConfig{BlockSize: 1 << 16, NumBlocks: 4, Timeout: 20 * time.Millisecond},
	}, func(*http1.Transaction) { mu.Lock(); got++; mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Stop()
	if err := l.SetFilter("nonsense words"); err == nil {
		t.Error(`"nonsense words" was taken`)
	}
	if err := l.SetFilter("tcp port 8080"); err == nil || !strings.Contains(err.Error(), "capture on "+tun+": a capture filter needs an Ethernet interface") {
		t.Errorf("a filter on %s: %v, want it refused by name", tun, err)
	}
	send := testlink.NewSender(t, a)
	src, err := capture.OpenFile(sensortest.Corpus(t, file))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for {
		pk, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		send.Send(t, pk.Data)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := got
		mu.Unlock()
		if n > 0 {
			return
		}
	}
	t.Error("no transaction: the refused filter stayed on " + b)
}
