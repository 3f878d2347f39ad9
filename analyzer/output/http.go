package output

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// ErrRejected is wrapped by the errors of a destination that refused
// records for good: an HTTP 4xx other than 408 and 429 (a malformed body,
// a bad token, a wrong path). Sending the same batch again would fail the
// same way, so the spool counts the batch as rejected and drops it instead
// of retrying forever: test with errors.Is(err, ErrRejected). Every other
// error (the network, a 5xx, 408, 429, an indexer that did not acknowledge)
// means the batch is to be sent again; a Retryer among them says when.
var ErrRejected = errors.New("rejected by the destination")

// HTTPError is an HTTP response that was not a success. It wraps
// ErrRejected when its status says the records are refused for good.
type HTTPError struct {
	Status int    // the response's status code
	Body   string // the start of the response body, for the log
}

func (e *HTTPError) Error() string {
	s := "http status " + strconv.Itoa(e.Status)
	if e.Body != "" {
		s += ": " + strconv.Quote(e.Body)
	}
	return s
}

// Unwrap returns ErrRejected for a permanent failure, nil otherwise.
func (e *HTTPError) Unwrap() error {
	if permanent(e.Status) {
		return ErrRejected
	}
	return nil
}

// permanent reports whether a status refuses records for good: a 4xx
// other than 408 (Request Timeout) and 429 (Too Many Requests).
func permanent(status int) bool {
	return status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// retryAfter is a retryable error whose receiver said when to try again
// (a Retry-After header). Find it with errors.As and the Retryer interface.
type retryAfter struct {
	err     error
	seconds float64
}

func (e *retryAfter) Error() string {
	return fmt.Sprintf("%v (retry after %gs)", e.err, e.seconds)
}
func (e *retryAfter) Unwrap() error       { return e.err }
func (e *retryAfter) RetryAfter() float64 { return e.seconds }

var _ Retryer = (*retryAfter)(nil)

// parseRetryAfter reads a Retry-After header, delay-seconds or an HTTP
// date, as seconds from now. It returns 0 when there is none, it is
// malformed or it lies in the past: the spool then backs off as usual.
func parseRetryAfter(v string, now time.Time) float64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 0 && s < 1e9 {
			return s
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now).Seconds(); d > 0 {
			return d
		}
	}
	return 0
}

// maxErrorBody bounds the part of an error response body kept for the
// error message; maxDrain bounds what is read past it so the connection
// can be reused.
const (
	maxErrorBody = 512
	maxDrain     = 64 << 10
)

// defaultHTTPTimeout bounds one request when a config leaves Timeout zero.
const defaultHTTPTimeout = 10 * time.Second

// newHTTPClient returns a client of its own (not http.DefaultClient, so a
// custom CA stays with this destination) with the given TLS config and
// per-request timeout.
func newHTTPClient(tc *tls.Config, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if tc != nil {
		tr.TLSClientConfig = tc.Clone()
	}
	tr.MaxIdleConnsPerHost = 4
	if timeout <= 0 {
		timeout = defaultHTTPTimeout
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// checkURL accepts an absolute http or https URL. Its error never quotes
// the URL whole: a query string may hold a token.
func checkURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s url: %w", what, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s url: scheme %q: want http or https", what, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s url: no host", what)
	}
	return u, nil
}

// post sends one POST and returns the response body of a 2xx. Other
// outcomes are errors: a network error or a timeout (retryable), an
// HTTPError (wrapping ErrRejected when permanent), wrapped in a Retryer
// when the response carried a usable Retry-After.
func post(ctx context.Context, c *http.Client, target string, h http.Header, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		// *url.Error quotes the URL: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxDrain))
		if err != nil {
			return nil, fmt.Errorf("read response: %w", err)
		}
		return b, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	var he error = &HTTPError{Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	if !permanent(resp.StatusCode) {
		if s := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); s > 0 {
			he = &retryAfter{err: he, seconds: s}
		}
	}
	return nil, he
}

// LoadCA reads PEM certificates from file and returns a TLS config that
// trusts them, and only them, as roots: for a receiver whose certificate
// a private CA signed.
func LoadCA(file string) (*tls.Config, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("load ca %s: no PEM certificate", file)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// WebhookConfig configures a Webhook.
type WebhookConfig struct {
	// URL receives the POSTs: http or https.
	URL string
	// Secret, if set, is the HMAC-SHA256 key that signs each body into
	// the X-Apitap-Signature header ("sha256=" and the hex MAC).
	Secret []byte
	// Headers are added to each request (an Authorization, say). They
	// cannot replace Content-Type, Idempotency-Key, X-Apitap-Signature
	// or User-Agent.
	Headers map[string]string
	// TLS is the client's TLS config (a custom CA: see LoadCA); nil uses
	// the system roots.
	TLS *tls.Config
	// Timeout bounds one request; zero means 10s.
	Timeout time.Duration
	// Batch sends each Send's records as one JSON array per request
	// instead of one request per record.
	Batch bool
}

// Validate checks the URL and the extra headers.
func (c *WebhookConfig) Validate() error {
	if _, err := checkURL("webhook", c.URL); err != nil {
		return err
	}
	for k, v := range c.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("webhook header name %q", k)
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return fmt.Errorf("webhook header %s: invalid value", k)
		}
	}
	return nil
}

// Webhook POSTs records, each an encoded JSON document, to a URL: one
// record per request, or with Batch one JSON array per Send. Every request
// carries an Idempotency-Key, the hex SHA-256 of its body, so a receiver
// can drop the copies a retry sends again; and with a Secret, the body's
// HMAC-SHA256 in X-Apitap-Signature. A 2xx is success. Errors follow
// post's rules: ErrRejected for a 4xx other than 408 and 429, retryable
// otherwise, with a Retryer for a Retry-After. Because of the
// Idempotency-Key, net/http itself resends a request once when a kept-alive
// connection closed before any response.
type Webhook struct {
	url    string
	secret []byte
	batch  bool
	header http.Header // the fixed headers, shared read-only by requests
	client *http.Client
}

var _ Transport = (*Webhook)(nil)

// NewWebhook returns a Webhook. It connects on the first Send.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := make(http.Header, len(cfg.Headers)+2)
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	for _, k := range []string{"Content-Type", "Idempotency-Key", "X-Apitap-Signature"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "apitap")
	return &Webhook{
		url:    cfg.URL,
		secret: bytes.Clone(cfg.Secret),
		batch:  cfg.Batch,
		header: h,
		client: newHTTPClient(cfg.TLS, cfg.Timeout),
	}, nil
}

// Send POSTs the records in order and stops at the first failure: the
// spool sends the whole batch again, and the receiver drops the records it
// already has by their Idempotency-Key.
func (w *Webhook) Send(ctx context.Context, records [][]byte) error {
	if len(records) == 0 {
		return nil
	}
	if w.batch {
		n := 2
		for _, r := range records {
			n += len(r) + 1
		}
		body := make([]byte, 0, n)
		body = append(body, '[')
		for i, r := range records {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, r...)
		}
		body = append(body, ']')
		if err := w.post(ctx, body); err != nil {
			return fmt.Errorf("webhook: %w", err)
		}
		return nil
	}
	for i, r := range records {
		if err := w.post(ctx, r); err != nil {
			if len(records) > 1 {
				return fmt.Errorf("webhook record %d of %d: %w", i+1, len(records), err)
			}
			return fmt.Errorf("webhook: %w", err)
		}
	}
	return nil
}

func (w *Webhook) post(ctx context.Context, body []byte) error {
	h := w.header.Clone()
	sum := sha256.Sum256(body)
	h.Set("Idempotency-Key", hex.EncodeToString(sum[:]))
	if len(w.secret) > 0 {
		h.Set("X-Apitap-Signature", Sign(w.secret, body))
	}
	_, err := post(ctx, w.client, w.url, h, body)
	return err
}

// Sign returns the X-Apitap-Signature of body under secret: "sha256="
// and the hex HMAC-SHA256. A receiver recomputes it over the raw body and
// compares with hmac.Equal.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Close closes idle connections.
func (w *Webhook) Close() error {
	w.client.CloseIdleConnections()
	return nil
}
