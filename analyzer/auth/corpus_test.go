package auth_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/sensor/sensortest"
)

// TestCorpus classifies the requests of real captures.
func TestCorpus(t *testing.T) {
	tests := []struct {
		file string   // in the shared corpus, or "demo:" and one of testdata/demo
		want []string // per request: Schemes, User, AuthScheme, SessionCookie
	}{
		// Password "1:34" contains a colon; the header has two spaces.
		{"zeek/http/basic-auth-with-colon.pcap", []string{"basic t***t Basic "}},
		// cPanel: Basic plus a cpsession cookie.
		{"arkime/http-basicauth.pcap", []string{"basic,session_cookie u***r Basic cpsession"}},
		// NTLM and Negotiate(NTLMSSP) handshakes, type 1 then type 3 each.
		{"arkime/ntlm_synthetic.pcap", []string{
			"ntlm  NTLM ", "ntlm  NTLM ", "ntlm  Negotiate ", "ntlm  Negotiate "}},
		// Mattermost: a login with no credentials, then an opaque bearer token.
		{"suricata-verify/http-post-file/input.pcap", []string{
			"none   ", "bearer_opaque  Bearer ", "bearer_opaque  Bearer "}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			var got []string
			for _, x := range sensortest.Transactions(t, sensortest.Corpus(t, tt.file)) {
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
