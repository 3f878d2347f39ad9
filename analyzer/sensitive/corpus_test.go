package sensitive_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/sensitive"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/sensortest"
)

// scanCapture runs a capture through the sensor and scans every message
// the way the inventory does: request query, headers and body, response
// headers and body. It returns the distinct "class path masked" lines.
func scanCapture(t *testing.T, name string) []string {
	t.Helper()
	var lines []string
	sensortest.Each(t, sensortest.Corpus(t, name), func(x *http1.Transaction) {
		var out []sensitive.Finding
		out = sensitive.ScanQuery(x.Request.Target, out)
		out = sensitive.ScanHeaders(x.Request.Header, out)
		for _, m := range []*http1.Message{&x.Request.Message, &x.Response.Message} {
			if m != &x.Request.Message {
				out = sensitive.ScanHeaders(m.Header, out)
			}
			if m.Body.Encoding == "" {
				ct, _ := m.Header.Get("Content-Type")
				out = sensitive.Scan(m.Body.Sample, ct, out)
			}
		}
		for _, f := range out {
			lines = append(lines, f.Class.String()+" "+f.Path+" "+f.Masked)
		}
	})
	slices.Sort(lines)
	return slices.Compact(lines)
}

// TestCorpus scans real captures: what they hold, and no false positives
// in JSON APIs, scripts, HTML and images.
func TestCorpus(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		// Mattermost login: the password in the request, the email in the response.
		{"suricata-verify/http-post-file/input.pcap", []string{"email email t***@titi.fr", "password password ********"}},
		{"arkime/80211http.pcap", []string{"password Passwd ********"}},
		{"ndpi/log4j-webapp-exploit.pcap", []string{"password password ********"}},
		// A maintainer's address in a text body, a PICS-Label header.
		{"zeek/http/100-continue.pcap", []string{"email  w***@osu.edu"}},
		{"zeek/http/missing-zlib-header.pcap", []string{"email pics-label i***@microsoft.com"}},
		// Google Analytics embeds an API key.
		{"ndpi/1kxun.pcap", []string{"gcp_api_key  AIza***"}},
		// None: JSON APIs, images, scripts with big numbers, SQL injection.
		{"zeek/http/docker-http-upgrade.pcap", nil},
		{"arkime/http-empty-useragent.pcap", nil},
		{"ndpi/jsonrpc.pcap", nil},
		{"zeek/tunnels/geneve-many-options.pcap", nil},
		{"ndpi/instagram.pcap", nil},
		{"zeek/http/pipelined-requests.pcap", nil},
		{"zeek/http/cooper-grill-dvwa.pcapng", nil},
		{"zeek/http/bro.org.pcap", nil},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			got := scanCapture(t, tt.file)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
