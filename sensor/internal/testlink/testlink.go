// Package testlink gives live-capture tests network links to capture on (a
// veth pair, a tun device) and a way to put frames on them, so AF_PACKET
// code is tested against the real kernel rather than a stand-in.
//
// It lives under sensor/internal because only the sensor's own tests use it.
package testlink

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

var links atomic.Int32

// Veth creates a veth pair with names unique to this test process and
// returns its two ends, up; t.Cleanup deletes it. It needs root and
// iproute2 and skips without root, unless APITAP_REQUIRE_NETNS is set (as
// in CI), when it fails instead.
func Veth(t *testing.T) (a, b string) {
	t.Helper()
	needRoot(t)
	p := name()
	a, b = p+"a", p+"b"
	ip(t, "link", "add", a, "type", "veth", "peer", "name", b)
	t.Cleanup(func() { exec.Command("ip", "link", "del", a).Run() })
	ip(t, "link", "set", a, "up")
	ip(t, "link", "set", b, "up")
	return a, b
}

// Tun creates a tun device (no link header: AF_PACKET reads bare IP), up,
// and returns its name and its file: an IP packet written to the file
// arrives on the device as if received. t.Cleanup removes both.
func Tun(t *testing.T) (string, *os.File) {
	t.Helper()
	needRoot(t)
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	ifr, err := unix.NewIfreq(name() + "t")
	if err != nil {
		t.Fatal(err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(int(f.Fd()), unix.TUNSETIFF, ifr); err != nil {
		t.Fatalf("TUNSETIFF: %v", err)
	}
	ip(t, "link", "set", ifr.Name(), "up")
	return ifr.Name(), f
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("APITAP_REQUIRE_NETNS") != "" {
			t.Fatal("live capture tests need root, and APITAP_REQUIRE_NETNS is set")
		}
		t.Skip("live capture tests need root (CI runs them)")
	}
}

// name is unique to this process and call, and short enough for an
// interface name with one more letter.
func name() string { return fmt.Sprintf("ap%d.%d", os.Getpid()%100000, links.Add(1)) }

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
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
