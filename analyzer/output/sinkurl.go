package output

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
)

// Secret names Open asks its secrets function for. The caller maps them to
// a secrets file or environment variables; a URL never holds a secret, as
// URLs end up in logs, metrics labels and ps.
const (
	SecretSplunkToken   = "splunk_token"   // Splunk HEC token
	SecretWebhook       = "webhook_secret" // HMAC-SHA256 key of webhook signatures
	SecretKafkaPassword = "kafka_password" // SASL password
)

// SinkSpec is a parsed and validated sink URL. ParseSink makes it; Open
// turns it into a Destination.
type SinkSpec struct {
	// Scheme is the transport: "file", "syslog+udp", "syslog+tcp",
	// "syslog+tls", "http", "https" or "kafka".
	Scheme string
	// Addr is where records go: the file's absolute path; syslog's
	// host:port (default port 514, 6514 over TLS); the http(s) URL
	// without its query; kafka's brokers, host:port, comma-separated
	// (default port 9092).
	Addr string
	// Topic is kafka's topic, the URL's path.
	Topic string
	// Format is the record format: "ocsf", "ecs", "cef", "eve", or
	// "hec" (Splunk HEC over https, each event in EventFormat).
	Format string
	// EventFormat is the format of the events inside HEC's envelope:
	// the event_format parameter, default "ocsf". Empty for other formats.
	EventFormat string
	// Params are the transport's own parameters, checked: file
	// max_size_mb, max_age, max_backups, compress; syslog facility,
	// app_name, hostname, msgid, timeout, and over TLS ca, cert_file,
	// key_file, server_name; webhook array, timeout, ca; HEC ack, index,
	// source, sourcetype, host, channel, timeout, ack_timeout, ca; kafka
	// tls, ca, sasl, user, client_id, timeout.
	Params url.Values
	// Filter is min_severity and types.
	Filter Filter
	// Batch is the batch parameter: records per Send (0: the spool's default).
	Batch int
	// Name is the URL without query or user info: the destination's
	// name in logs and metrics.
	Name string
}

// Query parameters every sink takes.
var commonParams = []string{"format", "min_severity", "types", "batch"}

// Each scheme's own parameters.
var schemeParams = map[string][]string{
	"file":       {"max_size_mb", "max_age", "max_backups", "compress"},
	"syslog+udp": {"facility", "app_name", "hostname", "msgid", "timeout"},
	"syslog+tcp": {"facility", "app_name", "hostname", "msgid", "timeout"},
	"syslog+tls": {"facility", "app_name", "hostname", "msgid", "timeout", "ca", "cert_file", "key_file", "server_name"},
	"http":       {"array", "timeout"},
	"https":      {"array", "timeout", "ca"},
	"kafka":      {"tls", "ca", "sasl", "user", "client_id", "timeout"},
}

// The parameters of format=hec, which replace the webhook's.
var hecParams = []string{"event_format", "ack", "index", "source", "sourcetype", "host", "channel", "timeout", "ack_timeout", "ca"}

const schemeList = "file, syslog+udp, syslog+tcp, syslog+tls, http, https or kafka"

// secretParams are query parameters that hold credentials: ParseSink
// refuses them and says which secret to set instead.
var secretParams = map[string]bool{
	"token": true, "hec_token": true, "splunk_token": true, "access_token": true, "auth": true, "authorization": true,
	"secret": true, "webhook_secret": true, "hmac": true, "password": true, "passwd": true, "pass": true,
	"api_key": true, "apikey": true, "key": true, "sig": true, "signature": true, "code": true,
}

// formatNames are the record formats ParseSink accepts; FormatNames are
// the ones FormatByName builds.
var formatNames = append(slices.Clone(FormatNames), "hec")

var sinkTopicRE = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// ParseSink parses and checks a sink URL:
//
//	file:///var/log/apitap/alerts.jsonl?format=ocsf&max_size_mb=100&max_age=24h
//	syslog+udp://siem:514?format=cef&facility=local0&app_name=apitap
//	syslog+tls://siem:6514?format=cef&ca=/etc/apitap/ca.pem
//	https://splunk:8088/services/collector/event?format=hec&ack=true&index=main
//	https://hooks.example/apitap?format=ocsf
//	kafka://broker1:9092,broker2:9092/apitap-alerts?format=ocsf
//
// plus, on any of them, min_severity=high (info, low, medium, high,
// critical), types=enumeration,injection and batch=N. The format defaults
// to cef over syslog, ocsf elsewhere. Secrets (the HEC token, the webhook's
// HMAC key, a SASL password) come from secrets at Open, never from the
// URL: one in the URL is an error. Errors name the sink by its redacted
// Name and say what is wrong; they never quote the URL whole.
func ParseSink(raw string) (SinkSpec, error) {
	if strings.TrimSpace(raw) == "" {
		return SinkSpec{}, errors.New("sink URL: empty")
	}
	// Kafka's broker list is no URL host (url.Parse wants one port at
	// most, at the end): take it out, and put it back after parsing.
	var brokers string
	if len(raw) > len("kafka://") && strings.EqualFold(raw[:len("kafka://")], "kafka://") {
		rest := raw[len("kafka://"):]
		i := strings.IndexAny(rest, "/?#")
		if i < 0 {
			i = len(rest)
		}
		brokers, raw = rest[:i], raw[:len("kafka://")]+"kafka"+rest[i:]
		if j := strings.LastIndexByte(brokers, '@'); j >= 0 {
			brokers, raw = brokers[j+1:], raw[:len("kafka://")]+"user@kafka"+rest[i:]
		}
	}
	u, err := url.Parse(raw)
	if err == nil && u.Scheme == "kafka" {
		u.Host = brokers
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL, secrets and all
		}
		return SinkSpec{}, fmt.Errorf("sink URL: %w", err)
	}
	spec := SinkSpec{Scheme: strings.ToLower(u.Scheme), Name: sinkName(u)}
	fail := func(format string, args ...any) (SinkSpec, error) {
		return SinkSpec{}, fmt.Errorf("sink %s: "+format, append([]any{spec.Name}, args...)...)
	}
	if spec.Scheme == "" {
		return fail("no scheme: want %s", schemeList)
	}
	allowed, ok := schemeParams[spec.Scheme]
	if !ok {
		return fail("unknown scheme %q: want %s", u.Scheme, schemeList)
	}
	if u.User != nil {
		return fail("credentials in the URL: give them as secrets (%s)", secretHint(spec.Scheme))
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("query: %v", err)
	}
	keys := slices.Sorted(maps.Keys(q)) // the first error, always the same one
	for _, k := range keys {
		v := q[k]
		if secretParams[strings.ToLower(k)] {
			return fail("secret in the URL (parameter %q): give it as a secret (%s)", k, secretHint(spec.Scheme))
		}
		if len(v) > 1 {
			return fail("parameter %q given %d times", k, len(v))
		}
	}

	// The format first: it decides HEC's parameters.
	spec.Format = q.Get("format")
	switch {
	case spec.Format == "" && strings.HasPrefix(spec.Scheme, "syslog+"):
		spec.Format = "cef"
	case spec.Format == "":
		spec.Format = "ocsf"
	case !slices.Contains(formatNames, spec.Format):
		return fail("unknown format %q: want one of %s", spec.Format, strings.Join(formatNames, ", "))
	}
	switch {
	case spec.Format == "hec" && spec.Scheme != "https":
		return fail("format hec needs an https sink")
	case spec.Format == "hec":
		allowed = hecParams
		spec.EventFormat = q.Get("event_format")
		if spec.EventFormat == "" {
			spec.EventFormat = "ocsf"
		} else if !slices.Contains(FormatNames, spec.EventFormat) {
			return fail("unknown event_format %q: want one of %s", spec.EventFormat, strings.Join(FormatNames, ", "))
		}
	case spec.Format == "cef" && (spec.Scheme == "http" || spec.Scheme == "https"):
		return fail("format cef over a webhook: it posts JSON documents, want one of ocsf, ecs, eve (or format=hec)")
	}
	spec.Params = url.Values{}
	for _, k := range keys {
		v := q[k]
		switch {
		case slices.Contains(commonParams, k), k == "event_format" && spec.Format == "hec":
		case slices.Contains(allowed, k):
			spec.Params[k] = v
		default:
			return fail("unknown parameter %q for %s", k, sinkDescribe(spec))
		}
	}

	if spec.Filter, err = parseFilter(q); err != nil {
		return fail("%v", err)
	}
	if b := q.Get("batch"); b != "" {
		if spec.Batch, err = strconv.Atoi(b); err != nil || spec.Batch <= 0 {
			return fail("bad batch %q: want a positive integer", b)
		}
	}
	if err := checkParams(spec.Params); err != nil {
		return fail("%v", err)
	}

	switch spec.Scheme {
	case "file":
		switch {
		case u.Opaque != "":
			return fail("relative path %q: want file:///absolute/path", u.Opaque)
		case u.Host != "":
			return fail("host %q in a file URL: want file:///absolute/path", u.Host)
		case u.Path == "" || strings.HasSuffix(u.Path, "/"):
			return fail("no file name: want file:///absolute/path")
		}
		spec.Addr = u.Path
	case "syslog+udp", "syslog+tcp", "syslog+tls":
		port := "514"
		if spec.Scheme == "syslog+tls" {
			port = "6514"
		}
		if spec.Addr, err = sinkHostPort(u.Host, port); err != nil {
			return fail("%v", err)
		}
		if u.Path != "" && u.Path != "/" {
			return fail("path %q: a syslog URL has none", u.Path)
		}
	case "http", "https":
		if u.Host == "" {
			return fail("missing host")
		}
		if _, err := sinkHostPort(u.Host, "443"); err != nil {
			return fail("%v", err)
		}
		v := *u
		v.RawQuery, v.Fragment, v.RawFragment = "", "", ""
		spec.Addr = v.String()
	case "kafka":
		if u.Host == "" {
			return fail("missing host")
		}
		var brokers []string
		for b := range strings.SplitSeq(u.Host, ",") {
			hp, err := sinkHostPort(b, "9092")
			if err != nil {
				return fail("broker %q: %v", b, err)
			}
			brokers = append(brokers, hp)
		}
		spec.Addr = strings.Join(brokers, ",")
		spec.Topic = strings.TrimPrefix(u.Path, "/")
		switch {
		case spec.Topic == "":
			return fail("no topic: want kafka://broker:9092/topic")
		case !sinkTopicRE.MatchString(spec.Topic):
			return fail("bad topic %q: want 1 to 249 of a-z A-Z 0-9 . _ -", spec.Topic)
		}
		if (spec.Params.Get("sasl") == "") != (spec.Params.Get("user") == "") {
			return fail("sasl and user go together")
		}
	}
	return spec, nil
}

// sinkName is u without user info, query or fragment.
func sinkName(u *url.URL) string {
	v := url.URL{Scheme: strings.ToLower(u.Scheme), Host: u.Host, Path: u.Path, Opaque: u.Opaque}
	if v.Scheme == "file" && v.Host == "" && v.Opaque == "" {
		return "file://" + v.Path // url.URL.String writes file:///path only with a host
	}
	return v.String()
}

// sinkDescribe names what the spec sends to, for the unknown parameter error.
func sinkDescribe(s SinkSpec) string {
	if s.Format == "hec" {
		return "format=hec"
	}
	return s.Scheme
}

func secretHint(scheme string) string {
	switch scheme {
	case "https", "http":
		return fmt.Sprintf("%q for HEC, %q for webhooks", SecretSplunkToken, SecretWebhook)
	case "kafka":
		return fmt.Sprintf("%q with sasl= and user=", SecretKafkaPassword)
	}
	return "this transport takes none"
}

// sinkHostPort checks host[:port] and adds the default port.
func sinkHostPort(hp, port string) (string, error) {
	if hp == "" {
		return "", errors.New("missing host")
	}
	host, p := hp, port
	if h, pp, err := net.SplitHostPort(hp); err == nil {
		host, p = h, pp
	} else if strings.HasPrefix(hp, "[") && strings.HasSuffix(hp, "]") {
		host = hp[1 : len(hp)-1]
	} else if strings.ContainsAny(hp, ":[]") {
		return "", fmt.Errorf("bad host %q", hp)
	}
	if host == "" {
		return "", errors.New("missing host")
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("bad port %q", p)
	}
	return net.JoinHostPort(host, p), nil
}

// parseFilter reads min_severity and types.
func parseFilter(q url.Values) (Filter, error) {
	var f Filter
	if s := q.Get("min_severity"); s != "" {
		sev, ok := parseSeverity(s)
		if !ok {
			return f, fmt.Errorf("bad min_severity %q: want info, low, medium, high or critical", s)
		}
		f.MinSeverity = sev
	}
	if s := q.Get("types"); s != "" {
		for t := range strings.SplitSeq(s, ",") {
			t = strings.TrimSpace(t)
			if !slices.Contains(alert.Types, alert.Type(t)) {
				return f, fmt.Errorf("unknown alert type %q in types: want some of %s", t, typeList())
			}
			if !slices.Contains(f.Types, alert.Type(t)) {
				f.Types = append(f.Types, alert.Type(t))
			}
		}
	}
	return f, nil
}

func parseSeverity(s string) (alert.Severity, bool) {
	switch strings.ToLower(s) {
	case "info", "informational", "1":
		return alert.Info, true
	case "low", "2":
		return alert.Low, true
	case "medium", "3":
		return alert.Medium, true
	case "high", "4":
		return alert.High, true
	case "critical", "5":
		return alert.Critical, true
	}
	return 0, false
}

func typeList() string {
	s := make([]string, len(alert.Types))
	for i, t := range alert.Types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// checkParams checks the values of the transport parameters.
func checkParams(p url.Values) error {
	for _, k := range []string{"max_size_mb", "max_backups"} {
		if v := p.Get(k); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 0 || k == "max_size_mb" && n == 0 {
				return fmt.Errorf("bad %s %q: want a positive integer", k, v)
			}
		}
	}
	for _, k := range []string{"max_age", "timeout", "ack_timeout"} {
		if v := p.Get(k); v != "" {
			if d, err := time.ParseDuration(v); err != nil || d <= 0 {
				return fmt.Errorf("bad %s %q: want a positive duration such as 30s or 24h", k, v)
			}
		}
	}
	for _, k := range []string{"compress", "array", "ack", "tls"} {
		if v := p.Get(k); v != "" {
			if _, err := strconv.ParseBool(v); err != nil {
				return fmt.Errorf("bad %s %q: want true or false", k, v)
			}
		}
	}
	for _, k := range []string{"ca", "cert_file", "key_file"} {
		if v := p.Get(k); v != "" && !strings.HasPrefix(v, "/") {
			return fmt.Errorf("bad %s %q: want an absolute path", k, v)
		}
	}
	if (p.Get("cert_file") == "") != (p.Get("key_file") == "") {
		return errors.New("cert_file and key_file go together")
	}
	if v := p.Get("sasl"); v != "" && !slices.Contains([]string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}, v) {
		return fmt.Errorf("bad sasl %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", v)
	}
	return nil
}

// Open builds the destination spec describes: its Format and Transport,
// the secrets it needs taken from secrets (which may be nil when none is
// configured). product names apitap and its version in the records.
// Transports do not connect until their first Send.
func Open(spec SinkSpec, secrets func(name string) string, product alert.ProductInfo) (Destination, error) {
	if secrets == nil {
		secrets = func(string) string { return "" }
	}
	d := Destination{Name: spec.Name, Filter: spec.Filter, Batch: spec.Batch}
	fail := func(err error) (Destination, error) {
		return Destination{}, fmt.Errorf("sink %s: %w", spec.Name, err)
	}
	p := spec.Params
	var err error
	formatName := spec.Format
	if spec.Format == "hec" {
		formatName = spec.EventFormat
	}
	if d.Format, err = NewFormat(formatName, product); err != nil {
		return fail(err)
	}
	timeout := paramDuration(p.Get("timeout"))
	switch {
	case spec.Scheme == "file":
		d.Transport, err = NewFile(FileConfig{
			Path:       spec.Addr,
			MaxSizeMB:  paramInt(p.Get("max_size_mb")),
			MaxAge:     paramDuration(p.Get("max_age")),
			MaxBackups: paramInt(p.Get("max_backups")),
			Compress:   paramBool(p.Get("compress")),
		})
	case strings.HasPrefix(spec.Scheme, "syslog+"):
		d.Transport, err = NewSyslog(SyslogConfig{
			Network:    strings.TrimPrefix(spec.Scheme, "syslog+"),
			Addr:       spec.Addr,
			Facility:   p.Get("facility"),
			AppName:    p.Get("app_name"),
			Hostname:   p.Get("hostname"),
			MsgID:      p.Get("msgid"),
			CAFile:     p.Get("ca"),
			CertFile:   p.Get("cert_file"),
			KeyFile:    p.Get("key_file"),
			ServerName: p.Get("server_name"),
			Timeout:    timeout,
		})
	case spec.Format == "hec":
		token := secrets(SecretSplunkToken)
		if token == "" {
			return fail(fmt.Errorf("no HEC token: set the secret %q", SecretSplunkToken))
		}
		cfg := HECConfig{
			URL: spec.Addr, Token: token,
			Index: p.Get("index"), Source: p.Get("source"), SourceType: p.Get("sourcetype"), Host: p.Get("host"),
			Ack: paramBool(p.Get("ack")), Channel: p.Get("channel"),
			Timeout: timeout, AckTimeout: paramDuration(p.Get("ack_timeout")),
		}
		if cfg.TLS, err = optionalCA(p.Get("ca")); err != nil {
			return fail(err)
		}
		d.Transport, err = NewHEC(cfg)
	case spec.Scheme == "http" || spec.Scheme == "https":
		cfg := WebhookConfig{URL: spec.Addr, Batch: paramBool(p.Get("array")), Timeout: timeout}
		if s := secrets(SecretWebhook); s != "" {
			cfg.Secret = []byte(s)
		}
		if cfg.TLS, err = optionalCA(p.Get("ca")); err != nil {
			return fail(err)
		}
		d.Transport, err = NewWebhook(cfg)
	case spec.Scheme == "kafka":
		cfg := KafkaConfig{Brokers: strings.Split(spec.Addr, ","), Topic: spec.Topic, ClientID: p.Get("client_id"), Timeout: timeout}
		if ca := p.Get("ca"); ca != "" {
			if cfg.TLS, err = LoadCA(ca); err != nil {
				return fail(err)
			}
		} else if paramBool(p.Get("tls")) {
			cfg.TLS = defaultClientTLS()
		}
		if mech := p.Get("sasl"); mech != "" {
			pw := secrets(SecretKafkaPassword)
			if pw == "" {
				return fail(fmt.Errorf("sasl %s without a password: set the secret %q", mech, SecretKafkaPassword))
			}
			cfg.SASL = &KafkaSASL{Mechanism: mech, User: p.Get("user"), Password: pw}
		}
		d.Transport, err = NewKafka(cfg)
	default:
		err = fmt.Errorf("transport %s not built yet", spec.Scheme)
	}
	if err != nil {
		return fail(err)
	}
	return d, nil
}

// The parameters reaching these were checked by ParseSink.

func paramInt(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func paramDuration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

func paramBool(s string) bool {
	b, _ := strconv.ParseBool(s)
	return b
}

// optionalCA is LoadCA, or nil (the system's roots) without a file.
func optionalCA(file string) (*tls.Config, error) {
	if file == "" {
		return nil, nil
	}
	return LoadCA(file)
}

func defaultClientTLS() *tls.Config { return &tls.Config{MinVersion: tls.VersionTLS12} }
