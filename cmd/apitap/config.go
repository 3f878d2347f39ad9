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
func applyConfig(fs *flag.FlagSet, path string) error {
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
			if _, multi := fs.Lookup(name).Value.(*specFiles); !multi {
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
