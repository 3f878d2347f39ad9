// Package synth generates deterministic captures of HTTP/1.1 REST traffic
// for tests and benchmarks.
//
// Write turns a Config into a classic pcap (Ethernet, IPv4, microsecond
// timestamps) on an io.Writer. A PCG generator seeded from Config.Seed drives
// every choice: the clients (addresses, user agents, bearer tokens), the
// services and their routes, the connections (random initial sequence
// numbers, some just below 2^32 so they wrap), the requests on each
// keep-alive connection (method, path with ids and query strings, headers,
// JSON bodies) and the responses (status, JSON body of 100 B to 8 KiB, sent
// with Content-Length or chunked, some gzip-compressed). Each connection is
// queued one exchange at a time as packets: handshake, request segments of at
// most MSS bytes, the peer's acknowledgements, the response, and a FIN close.
// A heap of open connections merges their queues by packet time, so packets
// of concurrent connections interleave and timestamps strictly increase. The
// packets go through one bufio.Writer; Write returns Stats, the ground truth
// a test or benchmark checks a decoder against. IP and TCP checksums are
// zero, as in a capture taken with checksum offload.
//
// # Caveats
//
// Write reuses its message and header buffers for every connection and never
// hands them out: nothing it returns aliases its internal memory. The bytes
// depend on the Go version too, because gzip-compressed bodies are part of
// them; key caches of generated files on runtime.Version as well as Config.
package synth
