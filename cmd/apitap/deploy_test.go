package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDeployConfig: the shipped sample config is valid for `apitap run`:
// it gets past flag and config checking and fails only at opening the
// (missing) interface.
func TestDeployConfig(t *testing.T) {
	var out, errb bytes.Buffer
	code := cmdRun([]string{"--config", "../../deploy/systemd/apitap.yaml", "--iface", "nosuchif0", "--listen", "127.0.0.1:0"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "nosuchif0") {
		t.Errorf("exit %d, stderr %s; want exit 1 at opening nosuchif0", code, errb.String())
	}
	code = cmdRun([]string{"--config", "../../deploy/systemd/apitap.yaml", "--workers", "x"}, &out, &errb)
	if code != 2 {
		t.Errorf("a bad flag: exit %d, want 2", code)
	}
}

// TestDeployKubernetes: the manifests parse, and the DaemonSet's embedded
// config is valid too.
func TestDeployKubernetes(t *testing.T) {
	f, err := os.Open("../../deploy/kubernetes/daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var kinds []string
	for {
		var doc struct {
			Kind string
			Data map[string]string
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Name            string
							SecurityContext struct {
								RunAsUser    *int `yaml:"runAsUser"`
								Capabilities struct{ Add []string }
							} `yaml:"securityContext"`
						}
					}
				}
			}
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, doc.Kind)
		// Added capabilities are effective for root only
		// (kubernetes#56374): as another user capture would fail.
		for _, c := range doc.Spec.Template.Spec.Containers {
			if sc := c.SecurityContext; len(sc.Capabilities.Add) > 0 && (sc.RunAsUser == nil || *sc.RunAsUser != 0) {
				t.Errorf("container %s adds capabilities %v but does not run as root (runAsUser: 0)", c.Name, sc.Capabilities.Add)
			}
		}
		if cfg, ok := doc.Data["apitap.yaml"]; ok {
			p := t.TempDir() + "/apitap.yaml"
			os.WriteFile(p, []byte(cfg), 0o600)
			var errb bytes.Buffer
			if code := cmdRun([]string{"--config", p, "--iface", "nosuchif0", "--listen", "127.0.0.1:0"}, io.Discard, &errb); code != 1 {
				t.Errorf("the ConfigMap's config: exit %d: %s", code, errb.String())
			}
		}
	}
	if strings.Join(kinds, ",") != "Namespace,ConfigMap,DaemonSet" {
		t.Errorf("kinds %v", kinds)
	}
}
