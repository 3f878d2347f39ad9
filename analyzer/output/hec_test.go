package output

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// splunk is a fake HTTP Event Collector that answers as Splunk documents:
// /services/collector/event takes concatenated event objects and, for a
// token with indexer acknowledgement, needs a channel and answers
// {"text":"Success","code":0,"ackId":N}, N counting from 0 per channel;
// /services/collector/ack answers {"acks":{"N":false}} while the events
// are not yet indexed (pending polls), then true.
type splunk struct {
	t       *testing.T
	token   string
	ack     bool // the token has indexer acknowledgement on
	pending int  // polls that see an ackId false; -1: never acknowledged

	mu      sync.Mutex
	faults  map[int]fault // by event request number, from 1
	n       int
	events  []map[string]json.RawMessage
	nextAck map[string]int64
	polls   map[int64]int
	channel string
}

func newSplunk(t *testing.T, ack bool) *splunk {
	return &splunk{t: t, token: "tok-123", ack: ack, faults: map[int]fault{}, nextAck: map[string]int64{}, polls: map[int64]int{}}
}

func (s *splunk) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type hecReply struct {
	Text  string `json:"text"`
	Code  int    `json:"code"`
	AckID *int64 `json:"ackId,omitempty"`
}

func (s *splunk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Header.Get("Authorization") == "":
		s.reply(w, 401, hecReply{Text: "Token is required", Code: 2})
		return
	case r.Header.Get("Authorization") != "Splunk "+s.token:
		s.reply(w, 403, hecReply{Text: "Invalid token", Code: 4})
		return
	}
	ch := r.Header.Get("X-Splunk-Request-Channel")
	if s.ack && ch == "" {
		s.reply(w, 400, hecReply{Text: "Data channel is missing", Code: 10})
		return
	}
	switch r.URL.Path {
	case "/services/collector/event":
		s.event(w, ch, body)
	case "/services/collector/ack":
		s.ackPoll(w, ch, body)
	default:
		s.reply(w, 404, hecReply{Text: "The requested URL was not found on this server.", Code: 404})
	}
}

func (s *splunk) event(w http.ResponseWriter, ch string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if f, ok := s.faults[s.n]; ok {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		s.reply(w, f.status, hecReply{Text: "Server is busy", Code: 9})
		return
	}
	var evs []map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	for dec.More() {
		var ev map[string]json.RawMessage
		if err := dec.Decode(&ev); err != nil {
			s.reply(w, 400, hecReply{Text: "Invalid data format", Code: 6})
			return
		}
		if _, ok := ev["event"]; !ok {
			s.reply(w, 400, hecReply{Text: "Event field is required", Code: 12})
			return
		}
		evs = append(evs, ev)
	}
	if len(evs) == 0 {
		s.reply(w, 400, hecReply{Text: "No data", Code: 5})
		return
	}
	s.events = append(s.events, evs...)
	if !s.ack {
		s.reply(w, 200, hecReply{Text: "Success"})
		return
	}
	s.channel = ch
	id := s.nextAck[ch]
	s.nextAck[ch]++
	s.polls[id] = 0
	s.reply(w, 200, hecReply{Text: "Success", AckID: &id})
}

func (s *splunk) ackPoll(w http.ResponseWriter, ch string, body []byte) {
	if !s.ack {
		s.reply(w, 400, hecReply{Text: "ACK is disabled", Code: 14})
		return
	}
	var req struct {
		Acks []int64 `json:"acks"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.reply(w, 400, hecReply{Text: "Invalid data format", Code: 6})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch != s.channel {
		s.t.Errorf("ack poll on channel %q, events on %q", ch, s.channel)
	}
	acks := map[string]bool{}
	for _, id := range req.Acks {
		n, ok := s.polls[id]
		if ok {
			s.polls[id] = n + 1
		}
		acks[strconv.FormatInt(id, 10)] = ok && s.pending >= 0 && n >= s.pending
	}
	s.reply(w, 200, map[string]any{"acks": acks})
}

func (s *splunk) taken() []map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]json.RawMessage(nil), s.events...)
}

func TestHECSend(t *testing.T) {
	sp := newSplunk(t, false)
	srv := httptest.NewServer(sp)
	defer srv.Close()
	h, err := NewHEC(HECConfig{URL: srv.URL + "/services/collector/event", Token: sp.token, Index: "security", Host: "sensor-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	recs := [][]byte{
		[]byte(`{"class_uid":2004,"time":1763900000123,"message":"ocsf"}`),
		[]byte(`{"@timestamp":"2025-11-23T12:13:20.5Z","event":{"kind":"alert"},"message":"ecs"}`),
		[]byte(`{"timestamp":"2025-11-23T12:13:20.250000+0000","event_type":"alert"}`),
		[]byte(`{"message":"no time"}`),
		[]byte(`CEF:0|apitap|apitap||sqli|SQL injection|8|rt=1763900000123`),
	}
	before := time.Now()
	if err := h.Send(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	evs := sp.taken()
	if len(evs) != len(recs) {
		t.Fatalf("splunk has %d events, want %d", len(evs), len(recs))
	}
	wantTime := []string{"1763900000.123", "1763900000.500", "1763900000.250", "", ""}
	for i, ev := range evs {
		for k, want := range map[string]string{"sourcetype": `"apitap:alert"`, "index": `"security"`, "host": `"sensor-1"`} {
			if string(ev[k]) != want {
				t.Errorf("event %d %s = %s, want %s", i, k, ev[k], want)
			}
		}
		if _, ok := ev["source"]; ok {
			t.Errorf("event %d has a source none was set for", i)
		}
		if wantTime[i] != "" {
			if string(ev["time"]) != wantTime[i] {
				t.Errorf("event %d time = %s, want %s", i, ev["time"], wantTime[i])
			}
		} else {
			sec, err := strconv.ParseFloat(string(ev["time"]), 64)
			if err != nil || sec < float64(before.Unix()) || sec > float64(time.Now().Unix()+1) {
				t.Errorf("event %d time = %s, want the send time", i, ev["time"])
			}
		}
	}
	for i := range 4 {
		if !bytes.Equal(evs[i]["event"], recs[i]) {
			t.Errorf("event %d = %s, want the record %s", i, evs[i]["event"], recs[i])
		}
	}
	var cef string
	if err := json.Unmarshal(evs[4]["event"], &cef); err != nil || cef != string(recs[4]) {
		t.Errorf("CEF event = %s, want the record as a JSON string", evs[4]["event"])
	}
}

// TestHECEnvelope: a record that already is a HEC envelope (the hec
// format) is sent unchanged.
func TestHECEnvelope(t *testing.T) {
	sp := newSplunk(t, false)
	srv := httptest.NewServer(sp)
	defer srv.Close()
	h, err := NewHEC(HECConfig{URL: srv.URL, Token: sp.token})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	env := []byte(`{"time":1763900000.5,"sourcetype":"custom","event":{"a":1}}`)
	if err := h.Send(context.Background(), [][]byte{env}); err != nil {
		t.Fatal(err)
	}
	evs := sp.taken()
	if len(evs) != 1 || string(evs[0]["sourcetype"]) != `"custom"` || string(evs[0]["event"]) != `{"a":1}` {
		t.Fatalf("events %v, want the envelope as it was", evs)
	}
}

func TestHECAck(t *testing.T) {
	sp := newSplunk(t, true)
	sp.pending = 2
	srv := httptest.NewServer(sp)
	defer srv.Close()
	h, err := NewHEC(HECConfig{URL: srv.URL + "/services/collector/event", Token: sp.token, Ack: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !validUUID(h.Channel()) {
		t.Fatalf("generated channel %q is not a uuid", h.Channel())
	}
	for batch := range 2 {
		if err := h.Send(context.Background(), testRecords(3)); err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.events) != 6 {
		t.Errorf("splunk has %d events, want 6", len(sp.events))
	}
	if sp.channel != h.Channel() {
		t.Errorf("events on channel %q, want %q", sp.channel, h.Channel())
	}
	for id := range int64(2) {
		if sp.polls[id] != 3 {
			t.Errorf("ackId %d polled %d times, want 3 (pending twice, then true)", id, sp.polls[id])
		}
	}
}

func TestHECAckTimeout(t *testing.T) {
	sp := newSplunk(t, true)
	sp.pending = -1
	srv := httptest.NewServer(sp)
	defer srv.Close()
	const channel = "0F3A2B3C-1111-4222-8333-123456789ABC"
	h, err := NewHEC(HECConfig{URL: srv.URL, Token: sp.token, Ack: true, Channel: channel, AckTimeout: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.Channel() != channel {
		t.Fatalf("channel %q, want %q", h.Channel(), channel)
	}
	start := time.Now()
	err = h.Send(context.Background(), testRecords(1))
	if !errors.Is(err, ErrAckTimeout) || errors.Is(err, ErrRejected) {
		t.Fatalf("Send = %v, want ErrAckTimeout, retryable", err)
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 3*time.Second {
		t.Errorf("Send gave up after %v, want about 400ms", d)
	}

	// A context that ends first ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if err := h.Send(ctx, testRecords(1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want the context's deadline", err)
	}
}

func TestHECErrors(t *testing.T) {
	date := time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name      string
		fault     *fault
		token     string
		path      string
		rejected  bool
		retryLow  float64 // Retryer bounds; 0, 0 for none
		retryHigh float64
	}{
		{name: "500", fault: &fault{status: 500}},
		{name: "503 busy retry-after", fault: &fault{status: 503, retryAfter: "3"}, retryLow: 3, retryHigh: 3},
		{name: "429 retry-after date", fault: &fault{status: 429, retryAfter: date}, retryLow: 15, retryHigh: 21},
		{name: "bad token", token: "wrong", rejected: true},
		{name: "wrong path", path: "/services/collector/raw", rejected: true},
		{name: "400", fault: &fault{status: 400}, rejected: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := newSplunk(t, false)
			if tc.fault != nil {
				sp.faults[1] = *tc.fault
			}
			srv := httptest.NewServer(sp)
			defer srv.Close()
			token, path := sp.token, "/services/collector/event"
			if tc.token != "" {
				token = tc.token
			}
			if tc.path != "" {
				path = tc.path
			}
			h, err := NewHEC(HECConfig{URL: srv.URL + path, Token: token})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			err = h.Send(context.Background(), testRecords(2))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if errors.Is(err, ErrRejected) != tc.rejected {
				t.Fatalf("errors.Is(%v, ErrRejected) = %v, want %v", err, !tc.rejected, tc.rejected)
			}
			var r Retryer
			if ok := errors.As(err, &r); ok != (tc.retryHigh > 0) {
				t.Fatalf("Retryer in %v: %v", err, ok)
			} else if ok && (r.RetryAfter() < tc.retryLow || r.RetryAfter() > tc.retryHigh) {
				t.Fatalf("RetryAfter = %v, want %v..%v", r.RetryAfter(), tc.retryLow, tc.retryHigh)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error shows the token: %v", err)
			}
			if tc.rejected {
				return
			}
			if err := h.Send(context.Background(), testRecords(2)); err != nil {
				t.Fatalf("second Send: %v", err)
			}
			if n := len(sp.taken()); n != 2 {
				t.Fatalf("splunk has %d events, want 2", n)
			}
		})
	}
}

func TestHECConfig(t *testing.T) {
	for _, cfg := range []HECConfig{
		{URL: "https://splunk.test:8088/services/collector/event"},
		{URL: "splunk.test:8088", Token: "t"},
		{URL: "https://splunk.test:8088/other", Token: "t"},
		{URL: "https://splunk.test:8088/", Token: "t", Ack: true, Channel: "not-a-uuid"},
	} {
		if _, err := NewHEC(cfg); err == nil {
			t.Errorf("NewHEC(%+v) succeeded", cfg)
		}
	}
	for raw, want := range map[string][2]string{
		"https://splunk.test:8088":                                {"https://splunk.test:8088/services/collector/event", "https://splunk.test:8088/services/collector/ack"},
		"https://splunk.test/services/collector/event?x=1":        {"https://splunk.test/services/collector/event?x=1", "https://splunk.test/services/collector/ack?x=1"},
		"https://splunk.test/splunk/services/collector/event/1.0": {"https://splunk.test/splunk/services/collector/event/1.0", "https://splunk.test/splunk/services/collector/ack"},
	} {
		ev, ack, err := hecURLs(raw)
		if err != nil || ev != want[0] || ack != want[1] {
			t.Errorf("hecURLs(%q) = %q, %q, %v; want %q, %q", raw, ev, ack, err, want[0], want[1])
		}
	}
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.UnixMilli(1763900000123), "1763900000.123"},
		{time.UnixMilli(1763900000005), "1763900000.005"},
		{time.UnixMilli(1763900000050), "1763900000.050"},
		{time.Unix(1763900000, 0), "1763900000.000"},
	} {
		if got := string(appendEpoch(nil, tc.t)); got != tc.want {
			t.Errorf("appendEpoch(%v) = %s, want %s", tc.t, got, tc.want)
		}
	}
}
