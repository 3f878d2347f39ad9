// Package sensor wires the stages of the data path into one Pipeline:
// capture (frames in) -> decap (inner TCP/UDP packet and its tunnel) -> flow
// (TCP reassembly) -> http1 (transactions out).
//
// A Pipeline is single-threaded and deterministic: fed the same packets it
// emits the same transactions in the same order, which is what `apitap read`
// and the golden tests rely on. A live sensor runs one Pipeline per worker
// and shards packets by flow.
//
// # Caveats
//
// Packets passed to Pipeline.Packet may be reused by the caller as soon as
// the call returns; transactions handed to the emit function are the
// receiver's to keep.
package sensor
