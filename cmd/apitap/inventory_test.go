package main

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/spec"
)

// go test ./cmd/apitap -update also rewrites testdata/read-inventory.golden.
const (
	dockerSpec      = demoDir + "/docker-engine-v1.41.yaml"
	dockerOps       = 106 // operations in dockerSpec
	inventoryGolden = "testdata/read-inventory.golden"
	readme          = "../../README.md"
)

func runInventory(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := cmdInventory(args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// mustInventory runs an inventory that has to succeed and returns its
// stdout.
func mustInventory(t testing.TB, args ...string) string {
	t.Helper()
	r := runInventory(args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("inventory %q: exit status %d, stderr:\n%s", args, r.code, r.stderr)
	}
	return r.stdout
}

// endpoint is what a test identifies a row by.
type endpoint struct{ class, service, method, template string }

func (e endpoint) String() string {
	return e.class + " " + e.service + " " + e.method + " " + e.template
}

// The endpoints of testdata/demo/*.pcap, read with the Docker spec.
var (
	demoDocumented = []endpoint{
		{"documented", "192.168.122.87:2375", "POST", "/v1.41/containers/create"},
		{"documented", "192.168.122.87:2375", "POST", "/v1.41/containers/{id}/attach"},
		{"documented", "192.168.122.87:2375", "POST", "/v1.41/containers/{id}/resize"},
		{"documented", "192.168.122.87:2375", "POST", "/v1.41/containers/{id}/start"},
		{"documented", "192.168.122.87:2375", "POST", "/v1.41/containers/{id}/wait"},
	}
	demoShadow = []endpoint{
		{"shadow", "192.168.122.87:2375", "HEAD", "/_ping"},
		{"shadow", "eu.httpbin.org@vxlan=1", "GET", "/image/svg"},
		{"shadow", "localhost:8065", "POST", "/api/v4/uploads"},
		{"shadow", "localhost:8065", "POST", "/api/v4/uploads/{token}"},
		{"shadow", "localhost:8065", "POST", "/api/v4/users/login"},
	}
)

// sortedEndpoints returns the endpoints sorted by their String.
func sortedEndpoints(es ...[]endpoint) []endpoint {
	var out []endpoint
	for _, e := range es {
		out = append(out, e...)
	}
	slices.SortFunc(out, func(a, b endpoint) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// tableRows parses the rows of an inventory table: the lines between its
// header and the blank line before the counts line. The class loses its
// drift mark.
func tableRows(t *testing.T, table string) (rows []endpoint, counts string) {
	t.Helper()
	ls := lines(table)
	if len(ls) < 3 || !strings.HasPrefix(ls[0], "CLASS ") || ls[len(ls)-2] != "" {
		t.Fatalf("not an inventory table:\n%s", table)
	}
	for _, l := range ls[1 : len(ls)-2] {
		f := strings.Fields(l)
		if len(f) < 11 {
			t.Fatalf("short row %q", l)
		}
		rows = append(rows, endpoint{strings.TrimSuffix(f[0], "*"), f[1], f[2], f[3]})
	}
	return rows, ls[len(ls)-1]
}

// tookAny matches the took line of a summary that is followed by more.
var tookAny = regexp.MustCompile(`(?m)^took +(\S+)$`)

// normalizeTook replaces the wall time of the one took line by "X".
func normalizeTook(t *testing.T, out string) string {
	t.Helper()
	m := tookAny.FindAllStringSubmatch(out, -1)
	if len(m) != 1 {
		t.Fatalf("%d took lines, want 1:\n%s", len(m), out)
	}
	if _, err := time.ParseDuration(m[0][1]); err != nil {
		t.Errorf("took %q: %v", m[0][1], err)
	}
	return tookAny.ReplaceAllString(out, "took          X")
}

// apitap read --spec docker-engine-v1.41.yaml testdata/demo/*.pcap: the
// summary, then the inventory without orphans.
func TestReadSpecInventory(t *testing.T) {
	args := append([]string{"--spec", dockerSpec}, demoCaptures(t, demoDir)...)
	out := normalizeTook(t, mustRead(t, args...))

	summary, table, ok := strings.Cut(out, "took          X\n\n")
	if !ok {
		t.Fatalf("no blank line after the summary:\n%s", out)
	}
	want, err := os.ReadFile(golden) // the summary of the same captures
	if err != nil {
		t.Fatal(err)
	}
	if summary+"took          X\n" != string(want) {
		t.Errorf("summary differs from %s:\n%s", golden, summary)
	}
	rows, counts := tableRows(t, table)
	got := sortedEndpoints(rows)
	if wantRows := sortedEndpoints(demoDocumented, demoShadow); !slices.Equal(got, wantRows) {
		t.Errorf("rows\n%v\nwant\n%v", got, wantRows)
	}
	if want := "10 endpoints: 5 documented, 5 shadow, 0 zombie, 0 orphan (* drift from the spec)"; counts != want {
		t.Errorf("counts line %q, want %q", counts, want)
	}

	if *update {
		if err := os.WriteFile(inventoryGolden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gold, err := os.ReadFile(inventoryGolden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(gold) {
		t.Errorf("output differs from %s (go test ./cmd/apitap -update rewrites it)\ngot:\n%s\nwant:\n%s", inventoryGolden, out, gold)
	}
}

// jsonRow holds the fields of `inventory --format json` the tests look at
// (README, "JSON and CSV fields").
type jsonRow struct {
	Class     string            `json:"class"`
	Why       string            `json:"why"`
	Service   string            `json:"service"`
	Method    string            `json:"method"`
	Template  string            `json:"template"`
	Spec      string            `json:"spec"`
	SpecPath  string            `json:"spec_path"`
	ID        uint64            `json:"id"`
	Requests  uint64            `json:"requests"`
	Statuses  map[string]uint64 `json:"statuses"`
	Clients   uint64            `json:"clients"`
	LatencyMS []float64         `json:"latency_ms"`
	Auth      map[string]float64
	Sensitive []struct {
		Dir, Class, Path, Masked string
		Count                    uint64
	}
}

func (r jsonRow) endpoint() endpoint { return endpoint{r.Class, r.Service, r.Method, r.Template} }

// key is the endpoint without its class.
func (r jsonRow) key() string { return r.Service + " " + r.Method + " " + r.Template }

func inventoryJSON(t *testing.T, args ...string) []jsonRow {
	t.Helper()
	out := mustInventory(t, append([]string{"--format", "json"}, args...)...)
	var rows []jsonRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("inventory %q: %v\n%s", args, err, out)
	}
	return rows
}

// demoState reads testdata/demo/*.pcap into a new state directory.
func demoState(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"--state", dir}, extra...)
	out := mustRead(t, append(args, demoCaptures(t, demoDir)...)...)
	if want := fmt.Sprintf("inventory     10 endpoints in %s\n", filepath.Join(dir, "apitap.db")); !strings.HasSuffix(out, want) {
		t.Fatalf("summary does not end with %q:\n%s", want, out)
	}
	return dir
}

// byKey indexes rows by key, failing on duplicate keys or ids.
func byKey(t *testing.T, rows []jsonRow) map[string]jsonRow {
	t.Helper()
	m := make(map[string]jsonRow)
	ids := make(map[uint64]string)
	for _, r := range rows {
		if _, dup := m[r.key()]; dup {
			t.Errorf("endpoint %s listed twice", r.key())
		}
		m[r.key()] = r
		if r.ID == 0 {
			t.Errorf("%s: no id", r.key())
		} else if other, dup := ids[r.ID]; dup {
			t.Errorf("id %d of both %s and %s", r.ID, other, r.key())
		}
		ids[r.ID] = r.key()
	}
	return m
}

// Reads into the same --state merge: the endpoints of all reads, each once,
// with stable ids and summed counts.
func TestReadStateMerge(t *testing.T) {
	caps := demoCaptures(t, demoDir)
	if len(caps) != 3 {
		t.Fatalf("%d demo captures, want 3", len(caps))
	}
	all := byKey(t, inventoryJSON(t, "--state", demoState(t)))
	if len(all) != 10 {
		t.Fatalf("one read of all captures: %d endpoints, want 10", len(all))
	}
	for i, last := range caps {
		t.Run(filepath.Base(last)+" last", func(t *testing.T) {
			dir := t.TempDir()
			first := append(slices.Clone(caps[:i]), caps[i+1:]...)
			mustRead(t, append([]string{"--state", dir}, first...)...)
			before := byKey(t, inventoryJSON(t, "--state", dir))
			out := mustRead(t, "--state", dir, last)
			if want := fmt.Sprintf("inventory     10 endpoints in %s\n", filepath.Join(dir, "apitap.db")); !strings.HasSuffix(out, want) {
				t.Errorf("second read does not end with %q:\n%s", want, out)
			}
			after := byKey(t, inventoryJSON(t, "--state", dir))
			if len(after) != len(all) {
				t.Errorf("%d endpoints, want %d as from one read", len(after), len(all))
			}
			var requests uint64
			for k, r := range after {
				requests += r.Requests
				w, ok := all[k]
				switch {
				case !ok:
					t.Errorf("%s: not in one read of all captures", k)
				case r.Requests != w.Requests || !maps.Equal(r.Statuses, w.Statuses):
					t.Errorf("%s: requests %d statuses %v, want %d %v", k, r.Requests, r.Statuses, w.Requests, w.Statuses)
				}
				if b, ok := before[k]; ok && b.ID != r.ID {
					t.Errorf("%s: id %d after the second read, %d before", k, r.ID, b.ID)
				}
			}
			if requests != 10 {
				t.Errorf("%d requests in all, want the 10 transactions", requests)
			}
		})
	}
	t.Run("same captures again", func(t *testing.T) {
		dir := demoState(t)
		once := byKey(t, inventoryJSON(t, "--state", dir))
		mustRead(t, append([]string{"--state", dir}, caps...)...)
		twice := byKey(t, inventoryJSON(t, "--state", dir))
		if len(twice) != len(once) {
			t.Errorf("%d endpoints after reading twice, %d after once", len(twice), len(once))
		}
		for k, r := range twice {
			if o := once[k]; r.ID != o.ID || r.Requests != 2*o.Requests {
				t.Errorf("%s: id %d, %d requests; want id %d, %d requests", k, r.ID, r.Requests, o.ID, 2*o.Requests)
			}
		}
	})
}

// readmeSection returns the README text from the line starting with from up
// to the next line starting with to.
func readmeSection(t *testing.T, from, to string) string {
	t.Helper()
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, "\n"+from)
	if i < 0 {
		t.Fatalf("%s: no line starting with %q", readme, from)
	}
	s = s[i+1:]
	if j := strings.Index(s, "\n"+to); j >= 0 {
		s = s[:j]
	}
	return s
}

// csvColumns are the CSV columns the README lists.
func csvColumns(t *testing.T) []string {
	t.Helper()
	s := readmeSection(t, "CSV has the columns", "\n")
	m := regexp.MustCompile("(?s)`([^`]*)`").FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s: no column list in %q", readme, s)
	}
	return strings.Split(strings.Join(strings.Fields(m[1]), ""), ",")
}

// The output formats of apitap inventory, over the demo captures.
func TestInventoryFormats(t *testing.T) {
	dir := demoState(t)
	rows := inventoryJSON(t, "--state", dir)
	if len(rows) != 10 {
		t.Fatalf("%d endpoints, want 10", len(rows))
	}

	t.Run("json", func(t *testing.T) {
		out := mustInventory(t, "--state", dir, "--format", "json")
		var objs []map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &objs); err != nil {
			t.Fatalf("not a JSON array of objects: %v\n%s", err, out)
		}
		if len(objs) != 10 {
			t.Fatalf("%d objects, want 10", len(objs))
		}
		fieldsDoc := readmeSection(t, "**JSON and CSV fields**", "CSV has the columns")
		required := []string{"class", "service", "method", "template", "id", "first_seen", "last_seen",
			"requests", "statuses", "clients", "latency_ms", "req_bytes", "resp_bytes", "auth"}
		for i, o := range objs {
			for _, k := range required {
				if _, ok := o[k]; !ok {
					t.Errorf("object %d: no %q", i, k)
				}
			}
			for k := range o {
				if !strings.Contains(fieldsDoc, "`"+k+"`") {
					t.Errorf("object %d: key %q is not documented in the README", i, k)
				}
			}
			var lat []float64
			if err := json.Unmarshal(o["latency_ms"], &lat); err != nil || len(lat) != 3 || lat[0] < 0 || lat[0] > lat[1] || lat[1] > lat[2] {
				t.Errorf("object %d: latency_ms %s, want p50 <= p90 <= p99 (%v)", i, o["latency_ms"], err)
			}
			for _, k := range []string{"first_seen", "last_seen"} {
				var s string
				if err := json.Unmarshal(o[k], &s); err != nil {
					t.Errorf("object %d: %s %s: %v", i, k, o[k], err)
				} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
					t.Errorf("object %d: %s: %v", i, k, err)
				}
			}
		}
		got := make([]endpoint, len(rows))
		for i, r := range rows {
			got[i] = r.endpoint()
		}
		var want []endpoint // without a spec everything is shadow, with the learned templates
		for _, e := range sortedEndpoints(demoDocumented, demoShadow) {
			e.class, e.template = "shadow", strings.Replace(e.template, "{id}", "{hash}", 1)
			want = append(want, e)
		}
		if !slices.Equal(sortedEndpoints(got), sortedEndpoints(want)) {
			t.Errorf("endpoints\n%v\nwant\n%v", got, want)
		}
	})

	t.Run("csv", func(t *testing.T) {
		out := mustInventory(t, "--state", dir, "--format", "csv")
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		cols := csvColumns(t)
		if len(cols) != 22 {
			t.Fatalf("README lists %d CSV columns, want 22: %q", len(cols), cols)
		}
		if want := strings.Join(cols, ",") + "\n"; !strings.HasPrefix(out, want) {
			t.Errorf("header line %q, want %q", lines(out)[0], want)
		}
		if len(recs) != 1+len(rows) {
			t.Fatalf("%d records, want a header and %d endpoints", len(recs), len(rows))
		}
		col := func(rec []string, name string) string { return rec[slices.Index(cols, name)] }
		for i, rec := range recs[1:] {
			r := rows[i] // both in the same order
			got := []string{col(rec, "class"), col(rec, "service"), col(rec, "method"), col(rec, "template"), col(rec, "requests")}
			want := []string{r.Class, r.Service, r.Method, r.Template, fmt.Sprint(r.Requests)}
			if !slices.Equal(got, want) {
				t.Errorf("line %d: %q, want %q as in the JSON", i+2, got, want)
			}
		}
	})

	t.Run("table", func(t *testing.T) {
		out := mustInventory(t, "--state", dir) // the default format
		if out != mustInventory(t, "--state", dir, "--format", "table") {
			t.Errorf("the default format is not table")
		}
		trows, counts := tableRows(t, out)
		if len(trows) != 10 {
			t.Errorf("%d rows, want 10", len(trows))
		}
		if want := "10 endpoints: 0 documented, 10 shadow, 0 zombie, 0 orphan (* drift from the spec)"; counts != want {
			t.Errorf("counts line %q, want %q", counts, want)
		}
	})

	// external matches what would make a browser fetch something.
	external := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*(https?:|//)|url\(\s*["']?\s*(https?:|//)|@import`)
	for _, tt := range []struct {
		name string
		args []string
		n    int
	}{
		{"html", nil, 10},
		{"html with orphans", []string{"--spec", dockerSpec}, 10 + dockerOps - 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := mustInventory(t, append([]string{"--state", dir, "--format", "html"}, tt.args...)...)
			if !strings.HasPrefix(out, "<!doctype html>") {
				t.Errorf("does not start with <!doctype html>: %.40q", out)
			}
			if n := strings.Count(out, "<details>"); n != tt.n {
				t.Errorf("%d <details>, want one per endpoint: %d", n, tt.n)
			}
			if m := external.FindString(out); m != "" {
				t.Errorf("refers to an external resource: %q", m)
			}
		})
	}

	t.Run("openapi one service", func(t *testing.T) {
		for _, svc := range []string{"localhost:8065", "eu.httpbin.org"} { // a host stands for host@tunnel
			out := mustInventory(t, "--state", dir, "--format", "openapi", "--service", svc)
			if err := spec.Validate([]byte(out)); err != nil {
				t.Errorf("--service %s: %v\n%s", svc, err, out)
			}
			var doc struct {
				OpenAPI string                    `json:"openapi"`
				Paths   map[string]map[string]any `json:"paths"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			var want int
			for _, r := range rows {
				if r.Service == svc || strings.HasPrefix(r.Service, svc+"@") {
					want++
					if doc.Paths[r.Template][strings.ToLower(r.Method)] == nil {
						t.Errorf("--service %s: no %s %s", svc, r.Method, r.Template)
					}
				}
			}
			if doc.OpenAPI != "3.1.0" || len(doc.Paths) == 0 || want == 0 {
				t.Errorf("--service %s: openapi %q, %d paths, %d endpoints", svc, doc.OpenAPI, len(doc.Paths), want)
			}
		}
	})

	t.Run("openapi several services", func(t *testing.T) {
		r := runInventory("--state", dir, "--format", "openapi")
		if want := "apitap inventory: 3 services: choose one with --service, or give --out DIR\n"; r.code != 2 || r.stdout != "" || r.stderr != want {
			t.Errorf("exit status %d, stdout %.40q, stderr %q; want 2, none, %q", r.code, r.stdout, r.stderr, want)
		}
		r = runInventory("--state", dir, "--format", "openapi", "--service", "nosuch:1")
		if want := "apitap inventory: --service \"nosuch:1\": no endpoints seen\n"; r.code != 1 || r.stdout != "" || r.stderr != want {
			t.Errorf("unknown service: exit status %d, stdout %.40q, stderr %q; want 1, none, %q", r.code, r.stdout, r.stderr, want)
		}
	})

	t.Run("openapi --out", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "specs")
		printed := lines(mustInventory(t, "--state", dir, "--format", "openapi", "--out", out))
		want := []string{
			filepath.Join(out, "192.168.122.87_2375.openapi.json"),
			filepath.Join(out, "eu.httpbin.org_vxlan_1.openapi.json"),
			filepath.Join(out, "localhost_8065.openapi.json"),
		}
		if !slices.Equal(printed, want) {
			t.Fatalf("stdout %q, want %q", printed, want)
		}
		files, _ := filepath.Glob(filepath.Join(out, "*"))
		if !slices.Equal(files, want) {
			t.Errorf("files %q, want %q", files, want)
		}
		for i, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := spec.Validate(data); err != nil {
				t.Errorf("%s: %v", f, err)
			}
			// Imported back, the document makes its service's endpoints
			// documented, and only those.
			back := inventoryJSON(t, "--state", dir, "--spec", f)
			svc := []string{"192.168.122.87:2375", "eu.httpbin.org@vxlan=1", "localhost:8065"}[i]
			for _, r := range back {
				if want := map[bool]string{true: "documented", false: "shadow"}[r.Service == svc]; r.Class != want {
					t.Errorf("with --spec %s: %s is %s, want %s", f, r.key(), r.Class, want)
				}
			}
		}
	})
}

// Filters: --class, --service, and orphans from --spec.
func TestInventoryFilters(t *testing.T) {
	dir := demoState(t, "--spec", dockerSpec)
	classes := func(rows []jsonRow) map[string]int {
		m := map[string]int{}
		for _, r := range rows {
			m[r.Class]++
		}
		return m
	}
	endpoints := func(rows []jsonRow) []endpoint {
		var out []endpoint
		for _, r := range rows {
			out = append(out, r.endpoint())
		}
		return sortedEndpoints(out)
	}

	all := inventoryJSON(t, "--state", dir, "--spec", dockerSpec)
	if c := classes(all); len(all) != 5+5+dockerOps-5 || c["documented"] != 5 || c["shadow"] != 5 || c["orphan"] != dockerOps-5 {
		t.Errorf("%d rows %v, want 5 documented, 5 shadow, %d orphan", len(all), c, dockerOps-5)
	}

	t.Run("shadow", func(t *testing.T) {
		got := endpoints(inventoryJSON(t, "--state", dir, "--spec", dockerSpec, "--class", "shadow"))
		if want := sortedEndpoints(demoShadow); !slices.Equal(got, want) {
			t.Errorf("--class shadow:\n%v\nwant\n%v", got, want)
		}
		trows, counts := tableRows(t, mustInventory(t, "--state", dir, "--spec", dockerSpec, "--class", "shadow"))
		if !slices.Equal(sortedEndpoints(trows), sortedEndpoints(demoShadow)) {
			t.Errorf("--class shadow table:\n%v", trows)
		}
		if want := "5 endpoints: 0 documented, 5 shadow, 0 zombie, 0 orphan (* drift from the spec)"; counts != want {
			t.Errorf("counts line %q, want %q", counts, want)
		}
	})

	t.Run("several classes", func(t *testing.T) {
		got := endpoints(inventoryJSON(t, "--state", dir, "--spec", dockerSpec, "--class", "documented, shadow"))
		if want := sortedEndpoints(demoDocumented, demoShadow); !slices.Equal(got, want) {
			t.Errorf("--class documented,shadow:\n%v\nwant\n%v", got, want)
		}
	})

	t.Run("bogus class", func(t *testing.T) {
		for _, c := range []string{"bogus", "shadow,bogus", "Shadow"} {
			r := runInventory("--state", dir, "--class", c)
			bad := c[strings.LastIndex(c, ",")+1:]
			want := fmt.Sprintf("apitap inventory: --class %q: want documented, shadow, zombie or orphan\n", bad)
			if r.code != 2 || r.stdout != "" || r.stderr != want {
				t.Errorf("--class %s: exit status %d, stdout %.40q, stderr %q; want 2, none, %q", c, r.code, r.stdout, r.stderr, want)
			}
		}
	})

	t.Run("service", func(t *testing.T) {
		for _, tt := range []struct {
			service string
			want    []endpoint
		}{
			{"localhost:8065", demoShadow[2:]},
			{"eu.httpbin.org", demoShadow[1:2]}, // the host without the tunnel
			{"eu.httpbin.org@vxlan=1", demoShadow[1:2]},
			{"192.168.122.87:2375", append(slices.Clone(demoDocumented), demoShadow[0])},
			{"nosuch:1", nil},
		} {
			got := endpoints(inventoryJSON(t, "--state", dir, "--spec", dockerSpec, "--class", "documented,shadow", "--service", tt.service))
			if want := sortedEndpoints(tt.want); !slices.Equal(got, want) {
				t.Errorf("--service %s:\n%v\nwant\n%v", tt.service, got, want)
			}
		}
	})

	t.Run("orphans", func(t *testing.T) {
		orphans := inventoryJSON(t, "--state", dir, "--spec", dockerSpec, "--class", "orphan")
		if len(orphans) != dockerOps-5 {
			t.Errorf("%d orphans, want %d: the Docker operations never seen", len(orphans), dockerOps-5)
		}
		sp, err := spec.Load(dockerSpec)
		if err != nil {
			t.Fatal(err)
		}
		if len(sp.Ops) != dockerOps {
			t.Fatalf("%s: %d operations, want %d", dockerSpec, len(sp.Ops), dockerOps)
		}
		// Orphans and the documented endpoints seen are the spec's
		// operations, each once.
		var got, want []string
		for _, r := range orphans {
			if r.Class != "orphan" || r.Requests != 0 || r.Spec != dockerSpec || r.SpecPath != r.Template {
				t.Errorf("orphan %+v", r)
			}
			got = append(got, r.Method+" "+r.Template)
		}
		for _, e := range demoDocumented {
			got = append(got, e.method+" "+e.template)
		}
		for _, op := range sp.Ops {
			want = append(want, op.Method+" /v1.41"+op.Path)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("orphans and documented endpoints:\n%q\nwant the spec's operations:\n%q", got, want)
		}
	})
}

// badSpecs makes broken specs in dir; each gives the stderr message
// (without the command's prefix).
func badSpecs(t *testing.T, dir string) map[string]func() (path, msg string) {
	data, err := os.ReadFile(dockerSpec)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return map[string]func() (string, string){
		"truncated in a quoted string": func() (string, string) {
			// Cut in the middle of `summary: "List containers"`.
			i := bytes.Index(data, []byte("\npaths:\n"))
			j := i + bytes.Index(data[i:], []byte(`: "`)) + 6
			p := write("cut.yaml", data[:j])
			line := bytes.Count(data[:j], []byte("\n")) + 1
			return p, fmt.Sprintf("%s:%d: syntax error: column 20: found unexpected end of stream (while scanning a quoted scalar at line %d)", p, line, line)
		},
		"truncated before the paths": func() (string, string) {
			// Cut in the description, a block scalar: still valid YAML.
			p := write("short.yaml", data[:3000])
			return p, p + `: no operations (no "paths" with methods): is the file complete?`
		},
		"JSON, not OpenAPI": func() (string, string) {
			p := write("other.json", []byte(`{"hello": "world"}`))
			return p, p + `: not an OpenAPI 3.x or Swagger 2.0 document (no "openapi" or "swagger" field)`
		},
		"YAML, not OpenAPI": func() (string, string) {
			p := write("compose.yaml", []byte("services:\n  web:\n    image: nginx\n"))
			return p, p + `: not an OpenAPI 3.x or Swagger 2.0 document (no "openapi" or "swagger" field)`
		},
		"missing": func() (string, string) {
			p := filepath.Join(dir, "missing.yaml")
			return p, p + ": no such file or directory"
		},
	}
}

// Bad input: specs, state directories, usage.
func TestInventoryBadInput(t *testing.T) {
	state := demoState(t)
	capture := demo("mattermost-api-v4.pcap")
	for name, mk := range badSpecs(t, t.TempDir()) {
		t.Run(name, func(t *testing.T) {
			path, msg := mk()
			fresh := filepath.Join(t.TempDir(), "state")
			for _, c := range []struct {
				cmd string
				r   result
			}{
				{"read", read("--spec", path, capture)},
				{"read", read("--spec", path, "--state", fresh, capture)},
				{"read", read("--spec", "localhost:8065="+path, capture)},
				{"inventory", runInventory("--state", state, "--spec", path)},
			} {
				want := "apitap " + c.cmd + ": " + msg + "\n"
				if c.r.code != 2 || c.r.stdout != "" || c.r.stderr != want {
					t.Errorf("%s: exit status %d, stdout %.40q, stderr\n%q\nwant 2, none,\n%q", c.cmd, c.r.code, c.r.stdout, c.r.stderr, want)
				}
			}
			if _, err := os.Stat(fresh); !os.IsNotExist(err) {
				t.Errorf("read with a bad spec made its state directory (%v)", err)
			}
		})
	}

	t.Run("inventory usage", func(t *testing.T) {
		const usage = "usage: apitap inventory --state DIR"
		for _, args := range [][]string{nil, {"--format", "json"}, {"--state", state, "extra"}, {"--bogus"}} {
			r := runInventory(args...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, usage) || !strings.Contains(r.stderr, "-state DIR") {
				t.Errorf("inventory %q: exit status %d, stdout %.40q, stderr:\n%s\nwant 2 and the usage", args, r.code, r.stdout, r.stderr)
			}
		}
		r := runInventory("--state", state, "--format", "yaml")
		if want := "apitap inventory: --format \"yaml\": want table, json, csv, html or openapi\n"; r.code != 2 || r.stderr != want {
			t.Errorf("--format yaml: exit status %d, stderr %q; want 2, %q", r.code, r.stderr, want)
		}
	})

	t.Run("state is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "state")
		if err := os.WriteFile(file, []byte("not a directory\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("open state %s: mkdir %[1]s: not a directory\n", file)
		if r := read("--state", file, capture); r.code != 1 || r.stdout != "" || r.stderr != "apitap read: "+want {
			t.Errorf("read: exit status %d, stdout %.40q, stderr %q; want 1, none, %q", r.code, r.stdout, r.stderr, "apitap read: "+want)
		}
		if r := runInventory("--state", file); r.code != 1 || r.stdout != "" || r.stderr != "apitap inventory: "+want {
			t.Errorf("inventory: exit status %d, stdout %.40q, stderr %q; want 1, none, %q", r.code, r.stdout, r.stderr, "apitap inventory: "+want)
		}
	})

	t.Run("no store", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "typo")
		r := runInventory("--state", dir)
		want := fmt.Sprintf("apitap inventory: no inventory in %s: fill it with apitap read --state %[1]s\n", dir)
		if r.code != 1 || r.stdout != "" || r.stderr != want {
			t.Errorf("exit status %d, stdout %.40q, stderr %q; want 1, none, %q", r.code, r.stdout, r.stderr, want)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("inventory made the state directory (%v)", err)
		}
	})

	t.Run("not a store", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "apitap.db")
		if err := os.WriteFile(db, bytes.Repeat([]byte("garbage\n"), 1024), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runInventory("--state", dir)
		if r.code != 1 || r.stdout != "" || len(lines(r.stderr)) != 1 || !strings.HasPrefix(r.stderr, "apitap inventory: open state "+db+": ") {
			t.Errorf("exit status %d, stdout %.40q, stderr %q; want 1, none, one line naming %s", r.code, r.stdout, r.stderr, db)
		}
	})
}

// The inventory keeps which secrets it saw, masked, never their values.
func TestInventoryNoSecrets(t *testing.T) {
	basic := corpus(t, "arkime/http-basicauth.pcap")
	login := corpus(t, "suricata-verify/http-post-file/input.pcap")
	// tshark -r FILE -Y http -V: "Authorization: Basic ..." with
	// "Credentials: userrrrr:passworddddd"; the Mattermost login posts
	// {"login_id":"toto","password":"tototo"}, is answered with the user's
	// e-mail address, and later requests carry "Authorization: BEARER ...".
	creds := "userrrrr:passworddddd"
	secrets := map[string][]string{ // as they are in the captures
		basic: {base64.StdEncoding.EncodeToString([]byte(creds))},
		login: {`"password":"tototo"`, `"email":"titi@titi.fr"`, "BEARER 1gsho83nt3bkmykh5aynw6kzgy"},
	}
	for file, ss := range secrets { // the test means something
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if !bytes.Contains(data, []byte(s)) {
				t.Fatalf("%s does not hold %q", file, s)
			}
		}
	}
	never := []string{secrets[basic][0], creds, "userrrrr", "passworddddd", "tototo", "titi@titi.fr", "1gsho83nt3bkmykh5aynw6kzgy"}

	dir := t.TempDir()
	mustRead(t, "--state", dir, basic, login)
	db, err := os.ReadFile(filepath.Join(dir, "apitap.db"))
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string][]byte{"apitap.db": db}
	for _, f := range []string{"json", "csv", "table", "html"} {
		outputs[f] = []byte(mustInventory(t, "--state", dir, "--format", f))
	}
	for name, out := range outputs {
		for _, s := range never {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s holds %q", name, s)
			}
		}
	}

	rows := byKey(t, inventoryJSON(t, "--state", dir))
	if r := rows["10.000.000.001:1234 GET /xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/xxx/xxxxxxxxxxxxxxxxxxxx.js"]; r.Auth["basic"] != 1 {
		t.Errorf("basic auth endpoint: auth %v, want basic 1 (%+v)", r.Auth, rows)
	}
	r := rows["localhost:8065 POST /api/v4/users/login"]
	var found []string
	for _, s := range r.Sensitive {
		found = append(found, fmt.Sprintf("%s %s %s %d %s", s.Dir, s.Class, s.Path, s.Count, s.Masked))
	}
	want := []string{"request password password 1 ********", "response email email 1 t***@titi.fr"}
	if !slices.Equal(found, want) {
		t.Errorf("login sensitive %q, want %q", found, want)
	}
}

// TestReadWithAndWithoutSpec: a store filled once without a spec and once
// with it (in either order) lists every endpoint once.
func TestReadWithAndWithoutSpec(t *testing.T) {
	pcap := demo("docker-http-upgrade.pcap")
	for _, order := range [][]bool{{false, true}, {true, false}} {
		dir := filepath.Join(t.TempDir(), "state")
		for _, withSpec := range order {
			args := []string{"--state", dir}
			if withSpec {
				args = append(args, "--spec", dockerSpec)
			}
			mustRead(t, append(args, pcap)...)
		}
		rows := inventoryJSON(t, "--state", dir, "--spec", dockerSpec, "--class", "documented,shadow")
		if len(rows) != 6 {
			t.Errorf("order %v: %d endpoints, want 6: %+v", order, len(rows), rows)
		}
		for _, r := range rows {
			if r.Requests != 2 {
				t.Errorf("order %v: %s %s has %d requests, want 2 (one per read)", order, r.Method, r.Template, r.Requests)
			}
		}
	}
}

// TestInventoryLearning: endpoints read from a capture shorter than the
// learning period say until when they learn.
func TestInventoryLearning(t *testing.T) {
	dir := t.TempDir()
	mustRead(t, append([]string{"--state", dir}, demoCaptures(t, demoDir)...)...)
	out := mustInventory(t, "--state", dir, "--format", "json")
	var rows []struct{ Baseline string }
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, r := range rows {
		if !strings.HasPrefix(r.Baseline, "learning until ") {
			t.Errorf("baseline %q, want learning until ...", r.Baseline)
		}
	}
}
