package spec_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/apitap/apitap/analyzer/spec"
)

func ExampleIndex_Match() {
	docker, err := spec.LoadFor("docker.local:2375", filepath.Join("..", "..", "..", "shared", "corpus", "openapi", "docker", "v1.41.yaml"))
	if err != nil {
		fmt.Println(err)
		return
	}
	x := spec.NewIndex(docker)
	m, ok := x.Match("docker.local:2375", "POST", "/v1.41/containers/4f3e8a1b2c9d/start")
	fmt.Println(ok, m.Template, m.Op.Statuses)
	_, ok = x.Match("docker.local:2375", "POST", "/v1.41/containers/4f3e8a1b2c9d/explode")
	fmt.Println(ok)
	m, ok = x.MatchOtherVersion("docker.local:2375", "POST", "/v1.40/containers/4f3e8a1b2c9d/start")
	fmt.Println(ok, m.Template)
	// Output:
	// true /v1.41/containers/{id}/start [204 304 400 404 500]
	// false
	// true /v1.41/containers/{id}/start
}

func ExampleWrite() {
	l := spec.Learned{
		Service: "shop.internal:8080",
		Endpoints: []spec.LearnedEndpoint{{
			Method:   "GET",
			Template: "/users/{id}",
			Statuses: []int{200},
			ResponseSchemas: map[int]map[string]any{200: {
				"type":       "object",
				"properties": map[string]any{"id": map[string]any{"type": "integer"}},
			}},
			Security: []string{"bearer"},
		}},
	}
	f, err := os.CreateTemp("", "learned-*.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	if err := spec.Write(f, l); err != nil {
		fmt.Println(err)
		return
	}
	f.Close()
	data, _ := os.ReadFile(f.Name())
	fmt.Println("valid:", spec.Validate(data) == nil)

	s, err := spec.LoadFor(l.Service, f.Name())
	if err != nil {
		fmt.Println(err)
		return
	}
	m, ok := spec.NewIndex(s).Match("shop.internal:8080", "GET", "/users/42")
	fmt.Println(ok, m.Template, m.Op.Security, m.Op.ResponseFields["200"])
	// Output:
	// valid: true
	// true /users/{id} [bearer] [id]
}
