package output

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fault is what the receiver does to one request instead of taking it.
type fault struct {
	status     int    // respond with this status
	retryAfter string // and this Retry-After
	hangup     bool   // or close the connection without a response
}

// receiver is a webhook receiver as a SIEM's would be: it checks each
// request's headers and signature, drops the copies of bodies it already
// has by Idempotency-Key, and fails the requests it is told to.
type receiver struct {
	t      *testing.T
	secret []byte
	header map[string]string // headers every request must carry

	mu     sync.Mutex
	faults map[int]fault // by request number, from 1
	n      int           // requests seen
	seen   map[string]bool
	bodies [][]byte // bodies taken, in order, without copies
	dups   int      // copies dropped
}

func newReceiver(t *testing.T, secret []byte) *receiver {
	return &receiver{t: t, secret: secret, faults: map[int]fault{}, seen: map[string]bool{}}
}

// failAt makes request number n (from 1) fail as f.
func (rc *receiver) failAt(n int, f fault) {
	rc.mu.Lock()
	rc.faults[n] = f
	rc.mu.Unlock()
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("read body: %v", err)
		return
	}
	rc.mu.Lock()
	rc.n++
	f, failing := rc.faults[rc.n]
	rc.mu.Unlock()
	if failing {
		if f.hangup {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				rc.t.Errorf("hijack: %v", err)
				return
			}
			conn.Close()
			return
		}
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	if r.Method != http.MethodPost {
		rc.t.Errorf("method %s", r.Method)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "apitap"} {
		if got := r.Header.Get(k); got != want {
			rc.t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for k, want := range rc.header {
		if got := r.Header.Get(k); got != want {
			rc.t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	sum := sha256.Sum256(body)
	key := r.Header.Get("Idempotency-Key")
	if key != hex.EncodeToString(sum[:]) {
		rc.t.Errorf("Idempotency-Key %q is not the body's SHA-256", key)
	}
	sig := r.Header.Get("X-Apitap-Signature")
	if rc.secret == nil {
		if sig != "" {
			rc.t.Errorf("signature %q without a secret", sig)
		}
	} else {
		m := hmac.New(sha256.New, rc.secret)
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(sig), []byte(want)) {
			rc.t.Errorf("X-Apitap-Signature %q, want %q", sig, want)
		}
	}
	if !json.Valid(body) {
		rc.t.Errorf("body is not JSON: %q", body)
	}
	rc.mu.Lock()
	if rc.seen[key] {
		rc.dups++
	} else {
		rc.seen[key] = true
		rc.bodies = append(rc.bodies, body)
	}
	rc.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (rc *receiver) taken() (bodies [][]byte, dups int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies...), rc.dups
}

func testRecords(n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = []byte(`{"id":"a` + string(rune('0'+i)) + `","severity":"high","message":"SQL injection on POST /login"}`)
	}
	return recs
}

func TestWebhookSend(t *testing.T) {
	rc := newReceiver(t, []byte("s3cret"))
	rc.header = map[string]string{"Authorization": "Bearer abc"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	w, err := NewWebhook(WebhookConfig{
		URL:    srv.URL + "/hook",
		Secret: []byte("s3cret"),
		// A config header may not replace the signature or the type.
		Headers: map[string]string{"Authorization": "Bearer abc", "Content-Type": "text/plain", "X-Apitap-Signature": "forged"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	recs := testRecords(3)
	if err := w.Send(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	got, _ := rc.taken()
	if len(got) != 3 {
		t.Fatalf("receiver has %d bodies, want 3", len(got))
	}
	for i := range recs {
		if !bytes.Equal(got[i], recs[i]) {
			t.Errorf("body %d = %s, want %s", i, got[i], recs[i])
		}
	}
}

func TestWebhookBatch(t *testing.T) {
	rc := newReceiver(t, nil)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	w, err := NewWebhook(WebhookConfig{URL: srv.URL, Batch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	recs := testRecords(3)
	if err := w.Send(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	got, _ := rc.taken()
	if len(got) != 1 {
		t.Fatalf("receiver has %d bodies, want 1", len(got))
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(got[0], &arr); err != nil {
		t.Fatalf("batch body %s: %v", got[0], err)
	}
	if len(arr) != 3 {
		t.Fatalf("batch of %d, want 3", len(arr))
	}
	for i := range recs {
		if !bytes.Equal(arr[i], recs[i]) {
			t.Errorf("element %d = %s, want %s", i, arr[i], recs[i])
		}
	}
}

// TestWebhookRetry fails the second request of a batch; the whole batch
// is sent again, and the receiver has each record once.
func TestWebhookRetry(t *testing.T) {
	date := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name  string
		fault fault
		after float64 // Retry-After seconds; 0 for none, -1 for about 30
	}{
		{"500", fault{status: 500}, 0},
		{"502", fault{status: 502}, 0},
		{"408", fault{status: 408}, 0},
		{"503 retry-after seconds", fault{status: 503, retryAfter: "7"}, 7},
		{"429 retry-after date", fault{status: 429, retryAfter: date}, -1},
		{"429 retry-after junk", fault{status: 429, retryAfter: "soon"}, 0},
		{"connection closed", fault{hangup: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, []byte("k"))
			rc.failAt(2, tc.fault)
			if tc.fault.hangup {
				// The transport retries a request with an
				// Idempotency-Key once on a reused connection.
				rc.failAt(3, tc.fault)
			}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			w, err := NewWebhook(WebhookConfig{URL: srv.URL, Secret: []byte("k")})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			recs := testRecords(3)
			err = w.Send(context.Background(), recs)
			if err == nil {
				t.Fatal("Send succeeded through a failure")
			}
			if errors.Is(err, ErrRejected) {
				t.Fatalf("retryable failure is ErrRejected: %v", err)
			}
			var r Retryer
			switch {
			case tc.after == 0:
				if errors.As(err, &r) {
					t.Errorf("Retryer %v without a Retry-After: %v", r.RetryAfter(), err)
				}
			case !errors.As(err, &r):
				t.Errorf("no Retryer: %v", err)
			case tc.after > 0 && r.RetryAfter() != tc.after:
				t.Errorf("RetryAfter = %v, want %v", r.RetryAfter(), tc.after)
			case tc.after < 0 && (r.RetryAfter() < 25 || r.RetryAfter() > 31):
				t.Errorf("RetryAfter = %v, want about 30", r.RetryAfter())
			}
			for try := 1; ; try++ {
				err := w.Send(context.Background(), recs)
				if err == nil {
					break
				}
				if try == 3 {
					t.Fatalf("Send %d: %v", try+1, err)
				}
			}
			got, dups := rc.taken()
			if len(got) != 3 || dups < 1 {
				t.Fatalf("receiver took %d bodies and dropped %d copies, want 3 and some", len(got), dups)
			}
			for i := range recs {
				if !bytes.Equal(got[i], recs[i]) {
					t.Errorf("body %d = %s, want %s", i, got[i], recs[i])
				}
			}
		})
	}
}

func TestWebhookRejected(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 413, 422} {
		rc := newReceiver(t, nil)
		rc.failAt(1, fault{status: status, retryAfter: "5"})
		srv := httptest.NewServer(rc)
		w, err := NewWebhook(WebhookConfig{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		err = w.Send(context.Background(), testRecords(1))
		if !errors.Is(err, ErrRejected) {
			t.Errorf("status %d: %v is not ErrRejected", status, err)
		}
		var he *HTTPError
		if !errors.As(err, &he) || he.Status != status {
			t.Errorf("status %d: no HTTPError with the status in %v", status, err)
		}
		var r Retryer
		if errors.As(err, &r) {
			t.Errorf("status %d: a rejection is a Retryer", status)
		}
		w.Close()
		srv.Close()
	}
}

// TestWebhookTimeout: a receiver that does not answer within Timeout is
// a retryable error.
func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	w, err := NewWebhook(WebhookConfig{URL: srv.URL, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	start := time.Now()
	err = w.Send(context.Background(), testRecords(1))
	if err == nil || errors.Is(err, ErrRejected) {
		t.Fatalf("Send = %v, want a retryable error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Send took %v", d)
	}
	if strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error quotes the URL: %v", err)
	}
}

// TestWebhookTLS: a receiver whose certificate a private CA signed is
// trusted through LoadCA, and not without it.
func TestWebhookTLS(t *testing.T) {
	caFile, cert := testCA(t)
	rc := newReceiver(t, nil)
	srv := httptest.NewUnstartedServer(rc)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake that fails on purpose
	srv.StartTLS()
	defer srv.Close()

	tc, err := LoadCA(caFile)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWebhook(WebhookConfig{URL: srv.URL, TLS: tc})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Send(context.Background(), testRecords(2)); err != nil {
		t.Fatal(err)
	}
	if got, _ := rc.taken(); len(got) != 2 {
		t.Fatalf("receiver has %d bodies, want 2", len(got))
	}

	plain, err := NewWebhook(WebhookConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	err = plain.Send(context.Background(), testRecords(1))
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Fatalf("Send without the CA = %v, want an unknown authority", err)
	}
	if errors.Is(err, ErrRejected) {
		t.Fatal("a TLS failure is ErrRejected")
	}

	if _, err := LoadCA(filepath.Join(t.TempDir(), "none.pem")); err == nil {
		t.Error("LoadCA of a missing file succeeded")
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(empty); err == nil {
		t.Error("LoadCA of a file without PEM succeeded")
	}
}

// testCA makes a CA, writes it as PEM to a file, and returns the file and
// a certificate it signed for 127.0.0.1.
func testCA(t *testing.T) (caFile string, leaf tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "apitap test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "siem.test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want float64
	}{
		{"", 0},
		{"120", 120},
		{" 1.5 ", 1.5},
		{"0", 0},
		{"-3", 0},
		{"Mon, 23 Nov 2026 12:01:00 GMT", 60},
		{"Mon, 23 Nov 2026 11:59:00 GMT", 0},
		{"tomorrow", 0},
	} {
		if got := parseRetryAfter(tc.v, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestWebhookConfig(t *testing.T) {
	for _, cfg := range []WebhookConfig{
		{URL: ""},
		{URL: "ftp://siem.test/"},
		{URL: "https:///hook"},
		{URL: "https://siem.test/", Headers: map[string]string{"Bad Name": "x"}},
		{URL: "https://siem.test/", Headers: map[string]string{"X-Ok": "line\nbreak"}},
	} {
		if _, err := NewWebhook(cfg); err == nil {
			t.Errorf("NewWebhook(%+v) succeeded", cfg)
		}
	}
	w, err := NewWebhook(WebhookConfig{URL: "https://siem.test/hook"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(context.Background(), nil); err != nil {
		t.Errorf("Send of no records: %v", err)
	}
}

// A receiver checks X-Apitap-Signature over the raw body with the shared
// secret, and drops a resent body by its Idempotency-Key.
func ExampleNewWebhook() {
	secret := []byte("shared secret")
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !hmac.Equal([]byte(r.Header.Get("X-Apitap-Signature")), []byte(Sign(secret, body))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if key := r.Header.Get("Idempotency-Key"); !seen[key] {
			seen[key] = true
			fmt.Printf("alert %s\n", body)
		}
	}))
	defer srv.Close()

	w, err := NewWebhook(WebhookConfig{URL: srv.URL, Secret: secret})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	rec := [][]byte{[]byte(`{"type":"sqli","severity":"high"}`)}
	for range 2 { // the second Send is a resend
		if err := w.Send(context.Background(), rec); err != nil {
			fmt.Println(err)
		}
	}
	// Output: alert {"type":"sqli","severity":"high"}
}
