package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Magic numbers, read big-endian from the first bytes of the input.
const (
	magicPcapMicroLE = 0xd4c3b2a1
	magicPcapNanoLE  = 0x4d3cb2a1
	magicPcapMicroBE = 0xa1b2c3d4
	magicPcapNanoBE  = 0xa1b23c4d
	magicPcapng      = 0x0a0d0d0a // section header block type
)

// readBufferSize is the bufio size in front of the file and behind gzip.
// Capture readers issue a 16 or 8 byte header read and a frame-sized read per
// packet; 64 KiB turns those into few large reads.
const readBufferSize = 64 << 10

// File reads frames from a pcap or pcapng file, optionally gzip-compressed.
// It implements Source.
type File struct {
	name   string
	file   *os.File     // owned: closed by Close; nil for NewReader
	gz     *gzip.Reader // nil when the input is not compressed
	pcap   *pcapgo.Reader
	ng     *pcapgo.NgReader
	link   layers.LinkType // of a classic pcap
	count  int             // packets returned so far
	err    error           // sticky: once set, Next returns it
	closed bool
}

var _ Source = (*File)(nil)

// OpenFile opens the capture file at path. The caller must Close it.
func OpenFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err) // *PathError names the file
	}
	f, err := NewReader(path, fh)
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.file = fh
	return f, nil
}

// NewReader reads a capture from r; name identifies r in errors. It reads the
// file header before returning. Close releases the decompressor but does not
// close r.
func NewReader(name string, r io.Reader) (*File, error) {
	f := &File{name: name}
	br := bufio.NewReaderSize(r, readBufferSize)
	head, _ := br.Peek(2) // a short file is reported below
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		var err error
		if f.gz, err = gzip.NewReader(br); err != nil {
			return nil, f.openError(err)
		}
		br = bufio.NewReaderSize(f.gz, readBufferSize)
	}
	head, err := br.Peek(4)
	switch {
	case len(head) == 0 && err == io.EOF:
		return nil, fmt.Errorf("%s: empty file: %w", name, ErrNotCapture)
	case len(head) < 4 && err == io.EOF:
		return nil, fmt.Errorf("%s: %w (only %d bytes)", name, ErrNotCapture, len(head))
	case err != nil:
		return nil, f.openError(err)
	}

	switch magic := binary.BigEndian.Uint32(head); magic {
	case magicPcapMicroLE, magicPcapNanoLE, magicPcapMicroBE, magicPcapNanoBE:
		if f.pcap, err = pcapgo.NewReader(br); err != nil {
			return nil, f.openError(err)
		}
		f.link = f.pcap.LinkType()
	case magicPcapng:
		// The zero NgReaderOptions silently drop every packet whose interface
		// has a different link type than the first one. WantMixedLinkType
		// keeps them and reports each packet's link type in AncillaryData[0]
		// without allocating (the reader reuses the slice).
		if f.ng, err = pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true}); err != nil {
			return nil, f.openError(err)
		}
	default:
		return nil, fmt.Errorf("%s: %w (magic %08x)", name, ErrNotCapture, magic)
	}
	return f, nil
}

// Name returns the name the File was opened with.
func (f *File) Name() string { return f.name }

// Next returns the next frame. Its Data is valid until the next call.
func (f *File) Next() (Packet, error) {
	if f.err != nil {
		return Packet{}, f.err
	}
	var (
		data []byte
		ci   gopacket.CaptureInfo
		err  error
		link = f.link
	)
	if f.ng != nil {
		data, ci, err = f.ng.ZeroCopyReadPacketData()
		if err == nil {
			link, _ = ci.AncillaryData[0].(layers.LinkType)
			ci.AncillaryData = nil // the reader reuses it
		}
	} else {
		data, ci, err = f.pcap.ZeroCopyReadPacketData()
	}
	if err != nil {
		f.err = f.readError(err, ci)
		return Packet{}, f.err
	}
	f.count++
	return Packet{Data: data, Info: ci, LinkType: link}, nil
}

// Close releases the decompressor and closes the file opened by OpenFile.
// Next returns an error after Close.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if f.err == nil {
		f.err = fmt.Errorf("%s: %w", f.name, os.ErrClosed)
	}
	var errs []error
	if f.gz != nil {
		errs = append(errs, f.gz.Close())
	}
	if f.file != nil {
		errs = append(errs, f.file.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close %s: %w", f.name, err)
	}
	return nil
}

// openError names the file in an error from reading its header.
func (f *File) openError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return &truncatedError{name: f.name}
	}
	return fmt.Errorf("%s: %w", f.name, err)
}

// readError turns a reader error into the error Next returns. ci is what the
// reader returned with err: a non-zero CaptureLength means the record header
// was complete.
func (f *File) readError(err error, ci gopacket.CaptureInfo) error {
	switch {
	case err == io.EOF && ci.CaptureLength == 0:
		return io.EOF
	case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
		// io.EOF after a complete record header: the frame is missing.
		return &truncatedError{name: f.name, packets: f.count}
	default:
		return fmt.Errorf("%s: packet %d: %w", f.name, f.count+1, err)
	}
}
