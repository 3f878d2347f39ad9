// Package capture reads captured frames from a file or stream and hands them
// to the decoding stage one at a time.
//
// OpenFile and NewReader sniff the first bytes of the input: a gzip stream
// (1f 8b) is unwrapped transparently, then the inner magic number selects the
// classic pcap reader (both byte orders, micro- and nanosecond timestamps) or
// the pcapng reader (0A 0D 0D 0A; every interface block may have its own link
// type). Both are the pure Go readers of gopacket's pcapgo, driven through
// ZeroCopyReadPacketData, so reading allocates nothing per packet. Each call
// to Source.Next yields one Packet: the frame bytes, the capture info with the
// packet's own timestamp and wire length, and the link type of the interface
// it was captured on. Link types this project cannot decode are passed
// through unchanged; package decap reports them. At the end of the input Next
// returns io.EOF; a file cut short returns the packets before the cut and then
// an error that matches ErrTruncated and io.ErrUnexpectedEOF. Every error
// names the input.
//
// # Caveats
//
// Packet.Data aliases a buffer owned by the reader and is overwritten by the
// next call to Next. A stage that keeps any part of a frame beyond that call
// (a payload handed to a channel, a header value stored in a table) must copy
// it first. Packet.Info.AncillaryData is always nil; nothing in a Packet is
// safe to share between goroutines without a copy. A File is not safe for
// concurrent use.
package capture
