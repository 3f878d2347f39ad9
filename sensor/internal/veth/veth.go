// Package veth gives live-capture tests a veth pair to capture on and a way
// to put frames on the wire, so AF_PACKET code is tested against the real
// kernel rather than a stand-in.
//
// It lives under sensor/internal because only the sensor's own tests use it.
package veth

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

var pairs atomic.Int32

// Pair creates a veth pair with names unique to this test process and
// returns its two ends, up; t.Cleanup deletes it. It needs root and
// iproute2 and skips without root, unless APITAP_REQUIRE_NETNS is set (as
// in CI), when it fails instead.
func Pair(t *testing.T) (a, b string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("APITAP_REQUIRE_NETNS") != "" {
			t.Fatal("live capture tests need root, and APITAP_REQUIRE_NETNS is set")
		}
		t.Skip("live capture tests need root (CI runs them)")
	}
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	p := fmt.Sprintf("ap%d.%d", os.Getpid()%100000, pairs.Add(1))
	a, b = p+"a", p+"b"
	ip("link", "add", a, "type", "veth", "peer", "name", b)
	t.Cleanup(func() { exec.Command("ip", "link", "del", a).Run() })
	ip("link", "set", a, "up")
	ip("link", "set", b, "up")
	return a, b
}

// Sender writes whole Ethernet frames, as they are, out of one interface.
type Sender struct {
	fd   int
	addr syscall.SockaddrLinklayer
}

// NewSender opens a raw socket on iface; t.Cleanup closes it.
func NewSender(t *testing.T, iface string) *Sender {
	t.Helper()
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return &Sender{fd: fd, addr: syscall.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}}
}

// Send writes one frame.
func (s *Sender) Send(t *testing.T, frame []byte) {
	t.Helper()
	if err := syscall.Sendto(s.fd, frame, 0, &s.addr); err != nil {
		t.Fatalf("send %d-byte frame: %v", len(frame), err)
	}
}
