package output

import (
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/alert"
)

func TestParseSink(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want SinkSpec
	}{
		{"file:///var/log/apitap/alerts.jsonl?format=ocsf&max_size_mb=100&max_age=24h", SinkSpec{
			Scheme: "file", Addr: "/var/log/apitap/alerts.jsonl", Format: "ocsf",
			Params: url.Values{"max_size_mb": {"100"}, "max_age": {"24h"}}, Name: "file:///var/log/apitap/alerts.jsonl",
		}},
		{"syslog+udp://siem:514?format=cef&facility=local0&app_name=apitap", SinkSpec{
			Scheme: "syslog+udp", Addr: "siem:514", Format: "cef",
			Params: url.Values{"facility": {"local0"}, "app_name": {"apitap"}}, Name: "syslog+udp://siem:514",
		}},
		{"syslog+tcp://siem", SinkSpec{Scheme: "syslog+tcp", Addr: "siem:514", Format: "cef", Params: url.Values{}, Name: "syslog+tcp://siem"}},
		{"syslog+tls://siem:6514?format=cef&ca=/etc/apitap/ca.pem", SinkSpec{
			Scheme: "syslog+tls", Addr: "siem:6514", Format: "cef", Params: url.Values{"ca": {"/etc/apitap/ca.pem"}}, Name: "syslog+tls://siem:6514",
		}},
		{"syslog+tls://[2001:db8::1]?format=ecs", SinkSpec{Scheme: "syslog+tls", Addr: "[2001:db8::1]:6514", Format: "ecs", Params: url.Values{}, Name: "syslog+tls://[2001:db8::1]"}},
		{"https://splunk:8088/services/collector/event?format=hec&ack=true&index=main", SinkSpec{
			Scheme: "https", Addr: "https://splunk:8088/services/collector/event", Format: "hec", EventFormat: "ocsf",
			Params: url.Values{"ack": {"true"}, "index": {"main"}}, Name: "https://splunk:8088/services/collector/event",
		}},
		{"https://splunk:8088?format=hec&event_format=cef", SinkSpec{
			Scheme: "https", Addr: "https://splunk:8088", Format: "hec", EventFormat: "cef", Params: url.Values{}, Name: "https://splunk:8088",
		}},
		{"https://hooks.example/apitap?format=ocsf&min_severity=high&types=enumeration,injection&batch=10", SinkSpec{
			Scheme: "https", Addr: "https://hooks.example/apitap", Format: "ocsf", Params: url.Values{}, Batch: 10,
			Filter: Filter{MinSeverity: alert.High, Types: []alert.Type{alert.Enumeration, alert.Injection}}, Name: "https://hooks.example/apitap",
		}},
		{"kafka://broker1:9092,broker2/apitap-alerts?format=ocsf&min_severity=4", SinkSpec{
			Scheme: "kafka", Addr: "broker1:9092,broker2:9092", Topic: "apitap-alerts", Format: "ocsf", Params: url.Values{},
			Filter: Filter{MinSeverity: alert.High}, Name: "kafka://broker1:9092,broker2/apitap-alerts",
		}},
		{"kafka://b:9093/t?tls=true&sasl=SCRAM-SHA-512&user=apitap", SinkSpec{
			Scheme: "kafka", Addr: "b:9093", Topic: "t", Format: "ocsf",
			Params: url.Values{"tls": {"true"}, "sasl": {"SCRAM-SHA-512"}, "user": {"apitap"}}, Name: "kafka://b:9093/t",
		}},
	} {
		got, err := ParseSink(c.raw)
		if err != nil {
			t.Errorf("ParseSink(%q): %v", c.raw, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseSink(%q)\n got %+v\nwant %+v", c.raw, got, c.want)
		}
	}
}

func TestParseSinkErrors(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"", "sink URL: empty"},
		{"/var/log/alerts.jsonl", "sink /var/log/alerts.jsonl: no scheme: want file, syslog+udp, syslog+tcp, syslog+tls, http, https or kafka"},
		{"ftp://x/y", `sink ftp://x/y: unknown scheme "ftp": want file, syslog+udp, syslog+tcp, syslog+tls, http, https or kafka`},
		{"syslog+udp://siem:abc", `sink URL: invalid port ":abc" after host`},
		{"syslog+udp://siem:99999", `sink syslog+udp://siem:99999: bad port "99999"`},
		{"syslog+udp://siem:0", `sink syslog+udp://siem:0: bad port "0"`},
		{"syslog+tcp:///?format=cef", "sink syslog+tcp:///: missing host"},
		{"syslog+tcp://siem/x", `sink syslog+tcp://siem/x: path "/x": a syslog URL has none`},
		{"https:///apitap", "sink https:///apitap: missing host"},
		{"kafka:///topic", "sink kafka:///topic: missing host"},
		{"kafka://b1:9092,:9092/t", `sink kafka://b1:9092,:9092/t: broker ":9092": missing host`},
		{"kafka://b1:9092", "sink kafka://b1:9092: no topic: want kafka://broker:9092/topic"},
		{"kafka://b1/bad%20topic", `sink kafka://b1/bad%20topic: bad topic "bad topic": want 1 to 249 of a-z A-Z 0-9 . _ -`},
		{"kafka://b1/t?sasl=PLAIN", "sink kafka://b1/t: sasl and user go together"},
		{"kafka://b1/t?sasl=GSSAPI&user=u", `sink kafka://b1/t: bad sasl "GSSAPI": want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
		{"file://var/log/a.jsonl", `sink file://var/log/a.jsonl: host "var" in a file URL: want file:///absolute/path`},
		{"file:alerts.jsonl", `sink file:alerts.jsonl: relative path "alerts.jsonl": want file:///absolute/path`},
		{"file:///var/log/", "sink file:///var/log/: no file name: want file:///absolute/path"},
		{"file:///a.jsonl?format=xml", `sink file:///a.jsonl: unknown format "xml": want one of ocsf, ecs, cef, eve, hec`},
		{"file:///a.jsonl?format=hec", "sink file:///a.jsonl: format hec needs an https sink"},
		{"http://splunk:8088?format=hec", "sink http://splunk:8088: format hec needs an https sink"},
		{"https://splunk:8088?format=hec&event_format=xml", `sink https://splunk:8088: unknown event_format "xml": want one of ocsf, ecs, cef, eve`},
		{"https://splunk:8088?format=hec&array=true", `sink https://splunk:8088: unknown parameter "array" for format=hec`},
		{"https://hooks.example/x?event_format=ecs", `sink https://hooks.example/x: unknown parameter "event_format" for https`},
		{"https://hooks.example/x?format=cef", "sink https://hooks.example/x: format cef over a webhook: it posts JSON documents, want one of ocsf, ecs, eve (or format=hec)"},
		{"https://hooks.example/x?format=ocsf&format=ecs", `sink https://hooks.example/x: parameter "format" given 2 times`},
		{"file:///a.jsonl?min_severity=urgent", `sink file:///a.jsonl: bad min_severity "urgent": want info, low, medium, high or critical`},
		{"file:///a.jsonl?types=enumeration,sqli", `sink file:///a.jsonl: unknown alert type "sqli" in types: want some of ` + typeList()},
		{"file:///a.jsonl?batch=0", `sink file:///a.jsonl: bad batch "0": want a positive integer`},
		{"file:///a.jsonl?max_size_mb=big", `sink file:///a.jsonl: bad max_size_mb "big": want a positive integer`},
		{"file:///a.jsonl?max_age=1d", `sink file:///a.jsonl: bad max_age "1d": want a positive duration such as 30s or 24h`},
		{"file:///a.jsonl?zz=1&aa=2", `sink file:///a.jsonl: unknown parameter "aa" for file`},
		{"file:///a.jsonl?a=%zz", `sink file:///a.jsonl: query: invalid URL escape "%zz"`},
		{"file:///a.jsonl?compress=yes", `sink file:///a.jsonl: bad compress "yes": want true or false`},
		{"file:///a.jsonl?facility=local0", `sink file:///a.jsonl: unknown parameter "facility" for file`},
		{"syslog+udp://siem?ca=/etc/ca.pem", `sink syslog+udp://siem: unknown parameter "ca" for syslog+udp`},
		{"syslog+tls://siem?ca=ca.pem", `sink syslog+tls://siem: bad ca "ca.pem": want an absolute path`},
		{"syslog+tls://siem?cert_file=/c.pem", "sink syslog+tls://siem: cert_file and key_file go together"},
		{"https://splunk:8088/services/collector/event?format=hec&token=abcd", `sink https://splunk:8088/services/collector/event: secret in the URL (parameter "token"): give it as a secret ("splunk_token" for HEC, "webhook_secret" for webhooks)`},
		{"https://x:abcd@splunk:8088?format=hec", `sink https://splunk:8088: credentials in the URL: give them as secrets ("splunk_token" for HEC, "webhook_secret" for webhooks)`},
		{"kafka://u:pw@b1/t", `sink kafka://b1/t: credentials in the URL: give them as secrets ("kafka_password" with sasl= and user=)`},
		{"https://hooks.example/x?Secret=s", `sink https://hooks.example/x: secret in the URL (parameter "Secret"): give it as a secret ("splunk_token" for HEC, "webhook_secret" for webhooks)`},
		{"syslog+udp://siem?password=p", `sink syslog+udp://siem: secret in the URL (parameter "password"): give it as a secret (this transport takes none)`},
	} {
		_, err := ParseSink(c.raw)
		if err == nil {
			t.Errorf("ParseSink(%q) = nil error, want %q", c.raw, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("ParseSink(%q)\n got %s\nwant %s", c.raw, err, c.want)
		}
		if strings.Contains(err.Error(), "abcd") || strings.Contains(err.Error(), "pw@") {
			t.Errorf("ParseSink(%q): the error quotes the secret: %s", c.raw, err)
		}
	}
}

func TestSinkOpen(t *testing.T) {
	dir := t.TempDir()
	secrets := map[string]string{SecretSplunkToken: "tok", SecretWebhook: "hmac", SecretKafkaPassword: "pw"}
	get := func(name string) string { return secrets[name] }
	for _, c := range []struct {
		raw     string
		secrets func(string) string
		format  string
		want    string // an error, or "" and the transport's type
		typ     string
	}{
		{raw: "file://" + filepath.Join(dir, "a.jsonl") + "?format=ecs&max_age=1h", format: "ecs", typ: "*output.File"},
		{raw: "syslog+udp://127.0.0.1:5514?facility=local3", format: "cef", typ: "*output.Syslog"},
		{raw: "syslog+tcp://127.0.0.1:5514?facility=nowhere", want: `sink syslog+tcp://127.0.0.1:5514: syslog: facility "nowhere"`},
		{raw: "https://splunk:8088/services/collector/event?format=hec&ack=true", secrets: get, format: "ocsf", typ: "*output.HEC"},
		{raw: "https://splunk:8088/services/collector/event?format=hec", want: `sink https://splunk:8088/services/collector/event: no HEC token: set the secret "splunk_token"`},
		{raw: "https://hooks.example/apitap?format=eve&array=true", secrets: get, format: "eve", typ: "*output.Webhook"},
		{raw: "http://127.0.0.1:8080/hook", format: "ocsf", typ: "*output.Webhook"},
		{raw: "https://hooks.example/apitap?ca=/nonexistent/ca.pem", want: "sink https://hooks.example/apitap: load ca: open /nonexistent/ca.pem: no such file or directory"},
		{raw: "kafka://127.0.0.1:9092/apitap-alerts?sasl=PLAIN&user=apitap", secrets: get, format: "ocsf", typ: "*output.Kafka"},
		{raw: "kafka://127.0.0.1:9092/apitap-alerts?sasl=PLAIN&user=apitap", want: `sink kafka://127.0.0.1:9092/apitap-alerts: sasl PLAIN without a password: set the secret "kafka_password"`},
	} {
		spec, err := ParseSink(c.raw)
		if err != nil {
			t.Fatalf("ParseSink(%q): %v", c.raw, err)
		}
		d, err := Open(spec, c.secrets, alert.ProductInfo{})
		if c.want != "" {
			if err == nil || err.Error() != c.want {
				t.Errorf("Open(%q) = %v, want %q", c.raw, err, c.want)
			}
			if err == nil {
				d.Transport.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", c.raw, err)
			continue
		}
		if d.Name != spec.Name || d.Format.Name() != c.format || reflect.TypeOf(d.Transport).String() != c.typ {
			t.Errorf("Open(%q) = %s %s %T, want %s %s %s", c.raw, d.Name, d.Format.Name(), d.Transport, spec.Name, c.format, c.typ)
		}
		if err := d.Transport.Close(); err != nil {
			t.Errorf("Open(%q): close: %v", c.raw, err)
		}
	}
}

func ExampleParseSink() {
	spec, err := ParseSink("https://splunk:8088/services/collector/event?format=hec&ack=true&index=main&min_severity=high")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec.Name, spec.Format, spec.EventFormat, spec.Params.Encode(), spec.Filter.MinSeverity.Name())
	_, err = ParseSink("https://splunk:8088/services/collector/event?format=hec&token=0123")
	fmt.Println(err)
	// Output:
	// https://splunk:8088/services/collector/event hec ocsf ack=true&index=main High
	// sink https://splunk:8088/services/collector/event: secret in the URL (parameter "token"): give it as a secret ("splunk_token" for HEC, "webhook_secret" for webhooks)
}
