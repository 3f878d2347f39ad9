package capture

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/packetcap/go-pcap/filter"
	"golang.org/x/net/bpf"
)

// LiveConfig configures capture from one network interface with an
// AF_PACKET TPACKET_V3 ring. The zero value of each size gives the default
// noted.
type LiveConfig struct {
	Interface string
	// FrameSize is the snap length: bytes kept of each frame. Default 65536.
	FrameSize int
	// BlockSize and NumBlocks size the ring (BlockSize*NumBlocks bytes).
	// Defaults 1 MiB and 64.
	BlockSize, NumBlocks int
	// Timeout is how long Next waits before it returns ErrTimeout, so the
	// caller can do periodic work on a quiet link. Default 100ms.
	Timeout time.Duration
	// FanoutGroup, when not zero, joins the socket to that fanout group
	// (hash mode): several sockets on one interface share its packets.
	// The kernel reassembles fragmented IPv4 packets before it spreads
	// them (PACKET_FANOUT_FLAG_DEFRAG), so a socket of the group reads a
	// fragmented mirror datagram as one frame, which any one decoder can
	// take apart alone; such frames may be larger than the link's MTU.
	FanoutGroup uint16
	// Filter is a capture filter in tcpdump syntax, compiled to classic
	// BPF and applied in the kernel; "" keeps everything.
	Filter string
}

// CompileFilter compiles a tcpdump-syntax filter to classic BPF, in pure
// Go (github.com/packetcap/go-pcap/filter), for an Ethernet link. The empty
// filter compiles to no instructions: keep everything.
func CompileFilter(expr string) ([]bpf.RawInstruction, error) {
	if expr == "" {
		return nil, nil
	}
	f := filter.NewExpression(expr).Compile()
	if f == nil {
		return nil, fmt.Errorf("filter %q: not understood", expr)
	}
	ins, err := f.Compile()
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", expr, err)
	}
	raw, err := bpf.Assemble(ins)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", expr, err)
	}
	return raw, nil
}

// ErrTimeout is returned by Live.Next when no packet arrived in time.
var ErrTimeout = errors.New("capture: timeout")

// Live captures from a network interface. It implements Source.
type Live struct {
	tp     *afpacket.TPacket
	name   string
	link   layers.LinkType
	ring   uint64 // bytes of the ring
	tagged []byte // the last frame whose VLAN tag was put back (see retag)

	// mu orders Stats and SetFilter, called from other goroutines (a
	// metrics scrape, a reload), with Close; last keeps the counts read
	// at Close, so a scrape after it still sees them.
	mu     sync.Mutex
	closed bool
	last   [3]uint64
}

// linkType tells how an interface frames what AF_PACKET reads from it:
// Ethernet (and loopback, which uses Ethernet headers), or bare IP for
// interfaces without a link header (tun, WireGuard). Other kinds are
// refused rather than decoded as Ethernet.
func linkType(iface string) (layers.LinkType, error) {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/type")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("no such interface")
		}
		return 0, err
	}
	switch t := strings.TrimSpace(string(b)); t {
	case "1", "772": // ARPHRD_ETHER, ARPHRD_LOOPBACK
		return layers.LinkTypeEthernet, nil
	case "65534": // ARPHRD_NONE
		return layers.LinkTypeRaw, nil
	default:
		return 0, fmt.Errorf("link type ARPHRD %s is not supported (Ethernet, loopback and IP-only interfaces are)", t)
	}
}

var _ Source = (*Live)(nil)

// OpenLive opens a capture ring on an interface. It needs CAP_NET_RAW
// (and CAP_NET_ADMIN for promiscuous mode); without them the error says so.
func OpenLive(cfg LiveConfig) (*Live, error) {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.FrameSize, 65536)
	def(&cfg.BlockSize, 1<<20)
	def(&cfg.NumBlocks, 64)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 100 * time.Millisecond
	}
	link, err := linkType(cfg.Interface)
	if err != nil {
		return nil, liveError(cfg.Interface, err)
	}
	if cfg.Filter != "" && link != layers.LinkTypeEthernet {
		return nil, liveError(cfg.Interface, fmt.Errorf("a capture filter needs an Ethernet interface, this one carries %v", link))
	}
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(cfg.Interface),
		afpacket.OptFrameSize(cfg.FrameSize),
		afpacket.OptBlockSize(cfg.BlockSize),
		afpacket.OptNumBlocks(cfg.NumBlocks),
		afpacket.OptPollTimeout(cfg.Timeout),
		afpacket.TPacketVersion3,
	)
	if err != nil {
		return nil, liveError(cfg.Interface, err)
	}
	l := &Live{tp: tp, name: cfg.Interface, link: link, ring: uint64(cfg.BlockSize) * uint64(cfg.NumBlocks)}
	if cfg.Filter != "" {
		raw, err := CompileFilter(cfg.Filter)
		if err == nil {
			err = tp.SetBPF(raw)
		}
		if err != nil {
			tp.Close()
			return nil, liveError(cfg.Interface, err)
		}
	}
	if cfg.FanoutGroup != 0 {
		if err := tp.SetFanout(afpacket.FanoutHash|afpacket.FanoutHashWithDefrag, cfg.FanoutGroup); err != nil {
			tp.Close()
			return nil, liveError(cfg.Interface, fmt.Errorf("fanout: %w", err))
		}
	}
	if err := tp.SetPromiscuous(true); err != nil {
		tp.Close()
		return nil, liveError(cfg.Interface, fmt.Errorf("promiscuous mode: %w", err))
	}
	return l, nil
}

func liveError(iface string, err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("capture on %s: %w: apitap needs CAP_NET_RAW (and CAP_NET_ADMIN): run as root or `setcap cap_net_raw,cap_net_admin+ep apitap`", iface, err)
	}
	return fmt.Errorf("capture on %s: %w", iface, err)
}

// RingBytes is the size of the capture ring.
func (l *Live) RingBytes() uint64 { return l.ring }

// Next returns the next frame, or ErrTimeout on a quiet link. Data is
// valid until the next call.
func (l *Live) Next() (Packet, error) {
	data, ci, err := l.tp.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, afpacket.ErrTimeout) || errors.Is(err, syscall.EINTR) {
			return Packet{}, ErrTimeout
		}
		return Packet{}, fmt.Errorf("capture on %s: %w", l.name, err)
	}
	if ci.AncillaryData != nil {
		data, ci = l.retag(data, ci)
	}
	return Packet{Data: data, Info: ci, LinkType: l.link}, nil
}

// retag puts back the outer 802.1Q tag that the kernel strips from every
// frame it receives and reports beside it (afpacket.AncillaryVLAN), so the
// VLAN is part of the tunnel live as it is in a capture file. The report
// has neither the priority nor the TPID: 802.1Q with priority 0 stands in.
// The frame is copied into a buffer Live reuses, where afpacket's
// OptAddVLANHeader would allocate one per frame.
func (l *Live) retag(data []byte, ci gopacket.CaptureInfo) ([]byte, gopacket.CaptureInfo) {
	tag, ok := ci.AncillaryData[0].(afpacket.AncillaryVLAN)
	ci.AncillaryData = nil
	if !ok || len(data) < 12 {
		return data, ci
	}
	b := append(l.tagged[:0], data[:12]...) // the two MAC addresses
	b = append(b, 0x81, 0x00, byte(tag.VLAN>>8)&0x0f, byte(tag.VLAN))
	l.tagged = append(b, data[12:]...)
	ci.CaptureLength = len(l.tagged)
	ci.Length += 4 // the kernel does not count the tag it took off
	return l.tagged, ci
}

// SetFilter replaces the socket's capture filter with a compiled one (see
// CompileFilter); an empty one keeps everything. The kernel swaps it at
// once, so it can be called while another goroutine reads; frames already
// in the ring are still read. A filter needs an Ethernet interface.
func (l *Live) SetFilter(raw []bpf.RawInstruction) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return liveError(l.name, errors.New("closed"))
	}
	if len(raw) > 0 && l.link != layers.LinkTypeEthernet {
		return liveError(l.name, fmt.Errorf("a capture filter needs an Ethernet interface, this one carries %v", l.link))
	}
	if err := l.tp.SetBPF(raw); err != nil {
		return liveError(l.name, fmt.Errorf("filter: %w", err))
	}
	return nil
}

// Name returns the interface name.
func (l *Live) Name() string { return l.name }

// Stats returns the kernel's counts for the socket since it was opened:
// packets that reached it (the dropped ones included, as the kernel counts
// them), packets dropped because the ring was full, and how often the ring
// froze.
func (l *Live) Stats() (packets, drops, freezes uint64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		if err := l.readStats(); err != nil {
			return 0, 0, 0, err
		}
	}
	return l.last[0], l.last[1], l.last[2], nil
}

func (l *Live) readStats() error {
	_, v3, err := l.tp.SocketStats()
	if err != nil {
		return err
	}
	l.last = [3]uint64{uint64(v3.Packets()), uint64(v3.Drops()), uint64(v3.QueueFreezes())}
	return nil
}

// Close releases the ring; Stats keeps returning the counts it had.
func (l *Live) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.readStats()
	l.tp.Close()
	l.closed = true
	return nil
}
