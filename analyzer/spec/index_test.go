package spec

import (
	"slices"
	"testing"
)

func mustLoad(tb testing.TB, path string) *Spec {
	tb.Helper()
	s, err := Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestMatch(t *testing.T) {
	docker := loadCorpus(t, "docker/v1.41.yaml")
	dockerOnHost, err := LoadFor("docker.local:2375", corpusFile(t, "docker/v1.41.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	juice := loadCorpus(t, "juice-shop/swagger.yml")
	crapi := loadCorpus(t, "crapi/crapi-openapi-spec.json")
	routes := mustLoad(t, "testdata/routes.yaml")
	x := NewIndex(dockerOnHost, routes, juice, crapi)
	anyDocker := NewIndex(docker)

	tests := []struct {
		name               string
		x                  *Index
		host, method, path string
		want               string // template, "" = no match
		spec               *Spec
	}{
		{"docker start", anyDocker, "10.1.2.3:2375", "POST", "/v1.41/containers/4f3e8a1b2c9d0e7f/start", "/v1.41/containers/{id}/start", docker},
		{"docker ping", anyDocker, "x", "GET", "/v1.41/_ping", "/v1.41/_ping", docker},
		{"docker create", anyDocker, "x", "POST", "/v1.41/containers/create", "/v1.41/containers/create", docker},
		{"docker create wins over {id}", anyDocker, "x", "POST", "/v1.41/containers/create", "/v1.41/containers/create", docker},
		{"docker GET not POST", anyDocker, "x", "GET", "/v1.41/containers/4f3e/start", "", nil},
		{"docker no base path", anyDocker, "x", "POST", "/containers/4f3e/start", "", nil},
		{"docker other version", anyDocker, "x", "POST", "/v1.40/containers/4f3e/start", "", nil},
		{"docker base path prefix only", anyDocker, "x", "GET", "/v1.410/_ping", "", nil},
		{"docker trailing slash", anyDocker, "x", "GET", "/v1.41/_ping/", "/v1.41/_ping", docker},
		{"docker empty id", anyDocker, "x", "POST", "/v1.41/containers//start", "", nil},

		{"pinned host", x, "docker.local:2375", "POST", "/v1.41/containers/abc/wait", "/v1.41/containers/{id}/wait", dockerOnHost},
		{"pinned host, case", x, "DOCKER.local:2375", "POST", "/v1.41/containers/abc/wait", "/v1.41/containers/{id}/wait", dockerOnHost},
		{"pinned host, other port", x, "docker.local:2376", "POST", "/v1.41/containers/abc/wait", "", nil},
		{"pinned host, other host", x, "other:2375", "POST", "/v1.41/containers/abc/wait", "", nil},

		{"literal over param", x, "api.example.com", "GET", "/v1/users/me", "/v1/users/me", routes},
		{"param", x, "api.example.com", "GET", "/v1/users/42", "/v1/users/{id}", routes},
		{"backtrack by method", x, "api.example.com", "DELETE", "/v1/users/me", "/v1/users/{id}", routes},
		{"collection", x, "api.example.com", "POST", "/v1/users", "/v1/users", routes},
		{"undocumented method", x, "api.example.com", "PUT", "/v1/users", "", nil},
		{"undocumented path", x, "api.example.com", "GET", "/v1/users/42/friends", "", nil},
		{"root", x, "api.example.com", "GET", "/v1", "/v1/", routes},
		{"root slash", x, "api.example.com", "GET", "/v1/", "/v1/", routes},
		{"mixed segment", x, "api.example.com", "GET", "/v1/users/42/avatar.png", "/v1/users/{id}/avatar.png", routes},
		{"two params in a segment", x, "api.example.com", "GET", "/v1/files/report.pdf", "/v1/files/{name}.{ext}", routes},
		{"mixed falls back to param", x, "api.example.com", "GET", "/v1/files/README", "/v1/files/{name}", routes},
		{"prefix and suffix", x, "api.example.com", "GET", "/v1/reports/report-2024.csv", "/v1/reports/report-{year}.csv", routes},
		{"prefix and suffix, empty param", x, "api.example.com", "GET", "/v1/reports/report-.csv", "", nil},
		{"template with trailing slash", x, "api.example.com", "GET", "/v1/items", "/v1/items/", routes},
		{"server host without port, any port", x, "api.example.com:8443", "GET", "/v1/users", "/v1/users", routes},
		{"server variable default", x, "eu.example.net:8080", "GET", "/v1/users/7", "/v1/users/{id}", routes},
		{"server variable, wrong port", x, "eu.example.net", "GET", "/v1/users/7", "", nil},
		{"host not documented", x, "evil.example.com", "GET", "/v1/users", "", nil},

		{"relative server /b2b/v2, any host", x, "juice.local:3000", "POST", "/b2b/v2/orders", "/b2b/v2/orders", juice},
		{"juice-shop undocumented /rest", x, "juice.local:3000", "GET", "/rest/products/search", "", nil},
		{"crapi", x, "localhost:8888", "GET", "/identity/api/v2/vehicle/0be319f0-ff1c/location", "/identity/api/v2/vehicle/{vehicleId}/location", crapi},
		{"crapi wrong host", x, "localhost:9999", "GET", "/identity/api/v2/vehicle/0be319f0-ff1c/location", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := tt.x.Match(tt.host, tt.method, tt.path)
			if ok != (tt.want != "") || m.Template != tt.want {
				t.Fatalf("Match(%q, %q, %q) = %q, %v; want %q", tt.host, tt.method, tt.path, m.Template, ok, tt.want)
			}
			if !ok {
				if m != (Match{}) {
					t.Errorf("no match but %+v", m)
				}
				return
			}
			if tt.spec != nil && m.Spec != tt.spec {
				t.Errorf("spec %q, want %q", m.Spec.Title, tt.spec.Title)
			}
			if m.Op.Method != tt.method || m.Template != m.Spec.Servers[0].BasePath+m.Op.Path {
				t.Errorf("op %s %s, template %q", m.Op.Method, m.Op.Path, m.Template)
			}
		})
	}
}

func TestMatchLiteralOverParam(t *testing.T) {
	routes := mustLoad(t, "testdata/routes.yaml")
	x := NewIndex(routes)
	m, ok := x.Match("api.example.com", "GET", "/v1/users/me")
	if !ok || m.Template != "/v1/users/me" || m.Op.Path != "/users/me" {
		t.Fatalf("GET /v1/users/me matched %q, %v; want /v1/users/me", m.Template, ok)
	}
	m, ok = x.Match("api.example.com", "DELETE", "/v1/users/me")
	if !ok || m.Template != "/v1/users/{id}" || !m.Op.Deprecated {
		t.Fatalf("DELETE /v1/users/me matched %q, %v; want the deprecated /v1/users/{id}", m.Template, ok)
	}
}

func TestMatchElasticsearch(t *testing.T) {
	es := loadCorpus(t, "elasticsearch/elasticsearch-serverless-openapi.json")
	x := NewIndex(es)
	tests := []struct{ method, path, want string }{
		{"POST", "/_bulk", "/_bulk"},
		{"POST", "/logs-2024/_bulk", "/{index}/_bulk"},
		{"GET", "/logs-2024/_search", "/{index}/_search"},
		{"GET", "/_search", "/_search"},
		{"GET", "/_cat/indices", "/_cat/indices"},
		{"GET", "/_cat/indices/logs-*", "/_cat/indices/{index}"},
		{"PUT", "/logs/_doc/1", "/{index}/_doc/{id}"},
		{"GET", "/", "/"},
		{"GET", "/logs/_nothing_here", ""},
	}
	for _, tt := range tests {
		m, ok := x.Match("localhost:9200", tt.method, tt.path)
		if ok != (tt.want != "") || m.Template != tt.want {
			t.Errorf("Match(%s %s) = %q, %v; want %q", tt.method, tt.path, m.Template, ok, tt.want)
		}
	}
}

func TestMatchOtherVersion(t *testing.T) {
	routes := mustLoad(t, "testdata/routes.yaml")    // base path /v1
	docker := loadCorpus(t, "docker/v1.41.yaml")     // base path /v1.41
	juice := loadCorpus(t, "juice-shop/swagger.yml") // base path /b2b/v2
	x := NewIndex(routes, docker, juice)
	tests := []struct {
		name, host, method, path, want string
	}{
		{"v2 seen, v1 documented", "api.example.com", "GET", "/v2/users/42", "/v1/users/{id}"},
		{"v0 seen", "api.example.com", "GET", "/v0/users/me", "/v1/users/me"},
		{"same version is a plain match", "api.example.com", "GET", "/v1/users/42", ""},
		{"other version, other method", "api.example.com", "PUT", "/v2/users/42", ""},
		{"other version, undocumented path", "api.example.com", "GET", "/v2/groups", ""},
		{"other version, other host", "evil.example.com", "GET", "/v2/users/42", ""},
		{"docker v1.40", "docker.local", "POST", "/v1.40/containers/abc/start", "/v1.41/containers/{id}/start"},
		{"docker v1", "docker.local", "GET", "/v1/_ping", "/v1.41/_ping"},
		{"docker without version", "docker.local", "GET", "/_ping", ""},
		{"docker not a version", "docker.local", "GET", "/vx/_ping", ""},
		{"version inside the base path", "juice.local", "POST", "/b2b/v1/orders", "/b2b/v2/orders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := x.MatchOtherVersion(tt.host, tt.method, tt.path)
			if ok != (tt.want != "") || m.Template != tt.want {
				t.Errorf("MatchOtherVersion(%q, %q, %q) = %q, %v; want %q", tt.host, tt.method, tt.path, m.Template, ok, tt.want)
			}
		})
	}
	// The reverse: v2 documented, v1 seen.
	v2 := &Spec{Servers: []Server{{}}, Ops: []Operation{{Method: "GET", Path: "/api/v2/users/{id}"}}}
	if m, ok := NewIndex(v2).MatchOtherVersion("h", "GET", "/api/v1/users/7"); !ok || m.Template != "/api/v2/users/{id}" {
		t.Errorf("reverse: %q, %v", m.Template, ok)
	}
}

func TestIsVersion(t *testing.T) {
	for s, want := range map[string]bool{
		"v1": true, "v12": true, "v1.41": true, "v0.1": true,
		"": false, "v": false, "V1": false, "v1.": false, "v1.2.3": false, "v1a": false, "vx": false, "1": false, "v.1": false,
	} {
		if got := isVersion(s); got != want {
			t.Errorf("isVersion(%q) = %v", s, got)
		}
	}
}

func TestCoversAndOps(t *testing.T) {
	crapi := loadCorpus(t, "crapi/crapi-openapi-spec.json") // localhost:8888
	routes := mustLoad(t, "testdata/routes.yaml")           // two servers, base /v1
	x := NewIndex(crapi, routes)
	for host, want := range map[string]bool{
		"localhost:8888":       true,
		"LOCALHOST:8888":       true,
		"localhost:9999":       false,
		"api.example.com":      true,
		"api.example.com:8443": true,
		"eu.example.net:8080":  true,
		"eu.example.net":       false,
		"other":                false,
	} {
		if got := x.Covers(host); got != want {
			t.Errorf("Covers(%q) = %v, want %v", host, got, want)
		}
	}
	// A spec without host covers every host.
	juice := loadCorpus(t, "juice-shop/swagger.yml")
	if !NewIndex(crapi, juice).Covers("other") {
		t.Error("an any-host spec does not cover every host")
	}
	if NewIndex().Covers("x") {
		t.Error("empty index covers a host")
	}

	ops := x.Ops()
	if want := len(crapi.Ops) + len(routes.Ops); len(ops) != want {
		t.Errorf("%d ops, want %d (two servers with one base path count once)", len(ops), want)
	}
	var templates []string
	for _, m := range ops {
		if m.Spec == routes {
			templates = append(templates, m.Op.Method+" "+m.Template)
		}
	}
	if !slices.Contains(templates, "GET /v1/users/{id}") || !slices.Contains(templates, "GET /v1/") {
		t.Errorf("templates %q", templates)
	}
	ops[0] = Match{}
	if x.Ops()[0] == (Match{}) {
		t.Error("Ops returns the index's own slice")
	}
}

func TestMatchAllocs(t *testing.T) {
	es := loadCorpus(t, "elasticsearch/elasticsearch-serverless-openapi.json")
	docker := loadCorpus(t, "docker/v1.41.yaml")
	x := NewIndex(es, docker)
	for _, c := range [][3]string{
		{"localhost:9200", "POST", "/logs-2024/_bulk"},
		{"localhost:9200", "GET", "/logs/_nothing_here/x"},
		{"docker.local", "POST", "/v1.40/containers/abc/start"},
	} {
		if n := testing.AllocsPerRun(100, func() {
			x.Match(c[0], c[1], c[2])
			x.MatchOtherVersion(c[0], c[1], c[2])
		}); n != 0 {
			t.Errorf("%v: %v allocs per Match", c, n)
		}
	}
}

// BenchmarkMatch matches a mix of Elasticsearch requests (documented,
// parameterised and undocumented) against the serverless spec.
//
//	go test -run '^$' -bench Match -benchmem -count 6 ./analyzer/spec | tee match.txt
func BenchmarkMatch(b *testing.B) {
	es := loadCorpus(b, "elasticsearch/elasticsearch-serverless-openapi.json")
	x := NewIndex(es)
	reqs := [][2]string{
		{"POST", "/_bulk"},
		{"POST", "/logs-2024.01.01/_bulk"},
		{"GET", "/logs-2024.01.01/_search"},
		{"PUT", "/logs/_doc/8f1c2e"},
		{"GET", "/_cat/indices/logs-*"},
		{"GET", "/_security/_authenticate"},
		{"POST", "/_ml/anomaly_detectors/job-1/_flush"},
		{"GET", "/logs/_nothing_here"},
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r := reqs[n%len(reqs)]
		x.Match("localhost:9200", r[0], r[1])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "matches/s")
}
