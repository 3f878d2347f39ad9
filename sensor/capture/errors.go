package capture

import (
	"errors"
	"fmt"
	"io"
)

var (
	// ErrNotCapture means the input is neither a pcap nor a pcapng file
	// (after unwrapping gzip).
	ErrNotCapture = errors.New("not a pcap or pcapng file")

	// ErrTruncated means the input ended in the middle of a header or record.
	// Errors that match it also match io.ErrUnexpectedEOF.
	ErrTruncated = errors.New("truncated capture")
)

// truncatedError reports where an input was cut short.
type truncatedError struct {
	name    string
	packets int // complete packets read before the cut
}

func (e *truncatedError) Error() string {
	return fmt.Sprintf("%s: truncated capture after %d packets", e.name, e.packets)
}

func (e *truncatedError) Unwrap() []error {
	return []error{ErrTruncated, io.ErrUnexpectedEOF}
}
