package main

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/sensortest"
)

// corpusAlerts are the alerts each real capture of the shared corpus
// raises, as "type/subtype": the attack captures raise theirs, every
// other capture none. (The captures are minutes long, so only the rules
// that need no baseline can fire.)
var corpusAlerts = map[string][]string{
	"ndpi/WebattackSQLinj.pcap":                                 {"injection/sqli"},
	"zeek/http/cooper-grill-dvwa.pcapng":                        {"injection/sqli"},
	"ndpi/log4j-webapp-exploit.pcap":                            {"injection/jndi"},
	"suricata-verify/bug-5437-02/input.pcap":                    {"injection/command_injection", "injection/command_injection"}, // mirrored twice (two ERSPAN sessions)
	"suricata-verify/vxlan-non-zero-reserved-fields/input.pcap": {"injection/path_traversal"},                                   // GET /?cmd=/etc/passwd
	"esnet-curated-pcaps/nmap_80_all.pcap":                      {"scanning/"},
	"suricata-verify/http-protocol-nodup/input.pcap":            {"scanning/"}, // FrontPage probes, 40 404s
}

// TestCorpusAlerts runs every capture of the shared corpus through the
// inventory and the detectors, one capture per fresh state.
func TestCorpusAlerts(t *testing.T) {
	root := filepath.Dir(sensortest.Corpus(t, "SOURCES.md"))
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
			return err
		}
		name := filepath.ToSlash(strings.TrimPrefix(path, root+string(filepath.Separator)))
		seen++
		var log alertLog
		a, err := openAnalysis("", nil, inventory.Config{}, detect.Config{}, alert.Config{Sinks: []alert.Sink{&log}})
		if err != nil {
			t.Fatal(err)
		}
		sensortest.Each(t, path, func(x *http1.Transaction) { a.observe(x) })
		a.finish()
		var got []string
		for _, al := range log.alerts {
			got = append(got, string(al.Type)+"/"+al.Evidence.Subtype)
		}
		slices.Sort(got)
		if want := corpusAlerts[name]; !slices.Equal(got, want) {
			t.Errorf("%s: alerts %v, want %v", name, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d captures", seen)
	if seen < 50 {
		t.Errorf("%d captures in the corpus, expected more", seen)
	}
}
