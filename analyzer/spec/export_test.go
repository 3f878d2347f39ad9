package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func learnedShop() Learned {
	user := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"id":    map[string]any{"type": "integer"},
			"email": map[string]any{"type": "string", "format": "email"},
			"roles": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"address": map[string]any{
				"type":       "object",
				"properties": map[string]any{"city": map[string]any{"type": "string"}},
			},
			"nickname": map[string]any{"type": []any{"string", "null"}}, // 2020-12 style
		},
		"required": []any{"id", "email"},
	}
	problem := map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "string"}}}
	return Learned{
		Service: "shop.internal:8080",
		Endpoints: []LearnedEndpoint{
			{
				Method: "GET", Template: "/api/v1/users",
				QueryParams: []LearnedParam{{Name: "limit", Type: "integer"}, {Name: "q", Type: "string", Required: true}, {Name: "odd", Type: "uuid"}},
				Statuses:    []int{200, 401},
				ResponseSchemas: map[int]map[string]any{
					200: {"type": "array", "items": user},
					401: problem,
				},
				Security: []string{"bearer", "apiKeyHeader:X-API-Key"},
				Summary:  "List users",
			},
			{
				Method: "GET", Template: "/api/v1/users/{id}",
				Statuses:        []int{200, 404},
				ResponseSchemas: map[int]map[string]any{200: user},
				Security:        []string{"bearer"},
			},
			{
				Method: "get", Template: "/api/v1/users/me", // literal beside {id}
				Statuses: []int{200}, ResponseSchemas: map[int]map[string]any{200: user},
				Security: []string{"cookie:session"},
			},
			{
				Method: "PUT", Template: "/api/v1/users/{userId}", // same shape as {id}: shares its path
				RequestSchema: user, Statuses: []int{204},
				Security: []string{"bearer"},
			},
			{
				Method: "DELETE", Template: "/api/v1/orgs/{id}/members/{id}", // repeated name
				Statuses: []int{204}, Deprecated: true,
				Security: []string{"basic"},
			},
			{
				Method: "POST", Template: "/api/v1/files/{name}.json",
				RequestSchema: map[string]any{"type": "object"},
				Security:      []string{"apiKeyQuery:api_key", "oauth2-unknown"},
			},
			{
				Method: "GET", Template: "/healthz", Statuses: []int{200, 0, 999},
			},
		},
	}
}

// TestWriteRoundTrip writes a learned service, validates the document with
// libopenapi, loads it back pinned to the service and matches every learned
// endpoint.
func TestWriteRoundTrip(t *testing.T) {
	l := learnedShop()
	var buf bytes.Buffer
	if err := Write(&buf, l); err != nil {
		t.Fatal(err)
	}
	if err := Validate(buf.Bytes()); err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi %v", doc["openapi"])
	}
	if got := doc["servers"].([]any)[0].(map[string]any)["url"]; got != "http://shop.internal:8080" {
		t.Errorf("server %v", got)
	}

	file := filepath.Join(t.TempDir(), "shop.json")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadFor(l.Service, file)
	if err != nil {
		t.Fatal(err)
	}
	if s.SpecVersion != "3.1.0" || s.Title != l.Service || len(s.Warnings) > 0 {
		t.Errorf("version %q title %q warnings %q", s.SpecVersion, s.Title, s.Warnings)
	}
	if want := []Server{{Host: "shop.internal:8080"}}; !slices.Equal(s.Servers, want) {
		t.Errorf("servers %+v", s.Servers)
	}
	if len(s.Ops) != len(l.Endpoints) {
		t.Errorf("%d operations, want %d", len(s.Ops), len(l.Endpoints))
	}
	x := NewIndex(s)

	tests := []struct {
		method, path, template string
		security               []string
		params                 []Param
		statuses               []string
	}{
		{"GET", "/api/v1/users", "/api/v1/users", []string{"apiKeyHeader:X-API-Key", "bearer"},
			[]Param{{Name: "limit", In: "query", Type: "integer"}, {Name: "q", In: "query", Required: true, Type: "string"}, {Name: "odd", In: "query", Type: "string"}},
			[]string{"200", "401"}},
		{"GET", "/api/v1/users/42", "/api/v1/users/{id}", []string{"bearer"},
			[]Param{{Name: "id", In: "path", Required: true, Type: "string"}}, []string{"200", "404"}},
		{"GET", "/api/v1/users/me", "/api/v1/users/me", []string{"cookie:session"}, nil, []string{"200"}},
		{"PUT", "/api/v1/users/42", "/api/v1/users/{id}", []string{"bearer"},
			[]Param{{Name: "id", In: "path", Required: true, Type: "string"}}, []string{"204"}},
		{"DELETE", "/api/v1/orgs/7/members/9", "/api/v1/orgs/{id}/members/{id2}", []string{"basic"},
			[]Param{{Name: "id", In: "path", Required: true, Type: "string"}, {Name: "id2", In: "path", Required: true, Type: "string"}}, []string{"204"}},
		{"POST", "/api/v1/files/report.json", "/api/v1/files/{name}.json", []string{"apiKeyQuery:api_key"},
			[]Param{{Name: "name", In: "path", Required: true, Type: "string"}}, []string{"default"}},
		{"GET", "/healthz", "/healthz", nil, nil, []string{"200"}},
	}
	for _, tt := range tests {
		m, ok := x.Match("shop.internal:8080", tt.method, tt.path)
		if !ok || m.Template != tt.template {
			t.Errorf("Match(%s %s) = %q, %v; want %q", tt.method, tt.path, m.Template, ok, tt.template)
			continue
		}
		if !slices.Equal(m.Op.Security, tt.security) {
			t.Errorf("%s %s: security %q, want %q", tt.method, tt.template, m.Op.Security, tt.security)
		}
		if !slices.Equal(m.Op.Params, tt.params) {
			t.Errorf("%s %s: params %+v, want %+v", tt.method, tt.template, m.Op.Params, tt.params)
		}
		if !slices.Equal(m.Op.Statuses, tt.statuses) {
			t.Errorf("%s %s: statuses %q, want %q", tt.method, tt.template, m.Op.Statuses, tt.statuses)
		}
	}
	if _, ok := x.Match("other:8080", "GET", "/healthz"); ok {
		t.Error("matched another host")
	}

	users, _ := x.Match("shop.internal:8080", "GET", "/api/v1/users")
	if want := []string{"[].address", "[].address.city", "[].email", "[].id", "[].nickname", "[].roles"}; !slices.Equal(users.Op.ResponseFields["200"], want) {
		t.Errorf("response fields %q, want %q", users.Op.ResponseFields["200"], want)
	}
	if users.Op.Summary != "List users" {
		t.Errorf("summary %q", users.Op.Summary)
	}
	put, _ := x.Match("shop.internal:8080", "PUT", "/api/v1/users/1")
	if !slices.Contains(put.Op.RequestFields, "address.city") {
		t.Errorf("request fields %q", put.Op.RequestFields)
	}
	del, _ := x.Match("shop.internal:8080", "DELETE", "/api/v1/orgs/1/members/2")
	if !del.Op.Deprecated {
		t.Error("DELETE not deprecated")
	}
}

func TestWriteErrors(t *testing.T) {
	for _, l := range []Learned{
		{},
		{Service: "s", Endpoints: []LearnedEndpoint{{Method: "GET", Template: "users"}}},
		{Service: "s", Endpoints: []LearnedEndpoint{{Method: "GET", Template: "/users/{id"}}},
		{Service: "s", Endpoints: []LearnedEndpoint{{Method: "PROPFIND", Template: "/dav"}}},
	} {
		if err := Write(&bytes.Buffer{}, l); err == nil {
			t.Errorf("Write(%+v): no error", l)
		} else {
			t.Log(err)
		}
	}
}

func TestValidate(t *testing.T) {
	// Every corpus spec is valid but Docker's, whose YAML writes response
	// codes unquoted (200:): integer keys, which the validator rejects
	// although Load accepts them.
	for _, f := range []string{
		"crapi/crapi-openapi-spec.json",
		"vampi/openapi3.yml",
		"dvapi/DVAPI.postman_collection.yaml",
		"swagger-petstore/openapi.yaml",
		"oai-examples/petstore.yaml",
		"oai-examples/petstore-expanded.yaml",
		"juice-shop/swagger.yml",
		"elasticsearch/elasticsearch-serverless-openapi.json",
		"docker/v1.41.yaml",
	} {
		data, err := os.ReadFile(corpusFile(t, f))
		if err != nil {
			t.Fatal(err)
		}
		err = Validate(data)
		if strings.HasPrefix(f, "docker/") {
			if err == nil || !strings.Contains(err.Error(), `quote 200 as "200"`) {
				t.Errorf("%s: %v, want the unquoted status code", f, err)
			}
		} else if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	bad := []struct{ name, doc, want string }{
		{"no info.version", `{"openapi": "3.1.0", "info": {"title": "x"}, "paths": {}}`, "$.info: missing property 'version'"},
		{"bad parameter location", `{"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"name": "p", "in": "body", "schema": {}}], "responses": {"200": {"description": "ok"}}}}}}`, "line 1: $.paths['~1a'].get.parameters[0].in"},
		{"dangling $ref", `{"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}}}}}}`, "Nope"},
		{"syntax", "openapi: 3.1.0\ninfo: {title: x\n", "syntax error"},
		{"not openapi", "a: b\n", "not an OpenAPI"},
	}
	for _, tt := range bad {
		err := Validate([]byte(tt.doc))
		if err == nil {
			t.Errorf("%s: valid", tt.name)
			continue
		}
		t.Logf("%s: %v", tt.name, err)
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
