package output

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/octetcounting"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

// syslogTestRecords are the records of testdata/syslog/records.txt
// (unicode, quotes, a CEF line with pipes, backslashes and a tab, a
// record that looks like syslog) and one of 10 KiB.
func syslogTestRecords(t *testing.T) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/syslog/records.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	big := []byte(`{"message":"` + strings.Repeat("0123456789abcdé", 700) + `"}`)
	return append(out, big)
}

// syslogTestCheck parses each line as RFC 5424 and checks that it
// carries the record, with cfg's header fields.
func syslogTestCheck(t *testing.T, lines [][]byte, records [][]byte, sev uint8) {
	t.Helper()
	if len(lines) != len(records) {
		t.Fatalf("received %d messages, want %d", len(lines), len(records))
	}
	p := rfc5424.NewParser()
	for i, l := range lines {
		msg, err := p.Parse(l)
		if err != nil {
			t.Errorf("message %d: %v: %.100q", i, err, l)
			continue
		}
		m := msg.(*rfc5424.SyslogMessage)
		if got := syslogTestString(m.Message); got != string(records[i]) {
			t.Errorf("message %d: MSG\n%.200q, want\n%.200q", i, got, records[i])
		}
		if *m.Facility != 16 || *m.Severity != sev {
			t.Errorf("message %d: facility %d severity %d, want 16 %d", i, *m.Facility, *m.Severity, sev)
		}
		if syslogTestString(m.Appname) != "apitap" || syslogTestString(m.Hostname) != "sensor-1" ||
			syslogTestString(m.MsgID) != "alert" || syslogTestString(m.ProcID) != fmt.Sprint(os.Getpid()) {
			t.Errorf("message %d: header %q", i, l[:min(len(l), 80)])
		}
		if m.Timestamp == nil || time.Since(*m.Timestamp) > time.Minute {
			t.Errorf("message %d: timestamp %v", i, m.Timestamp)
		}
	}
}

func syslogTestString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// rsyslog is an rsyslogd the test runs, configured from
// testdata/syslog/rsyslog.conf.tmpl.
type rsyslog struct {
	t    *testing.T
	bin  string
	Dir  string
	Out  string // what rsyslog received, a raw message a line
	Port int
	// Network is "udp", "tcp" or "tls".
	Network       string
	TLS           bool
	CA, Cert, Key string
	AuthMode      string

	conf, pid string
	cmd       *exec.Cmd
	done      chan struct{}
	stderr    bytes.Buffer
}

// rsyslogBinary finds rsyslogd, or skips the test (fails it when
// APITAP_REQUIRE_SYSLOG is set, as in CI).
func rsyslogBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("rsyslogd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/rsyslogd"); err == nil {
		return "/usr/sbin/rsyslogd"
	}
	if os.Getenv("APITAP_REQUIRE_SYSLOG") != "" {
		t.Fatal("rsyslogd not found (apt-get install rsyslog rsyslog-gnutls)")
	}
	t.Skip("rsyslogd not found")
	return ""
}

// rsyslogStart writes the configuration for network ("udp", "tcp",
// "tls") on a free port, starts rsyslogd and waits until it listens.
func rsyslogStart(t *testing.T, network string, pki *syslogTestPKI) *rsyslog {
	t.Helper()
	r := &rsyslog{t: t, bin: rsyslogBinary(t), Dir: t.TempDir(), Network: network}
	r.Out = filepath.Join(r.Dir, "received.log")
	r.conf = filepath.Join(r.Dir, "rsyslog.conf")
	r.pid = filepath.Join(r.Dir, "rsyslogd.pid")
	if network == "tls" {
		r.TLS, r.CA, r.Cert, r.Key, r.AuthMode = true, pki.CA, pki.ServerCert, pki.ServerKey, pki.AuthMode
	}
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r.Port = c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r.Port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	tmpl := template.Must(template.ParseFiles("testdata/syslog/rsyslog.conf.tmpl"))
	var conf bytes.Buffer
	if err := tmpl.Execute(&conf, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.conf, conf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *rsyslog) Addr() string { return fmt.Sprintf("127.0.0.1:%d", r.Port) }

func (r *rsyslog) start() {
	t := r.t
	t.Helper()
	r.stderr.Reset()
	r.cmd = exec.Command(r.bin, "-n", "-f", r.conf, "-i", r.pid)
	r.cmd.Stdout, r.cmd.Stderr = &r.stderr, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	r.done = done
	go func() { r.cmd.Wait(); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("rsyslogd exited: %v\n%s", r.cmd.ProcessState, r.stderr.Bytes())
		default:
		}
		if r.listening() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd does not listen on %s\n%s", r.Addr(), r.stderr.Bytes())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listening reports whether rsyslogd has bound its port.
func (r *rsyslog) listening() bool {
	if r.Network == "udp" {
		// A UDP port can't be probed from outside: try to bind it.
		c, err := net.ListenPacket("udp", r.Addr())
		if err == nil {
			c.Close()
			return false
		}
		return true
	}
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// stop stops rsyslogd, which writes out what it received.
func (r *rsyslog) stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
		r.t.Errorf("rsyslogd did not stop on SIGTERM")
	}
	r.cmd = nil
}

// received waits until rsyslog wrote n messages and returns them.
func (r *rsyslog) received(n int) [][]byte {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines := r.lines()
		if len(lines) >= n || time.Now().After(deadline) {
			// Let a message beyond n show up before checking.
			time.Sleep(100 * time.Millisecond)
			return r.lines()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rsyslog) lines() [][]byte {
	b, err := os.ReadFile(r.Out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		r.t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}

func syslogTestConfig(r *rsyslog) SyslogConfig {
	return SyslogConfig{Network: r.Network, Addr: r.Addr(), Hostname: "sensor-1", MsgID: "alert"}
}

func TestSyslogTCP(t *testing.T) {
	r := rsyslogStart(t, "tcp", nil)
	s, err := NewSyslog(syslogTestConfig(r))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	records := syslogTestRecords(t)
	// One record alone, then the others in one batch.
	if err := s.Send(context.Background(), records[:1]); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), records[1:]); err != nil {
		t.Fatal(err)
	}
	syslogTestCheck(t, r.received(len(records)), records, SyslogNotice)
}

func TestSyslogUDP(t *testing.T) {
	r := rsyslogStart(t, "udp", nil)
	s, err := NewSyslog(syslogTestConfig(r))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	records := syslogTestRecords(t)
	if err := s.Send(context.Background(), records); err != nil {
		t.Fatal(err)
	}
	syslogTestCheck(t, r.received(len(records)), records, SyslogNotice)
}

func TestSyslogTLS(t *testing.T) {
	pki := syslogTestNewPKI(t)
	pki.AuthMode = "x509/certvalid" // rsyslog asks for our certificate
	r := rsyslogStart(t, "tls", pki)
	cfg := syslogTestConfig(r)
	cfg.CAFile, cfg.CertFile, cfg.KeyFile = pki.CA, pki.ClientCert, pki.ClientKey
	cfg.ServerName = "syslog.test"
	// The severity comes from the record.
	cfg.Severity = func([]byte) int { return SyslogWarning }
	s, err := NewSyslog(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	records := syslogTestRecords(t)
	for i := range records {
		if err := s.Send(context.Background(), records[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	syslogTestCheck(t, r.received(len(records)), records, SyslogWarning)

	t.Run("UnknownCA", func(t *testing.T) {
		other := syslogTestNewPKI(t)
		cfg := syslogTestConfig(r)
		cfg.CAFile, cfg.ServerName = other.CA, "syslog.test"
		s, err := NewSyslog(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var uerr x509.UnknownAuthorityError
		if err := s.Send(context.Background(), records[:1]); !errors.As(err, &uerr) {
			t.Errorf("Send with the wrong CA: %v, want an unknown authority", err)
		}
	})
	t.Run("NoClientCert", func(t *testing.T) {
		cfg := syslogTestConfig(r)
		cfg.CAFile, cfg.ServerName = pki.CA, "syslog.test"
		s, err := NewSyslog(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		err = s.Send(context.Background(), records[:1])
		t.Logf("Send without a client certificate: %v", err)
		if err == nil {
			t.Error("Send without the client certificate rsyslog asks for succeeded")
		}
	})
	t.Run("WrongName", func(t *testing.T) {
		cfg := syslogTestConfig(r)
		cfg.CAFile, cfg.ServerName = pki.CA, "other.test"
		s, err := NewSyslog(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var herr x509.HostnameError
		if err := s.Send(context.Background(), records[:1]); !errors.As(err, &herr) {
			t.Errorf("Send to the wrong name: %v, want a hostname error", err)
		}
	})
}

// TestSyslogOutage stops rsyslog between two batches: Send fails, and
// once rsyslog is back the retried batch arrives, once.
func TestSyslogOutage(t *testing.T) {
	for _, network := range []string{"tcp", "tls"} {
		t.Run(network, func(t *testing.T) {
			var pki *syslogTestPKI
			if network == "tls" {
				pki = syslogTestNewPKI(t)
				pki.AuthMode = "anon"
			}
			r := rsyslogStart(t, network, pki)
			cfg := syslogTestConfig(r)
			if pki != nil {
				cfg.CAFile, cfg.ServerName = pki.CA, "syslog.test"
			}
			s, err := NewSyslog(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			batch := func(name string, n int) [][]byte {
				var b [][]byte
				for i := range n {
					b = append(b, fmt.Appendf(nil, `{"batch":%q,"i":%d}`, name, i))
				}
				return b
			}
			a, b, c := batch("a", 3), batch("b", 4), batch("c", 2)
			ctx := context.Background()
			if err := s.Send(ctx, a); err != nil {
				t.Fatal(err)
			}
			if got := r.received(len(a)); len(got) != len(a) {
				t.Fatalf("received %d messages, want %d", len(got), len(a))
			}

			r.stop()
			for range 2 {
				if err := s.Send(ctx, b); err == nil {
					t.Fatal("Send succeeded with rsyslog stopped")
				} else {
					t.Logf("rsyslog stopped: %v", err)
				}
			}

			r.start()
			for _, batch := range [][][]byte{b, c} {
				if err := s.Send(ctx, batch); err != nil {
					t.Fatal(err)
				}
			}
			want := append(append(append([][]byte(nil), a...), b...), c...)
			for i := range want {
				want[i] = bytes.Clone(want[i])
			}
			syslogTestCheck(t, r.received(len(want)), want, SyslogNotice)
		})
	}
}

// TestSyslogTLSClientCert checks, against crypto/tls's server, that a
// server that accepts the client's certificate gets the records without
// the verdict wait (its session ticket ends it), and that one that
// refuses it fails Send.
func TestSyslogTLSClientCert(t *testing.T) {
	pki := syslogTestNewPKI(t)
	cert, err := tls.LoadX509KeyPair(pki.ServerCert, pki.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(pki.CA)
	pool.AppendCertsFromPEM(caPEM)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []syslog.Result, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var res []syslog.Result
				octetcounting.NewParser(syslog.WithListener(func(r *syslog.Result) {
					res = append(res, *r)
				})).Parse(c)
				got <- res
			}()
		}
	}()
	records := syslogTestRecords(t)[:3]
	cfg := SyslogConfig{Network: "tls", Addr: l.Addr().String(), CAFile: pki.CA, ServerName: "syslog.test",
		CertFile: pki.ClientCert, KeyFile: pki.ClientKey}
	s, err := NewSyslog(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Send(context.Background(), records); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Send took %s: the session ticket did not end the wait", d)
	}
	s.Close()
	if res := <-got; len(res) != len(records) {
		t.Errorf("server parsed %d messages, want %d", len(res), len(records))
	}

	cfg.CertFile, cfg.KeyFile = "", ""
	if s, err = NewSyslog(cfg); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Send(context.Background(), records); err == nil {
		t.Error("Send without a client certificate succeeded")
	} else {
		t.Logf("Send without a client certificate: %v", err)
	}
}

// TestSyslogFraming reads what Send writes with go-syslog's RFC 6587
// octet-counting parser, without rsyslog.
func TestSyslogFraming(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	records := syslogTestRecords(t)
	got := make(chan []syslog.Result, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		var res []syslog.Result
		octetcounting.NewParser(syslog.WithMaxMessageLength(64<<10), syslog.WithListener(func(r *syslog.Result) {
			res = append(res, *r)
		})).Parse(c)
		got <- res
	}()
	s, err := NewSyslog(SyslogConfig{Addr: l.Addr().String(), Hostname: "sensor-1", MsgID: "alert", Facility: "local0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), records); err != nil {
		t.Fatal(err)
	}
	s.Close()
	res := <-got
	if len(res) != len(records) {
		t.Fatalf("parsed %d messages, want %d", len(res), len(records))
	}
	for i, r := range res {
		if r.Error != nil {
			t.Fatalf("message %d: %v", i, r.Error)
		}
		m := r.Message.(*rfc5424.SyslogMessage)
		if syslogTestString(m.Message) != string(records[i]) {
			t.Errorf("message %d: %.80q, want %.80q", i, syslogTestString(m.Message), records[i])
		}
	}
}

func TestSyslogConfigValidate(t *testing.T) {
	for _, c := range []SyslogConfig{
		{},
		{Addr: "host"},
		{Addr: "h:514", Network: "sctp"},
		{Addr: "h:514", Facility: "local8"},
		{Addr: "h:514", Network: "tcp", CAFile: "ca.pem"},
		{Addr: "h:514", Network: "tls", CertFile: "c.pem"},
		{Addr: "h:514", AppName: "has space"},
		{Addr: "h:514", AppName: strings.Repeat("a", 49)},
		{Addr: "h:514", Hostname: "caf\u00e9"},
		{Addr: "h:514", MsgID: strings.Repeat("m", 33)},
		{Addr: "h:514", Network: "tls", CAFile: "/nonexistent"},
		{Addr: "h:514", Timeout: -1},
	} {
		if _, err := NewSyslog(c); err == nil {
			t.Errorf("NewSyslog(%+v) accepted", c)
		}
	}
	s, err := NewSyslog(SyslogConfig{Addr: "h:514", Facility: "local7", Severity: func([]byte) int { return 9 }})
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	b, err := s.message(nil, []byte("x"), time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC))
	want := fmt.Sprintf("<189>1 2026-01-02T03:04:05.000006Z %s apitap %d - - x", host, os.Getpid())
	if err != nil || string(b) != want {
		t.Errorf("message %q, %v; want %q", b, err, want)
	}
}

// syslogTestPKI is a CA, a server certificate for syslog.test and
// 127.0.0.1 and a client certificate, as PEM files.
type syslogTestPKI struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	AuthMode                                         string
}

func syslogTestNewPKI(t *testing.T) *syslogTestPKI {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	serial := int64(1)
	tmpl := func(cn string) *x509.Certificate {
		serial++
		return &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
		}
	}
	caKey := newKey()
	ca := tmpl("apitap test CA")
	ca.IsCA, ca.BasicConstraintsValid = true, true
	ca.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		t.Fatal(err)
	}
	p := &syslogTestPKI{CA: write("ca.pem", "CERTIFICATE", caDER)}
	leaf := func(name, cn string, usage x509.ExtKeyUsage) (cert, key string) {
		k := newKey()
		c := tmpl(cn)
		c.KeyUsage = x509.KeyUsageDigitalSignature
		c.ExtKeyUsage = []x509.ExtKeyUsage{usage}
		if usage == x509.ExtKeyUsageServerAuth {
			c.DNSNames = []string{cn}
			c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		}
		der, err := x509.CreateCertificate(rand.Reader, c, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "PRIVATE KEY", kder)
	}
	p.ServerCert, p.ServerKey = leaf("server", "syslog.test", x509.ExtKeyUsageServerAuth)
	p.ClientCert, p.ClientKey = leaf("client", "sensor-1", x509.ExtKeyUsageClientAuth)
	return p
}

func ExampleSyslog() {
	s, err := NewSyslog(SyslogConfig{
		Network:  "tls",
		Addr:     "siem.example:6514",
		Facility: "local3",
		MsgID:    "alert",
		CAFile:   "/etc/apitap/siem-ca.pem",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	// The spool retries a batch whose Send failed.
	err = s.Send(context.Background(), [][]byte{[]byte(`{"alert":"sqli"}`)})
	fmt.Println(err)
}

// TestSyslogCEFThroughRsyslog: alerts encoded as CEF (pipes, backslashes,
// equals signs and quotes in their routes and evidence) go through the
// spool and the TLS transport to a real rsyslog, and come out of its file
// as the same CEF lines, one per alert state change, in order.
func TestSyslogCEFThroughRsyslog(t *testing.T) {
	pki := syslogTestNewPKI(t)
	pki.AuthMode = "anon" // any client; the client still checks the server
	r := rsyslogStart(t, "tls", pki)
	cfg := syslogTestConfig(r)
	cfg.CAFile, cfg.ServerName = pki.CA, "syslog.test"
	s, err := NewSyslog(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cef := NewCEF(alert.ProductInfo{Version: "test"})
	sp, err := NewSpool(SpoolConfig{Path: filepath.Join(t.TempDir(), "spool.db")}, []Destination{{Name: "siem", Format: cef, Transport: s}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	for i, route := range []string{`/a|b`, `/c\d`, `/e=f`, `/"quoted"`} {
		a := testAlert(fmt.Sprint("id", i), alert.High, alert.Injection)
		a.Route = route
		a.Evidence.Detail = `sqli attempt in "1' OR '1'='1" | x\y = z`
		rec, err := cef.Append(nil, a)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, rec)
		if err := sp.Send(a); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if left := sp.Drain(ctx); left != 0 {
		t.Fatalf("%d records not delivered", left)
	}
	sp.Close(ctx)
	syslogTestCheck(t, r.received(len(want)), want, SyslogNotice)
}
