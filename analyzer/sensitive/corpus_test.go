package sensitive_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/sensitive"
	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/http1"
)

// corpusDir holds the shared captures; CI checks it out beside the project.
const corpusDir = "../../../shared/corpus"

// scanCapture runs a capture through the sensor and scans every message
// the way the inventory does: request query, headers and body, response
// headers and body. It returns the distinct "class path masked" lines.
func scanCapture(t *testing.T, path string) []string {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var lines []string
	p := sensor.New(sensor.Config{}, nil, func(x *http1.Transaction) {
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
	if err := p.Run(src); err != nil {
		t.Logf("%s: %v", path, err)
	}
	p.Flush()
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
		{"../../testdata/demo/mattermost-api-v4.pcap", []string{"email email t***@titi.fr", "password password ********"}},
		{filepath.Join(corpusDir, "arkime/80211http.pcap"), []string{"password Passwd ********"}},
		{filepath.Join(corpusDir, "ndpi/log4j-webapp-exploit.pcap"), []string{"password password ********"}},
		// A maintainer's address in a text body, a PICS-Label header.
		{filepath.Join(corpusDir, "zeek/http/100-continue.pcap"), []string{"email  w***@osu.edu"}},
		{filepath.Join(corpusDir, "zeek/http/missing-zlib-header.pcap"), []string{"email pics-label i***@microsoft.com"}},
		// Google Analytics embeds an API key.
		{filepath.Join(corpusDir, "ndpi/1kxun.pcap"), []string{"gcp_api_key  AIza***"}},
		// None: JSON APIs, images, scripts with big numbers, SQL injection.
		{"../../testdata/demo/docker-http-upgrade.pcap", nil},
		{filepath.Join(corpusDir, "arkime/http-empty-useragent.pcap"), nil},
		{filepath.Join(corpusDir, "ndpi/jsonrpc.pcap"), nil},
		{filepath.Join(corpusDir, "zeek/tunnels/geneve-many-options.pcap"), nil},
		{filepath.Join(corpusDir, "ndpi/instagram.pcap"), nil},
		{filepath.Join(corpusDir, "zeek/http/pipelined-requests.pcap"), nil},
		{filepath.Join(corpusDir, "zeek/http/cooper-grill-dvwa.pcapng"), nil},
		{filepath.Join(corpusDir, "zeek/http/bro.org.pcap"), nil},
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
