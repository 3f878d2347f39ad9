package capture_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/internal/testlink"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// The kernel strips the outer 802.1Q tag of every frame it receives before
// AF_PACKET sees it and reports the tag beside the frame; Live puts it back,
// so a tunnel keyed by VLAN reads the same live as from a file.
func TestLiveVLANTag(t *testing.T) {
	a, b := testlink.Veth(t)
	l, err := capture.OpenLive(capture.LiveConfig{Interface: b, BlockSize: 1 << 16, NumBlocks: 4, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	payload := []byte("GET / HTTP/1.1\r\n\r\n")
	ip4 := []byte{
		0x45, 0, 0, byte(40 + len(payload)), 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, // IPv4
		0x9c, 0x40, 0, 80, 0, 0, 3, 0xe8, 0, 0, 0, 1, 0x50, 0x18, 2, 0, 0, 0, 0, 0, // TCP
	}
	macs := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}
	var frames [][]byte
	for _, vlan := range []byte{42, 0} { // 0: a priority tag
		f := append(bytes.Clone(macs), 0x81, 0, 0x20, vlan, 0x08, 0) // PCP 1
		frames = append(frames, append(append(f, ip4...), payload...))
	}
	untagged := append(append(append(bytes.Clone(macs), 0x08, 0), ip4...), payload...)
	frames = append(frames, untagged)
	send := testlink.NewSender(t, a)
	for _, f := range frames {
		send.Send(t, f)
	}

	// The PCP and the TPID are not reported with the tag: 802.1Q and
	// priority 0 stand in for them.
	want := make([][]byte, len(frames))
	for i, f := range frames {
		want[i] = bytes.Clone(f)
		if f[12] == 0x81 {
			want[i][14] &= 0x0f
		}
	}
	var got [][]byte
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < len(want) && time.Now().Before(deadline) {
		pk, err := l.Next()
		if errors.Is(err, capture.ErrTimeout) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(pk.Data, payload) {
			continue // the kernel's own IPv6 traffic on a new link
		}
		if pk.Info.CaptureLength != len(pk.Data) || pk.Info.Length != len(pk.Data) || pk.Info.AncillaryData != nil {
			t.Errorf("frame %d: %d bytes, capture length %d, wire length %d, ancillary data %v",
				len(got), len(pk.Data), pk.Info.CaptureLength, pk.Info.Length, pk.Info.AncillaryData)
		}
		got = append(got, bytes.Clone(pk.Data))
	}
	if len(got) != len(want) {
		t.Fatalf("captured %d of %d frames", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("frame %d:\n got % x\nwant % x", i, got[i], want[i])
		}
	}
}

// SetFilter swaps the filter of an open socket: frames the old filter
// refused are gone, those sent after the swap that the new one admits are
// read, and an empty filter admits everything again.
func TestLiveSetFilter(t *testing.T) {
	a, b := testlink.Veth(t)
	l, err := capture.OpenLive(capture.LiveConfig{Interface: b, BlockSize: 1 << 16, NumBlocks: 4, Timeout: 20 * time.Millisecond,
		Filter: "udp"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	send := testlink.NewSender(t, a)
	frame := func(mark byte) []byte {
		return append([]byte{
			2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0, // Ethernet
			0x45, 0, 0, 41, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, // IPv4
			0x9c, 0x40, 0, 80, 0, 0, 3, 0xe8, 0, 0, 0, 1, 0x50, 0x18, 2, 0, 0, 0, 0, 0, // TCP to port 80
		}, mark)
	}
	// marks reads for d and returns the marks of the test's frames seen.
	marks := func(d time.Duration) []byte {
		var got []byte
		for deadline := time.Now().Add(d); time.Now().Before(deadline); {
			pk, err := l.Next()
			if errors.Is(err, capture.ErrTimeout) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(pk.Data) == 55 && bytes.Equal(pk.Data[:54], frame(0)[:54]) {
				got = append(got, pk.Data[54])
			}
		}
		return got
	}
	compile := func(expr string) []bpf.RawInstruction {
		raw, err := capture.CompileFilter(expr)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	send.Send(t, frame(1))
	if got := marks(200 * time.Millisecond); len(got) != 0 {
		t.Fatalf("'udp' let TCP frames %v through", got)
	}
	if err := l.SetFilter(compile("tcp port 80")); err != nil {
		t.Fatal(err)
	}
	send.Send(t, frame(2))
	if got := marks(200 * time.Millisecond); string(got) != "\x02" {
		t.Errorf("with 'tcp port 80': frames %v, want [2]", got)
	}
	if err := l.SetFilter(compile("tcp port 8080")); err != nil {
		t.Fatal(err)
	}
	send.Send(t, frame(3))
	if got := marks(200 * time.Millisecond); len(got) != 0 {
		t.Errorf("with 'tcp port 8080': frames %v, want none", got)
	}
	if err := l.SetFilter(nil); err != nil {
		t.Fatal(err)
	}
	send.Send(t, frame(4))
	if got := marks(200 * time.Millisecond); string(got) != "\x04" {
		t.Errorf("without a filter: frames %v, want [4]", got)
	}
}

// Ring sizes afpacket refuses are reported, with the interface, before any
// socket is opened (so without privileges too).
func TestOpenLiveBadRing(t *testing.T) {
	_, err := capture.OpenLive(capture.LiveConfig{Interface: "lo", FrameSize: 65536, BlockSize: 98304})
	if err == nil || !strings.HasPrefix(err.Error(), "capture on lo: ") || !strings.Contains(err.Error(), "divisible by frame size 65536") {
		t.Errorf("got %v, want an error naming lo and the frame size", err)
	}
}

// An interface without a link header (tun, WireGuard) gives bare IP
// packets, and Live says so, where decoding them as Ethernet would lose
// everything. A capture filter, compiled for Ethernet, is refused there.
func TestLiveTun(t *testing.T) {
	name, tun := testlink.Tun(t)
	if _, err := capture.OpenLive(capture.LiveConfig{Interface: name, Filter: "tcp"}); err == nil ||
		!strings.Contains(err.Error(), "capture filter needs an Ethernet interface") {
		t.Errorf("filter on %s: got %v, want it refused", name, err)
	}
	l, err := capture.OpenLive(capture.LiveConfig{Interface: name, BlockSize: 1 << 16, NumBlocks: 4, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	raw, _ := capture.CompileFilter("tcp")
	if err := l.SetFilter(raw); err == nil || !strings.Contains(err.Error(), "capture filter needs an Ethernet interface") {
		t.Errorf("SetFilter on %s: got %v, want it refused", name, err)
	}
	packet := []byte{
		0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, // IPv4
		0x9c, 0x40, 0, 80, 0, 0, 3, 0xe8, 0, 0, 0, 1, 0x50, 0x10, 2, 0, 0, 0, 0, 0, // TCP ACK
	}
	if _, err := tun.Write(packet); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		pk, err := l.Next()
		if errors.Is(err, capture.ErrTimeout) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if pk.LinkType != layers.LinkTypeRaw || !bytes.Equal(pk.Data, packet) {
			t.Fatalf("got link type %v, % x; want %v, % x", pk.LinkType, pk.Data, layers.LinkTypeRaw, packet)
		}
		return
	}
	t.Fatal("the packet written to the tun device was not captured")
}

// An interface that is not there, or frames its packets in a way the
// decoder does not know, is refused by name.
func TestOpenLiveUnknownInterface(t *testing.T) {
	_, err := capture.OpenLive(capture.LiveConfig{Interface: "apitap-none0"})
	if err == nil || err.Error() != "capture on apitap-none0: no such interface" {
		t.Errorf("got %v", err)
	}
}
