package schema_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/schema"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/sensortest"
)

// bodies returns the complete, decoded JSON bodies of a capture's
// messages, keyed "METHOD target req|resp".
func bodies(t *testing.T, name string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	sensortest.Each(t, sensortest.Corpus(t, name), func(x *http1.Transaction) {
		for dir, m := range map[string]*http1.Message{"req": &x.Request.Message, "resp": &x.Response.Message} {
			ct, _ := m.Header.Get("Content-Type")
			b := m.Body
			if b.Truncated || b.Encoding != "" || len(b.Sample) == 0 || !strings.Contains(ct, "json") && !json.Valid(b.Sample) {
				continue
			}
			out[x.Request.Method+" "+x.Request.Target+" "+dir] = b.Sample
		}
	})
	return out
}

// TestCorpus infers schemas of real API bodies.
func TestCorpus(t *testing.T) {
	docker := bodies(t, "zeek/http/docker-http-upgrade.pcap")
	mattermost := bodies(t, "suricata-verify/http-post-file/input.pcap")
	elastic := bodies(t, "arkime/http-empty-useragent.pcap")
	tests := []struct {
		name string
		body []byte
		want []string // "path types format" of some fields
	}{
		{"docker container create", docker["POST /v1.41/containers/create req"], []string{
			"AttachStdin boolean ", "Cmd array ", "Cmd[] string ", "Env null ", "HostConfig.ConsoleSize[] integer ",
			"HostConfig.RestartPolicy.MaximumRetryCount integer ", "HostConfig.LogConfig.Config object ", "Labels object "}},
		{"mattermost login response", mattermost["POST /api/v4/users/login resp"], []string{
			"create_at integer ", "email string email", "notify_props.channel string ", "roles string "}},
		{"mattermost upload", mattermost["POST /api/v4/uploads resp"], []string{"file_size integer ", "id string "}},
		{"elasticsearch root", elastic["GET / resp"], []string{
			"version.build_date string date-time", "version.build_snapshot boolean ", "version.number string ", "tagline string "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.body == nil {
				t.Fatal("body not found in capture")
			}
			var s schema.Schema
			if err := s.Observe(tt.body); err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, f := range s.Fields() {
				have[f.Path+" "+f.Types.String()+" "+f.Format] = true
			}
			for _, w := range tt.want {
				if !have[w] {
					t.Errorf("no field %q in\n%s", w, fields(&s))
				}
			}
		})
	}
	// All JSON bodies of the captures: valid, and a schema per capture.
	for name, bs := range map[string]map[string][]byte{"docker": docker, "mattermost": mattermost, "elastic": elastic} {
		var s schema.Schema
		for k, b := range bs {
			if err := s.Observe(b); err != nil {
				t.Errorf("%s %s: %v", name, k, err)
			}
		}
		if s.Observations == 0 || s.Overflow != 0 {
			t.Errorf("%s: %d observations, %d overflow", name, s.Observations, s.Overflow)
		}
	}
}
