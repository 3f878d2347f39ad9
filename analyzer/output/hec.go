package output

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrAckTimeout means Splunk took the events but no indexer acknowledged
// them within HECConfig.AckTimeout. It is retryable: the batch is sent
// again, and may then be indexed twice.
var ErrAckTimeout = errors.New("hec: no indexer acknowledgement")

// HECConfig configures a HEC transport.
type HECConfig struct {
	// URL is the event endpoint,
	// "https://splunk.example:8088/services/collector/event". A URL
	// with no path gets that one.
	URL string
	// Token is the HEC token, sent as "Authorization: Splunk <token>".
	Token string
	// Index, Source and Host go into every event envelope when set;
	// Splunk uses the token's defaults otherwise.
	Index, Source, Host string
	// SourceType is every event's sourcetype; zero means "apitap:alert".
	SourceType string
	// Ack waits, after each batch, for indexer acknowledgement: the
	// token must have it enabled. Send then returns only once the
	// events are indexed (replicated), not merely received.
	Ack bool
	// Channel is the X-Splunk-Request-Channel, a UUID, sent when Ack is
	// set; zero generates one per HEC.
	Channel string
	// TLS is the client's TLS config (a custom CA: see LoadCA); nil uses
	// the system roots.
	TLS *tls.Config
	// Timeout bounds one request; zero means 10s.
	Timeout time.Duration
	// AckTimeout bounds the wait for an acknowledgement; zero means 60s.
	AckTimeout time.Duration
}

const (
	defaultSourceType = "apitap:alert"
	defaultAckTimeout = 60 * time.Second
	hecPath           = "/services/collector"
)

// Validate checks the URL, the token and the channel.
func (c *HECConfig) Validate() error {
	if _, _, err := hecURLs(c.URL); err != nil {
		return err
	}
	if c.Token == "" {
		return errors.New("hec: no token")
	}
	if strings.ContainsAny(c.Token, "\r\n") {
		return errors.New("hec token: invalid characters")
	}
	if c.Channel != "" && !validUUID(c.Channel) {
		return fmt.Errorf("hec channel %q: not a uuid", c.Channel)
	}
	return nil
}

// hecURLs returns the event URL, given or completed, and the
// acknowledgement URL next to it.
func hecURLs(raw string) (event, ack string, err error) {
	u, err := checkURL("hec", raw)
	if err != nil {
		return "", "", err
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = hecPath + "/event"
	}
	i := strings.Index(u.Path, hecPath)
	if i < 0 {
		return "", "", fmt.Errorf("hec url: path %q: want %s/event", u.Path, hecPath)
	}
	a := *u
	a.Path = u.Path[:i] + hecPath + "/ack"
	a.RawPath = ""
	return u.String(), a.String(), nil
}

// HEC sends records to Splunk's HTTP Event Collector: each Send is one
// request whose body concatenates one event envelope per record,
//
//	{"time":1700000000.123,"host":"…","source":"…","sourcetype":"apitap:alert","index":"…","event":<record>}
//
// A JSON record is the event as it is; any other (CEF) becomes a JSON
// string. The time is the record's own when it has one at its top level:
// "time" in epoch seconds, epoch milliseconds (OCSF) or RFC 3339,
// "@timestamp" (ECS) or "timestamp" (EVE); the send time otherwise, so a
// resent alert keeps its place in Splunk's timeline. A record that already
// is an envelope (an object with "event" and only envelope keys) is sent
// unchanged.
//
// With Ack, Send polls the acknowledgement endpoint for the request's
// ackId until it is true, or returns ErrAckTimeout. Errors otherwise
// follow the webhook's rules: ErrRejected for a 4xx other than 408 and
// 429 (Splunk's 400 invalid data, 401/403 bad token, 404 wrong path),
// retryable otherwise, with a Retryer for a Retry-After.
type HEC struct {
	url, ackURL string
	header      http.Header
	prefix      []byte // `"host":…,"sourcetype":…` without braces, after time
	ack         bool
	ackTimeout  time.Duration
	client      *http.Client
}

var _ Transport = (*HEC)(nil)

// NewHEC returns a HEC. It connects on the first Send.
func NewHEC(cfg HECConfig) (*HEC, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	event, ack, _ := hecURLs(cfg.URL)
	if cfg.SourceType == "" {
		cfg.SourceType = defaultSourceType
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = defaultAckTimeout
	}
	h := http.Header{}
	h.Set("Authorization", "Splunk "+cfg.Token)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "apitap")
	if cfg.Ack {
		if cfg.Channel == "" {
			cfg.Channel = newUUID()
		}
		h.Set("X-Splunk-Request-Channel", cfg.Channel)
	}
	var p []byte
	field := func(k, v string) {
		if v == "" {
			return
		}
		p = append(p, ',')
		p = strconv.AppendQuote(p, k)
		p = append(p, ':')
		p = appendJSONString(p, v)
	}
	field("host", cfg.Host)
	field("source", cfg.Source)
	field("sourcetype", cfg.SourceType)
	field("index", cfg.Index)
	return &HEC{
		url:        event,
		ackURL:     ack,
		header:     h,
		prefix:     p,
		ack:        cfg.Ack,
		ackTimeout: cfg.AckTimeout,
		client:     newHTTPClient(cfg.TLS, cfg.Timeout),
	}, nil
}

// Channel returns the X-Splunk-Request-Channel (empty without Ack).
func (h *HEC) Channel() string { return h.header.Get("X-Splunk-Request-Channel") }

// Send posts all records in one request and, with Ack, waits for their
// acknowledgement.
func (h *HEC) Send(ctx context.Context, records [][]byte) error {
	if len(records) == 0 {
		return nil
	}
	body := h.appendEvents(nil, records, time.Now())
	resp, err := post(ctx, h.client, h.url, h.header, body)
	if err != nil {
		return fmt.Errorf("hec: %w", err)
	}
	if !h.ack {
		return nil
	}
	var r struct {
		AckID *int64 `json:"ackId"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return fmt.Errorf("hec response: %w", err)
	}
	if r.AckID == nil {
		// The token has acknowledgement off: Splunk took the events
		// and says no more.
		return nil
	}
	return h.waitAck(ctx, *r.AckID)
}

// Ack polling: the first poll after ackFirst, then twice as long each
// time up to ackMax.
const (
	ackFirst = 100 * time.Millisecond
	ackMax   = 5 * time.Second
)

// waitAck polls the acknowledgement endpoint until id is acknowledged,
// AckTimeout passes (ErrAckTimeout) or ctx ends.
func (h *HEC) waitAck(ctx context.Context, id int64) error {
	deadline := time.Now().Add(h.ackTimeout)
	body := []byte(`{"acks":[` + strconv.FormatInt(id, 10) + `]}`)
	key := strconv.FormatInt(id, 10)
	wait := ackFirst
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("hec ack %d: %w", id, ctx.Err())
		case <-t.C:
		}
		resp, err := post(ctx, h.client, h.ackURL, h.header, body)
		if err != nil {
			return fmt.Errorf("hec ack %d: %w", id, err)
		}
		var r struct {
			Acks map[string]bool `json:"acks"`
		}
		if err := json.Unmarshal(resp, &r); err != nil {
			return fmt.Errorf("hec ack %d response: %w", id, err)
		}
		if r.Acks[key] {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("hec ack %d after %v: %w", id, h.ackTimeout, ErrAckTimeout)
		}
		wait = min(2*wait, ackMax, left)
		t.Reset(wait)
	}
}

// appendEvents appends one envelope per record, dated now when the record
// carries no time of its own.
func (h *HEC) appendEvents(dst []byte, records [][]byte, now time.Time) []byte {
	for _, r := range records {
		dst = h.appendEvent(dst, r, now)
	}
	return dst
}

var envelopeKeys = map[string]bool{
	"time": true, "host": true, "source": true, "sourcetype": true,
	"index": true, "fields": true, "event": true,
}

func (h *HEC) appendEvent(dst, rec []byte, now time.Time) []byte {
	rec = bytes.TrimSpace(rec)
	t := now
	var top map[string]json.RawMessage
	isJSON := json.Valid(rec)
	if isJSON && len(rec) > 0 && rec[0] == '{' && json.Unmarshal(rec, &top) == nil {
		if _, ok := top["event"]; ok {
			envelope := true
			for k := range top {
				if !envelopeKeys[k] {
					envelope = false
					break
				}
			}
			if envelope {
				return append(dst, rec...)
			}
		}
		if rt, ok := recordTime(top); ok {
			t = rt
		}
	}
	dst = append(dst, `{"time":`...)
	dst = appendEpoch(dst, t)
	dst = append(dst, h.prefix...)
	dst = append(dst, `,"event":`...)
	if isJSON {
		dst = append(dst, rec...)
	} else {
		dst = appendJSONString(dst, string(rec))
	}
	return append(dst, '}')
}

// recordTime finds a record's own time at its top level: "time" (epoch
// seconds, epoch milliseconds when above 1e11, or RFC 3339), "@timestamp"
// or "timestamp" (RFC 3339, or EVE's "2006-01-02T15:04:05.999999-0700").
func recordTime(top map[string]json.RawMessage) (time.Time, bool) {
	for _, k := range []string{"time", "@timestamp", "timestamp"} {
		raw, ok := top[k]
		if !ok {
			continue
		}
		var n float64
		if json.Unmarshal(raw, &n) == nil {
			if n <= 0 || math.IsInf(n, 0) || n > 1e14 {
				continue
			}
			if n > 1e11 {
				return time.UnixMilli(int64(n)), true
			}
			sec, frac := math.Modf(n)
			return time.Unix(int64(sec), int64(frac*1e9)), true
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700"} {
				if t, err := time.Parse(layout, s); err == nil {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}

// appendEpoch appends t as epoch seconds with milliseconds, as HEC's time.
func appendEpoch(dst []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	dst = strconv.AppendInt(dst, ms/1000, 10)
	dst = append(dst, '.')
	f := ms % 1000
	if f < 100 {
		dst = append(dst, '0')
	}
	if f < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, f, 10)
}

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[c>>4], hexd[c&0xf])
	}
	return string(out)
}

// validUUID accepts the 8-4-4-4-12 hex form Splunk wants for a channel.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// Close closes idle connections.
func (h *HEC) Close() error {
	h.client.CloseIdleConnections()
	return nil
}
