package auth_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/http1"
)

// corpusDir holds the shared captures; CI checks it out beside the project.
const corpusDir = "../../../shared/corpus"

// transactions runs a capture through the sensor pipeline.
func transactions(t testing.TB, path string) []*http1.Transaction {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var txs []*http1.Transaction
	p := sensor.New(sensor.Config{}, nil, func(x *http1.Transaction) { txs = append(txs, x) })
	if err := p.Run(src); err != nil {
		t.Logf("%s: %v", path, err)
	}
	p.Flush()
	return txs
}

// TestCorpus classifies the requests of real captures.
func TestCorpus(t *testing.T) {
	tests := []struct {
		file string
		want []string // per request: Schemes, User, AuthScheme, SessionCookie
	}{
		// Password "1:34" contains a colon; the header has two spaces.
		{filepath.Join(corpusDir, "zeek/http/basic-auth-with-colon.pcap"), []string{"basic t***t Basic "}},
		// cPanel: Basic plus a cpsession cookie.
		{filepath.Join(corpusDir, "arkime/http-basicauth.pcap"), []string{"basic,session_cookie u***r Basic cpsession"}},
		// NTLM and Negotiate(NTLMSSP) handshakes, type 1 then type 3 each.
		{filepath.Join(corpusDir, "arkime/ntlm_synthetic.pcap"), []string{
			"ntlm  NTLM ", "ntlm  NTLM ", "ntlm  Negotiate ", "ntlm  Negotiate "}},
		// Mattermost: a login with no credentials, then an opaque bearer token.
		{"../../testdata/demo/mattermost-api-v4.pcap", []string{
			"none   ", "bearer_opaque  Bearer ", "bearer_opaque  Bearer "}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			var got []string
			for _, x := range transactions(t, tt.file) {
				if !x.Request.Seen() {
					continue
				}
				r := auth.Classify(&x.Request, x.Time())
				got = append(got, strings.Join([]string{r.Schemes.String(), r.User, r.AuthScheme, r.SessionCookie}, " "))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
