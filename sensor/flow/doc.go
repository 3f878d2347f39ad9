// Package flow reassembles the TCP connections of decoded packets and hands
// each direction's in-order bytes to a per-connection Handler.
//
// A Table owns one gopacket reassembly.Assembler and its StreamPool; it is not
// safe for concurrent use, so a live sensor runs one Table per worker and
// shards packets by a symmetric flow hash. The flow key includes the mirror's
// tunnel (decap.Tunnel), so identical addresses in two mirrored networks never
// share a stream. Idle connections and stalled gaps are flushed by packet
// time, never wall time, so a capture file replays exactly as live traffic
// would. Memory is bounded three ways: a cap on live connections (new ones
// are refused and counted), a global and a per-connection budget of
// reassembly pages (out-of-order data beyond it is flushed as a gap and
// counted), and the Handler's own limits. Payload, retransmitted and gap
// bytes and one-sided connections are also counted per mirror source (the
// tunnel), so one broken mirror session stands out among healthy ones.
//
// # Caveats
//
// The data slice passed to Handler.Data aliases reassembly pages or the
// captured frame, and its spans slice is the Table's scratch; both are valid
// only during the call: copy what you keep.
package flow
