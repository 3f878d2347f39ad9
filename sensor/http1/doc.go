// Package http1 turns the two byte streams of a TCP connection into HTTP/1.x
// transactions, the way a passive observer must: from the middle of a
// connection, across gaps, and without trusting a single byte.
//
// Each direction of a Conn is a push parser fed with whatever the reassembler
// delivers, in chunks of any size. It recognises messages by content, not by
// port, reads the header block (bounded by Config.MaxHeaderBytes), frames the
// body (Content-Length, chunked, close-delimited, none for HEAD/1xx/204/304)
// and counts body bytes instead of buffering them, keeping only a bounded
// sample that is content-decoded (gzip, deflate, br) when the message ends.
// When bytes are missing (a capture gap) or a message is garbage, the parser
// skips to the next line that starts a message and carries on; the message
// that was cut is still reported, marked partial. After a protocol switch
// (101 Switching Protocols, CONNECT, the HTTP/2 preface) the connection is
// left alone.
//
// The Conn pairs responses with requests. In the common case that is first
// in, first out; TCP acknowledgement numbers decide when bytes were lost: a
// response can only answer a request the server had received (the request's
// first byte lies below the response's acknowledgement number), and a
// request is known to have been answered already when the client
// acknowledged server bytes before sending the next request. So one lost
// response or request never shifts the pairs that follow it.
//
// Malformed or hostile input is normal input here: every oddity becomes an
// Anomaly flag on the transaction and a counter in Stats, never a panic and
// never unbounded memory.
//
// # Caveats
//
// Transactions handed to the emit function are owned by the receiver; the
// parser never touches them again and they never alias packet memory.
package http1
