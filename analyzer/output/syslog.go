package output

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/leodido/go-syslog/v4/rfc5424"
)

// Syslog severities (RFC 5424 section 6.2.1), for SyslogConfig.Severity.
const (
	SyslogEmergency = 0
	SyslogAlert     = 1
	SyslogCritical  = 2
	SyslogError     = 3
	SyslogWarning   = 4
	SyslogNotice    = 5
	SyslogInfo      = 6
	SyslogDebug     = 7
)

// syslogFacilities maps the names SyslogConfig.Facility takes to their
// codes (RFC 5424 section 6.2.1).
var syslogFacilities = map[string]uint8{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5,
	"lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"ntp": 12, "security": 13, "console": 14, "solaris-cron": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// SyslogConfig configures a Syslog transport. Only Addr is required.
type SyslogConfig struct {
	// Network is "udp", "tcp" (RFC 6587 octet counting) or "tls"
	// (RFC 5425: octet counting over TLS). Empty means "tcp".
	Network string
	// Addr is the receiver's host:port, e.g. siem.example:6514.
	Addr string
	// Facility is the facility's name: "local0" (the default) to
	// "local7", "user", "daemon", "auth", "security"...
	Facility string
	// AppName is the APP-NAME field, at most 48 printable ASCII
	// characters. Empty means "apitap".
	AppName string
	// Hostname is the HOSTNAME field. Empty means os.Hostname.
	Hostname string
	// MsgID is the MSGID field, at most 32 printable ASCII characters,
	// the same for every record (the records are already encoded, so
	// the alert's type is not at hand). Empty means NILVALUE ("-").
	MsgID string
	// Severity gives a record's severity, SyslogEmergency (0) to
	// SyslogDebug (7), e.g. by looking up a field the Format wrote.
	// Nil, or a value out of range, means SyslogNotice: an alert is
	// a normal but significant condition.
	Severity func(record []byte) int
	// TLS, for Network "tls", is the base TLS configuration (cloned).
	// Nil means the system's roots, TLS 1.2 at least. CAFile, CertFile,
	// KeyFile and ServerName below are applied to it.
	TLS *tls.Config
	// CAFile, for Network "tls", is a PEM file of the CAs the
	// receiver's certificate must chain to, instead of the system's.
	CAFile string
	// CertFile and KeyFile, for Network "tls", are the PEM client
	// certificate and key presented to receivers that ask for one.
	CertFile, KeyFile string
	// ServerName, for Network "tls", is the name the receiver's
	// certificate must hold. Empty means Addr's host.
	ServerName string
	// Timeout bounds the dial, and the write of one batch, when the
	// context has no earlier deadline. Zero means 10s.
	Timeout time.Duration
}

// Validate reports a configuration NewSyslog refuses.
func (c SyslogConfig) Validate() error {
	switch c.Network {
	case "", "udp", "tcp", "tls":
	default:
		return fmt.Errorf("syslog: network %q: want udp, tcp or tls", c.Network)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("syslog: address %q: %w", c.Addr, err)
	}
	if _, ok := syslogFacilities[c.Facility]; !ok && c.Facility != "" {
		return fmt.Errorf("syslog: facility %q", c.Facility)
	}
	if c.Network != "tls" && (c.TLS != nil || c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != "") {
		return fmt.Errorf("syslog: TLS settings with network %q", c.Network)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("syslog: a client certificate needs both a cert and a key file")
	}
	if c.Timeout < 0 {
		return fmt.Errorf("syslog: negative timeout %s", c.Timeout)
	}
	return nil
}

// Syslog is a Transport that sends each record as the MSG of one RFC
// 5424 message: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG,
// with the time of sending and apitap's process id. MSG is the record
// as it is, without a BOM.
//
// Over "tcp" and "tls" a batch is written as octet-counted frames ("LEN
// SP MSG", RFC 6587 and 5425) in one write; Send returns nil once the
// kernel took them. Syslog has no acknowledgements: a receiver that dies
// at that moment loses what was in flight, which Send cannot see (an
// HTTP or Kafka destination acknowledges). Before each batch Send checks
// that the receiver has not closed the connection, and redials if so.
// After an error the connection is closed; the next Send redials, and
// the retried batch may repeat records the receiver already had.
//
// A TLS 1.3 receiver that asks for a client certificate accepts or
// refuses it only after the client's handshake: the dial waits for its
// session ticket or its alert, at most a second (rsyslog's GnuTLS driver
// sends no ticket, so its connections take that second), so that a
// refused certificate is an error of Send and not a silent loss.
//
// Over "udp" each message is one datagram, and Send returns nil once
// they are written: datagrams are lost without a word when the receiver
// is down, slow or far, and a message longer than the path's MTU is
// fragmented or dropped. Use UDP only where nothing else is accepted.
//
// Receivers cut long messages: rsyslog at its maxMessageSize (8 KiB by
// default, global(maxMessageSize="64k") raises it), syslog-ng at
// log-msg-size.
type Syslog struct {
	cfg      SyslogConfig
	network  string // udp or tcp
	tls      *tls.Config
	tickets  *syslogTickets
	facility uint8
	hostname string
	appName  string
	procID   string
	timeout  time.Duration

	mu   sync.Mutex
	conn net.Conn
	buf  []byte
	peek []byte
}

var _ Transport = (*Syslog)(nil)

// NewSyslog makes a Syslog transport. It does not dial: the first Send
// does.
func NewSyslog(cfg SyslogConfig) (*Syslog, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Syslog{
		cfg:      cfg,
		network:  "tcp",
		facility: 16,
		hostname: cfg.Hostname,
		appName:  cfg.AppName,
		procID:   strconv.Itoa(os.Getpid()),
		timeout:  cfg.Timeout,
		peek:     make([]byte, 512),
	}
	if cfg.Network == "udp" {
		s.network = "udp"
	}
	if f, ok := syslogFacilities[cfg.Facility]; ok {
		s.facility = f
	}
	if s.appName == "" {
		s.appName = "apitap"
	}
	if s.hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("syslog: hostname: %w", err)
		}
		s.hostname = h
	}
	if s.timeout == 0 {
		s.timeout = 10 * time.Second
	}
	// The builder drops a field it finds invalid: check them now.
	m := &rfc5424.SyslogMessage{}
	m.SetHostname(s.hostname).SetAppname(s.appName).SetMsgID(cfg.MsgID)
	switch {
	case m.Hostname == nil || *m.Hostname != s.hostname:
		return nil, fmt.Errorf("syslog: hostname %q is not 1 to 255 printable ASCII characters", s.hostname)
	case m.Appname == nil || *m.Appname != s.appName:
		return nil, fmt.Errorf("syslog: app name %q is not 1 to 48 printable ASCII characters", s.appName)
	case cfg.MsgID != "" && (m.MsgID == nil || *m.MsgID != cfg.MsgID):
		return nil, fmt.Errorf("syslog: msgid %q is not 1 to 32 printable ASCII characters", cfg.MsgID)
	}
	if cfg.Network == "tls" {
		t, err := syslogTLS(cfg)
		if err != nil {
			return nil, err
		}
		s.tickets = &syslogTickets{ClientSessionCache: t.ClientSessionCache}
		if s.tickets.ClientSessionCache == nil {
			s.tickets.ClientSessionCache = tls.NewLRUClientSessionCache(1)
		}
		t.ClientSessionCache = s.tickets
		s.tls = t
	}
	return s, nil
}

// syslogTLS builds the TLS configuration of cfg.
func syslogTLS(cfg SyslogConfig) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLS != nil {
		t = cfg.TLS.Clone()
	}
	if cfg.CAFile != "" {
		ca, err := LoadCA(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("syslog: %w", err)
		}
		t.RootCAs = ca.RootCAs
	}
	if cfg.CertFile != "" {
		c, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("syslog: client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{c}
	}
	if cfg.ServerName != "" {
		t.ServerName = cfg.ServerName
	}
	return t, nil
}

// Send sends the records in order, one message each.
func (s *Syslog) Send(ctx context.Context, records [][]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(records) == 0 {
		return nil
	}
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if s.conn != nil && s.network == "tcp" && syslogCheck(s.conn, s.peek, time.Millisecond) != nil {
		s.closeConn()
	}
	if s.conn == nil {
		if err := s.dial(ctx, deadline); err != nil {
			return err
		}
	}
	if err := s.conn.SetWriteDeadline(deadline); err != nil {
		s.closeConn()
		return fmt.Errorf("syslog: %w", err)
	}
	// A cancelled context interrupts a write the receiver holds up.
	conn := s.conn
	defer context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Unix(1, 0)) })()
	now := time.Now()
	if s.network == "udp" {
		for _, r := range records {
			var err error
			if s.buf, err = s.message(s.buf[:0], r, now); err != nil {
				return err
			}
			if _, err := s.conn.Write(s.buf); err != nil {
				s.closeConn()
				return fmt.Errorf("syslog: send to %s: %w", s.cfg.Addr, err)
			}
		}
		return nil
	}
	s.buf = s.buf[:0]
	for _, r := range records {
		// Octet counting: the length, a space, the message. The
		// message is built after a placeholder and the length put in
		// front of it once known.
		start := len(s.buf)
		var err error
		if s.buf, err = s.message(s.buf, r, now); err != nil {
			return err
		}
		n := len(s.buf) - start
		prefix := strconv.AppendInt(nil, int64(n), 10)
		prefix = append(prefix, ' ')
		s.buf = append(s.buf, prefix...) // grow
		copy(s.buf[start+len(prefix):], s.buf[start:start+n])
		copy(s.buf[start:], prefix)
	}
	if _, err := s.conn.Write(s.buf); err != nil {
		s.closeConn()
		return fmt.Errorf("syslog: send to %s: %w", s.cfg.Addr, err)
	}
	return nil
}

// message appends the RFC 5424 message carrying record to dst.
func (s *Syslog) message(dst, record []byte, now time.Time) ([]byte, error) {
	sev := SyslogNotice
	if s.cfg.Severity != nil {
		if v := s.cfg.Severity(record); v >= SyslogEmergency && v <= SyslogDebug {
			sev = v
		}
	}
	m := &rfc5424.SyslogMessage{}
	m.SetPriority(s.facility*8 + uint8(sev))
	m.SetVersion(1)
	ts := now.UTC()
	m.Timestamp = &ts // SetTimestamp parses a string: set the time itself
	m.SetHostname(s.hostname).SetAppname(s.appName).SetProcID(s.procID)
	if s.cfg.MsgID != "" {
		m.SetMsgID(s.cfg.MsgID)
	}
	m.SetMessage(string(record))
	if len(record) > 0 && (m.Message == nil || *m.Message != string(record)) {
		return dst, fmt.Errorf("syslog: record %.40q is not a syslog message", record)
	}
	out, err := m.String()
	if err != nil {
		return dst, fmt.Errorf("syslog: build message: %w", err)
	}
	return append(dst, out...), nil
}

// dial connects to the receiver.
func (s *Syslog) dial(ctx context.Context, deadline time.Time) error {
	d := &net.Dialer{Deadline: deadline, KeepAlive: 30 * time.Second}
	if s.tls == nil {
		c, err := d.DialContext(ctx, s.network, s.cfg.Addr)
		if err != nil {
			return fmt.Errorf("syslog: dial %s: %w", s.cfg.Addr, err)
		}
		s.conn = c
		return nil
	}
	// Note whether the server asks for a client certificate, choosing
	// one as crypto/tls would.
	cfg := s.tls.Clone()
	asked := false
	get, certs := cfg.GetClientCertificate, cfg.Certificates
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		asked = true
		if get != nil {
			return get(cri)
		}
		for i := range certs {
			if cri.SupportsCertificate(&certs[i]) == nil {
				return &certs[i], nil
			}
		}
		return &tls.Certificate{}, nil
	}
	c, err := (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("syslog: dial %s: %w", s.cfg.Addr, err)
	}
	tc := c.(*tls.Conn)
	// In TLS 1.3 a server that refuses the client's certificate says so
	// after the client's handshake: wait for its session ticket or its
	// alert, so that the records are not written into a dead session.
	if asked && tc.ConnectionState().Version >= tls.VersionTLS13 {
		s.tickets.wake = func() { tc.SetReadDeadline(time.Now()) }
		err = syslogCheck(tc, s.peek, min(time.Second, time.Until(deadline)))
		s.tickets.wake = nil
		if err != nil {
			tc.Close()
			return fmt.Errorf("syslog: %s refused the TLS session: %w", s.cfg.Addr, err)
		}
	}
	s.conn = tc
	return nil
}

// syslogCheck reports how the receiver left the stream: nil if it is
// up, else why it is gone (end of file, a reset, a TLS alert), when a
// write would be lost. A syslog receiver sends nothing but TLS session
// tickets, so a read that waits and times out means the connection is
// up. A read timeout leaves a tls.Conn usable.
func syslogCheck(c net.Conn, buf []byte, wait time.Duration) error {
	if err := c.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return err
	}
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // data the receiver sent: discard
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return nil
		}
		return err
	}
}

// syslogTickets is the TLS session cache of a Syslog. A TLS 1.3 server
// verifies the client's certificate after the client's handshake is
// over, and sends its session tickets once it accepted it: Put wakes
// the read that waits for that verdict.
type syslogTickets struct {
	tls.ClientSessionCache
	wake func()
}

func (c *syslogTickets) Put(key string, cs *tls.ClientSessionState) {
	c.ClientSessionCache.Put(key, cs)
	if c.wake != nil {
		c.wake()
	}
}

func (s *Syslog) closeConn() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// Close closes the connection. A later Send dials again.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
