package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/scenario"
	"github.com/apitap/apitap/sensor/sensortest"
)

// evalScenario writes a generated scenario's capture and labels to dir and
// reads the capture into a store there, as `make eval` does with the
// commands. It returns the state directory and the labels file.
func evalScenario(t *testing.T, dir string, cfg scenario.Config) (state, labels string) {
	t.Helper()
	var pcap bytes.Buffer
	_, ls, err := scenario.Generate(&pcap, cfg)
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(dir, "scenario.pcap")
	if err := os.WriteFile(capture, pcap.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	labels = filepath.Join(dir, "labels.jsonl")
	var lb strings.Builder
	for _, l := range ls {
		lb.WriteString(mustJSON(t, l) + "\n")
	}
	if err := os.WriteFile(labels, []byte(lb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	state = filepath.Join(dir, "state")
	mustRead(t, "--state", state, capture)
	return state, labels
}

// TestEvaluation is `make eval` at a smaller size: the detectors find at
// least 95 % of the planted attacks of every kind, and clean traffic
// raises at most one alert per 100 endpoint-days.
func TestEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and reads two multi-day scenarios")
	}
	specs := []string{
		sensortest.Corpus(t, "openapi/swagger-petstore/openapi.yaml"),
		sensortest.Corpus(t, "openapi/crapi/crapi-openapi-spec.json"),
		sensortest.Corpus(t, "openapi/juice-shop/swagger.yml"),
	}
	state, labels := evalScenario(t, t.TempDir(), scenario.Config{Seed: 7, Days: 5, Specs: specs, Scale: 0.2, Attacks: scenario.AllAttacks()})
	clean, _ := evalScenario(t, t.TempDir(), scenario.Config{Seed: 8, Days: 5, Specs: specs, Scale: 0.2})
	var out, errb strings.Builder
	cmdEval([]string{"--labels", labels, "--state", state, "--clean-state", clean}, &out, &errb)
	t.Logf("apitap eval:\n%s%s", out.String(), errb.String())

	ls, err := readLabels(labels)
	if err != nil {
		t.Fatal(err)
	}
	_, alerts, err := loadState(state)
	if err != nil {
		t.Fatal(err)
	}
	r := score(ls, alerts)
	inv, calerts, err := loadState(clean)
	if err != nil {
		t.Fatal(err)
	}
	r.clean(calerts, endpointDays(inv))
	if f := r.falsePer100(); f > targetFalsePer100 || r.cleanDays < 100 {
		t.Errorf("clean traffic: %.2f false alerts per 100 endpoint-days over %.0f, want <= %.0f over at least 100", f, r.cleanDays, targetFalsePer100)
	}
	for _, typ := range alert.Types {
		want := targetRecall
		if r.planted[typ] == 0 {
			t.Errorf("%s: no attack planted", typ)
		} else if got := r.recall(typ); got < want {
			t.Errorf("%s: recall %.2f, want >= %.2f", typ, got, want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
