package http1

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor/flow"
)

// conv scripts one TCP connection: each step sends bytes in one direction
// with the sequence and acknowledgement numbers real TCP would use, or
// loses bytes (a capture gap).
type conv struct {
	t     testing.TB
	c     *Conn
	got   []*Transaction
	seq   [2]uint32 // next sequence number per direction
	clock time.Time
}

func newConv(t testing.TB, cfg Config) *conv {
	v := &conv{t: t, seq: [2]uint32{1000, 0xfffff000}, clock: time.Unix(1700000000, 0)}
	p := NewParser(cfg, nil, func(x *Transaction) { v.got = append(v.got, x) })
	v.c = p.NewConn(flow.Key{})
	return v
}

func (v *conv) send(d flow.Dir, data string) *conv {
	v.clock = v.clock.Add(time.Millisecond)
	// One packet per send: its time, and an ack of all the peer sent.
	v.c.Data(d, v.seq[d], []byte(data), []flow.Span{{Seq: v.seq[d], Time: v.clock.UnixNano(), Ack: v.seq[d^1], AckOK: true}})
	v.seq[d] += uint32(len(data))
	return v
}

func (v *conv) req(data string) *conv  { return v.send(flow.DirAB, data) }
func (v *conv) resp(data string) *conv { return v.send(flow.DirBA, data) }

// lose drops the next len(data) bytes of a direction, as a capture gap.
func (v *conv) lose(d flow.Dir, data string) *conv {
	v.seq[d] += uint32(len(data))
	v.c.Gap(d, len(data))
	return v
}

func (v *conv) close() []string {
	v.c.Close()
	var out []string
	for _, x := range v.got {
		out = append(out, summary(x))
	}
	return out
}

func summary(x *Transaction) string {
	s := fmt.Sprintf("%s %s %d req=%d resp=%d", x.Request.Method, x.Request.Target, x.Response.Status,
		x.Request.Body.Len, x.Response.Body.Len)
	if a := x.Anomalies(); a != 0 {
		s += " [" + a.String() + "]"
	}
	return s
}

const (
	okEmpty = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	ok5     = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
)

func TestConnTransactions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script func(v *conv)
		want   []string
	}{
		{"keep-alive", func(v *conv) {
			v.req("GET /a HTTP/1.1\r\nHost: x\r\n\r\n").resp(ok5)
			v.req("GET /b HTTP/1.1\r\nHost: x\r\n\r\n").resp(okEmpty)
		}, []string{"GET /a 200 req=0 resp=5", "GET /b 200 req=0 resp=0"}},
		{"pipelined", func(v *conv) {
			v.req("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n")
			v.resp(ok5 + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" + ok5)
		}, []string{"GET /1 200 req=0 resp=5", "GET /2 404 req=0 resp=0", "GET /3 200 req=0 resp=5"}},
		{"post content-length", func(v *conv) {
			v.req("POST /u HTTP/1.1\r\nContent-Length: 7\r\n\r\n{\"a\":1}").resp("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
		}, []string{"POST /u 201 req=7 resp=2"}},
		{"chunked response with trailer", func(v *conv) {
			v.req("GET /c HTTP/1.1\r\n\r\n")
			v.resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n")
			v.req("GET /d HTTP/1.1\r\n\r\n").resp(okEmpty)
		}, []string{"GET /c 200 req=0 resp=11", "GET /d 200 req=0 resp=0"}},
		{"close-delimited HTTP/1.0", func(v *conv) {
			v.req("GET / HTTP/1.0\r\n\r\n").resp("HTTP/1.0 200 OK\r\n\r\nabc").resp("def")
		}, []string{"GET / 200 req=0 resp=6"}},
		{"HEAD, 204 and 304 have no body", func(v *conv) {
			v.req("HEAD /h HTTP/1.1\r\n\r\n").resp("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n")
			v.req("DELETE /x HTTP/1.1\r\n\r\n").resp("HTTP/1.1 204 No Content\r\n\r\n")
			v.req("GET /e HTTP/1.1\r\n\r\n").resp("HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n")
			v.req("GET /f HTTP/1.1\r\n\r\n").resp(ok5)
		}, []string{"HEAD /h 200 req=0 resp=0", "DELETE /x 204 req=0 resp=0", "GET /e 304 req=0 resp=0", "GET /f 200 req=0 resp=5"}},
		{"expect 100-continue", func(v *conv) {
			v.req("PUT /big HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
			v.resp("HTTP/1.1 100 Continue\r\n\r\n")
			v.req("data").resp(okEmpty)
		}, []string{"PUT /big 200 req=4 resp=0"}},
		{"websocket upgrade stops parsing", func(v *conv) {
			v.req("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			v.resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello")
			v.req("\x81\x85GET / HTTP/1.1\r\n\r\n")
		}, []string{"GET /ws 101 req=0 resp=0"}},
		{"CONNECT tunnel", func(v *conv) {
			v.req("CONNECT example.com:443 HTTP/1.1\r\n\r\n").resp("HTTP/1.1 200 Connection established\r\n\r\n")
			v.req("\x16\x03\x01GET /not-http HTTP/1.1\r\n\r\n")
		}, []string{"CONNECT example.com:443 200 req=0 resp=0"}},
		{"HTTP/0.9", func(v *conv) {
			v.req("GET /old\r\n").resp("<html>hi</html>")
		}, []string{"GET /old 0 req=0 resp=15 [http09]"}},
		{"lost response does not shift later pairs", func(v *conv) {
			v.req("GET /1 HTTP/1.1\r\n\r\n").lose(flow.DirBA, ok5)
			v.req("GET /2 HTTP/1.1\r\n\r\n").resp("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
			v.req("GET /3 HTTP/1.1\r\n\r\n").resp(ok5)
		}, []string{"GET /1 0 req=0 resp=0 [response_lost]", "GET /2 404 req=0 resp=0", "GET /3 200 req=0 resp=5"}},
		{"lost request does not shift later pairs", func(v *conv) {
			v.req("GET /1 HTTP/1.1\r\n\r\n").resp(ok5)
			v.lose(flow.DirAB, "GET /2 HTTP/1.1\r\n\r\n").resp("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
			v.req("GET /3 HTTP/1.1\r\n\r\n").resp(ok5)
		}, []string{"GET /1 200 req=0 resp=5", "GET /3 200 req=0 resp=5", "  404 req=0 resp=0 [response_without_request]"}},
		{"gap inside a body keeps the framing", func(v *conv) {
			v.req("GET /g HTTP/1.1\r\n\r\n").resp("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab").lose(flow.DirBA, "cdef").resp("ghij")
			v.req("GET /h HTTP/1.1\r\n\r\n").resp(okEmpty)
		}, []string{"GET /g 200 req=0 resp=10 [gap]", "GET /h 200 req=0 resp=0"}},
		{"gap across messages resynchronises", func(v *conv) {
			v.req("GET /g HTTP/1.1\r\n\r\n").resp("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab")
			v.lose(flow.DirBA, "cdefghijHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
			v.req("GET /h HTTP/1.1\r\n\r\n").resp("xyz" + ok5)
		}, []string{"GET /g 200 req=0 resp=10 [gap]", "GET /h 200 req=0 resp=5"}},
		{"mid-stream start finds the next message", func(v *conv) {
			v.resp("tail of an earlier body").req("GET /n HTTP/1.1\r\n\r\n").resp(ok5)
		}, []string{"GET /n 200 req=0 resp=5"}},
		{"message right after a binary body", func(v *conv) {
			v.req("GET /img HTTP/1.1\r\n\r\n").resp("junk\x89PNG\x00" + ok5)
		}, []string{"GET /img 200 req=0 resp=5"}},
		{"conflicting content-length", func(v *conv) {
			v.req("POST /p HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabc").resp(okEmpty)
		}, []string{"POST /p 200 req=3 resp=0 [conflicting_content_length]"}},
		{"transfer-encoding wins over content-length", func(v *conv) {
			v.req("POST /s HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").resp(okEmpty)
		}, []string{"POST /s 200 req=3 resp=0 [te_and_cl]"}},
		{"chunk size overflow", func(v *conv) {
			v.req("POST /o HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nx\r\n")
			v.req("GET /next HTTP/1.1\r\n\r\n").resp(okEmpty).resp(okEmpty)
		}, []string{"POST /o 200 req=0 resp=0 [chunk_size_overflow]", "GET /next 200 req=0 resp=0"}},
		{"content-length of 2^64-1", func(v *conv) {
			v.req("POST /m HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n").resp(okEmpty)
		}, []string{"POST /m 200 req=0 resp=0 [bad_content_length]"}},
		{"header flood is cut and resynchronised", func(v *conv) {
			v.req("GET /flood HTTP/1.1\r\n" + strings.Repeat("X-A: b\r\n", 200) + "\r\n").resp(okEmpty)
		}, []string{"GET /flood 200 req=0 resp=0 [header_too_large]"}},
		{"binary garbage is not HTTP", func(v *conv) {
			v.req("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03").resp("\x16\x03\x03\x00\x5a\x02")
		}, nil},
		{"bare LF line endings", func(v *conv) {
			v.req("OPTIONS * HTTP/1.1\nHost: x\n\n").resp("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		}, []string{"OPTIONS * 405 req=0 resp=0 [bare_lf]"}},
		{"request without a version", func(v *conv) {
			v.req("DELETE / HTTP/1.\nHost: x\n\n").resp("HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		}, []string{"DELETE / 400 req=0 resp=0 [bad_request_line,bare_lf]"}},
		{"one-sided capture", func(v *conv) {
			v.req("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n")
		}, []string{"GET /1 0 req=0 resp=0 [no_response]", "GET /2 0 req=0 resp=0 [no_response]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newConv(t, Config{MaxHeaderBytes: 1024})
			tc.script(v)
			got := v.close()
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// TestConnAllocs: a keep-alive exchange costs only what its transaction
// keeps: the Transaction, the request target, both header blocks and the
// response's body sample.
func TestConnAllocs(t *testing.T) {
	p := NewParser(Config{}, nil, func(*Transaction) {})
	c := p.NewConn(flow.Key{})
	req, resp := []byte("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"), []byte(ok5)
	seq := [2]uint32{1000, 5000}
	spans := make([]flow.Span, 1)
	send := func(d flow.Dir, b []byte) {
		spans[0] = flow.Span{Seq: seq[d], Ack: seq[d^1], AckOK: true}
		c.Data(d, seq[d], b, spans)
		seq[d] += uint32(len(b))
	}
	send(flow.DirAB, req)
	send(flow.DirBA, resp)
	if n := testing.AllocsPerRun(100, func() {
		send(flow.DirAB, req)
		send(flow.DirBA, resp)
	}); n != 5 {
		t.Errorf("%v allocations per exchange, want 5", n)
	}
	if n := p.Stats().Transactions.Load(); n != 102 {
		t.Errorf("%d transactions, want 102", n)
	}
}
