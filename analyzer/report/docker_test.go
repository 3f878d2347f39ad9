package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/report"
	"github.com/apitap/apitap/analyzer/spec"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/sensortest"
)

var _ inventory.Matcher = (*spec.Index)(nil)

// inventoryOf reads a capture into an inventory routed by idx.
func inventoryOf(t *testing.T, pcap string, idx *spec.Index) *inventory.Inventory {
	t.Helper()
	var cfg inventory.Config
	if idx != nil {
		cfg.Specs = idx
	}
	inv := inventory.New(cfg)
	sensortest.Each(t, sensortest.Corpus(t, pcap), func(x *http1.Transaction) { inv.Observe(x) })
	return inv
}

// TestDockerDocumented: the Docker API capture against the Docker Engine
// spec gives the container operations documented under the spec's
// templates, base path included, and no endpoint per container id.
func TestDockerDocumented(t *testing.T) {
	sp, err := spec.Load(sensortest.Corpus(t, "openapi/docker/v1.41.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	idx := spec.NewIndex(sp)
	rows := report.Build(inventoryOf(t, "zeek/http/docker-http-upgrade.pcap", idx), idx,
		report.Filter{Classes: []report.Class{report.Documented, report.Shadow, report.Zombie}})
	var got []string
	for _, r := range rows {
		got = append(got, string(r.Class)+" "+r.Method+" "+r.Template)
		if strings.Contains(r.Template, "cc4fc8e4") {
			t.Errorf("a per-container endpoint: %s", r.Template)
		}
	}
	want := []string{
		"shadow HEAD /_ping", // Docker also serves the API without its version prefix, which the spec does not document
		"documented POST /v1.41/containers/create",
		"documented POST /v1.41/containers/{id}/attach",
		"documented POST /v1.41/containers/{id}/resize",
		"documented POST /v1.41/containers/{id}/start",
		"documented POST /v1.41/containers/{id}/wait",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	orphans := report.Build(inventoryOf(t, "zeek/http/docker-http-upgrade.pcap", idx), idx, report.Filter{Classes: []report.Class{report.Orphan}})
	if len(orphans) != len(sp.Ops)-5 {
		t.Errorf("%d orphans, want %d (documented operations never seen)", len(orphans), len(sp.Ops)-5)
	}
}

// TestShadowWithoutSpec: with no spec everything seen is shadow.
func TestShadowWithoutSpec(t *testing.T) {
	rows := report.Build(inventoryOf(t, "suricata-verify/http-post-file/input.pcap", nil), nil, report.Filter{})
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	for _, r := range rows {
		if r.Class != report.Shadow {
			t.Errorf("%s %s is %s without any spec", r.Method, r.Template, r.Class)
		}
	}
}

// TestOpenAPIRoundTrip: the document written for a service validates, and
// imported back as its spec makes every observed endpoint documented.
func TestOpenAPIRoundTrip(t *testing.T) {
	for _, pcap := range []string{"suricata-verify/http-post-file/input.pcap", "zeek/http/docker-http-upgrade.pcap", "ndpi/1kxun.pcap"} {
		inv := inventoryOf(t, pcap, nil)
		rows := report.Build(inv, nil, report.Filter{})
		for _, svc := range report.Services(rows) {
			var buf bytes.Buffer
			if err := report.OpenAPI(&buf, rows, svc); err != nil {
				t.Fatalf("%s %s: %v", pcap, svc, err)
			}
			if err := spec.Validate(buf.Bytes()); err != nil {
				t.Fatalf("%s %s: the document does not validate: %v\n%s", pcap, svc, err, buf.Bytes())
			}
			file := filepath.Join(t.TempDir(), "learned.json")
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			host, _, _ := strings.Cut(svc, "@")
			sp, err := spec.LoadFor(host, file)
			if err != nil {
				t.Fatalf("%s %s: %v", pcap, svc, err)
			}
			idx := spec.NewIndex(sp)
			for _, r := range report.Build(inv, idx, report.Filter{Service: svc}) {
				// The catch-all endpoints are no routes: never exported, never documented.
				if r.Class != report.Documented && r.Class != report.Orphan && spec.OpenAPIMethod(r.Method) && !inventory.IsBucket(r.Template) {
					t.Errorf("%s: %s %s%s is %s against its own learned spec", pcap, r.Method, r.Service, r.Template, r.Class)
				}
			}
		}
	}
}
