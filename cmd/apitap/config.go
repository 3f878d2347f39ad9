package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// applyConfig reads a YAML config file whose keys are the command's flag
// names ("iface: eth1", "spec: [a.yaml, b.yaml]") and sets every flag the
// command line did not set: flags override the file. An unknown key or a
// bad value fails with a message naming the key and its line.
//
// The key "secrets" is no flag: it maps secret names ("splunk_token",
// "webhook_secret", "kafka_password") to values, which the sinks read.
// Secrets never go on a command line, where any user can read them.
func applyConfig(fs *flag.FlagSet, path string) error {
	_, err := readConfig(fs, path)
	return err
}

// readConfig is applyConfig, also returning the secrets.
func readConfig(fs *flag.FlagSet, path string) (map[string]string, error) {
	secrets := map[string]string{}
	err := readConfigInto(fs, path, secrets)
	return secrets, err
}

func readConfigInto(fs *flag.FlagSet, path string, secrets map[string]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("config %s:%d: want a mapping of flag names to values", path, m.Line)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		name := k.Value
		if name == "secrets" {
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("config %s:%d: key %q: want a mapping of secret names to values", path, v.Line, name)
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				sk, sv := v.Content[j], v.Content[j+1]
				if sv.Kind != yaml.ScalarNode {
					return fmt.Errorf("config %s:%d: secret %q: want a value", path, sv.Line, sk.Value)
				}
				secrets[sk.Value] = sv.Value
			}
			continue
		}
		if name == "config" || fs.Lookup(name) == nil {
			return fmt.Errorf("config %s:%d: unknown key %q", path, k.Line, name)
		}
		if set[name] {
			continue // the command line wins
		}
		var values []string
		switch v.Kind {
		case yaml.ScalarNode:
			values = []string{v.Value}
		case yaml.SequenceNode:
			for _, e := range v.Content {
				if e.Kind != yaml.ScalarNode {
					return fmt.Errorf("config %s:%d: key %q: want a value or a list of values", path, e.Line, name)
				}
				values = append(values, e.Value)
			}
			if _, multi := fs.Lookup(name).Value.(repeatable); !multi {
				values = []string{strings.Join(values, ",")}
			}
		default:
			return fmt.Errorf("config %s:%d: key %q: want a value or a list of values", path, v.Line, name)
		}
		for _, val := range values {
			if err := fs.Set(name, val); err != nil {
				return fmt.Errorf("config %s:%d: key %q: %v", path, v.Line, name, err)
			}
		}
	}
	return nil
}

// repeatable is implemented by flags that may be given more than once
// (--spec, --sink): a config list sets them once per element.
type repeatable interface{ repeatable() }

func (*specFiles) repeatable() {}
