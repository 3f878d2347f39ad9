package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor/sensortest"
)

// corpusFile is a spec of the shared corpus (see sensortest.Corpus).
func corpusFile(tb testing.TB, name string) string {
	tb.Helper()
	return sensortest.Corpus(tb, "openapi/"+name)
}

func loadCorpus(tb testing.TB, name string) *Spec {
	tb.Helper()
	s, err := Load(corpusFile(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func findOp(s *Spec, method, path string) *Operation {
	for i := range s.Ops {
		if s.Ops[i].Method == method && s.Ops[i].Path == path {
			return &s.Ops[i]
		}
	}
	return nil
}

// TestLoadCorpus loads every spec of the corpus. The operation counts are
// those of shared/corpus/SOURCES.md (each counted by its own tool there);
// all agree.
func TestLoadCorpus(t *testing.T) {
	tests := []struct {
		file       string
		format     string
		version    string
		title      string
		ops        int
		deprecated int
		servers    []Server
		// one operation to look at closely
		method, path string
		params       []Param
		statuses     []string
		security     []string
		respStatus   string
		respFields   []string // a subset of ResponseFields[respStatus]
		reqFields    []string // a subset of RequestFields
	}{
		{
			file: "crapi/crapi-openapi-spec.json", format: "openapi", version: "3.0.1", title: "OWASP crAPI API", ops: 44,
			servers: []Server{{Host: "localhost:8888"}},
			method:  "GET", path: "/identity/api/v2/vehicle/{vehicleId}/location",
			params:   []Param{{Name: "vehicleId", In: "path", Required: true, Type: "string"}},
			statuses: []string{"200", "404"}, security: []string{"bearer"},
			respStatus: "200", respFields: []string{"carId", "vehicleLocation.latitude"},
		},
		{
			file: "vampi/openapi3.yml", format: "openapi", version: "3.0.1", title: "VAmPI", ops: 14,
			servers: []Server{{Host: "localhost:5000"}},
			method:  "GET", path: "/books/v1/{book_title}",
			params:   []Param{{Name: "book_title", In: "path", Required: true, Type: "string"}},
			statuses: []string{"200", "401", "404"}, security: []string{"bearer"},
			respStatus: "200", respFields: []string{"[].book_title", "[].owner", "[].secret"},
		},
		{
			// The TAB at line 308 ("status:<TAB>success") is accepted: see doc.go.
			file: "dvapi/DVAPI.postman_collection.yaml", format: "openapi", version: "3.0.0", title: "DVAPI", ops: 16,
			servers: []Server{{Host: "localhost:3000"}},
			method:  "POST", path: "/api/allChallenges",
			statuses: []string{"200", "401"}, security: []string{"bearer"},
		},
		{
			file: "swagger-petstore/openapi.yaml", format: "openapi", version: "3.0.4", title: "Swagger Petstore - OpenAPI 3.0", ops: 19,
			servers: []Server{{Host: "petstore3.swagger.io", BasePath: "/api/v3"}},
			method:  "GET", path: "/pet/{petId}",
			params:   []Param{{Name: "petId", In: "path", Required: true, Type: "integer"}},
			statuses: []string{"200", "400", "404", "default"}, security: []string{"apiKeyHeader:api_key", "oauth2"},
			respStatus: "200", respFields: []string{"category.name", "id", "name", "photoUrls", "tags[].id"},
		},
		{
			file: "oai-examples/petstore.yaml", format: "openapi", version: "3.0.0", title: "Swagger Petstore", ops: 3,
			servers: []Server{{Host: "petstore.swagger.io", BasePath: "/v1"}},
			method:  "GET", path: "/pets",
			params:     []Param{{Name: "limit", In: "query", Type: "integer"}},
			statuses:   []string{"200", "default"},
			respStatus: "200", respFields: []string{"[].id", "[].name", "[].tag"},
		},
		{
			file: "oai-examples/petstore-expanded.yaml", format: "openapi", version: "3.0.0", title: "Swagger Petstore", ops: 4,
			servers: []Server{{Host: "petstore.swagger.io", BasePath: "/v2"}},
			method:  "POST", path: "/pets",
			statuses:   []string{"200", "default"},
			respStatus: "200", respFields: []string{"id", "name", "tag"}, // allOf [NewPet, {id}]
			reqFields: []string{"name", "tag"},
		},
		{
			file: "juice-shop/swagger.yml", format: "openapi", version: "3.0.0", title: "NextGen B2B API", ops: 1,
			servers: []Server{{BasePath: "/b2b/v2"}},
			method:  "POST", path: "/orders",
			statuses: []string{"200"}, security: []string{"bearer"},
			respStatus: "200", respFields: []string{"cid", "orderNo", "paymentDue"},
			reqFields: []string{"cid", "orderLines[].productId", "orderLinesData"},
		},
		{
			// Swagger 2.0. No operation of v1.41 has "deprecated: true":
			// Docker marks deprecation in descriptions only.
			file: "docker/v1.41.yaml", format: "swagger", version: "2.0", title: "Docker Engine API", ops: 106,
			servers: []Server{{BasePath: "/v1.41"}},
			method:  "POST", path: "/containers/{id}/start",
			params:     []Param{{Name: "id", In: "path", Required: true, Type: "string"}, {Name: "detachKeys", In: "query", Type: "string"}},
			statuses:   []string{"204", "304", "400", "404", "500"},
			respStatus: "404", respFields: []string{"message"},
		},
		{
			file: "elasticsearch/elasticsearch-serverless-openapi.json", format: "openapi", version: "3.0.3", ops: 452, deprecated: 6,
			title:   "Elasticsearch Request & Response Specification",
			servers: []Server{{}},
			method:  "POST", path: "/{index}/_bulk",
			statuses: []string{"200"}, security: nil,
			respStatus: "200", respFields: []string{"errors", "items", "took"},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			s := loadCorpus(t, tt.file)
			if s.Format != tt.format || s.SpecVersion != tt.version || s.Title != tt.title {
				t.Errorf("format, version, title = %q %q %q, want %q %q %q", s.Format, s.SpecVersion, s.Title, tt.format, tt.version, tt.title)
			}
			if len(s.Ops) != tt.ops {
				t.Errorf("%d operations, want %d", len(s.Ops), tt.ops)
			}
			if !slices.Equal(s.Servers, tt.servers) {
				t.Errorf("servers %+v, want %+v", s.Servers, tt.servers)
			}
			dep := 0
			for _, o := range s.Ops {
				if o.Deprecated {
					dep++
				}
				if o.Method != strings.ToUpper(o.Method) || !strings.HasPrefix(o.Path, "/") {
					t.Errorf("bad operation %s %s", o.Method, o.Path)
				}
				for _, p := range o.Params {
					if p.Name == "" || (p.In != "query" && p.In != "path" && p.In != "header") {
						t.Errorf("%s %s: bad param %+v", o.Method, o.Path, p)
					}
				}
			}
			if dep != tt.deprecated {
				t.Errorf("%d deprecated operations, want %d", dep, tt.deprecated)
			}
			if len(s.Warnings) > 0 {
				t.Errorf("warnings: %q", s.Warnings)
			}
			op := findOp(s, tt.method, tt.path)
			if op == nil {
				t.Fatalf("no operation %s %s", tt.method, tt.path)
			}
			if tt.params != nil && !slices.Equal(op.Params, tt.params) {
				t.Errorf("params %+v, want %+v", op.Params, tt.params)
			}
			if !slices.Equal(op.Statuses, tt.statuses) {
				t.Errorf("statuses %q, want %q", op.Statuses, tt.statuses)
			}
			if !slices.Equal(op.Security, tt.security) {
				t.Errorf("security %q, want %q", op.Security, tt.security)
			}
			for _, f := range tt.respFields {
				if !slices.Contains(op.ResponseFields[tt.respStatus], f) {
					t.Errorf("response %s fields %q lack %q", tt.respStatus, op.ResponseFields[tt.respStatus], f)
				}
			}
			for _, f := range tt.reqFields {
				if !slices.Contains(op.RequestFields, f) {
					t.Errorf("request fields %q lack %q", op.RequestFields, f)
				}
			}
		})
	}
}

// TestLoadTab: DVAPI line 308 is "status:<TAB>success" inside a mapping.
// PyYAML rejects it; libopenapi's YAML parser takes the TAB as the
// separating white space YAML 1.2 allows there, so no pre-pass is needed.
func TestLoadTab(t *testing.T) {
	file := corpusFile(t, "dvapi/DVAPI.postman_collection.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if line := strings.Split(string(data), "\n")[307]; !strings.Contains(line, "status:\tsuccess") {
		t.Fatalf("line 308 is %q: the corpus changed", line)
	}
	doc := "openapi: 3.0.0\ninfo:\n  title:\tTabbed\n  version: '1'\npaths: {}\n"
	s, err := Parse("tab.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.Title != "Tabbed" {
		t.Errorf("title %q, want %q", s.Title, "Tabbed")
	}
}

func TestLoadDeprecated(t *testing.T) {
	es := loadCorpus(t, "elasticsearch/elasticsearch-serverless-openapi.json")
	var got []string
	for _, o := range es.Ops {
		if o.Deprecated {
			got = append(got, o.Method+" "+o.Path)
		}
	}
	want := []string{
		"GET /_application/analytics",
		"GET /_application/analytics/{name}",
		"PUT /_application/analytics/{name}",
		"DELETE /_application/analytics/{name}",
		"PUT /_inference/{task_type}/{elser_inference_id}",
		"POST /_ml/anomaly_detectors/{job_id}/_flush",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("deprecated %q, want %q", got, want)
	}
}

// TestLoadElasticsearchTime loads the 3.8 MiB spec, field paths and all,
// in under 2 s: about 400 ms of wall time and 550 ms of CPU time (GC runs
// beside it) on the project's 2-core machine. Other test binaries or
// fuzzers sharing those cores can stretch the wall time, so the best of
// three tries counts, and a slow wall time with CPU time under the limit
// only logs.
func TestLoadElasticsearchTime(t *testing.T) {
	file := corpusFile(t, "elasticsearch/elasticsearch-serverless-openapi.json")
	limit := 2 * time.Second
	if raceEnabled {
		limit *= 10
	}
	var s *Spec
	wall, cpu := time.Duration(1<<63-1), time.Duration(1<<63-1)
	for range 3 {
		c0, cpuOK := cpuTime()
		start := time.Now()
		var err error
		if s, err = Load(file); err != nil {
			t.Fatal(err)
		}
		wall = min(wall, time.Since(start))
		if c1, ok := cpuTime(); ok && cpuOK {
			cpu = min(cpu, c1-c0)
		}
		if wall < limit {
			break
		}
	}
	t.Logf("loaded %d operations in %v (CPU %v)", len(s.Ops), wall, cpu)
	switch {
	case wall < limit:
	case cpu < limit:
		t.Logf("wall time %v over %v but CPU time %v under it: the machine is busy", wall, limit, cpu)
	default:
		t.Errorf("load took %v (CPU %v), want < %v", wall, cpu, limit)
	}
	// Field paths are bounded: depth 8 and maxFields per body.
	for _, o := range s.Ops {
		for st, f := range o.ResponseFields {
			if len(f) > maxFields {
				t.Errorf("%s %s %s: %d fields", o.Method, o.Path, st, len(f))
			}
			for _, p := range f {
				if n := strings.Count(p, ".") + strings.Count(p, "[]"); n > maxFieldDepth+1 {
					t.Errorf("%s %s %s: field %q deeper than %d", o.Method, o.Path, st, p, maxFieldDepth)
				}
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		want string // prefix of the error
		line int
	}{
		{"testdata/truncated.yaml", "testdata/truncated.yaml:10: syntax error", 10},
		{"testdata/badindent.yaml", "testdata/badindent.yaml:8: syntax error", 8},
		// A trailing comma is valid YAML flow syntax; the missing comma
		// before "/other" is the error.
		{"testdata/syntax.json", "testdata/syntax.json:6: syntax error", 6},
		{"testdata/text.yaml", "testdata/text.yaml: not an OpenAPI 3.x or Swagger 2.0 document", 0},
		{"testdata/not-openapi.yaml", "testdata/not-openapi.yaml: not an OpenAPI 3.x or Swagger 2.0 document", 0},
		{"testdata/missing.yaml", "testdata/missing.yaml: no such file or directory", 0},
		// YAML forbids a TAB in indentation (unlike DVAPI's TAB after "status:").
		{"testdata/tabindent.yaml", "testdata/tabindent.yaml:4: syntax error: column 1: found a tab character that violates indentation", 4},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			_, err := Load(tt.file)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want prefix %q", err, tt.want)
			}
			var le *LoadError
			if !errors.As(err, &le) || le.File != tt.file || le.Line != tt.line {
				t.Errorf("error %#v, want *LoadError for %s line %d", err, tt.file, tt.line)
			}
		})
	}
	if _, err := Load("testdata/not-openapi.yaml"); !errors.Is(err, ErrNotOpenAPI) {
		t.Errorf("errors.Is(%v, ErrNotOpenAPI) = false", err)
	}
	if _, err := Load("testdata/missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
	if _, err := Parse("empty.yaml", nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty document: %v, want ErrEmpty", err)
	}
}

func TestLoadFor(t *testing.T) {
	docker, err := LoadFor("Docker.local:2375", corpusFile(t, "docker/v1.41.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Server{{Host: "docker.local:2375", BasePath: "/v1.41"}}; !slices.Equal(docker.Servers, want) {
		t.Errorf("servers %+v, want %+v", docker.Servers, want)
	}
	routes, err := LoadFor("http://10.0.0.5:8080/", "testdata/routes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Two servers with the same base path become one.
	if want := []Server{{Host: "10.0.0.5:8080", BasePath: "/v1"}}; !slices.Equal(routes.Servers, want) {
		t.Errorf("servers %+v, want %+v", routes.Servers, want)
	}
}

func TestServerFromURL(t *testing.T) {
	tests := []struct {
		url  string
		want Server
	}{
		{"", Server{}},
		{"/", Server{}},
		{"/b2b/v2", Server{BasePath: "/b2b/v2"}},
		{"/api/v3/", Server{BasePath: "/api/v3"}},
		{"v1", Server{BasePath: "/v1"}},
		{"http://localhost:8888", Server{Host: "localhost:8888"}},
		{"https://Petstore3.swagger.io/api/v3", Server{Host: "petstore3.swagger.io", BasePath: "/api/v3"}},
		{"http://example.com:80/x?q=1", Server{Host: "example.com", BasePath: "/x"}},
		{"https://example.com:443", Server{Host: "example.com"}},
		{"https://example.com:8443/", Server{Host: "example.com:8443"}},
		{"//cdn.example.com/v1", Server{Host: "cdn.example.com", BasePath: "/v1"}},
		{"{scheme}://{host}/v1", Server{BasePath: "/v1"}},
		{"http://[::1]:8080/api", Server{Host: "[::1]:8080", BasePath: "/api"}},
	}
	for _, tt := range tests {
		if got := serverFromURL(tt.url); got != tt.want {
			t.Errorf("serverFromURL(%q) = %+v, want %+v", tt.url, got, tt.want)
		}
	}
}

func TestLoadRoutes(t *testing.T) {
	s, err := Load("testdata/routes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{{Host: "api.example.com", BasePath: "/v1"}, {Host: "eu.example.net:8080", BasePath: "/v1"}}
	if !slices.Equal(s.Servers, want) {
		t.Errorf("servers %+v, want %+v", s.Servers, want)
	}
	if s.SpecVersion != "3.1.0" || len(s.Ops) != 11 {
		t.Errorf("version %q, %d ops", s.SpecVersion, len(s.Ops))
	}
}
