package capture_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/apitap/apitap/sensor/capture"
)

const corpus = "../../../shared/corpus"

// linkTypeNFLog is DLT_NFLOG, which gopacket has no constant for.
const linkTypeNFLog = layers.LinkType(239)

// record is a packet copied out of a Source.
type record struct {
	data []byte
	ci   gopacket.CaptureInfo
	link layers.LinkType
}

// readAll reads src to its end and returns the packets and the final error
// (nil at a clean io.EOF).
func readAll(t testing.TB, src capture.Source) ([]record, error) {
	t.Helper()
	var recs []record
	for {
		p, err := src.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, record{data: bytes.Clone(p.Data), ci: p.Info, link: p.LinkType})
	}
}

func readFile(t testing.TB, path string) ([]record, error) {
	t.Helper()
	f, err := capture.OpenFile(path)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	defer f.Close()
	return readAll(t, f)
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func equalRecords(t *testing.T, got, want []record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d packets, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !bytes.Equal(g.data, w.data) || g.link != w.link ||
			!g.ci.Timestamp.Equal(w.ci.Timestamp) ||
			g.ci.CaptureLength != w.ci.CaptureLength || g.ci.Length != w.ci.Length {
			t.Fatalf("packet %d differs:\ngot  %v %v len %d/%d\nwant %v %v len %d/%d", i,
				g.link, g.ci.Timestamp, g.ci.CaptureLength, g.ci.Length,
				w.link, w.ci.Timestamp, w.ci.CaptureLength, w.ci.Length)
		}
	}
}

func TestOpenFileCorpus(t *testing.T) {
	tests := []struct {
		file    string
		packets int // "Pkts" in SOURCES.md
		link    layers.LinkType
		snapCut bool // some frames are shorter than on the wire
	}{
		{file: "ndpi/1kxun.pcap", packets: 1723, link: layers.LinkTypeEthernet},
		{file: "zeek/http/bro.org.pcap", packets: 751, link: layers.LinkTypeEthernet},
		{file: "zeek/http/cooper-grill-dvwa.pcapng", packets: 64, link: layers.LinkTypeEthernet},
		{file: "ndpi/alexa-app.pcapng", packets: 3103, link: layers.LinkTypeEthernet},
		// pcapng despite its name: the reader goes by the magic number.
		{file: "ndpi/webdav.pcap", packets: 92, link: layers.LinkTypeEthernet},
		{file: "zeek/http/basic-auth-with-colon.pcap", packets: 12, link: layers.LinkTypeIPv4},
		{file: "zeek/http/261/variant-04-te_cl_desync.pcap", packets: 8, link: layers.LinkTypeIPv4},
		{file: "gopacket/test_loopback.pcap", packets: 24, link: layers.LinkTypeNull},
		{file: "ndpi/log4j-webapp-exploit.pcap", packets: 426, link: layers.LinkTypeLinuxSLL},
		{file: "suricata-verify/decode-sll2-01/input.pcap", packets: 5, link: layers.LinkTypeLinuxSLL2},
		{file: "arkime/80211http.pcap", packets: 26, link: layers.LinkTypeIEEE80211Radio},
		{file: "zeek/nflog-http.pcap", packets: 13, link: linkTypeNFLog},
		{file: "suricata-verify/tcp-rst-unacked-stream-10/TLPW1-tcp-174.56.47.59-10.3.11.101-tcp-80-49309.pcap",
			packets: 75, link: layers.LinkTypeEthernet, snapCut: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			recs, err := readFile(t, filepath.Join(corpus, tt.file))
			if err != nil {
				t.Fatalf("after %d packets: %v", len(recs), err)
			}
			if len(recs) != tt.packets {
				t.Errorf("got %d packets, want %d", len(recs), tt.packets)
			}
			cut := 0
			for i, r := range recs {
				if r.link != tt.link {
					t.Fatalf("packet %d: link type %v, want %v", i, r.link, tt.link)
				}
				if len(r.data) != r.ci.CaptureLength || r.ci.CaptureLength > r.ci.Length {
					t.Fatalf("packet %d: %d bytes, capture length %d, wire length %d",
						i, len(r.data), r.ci.CaptureLength, r.ci.Length)
				}
				if r.ci.Timestamp.Year() < 2000 {
					t.Fatalf("packet %d: timestamp %v", i, r.ci.Timestamp)
				}
				if r.ci.CaptureLength < r.ci.Length {
					cut++
				}
			}
			if tt.snapCut != (cut > 0) {
				t.Errorf("%d frames shorter than their wire length, want snapCut=%v", cut, tt.snapCut)
			}
		})
	}
}

// TestCorpusPacketCounts reads every capture listed in SOURCES.md and compares
// its packet count with the table's Pkts column (capinfos -c).
func TestCorpusPacketCounts(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(corpus, "SOURCES.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(src)) {
		cols := strings.Split(line, "|")
		if len(cols) < 6 || !strings.HasPrefix(strings.TrimSpace(cols[1]), "`") {
			continue
		}
		file := strings.Trim(strings.TrimSpace(cols[1]), "`")
		if !strings.HasSuffix(file, ".pcap") && !strings.HasSuffix(file, ".pcapng") {
			continue
		}
		want, err := strconv.Atoi(strings.TrimSpace(cols[4]))
		if err != nil {
			t.Fatalf("SOURCES.md %s: Pkts %q: %v", file, cols[4], err)
		}
		n++
		t.Run(file, func(t *testing.T) {
			recs, err := readFile(t, filepath.Join(corpus, file))
			if err != nil {
				t.Fatalf("after %d packets: %v", len(recs), err)
			}
			if len(recs) != want {
				t.Errorf("got %d packets, want %d", len(recs), want)
			}
		})
	}
	if n < 70 {
		t.Errorf("found %d captures in SOURCES.md, want the whole table", n)
	}
}

// TestPcapngMixedLinkTypes writes a pcapng with three interfaces of different
// link types, one of which nothing in apitap decodes, and checks that every
// packet comes back with its own interface's link type.
func TestPcapngMixedLinkTypes(t *testing.T) {
	eth, err := readFile(t, filepath.Join(corpus, "zeek/http/cooper-grill-dvwa.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := readFile(t, filepath.Join(corpus, "zeek/http/basic-auth-with-colon.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	const linkUser0 = layers.LinkType(147) // DLT_USER0: private, undecodable

	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{
		Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: 65535,
	}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	ifRaw, err := w.AddInterface(pcapgo.NgInterface{Name: "tun0", LinkType: layers.LinkTypeIPv4, SnapLength: 65535})
	if err != nil {
		t.Fatal(err)
	}
	ifUser, err := w.AddInterface(pcapgo.NgInterface{Name: "user0", LinkType: linkUser0, SnapLength: 65535})
	if err != nil {
		t.Fatal(err)
	}
	var want []record
	add := func(iface int, link layers.LinkType, r record) {
		r.ci.InterfaceIndex = iface
		if err := w.WritePacket(r.ci, r.data); err != nil {
			t.Fatal(err)
		}
		r.ci.InterfaceIndex = 0
		r.link = link
		want = append(want, r)
	}
	for i := range max(len(eth), len(raw)) {
		if i < len(eth) {
			add(0, layers.LinkTypeEthernet, eth[i])
		}
		if i < len(raw) {
			add(ifRaw, layers.LinkTypeIPv4, raw[i])
		}
		if i%10 == 0 {
			add(ifUser, linkUser0, record{data: []byte{0xde, 0xad, 0xbe, 0xef}, ci: gopacket.CaptureInfo{
				Timestamp: time.Unix(1700000000, int64(i)*1000).UTC(), CaptureLength: 4, Length: 4,
			}})
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	f, err := capture.NewReader("mixed.pcapng", &buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, f)
	if err != nil {
		t.Fatal(err)
	}
	equalRecords(t, got, want)
	if len(got) != len(eth)+len(raw)+7 {
		t.Errorf("got %d packets, want %d", len(got), len(eth)+len(raw)+7)
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzip(t *testing.T) {
	for _, file := range []string{"ndpi/1kxun.pcap", "zeek/http/cooper-grill-dvwa.pcapng"} {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join(corpus, file)
			want, err := readFile(t, path)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			gz := writeFile(t, filepath.Join(t.TempDir(), filepath.Base(file)+".gz"), gzipBytes(t, orig))
			got, err := readFile(t, gz)
			if err != nil {
				t.Fatal(err)
			}
			equalRecords(t, got, want)
		})
	}
}

// writePcap writes recs as a classic pcap with the given byte order and
// timestamp resolution, field by field, independent of pcapgo's writer.
func writePcap(recs []record, order binary.AppendByteOrder, nano bool, link layers.LinkType) []byte {
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	b := order.AppendUint32(nil, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0)     // thiszone
	b = order.AppendUint32(b, 0)     // sigfigs
	b = order.AppendUint32(b, 65535) // snaplen
	b = order.AppendUint32(b, uint32(link))
	for _, r := range recs {
		ts := r.ci.Timestamp
		frac := uint32(ts.Nanosecond() / 1000)
		if nano {
			frac = uint32(ts.Nanosecond())
		}
		b = order.AppendUint32(b, uint32(ts.Unix()))
		b = order.AppendUint32(b, frac)
		b = order.AppendUint32(b, uint32(len(r.data)))
		b = order.AppendUint32(b, uint32(r.ci.Length))
		b = append(b, r.data...)
	}
	return b
}

func TestByteOrderAndResolution(t *testing.T) {
	orig, err := readFile(t, filepath.Join(corpus, "ndpi/1kxun.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	// A nanosecond file must keep sub-microsecond digits: give every packet
	// some. The microsecond variants get the original timestamps.
	nanos := make([]record, len(orig))
	for i, r := range orig {
		r.ci.Timestamp = r.ci.Timestamp.Add(time.Duration(1 + i*7%999))
		nanos[i] = r
	}
	dir := t.TempDir()
	tests := []struct {
		name  string
		order binary.AppendByteOrder
		nano  bool
		want  []record
	}{
		{"le-usec.pcap", binary.LittleEndian, false, orig},
		{"be-usec.pcap", binary.BigEndian, false, orig},
		{"le-nsec.pcap", binary.LittleEndian, true, nanos},
		{"be-nsec.pcap", binary.BigEndian, true, nanos},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, tt.name), writePcap(tt.want, tt.order, tt.nano, layers.LinkTypeEthernet))
			got, err := readFile(t, path)
			if err != nil {
				t.Fatal(err)
			}
			equalRecords(t, got, tt.want) // Timestamp.Equal: exact to the nanosecond
			if tt.nano && got[0].ci.Timestamp.Nanosecond()%1000 == 0 {
				t.Errorf("packet 0: %v lost its nanoseconds", got[0].ci.Timestamp)
			}
		})
	}
	le, err := os.ReadFile(filepath.Join(corpus, "ndpi/1kxun.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if mine := writePcap(orig, binary.LittleEndian, false, layers.LinkTypeEthernet); !bytes.Equal(mine[24:], le[24:]) {
		t.Errorf("writePcap does not reproduce the original records")
	}
}

// recordOffsets returns the file offset of each record in a classic
// little-endian pcap.
func recordOffsets(b []byte) []int {
	var offs []int
	for off := 24; off+16 <= len(b); {
		offs = append(offs, off)
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
	}
	return offs
}

func TestTruncated(t *testing.T) {
	const src = "ndpi/1kxun.pcap"
	orig, err := os.ReadFile(filepath.Join(corpus, src))
	if err != nil {
		t.Fatal(err)
	}
	offs := recordOffsets(orig)
	ng, err := os.ReadFile(filepath.Join(corpus, "zeek/http/cooper-grill-dvwa.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	const k = 1234
	tests := []struct {
		name string
		data []byte
		want int // packets before the error; -1: any
	}{
		{"mid-frame.pcap", orig[:offs[k]+16+20], k},
		{"no-frame.pcap", orig[:offs[k]+16], k},
		{"mid-header.pcap", orig[:offs[k]+7], k},
		{"file-header.pcap", orig[:10], 0},
		{"cut.pcapng", ng[:len(ng)-100], -1},
		{"cut.pcap.gz", func() []byte { z := gzipBytes(t, orig); return z[:len(z)/2] }(), -1},
		{"gzip-of-cut.pcap.gz", gzipBytes(t, orig[:offs[k]+16+20]), k},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(t.TempDir(), tt.name), tt.data)
			f, err := capture.OpenFile(path)
			var recs []record
			if err == nil {
				recs, err = readAll(t, f)
				f.Close()
			}
			if !errors.Is(err, capture.ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("after %d packets: got %v, want ErrTruncated", len(recs), err)
			}
			if tt.want >= 0 && len(recs) != tt.want {
				t.Errorf("got %d packets before the error, want %d", len(recs), tt.want)
			}
			if tt.want < 0 && len(recs) == 0 {
				t.Errorf("got no packets before the cut")
			}
			msg := "truncated capture after " + strconv.Itoa(len(recs)) + " packets"
			if !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), msg) {
				t.Errorf("error %q does not name the file or say %q", err, msg)
			}
		})
	}
}

func TestNotCapture(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"capture.pcap", "<!DOCTYPE html>\n<html></html>\n", "capture.pcap: not a pcap or pcapng file (magic 3c21444f)"},
		{"empty.pcap", "", "empty.pcap: empty file: not a pcap or pcapng file"},
		{"short.pcap", "\xd4\xc3", "short.pcap: not a pcap or pcapng file (only 2 bytes)"},
		{"empty.pcap.gz", string(gzipBytes(t, nil)), "empty.pcap.gz: empty file: not a pcap or pcapng file"},
		{"text.gz", string(gzipBytes(t, []byte("GET / HTTP/1.1\r\n"))), "text.gz: not a pcap or pcapng file (magic 47455420)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := capture.NewReader(tt.name, strings.NewReader(tt.data))
			if err == nil {
				f.Close()
				t.Fatal("NewReader succeeded")
			}
			if !errors.Is(err, capture.ErrNotCapture) || err.Error() != tt.want {
				t.Errorf("got %q, want %q (ErrNotCapture)", err, tt.want)
			}
		})
	}
}

func TestOpenFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.pcap")
	_, err := capture.OpenFile(path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("got %v, want an fs.ErrNotExist naming %s", err, path)
	}
}

func TestNextAfterEnd(t *testing.T) {
	f, err := capture.OpenFile(filepath.Join(corpus, "ndpi/dotenv.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, f); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := f.Next(); err != io.EOF {
			t.Fatalf("Next after the end: %v, want io.EOF", err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// repeatCapture returns a little-endian pcap holding the packets of file over
// and over, at least n of them, so AllocsPerRun never reaches the end.
func repeatCapture(t *testing.T, file string, n int) []byte {
	t.Helper()
	recs, err := readFile(t, filepath.Join(corpus, file))
	if err != nil {
		t.Fatal(err)
	}
	var all []record
	for len(all) < n {
		all = append(all, recs...)
	}
	return writePcap(all, binary.LittleEndian, false, recs[0].link)
}

func TestNextAllocs(t *testing.T) {
	pcap := repeatCapture(t, "ndpi/1kxun.pcap", 1500)
	ng := func() []byte {
		var buf bytes.Buffer
		w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatal(err)
		}
		f, err := capture.NewReader("pcap", bytes.NewReader(pcap))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := readAll(t, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if err := w.WritePacket(r.ci, r.data); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}()
	tests := []struct {
		name string
		data []byte
	}{
		{"pcap", pcap},
		{"pcapng", ng},
		{"pcap.gz", gzipBytes(t, pcap)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := capture.NewReader(tt.name, bytes.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var bytesRead int
			allocs := testing.AllocsPerRun(1000, func() {
				p, err := f.Next()
				if err != nil {
					t.Fatal(err)
				}
				bytesRead += len(p.Data)
			})
			if allocs != 0 {
				t.Errorf("Next: %v allocations per packet, want 0", allocs)
			}
			if bytesRead == 0 {
				t.Error("read no bytes")
			}
		})
	}
}
