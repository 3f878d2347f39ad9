package spec

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v2 "github.com/pb33f/libopenapi/datamodel/high/v2"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"
	"github.com/pb33f/libopenapi/utils"
)

// Spec is a documented API: the parts of an OpenAPI 3.x or Swagger 2.0
// document that the sensor compares traffic with. It holds no library types.
type Spec struct {
	File           string // path given to Load, or the name given to Parse
	Format         string // "openapi" (3.x) or "swagger" (2.0)
	SpecVersion    string // the document's "openapi" or "swagger" field, e.g. "3.0.1", "2.0"
	Title, Version string // info.title, info.version
	// Servers from OpenAPI 3 servers or Swagger host+basePath. A relative
	// or missing server, or one whose host is a variable without default,
	// has Host "" and matches any host. Never empty after Load.
	Servers []Server
	Ops     []Operation
	// Warnings are problems that did not stop the load, such as circular
	// references. A caller may log them once.
	Warnings []string
}

// Server is where a spec's operations are served.
type Server struct {
	Host     string // lower case, default port (80, 443) removed; "" = any host
	BasePath string // e.g. "/v1.41", "/b2b/v2"; "" for the root, never a trailing "/"
}

// Operation is one documented method on one path template.
type Operation struct {
	Method     string // upper case
	Path       string // the template as written in the spec, without base path, e.g. "/containers/{id}/start"
	Deprecated bool
	Summary    string
	Params     []Param  // query, path and header parameters, path-item level merged with operation level
	Statuses   []string // documented response codes in document order ("200", "4XX", "default")
	// ResponseFields maps a status to the JSON field paths of its response
	// body schema ("a", "a.b", "items[].id", "[].id" for a top-level array,
	// "labels.*" for additionalProperties), resolved through $ref, allOf,
	// oneOf and anyOf to depth 8, sorted. A status without a JSON body is
	// absent.
	ResponseFields map[string][]string
	RequestFields  []string // the same for the JSON request body (Swagger: the body parameter)
	// Security lists the security scheme kinds any requirement of the
	// operation (or, when it has none, of the document) names, sorted and
	// without duplicates. Kinds use the vocabulary of LearnedEndpoint.Security:
	// "basic", "bearer", "apiKeyHeader:<name>", "apiKeyQuery:<name>",
	// "cookie:<name>", and also "http:<scheme>" for other HTTP schemes,
	// "oauth2", "openIdConnect", "mutualTLS". Empty means no authentication
	// is documented, or "security: []".
	Security []string
	// AuthOptional is true when one of the alternatives is the empty
	// requirement "{}", so the operation may be called without credentials.
	AuthOptional bool
}

// Param is a documented parameter.
type Param struct {
	Name     string
	In       string // "query", "path" or "header"
	Required bool
	Type     string // schema type ("string", "integer", "array", ...) or ""
}

const (
	maxFieldDepth  = 8    // nesting levels followed below a body schema
	maxFieldVisits = 4096 // schemas visited per body: bounds wide, deep specs such as query DSLs
	maxFields      = 1024 // field paths kept per body
)

// Load reads and parses the OpenAPI 3.x or Swagger 2.0 document at path,
// in YAML or JSON. Errors are of type *LoadError and name the file and,
// for syntax errors, the line ("spec.yaml:308: ...").
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the file is named once, by LoadError
		}
		return nil, &LoadError{File: path, Err: err}
	}
	return Parse(path, data)
}

// LoadFor is Load for the --spec HOST=FILE form: every server's host is
// replaced by host (lower-cased, a scheme prefix like "http://" removed),
// and the base paths are kept.
func LoadFor(host, path string) (*Spec, error) {
	s, err := Load(path)
	if err != nil {
		return nil, err
	}
	s.SetHost(host)
	return s, nil
}

// SetHost replaces the host of every server by host and keeps their base
// paths, as LoadFor does.
func (s *Spec) SetHost(host string) {
	host = normalizeHost(host)
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host = strings.TrimSuffix(host, "/")
	out := make([]Server, 0, len(s.Servers))
	for _, sv := range s.Servers {
		sv.Host = host
		if !slices.Contains(out, sv) {
			out = append(out, sv)
		}
	}
	if len(out) == 0 {
		out = append(out, Server{Host: host})
	}
	s.Servers = out
}

// Parse is Load for a document already in memory; name is used in errors
// and as Spec.File.
func Parse(name string, data []byte) (*Spec, error) {
	cfg := &datamodel.DocumentConfiguration{
		// A passive sensor loads a spec at startup: it never follows
		// references out of the file, over the network or on disk.
		SkipExternalRefResolution:           true,
		SkipJSONConversion:                  true,
		IgnorePolymorphicCircularReferences: true,
		IgnoreArrayCircularReferences:       true,
		Logger:                              slog.New(slog.DiscardHandler),
	}
	doc, err := libopenapi.NewDocumentWithConfiguration(data, cfg)
	if err != nil {
		return nil, parseError(name, data, err)
	}
	info := doc.GetSpecInfo()
	s := &Spec{File: name, Format: info.SpecType, SpecVersion: info.Version}
	switch info.SpecType {
	case utils.OpenApi3:
		m, err := doc.BuildV3Model()
		if m == nil {
			if err == nil {
				err = ErrNotOpenAPI
			}
			return nil, &LoadError{File: name, Err: err}
		}
		s.warn(err)
		fromV3(s, &m.Model)
	case utils.OpenApi2:
		m, err := doc.BuildV2Model()
		if m == nil {
			if err == nil {
				err = ErrNotOpenAPI
			}
			return nil, &LoadError{File: name, Err: err}
		}
		s.warn(err)
		fromV2(s, &m.Model)
	default:
		return nil, &LoadError{File: name, Err: ErrNotOpenAPI}
	}
	if len(s.Servers) == 0 {
		s.Servers = []Server{{}}
	}
	return s, nil
}

func (s *Spec) warn(err error) {
	if err == nil {
		return
	}
	for _, e := range utils.UnwrapErrors(err) {
		s.Warnings = append(s.Warnings, e.Error())
	}
}

// --- OpenAPI 3.x ---

func fromV3(s *Spec, d *v3.Document) {
	fc := newFieldCache()
	if d.Info != nil {
		s.Title, s.Version = d.Info.Title, d.Info.Version
	}
	for _, sv := range d.Servers {
		srv := serverFromURL(expandServerVars(sv))
		if !slices.Contains(s.Servers, srv) {
			s.Servers = append(s.Servers, srv)
		}
	}
	var schemes *orderedmap.Map[string, *v3.SecurityScheme]
	if d.Components != nil {
		schemes = d.Components.SecuritySchemes
	}
	kind := func(name string) string {
		if schemes == nil {
			return ""
		}
		ss, ok := schemes.Get(name)
		if !ok || ss == nil {
			return ""
		}
		return schemeKind(ss.Type, ss.Scheme, ss.In, ss.Name)
	}
	if d.Paths == nil || d.Paths.PathItems == nil {
		return
	}
	for path, item := range d.Paths.PathItems.FromOldest() {
		if item == nil {
			continue
		}
		for method, op := range item.GetOperations().FromOldest() {
			if op == nil {
				continue
			}
			o := Operation{
				Method:         strings.ToUpper(method),
				Path:           path,
				Deprecated:     op.Deprecated != nil && *op.Deprecated,
				Summary:        op.Summary,
				ResponseFields: map[string][]string{},
			}
			o.Params = mergeParams(v3Params(item.Parameters), v3Params(op.Parameters))
			if op.RequestBody != nil {
				if sp := jsonSchema(op.RequestBody.Content); sp != nil {
					o.RequestFields = fc.fields(sp)
				}
			}
			if op.Responses != nil {
				responses(&o, op.Responses.Codes, op.Responses.Default, func(r *v3.Response) []string {
					if sp := jsonSchema(r.Content); sp != nil {
						return fc.fields(sp)
					}
					return nil
				})
			}
			reqs := op.Security
			if reqs == nil {
				reqs = d.Security
			}
			o.Security, o.AuthOptional = securityKinds(reqs, kind)
			s.Ops = append(s.Ops, o)
		}
	}
}

// expandServerVars substitutes each {variable} of a server URL by its
// default. A variable without default stays, and the host is then "any".
func expandServerVars(sv *v3.Server) string {
	u := sv.URL
	if sv.Variables == nil || !strings.Contains(u, "{") {
		return u
	}
	for name, v := range sv.Variables.FromOldest() {
		if v != nil && v.Default != "" {
			u = strings.ReplaceAll(u, "{"+name+"}", v.Default)
		}
	}
	return u
}

// serverFromURL splits an OpenAPI 3 server URL into host and base path.
func serverFromURL(raw string) Server {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") && !strings.HasPrefix(raw, "//") {
		// Relative to where the document is served: any host.
		p := raw
		if i := strings.IndexAny(p, "?#"); i >= 0 {
			p = p[:i]
		}
		return Server{BasePath: cleanBase(p)}
	}
	var srv Server
	scheme, rest, _ := strings.Cut(raw, "://")
	if strings.HasPrefix(raw, "//") {
		scheme, rest = "", raw[2:]
	}
	host, path := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, path = rest[:i], rest[i:]
		if j := strings.IndexAny(path, "?#"); j >= 0 {
			path = path[:j]
		}
	}
	if u, err := url.PathUnescape(path); err == nil && !strings.Contains(u, "{") {
		path = u
	}
	if !strings.ContainsAny(host, "{}") {
		srv.Host = stripDefaultPort(normalizeHost(host), strings.ToLower(scheme))
	}
	srv.BasePath = cleanBase(path)
	return srv
}

func v3Params(ps []*v3.Parameter) []Param {
	var out []Param
	for _, p := range ps {
		if p == nil || !keptIn(p.In) {
			continue
		}
		out = append(out, Param{
			Name:     p.Name,
			In:       p.In,
			Required: p.Required != nil && *p.Required,
			Type:     schemaType(p.Schema),
		})
	}
	return out
}

// jsonSchema picks the schema of the JSON media type of a content map:
// application/json, then any *json type, then */*.
func jsonSchema(content *orderedmap.Map[string, *v3.MediaType]) *base.SchemaProxy {
	if content == nil {
		return nil
	}
	var best *base.SchemaProxy
	rank := 0
	for mt, m := range content.FromOldest() {
		if m == nil || m.Schema == nil {
			continue
		}
		mt = strings.ToLower(mt)
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = strings.TrimSpace(mt[:i])
		}
		r := 0
		switch {
		case mt == "application/json":
			r = 3
		case strings.Contains(mt, "json"):
			r = 2
		case mt == "*/*":
			r = 1
		}
		if r > rank {
			best, rank = m.Schema, r
		}
	}
	return best
}

// --- Swagger 2.0 ---

func fromV2(s *Spec, d *v2.Swagger) {
	fc := newFieldCache()
	if d.Info != nil {
		s.Title, s.Version = d.Info.Title, d.Info.Version
	}
	var srv Server
	if h := normalizeHost(d.Host); h != "" && !strings.ContainsAny(h, "{}") {
		srv.Host = h
		schemes := d.Schemes
		if len(schemes) == 0 {
			schemes = []string{"http"}
		}
		for _, sc := range schemes {
			srv.Host = stripDefaultPort(srv.Host, strings.ToLower(sc))
		}
	}
	srv.BasePath = cleanBase(d.BasePath)
	s.Servers = []Server{srv}

	kind := func(name string) string {
		if d.SecurityDefinitions == nil || d.SecurityDefinitions.Definitions == nil {
			return ""
		}
		ss, ok := d.SecurityDefinitions.Definitions.Get(name)
		if !ok || ss == nil {
			return ""
		}
		return schemeKind(ss.Type, "", ss.In, ss.Name)
	}
	if d.Paths == nil || d.Paths.PathItems == nil {
		return
	}
	for path, item := range d.Paths.PathItems.FromOldest() {
		if item == nil {
			continue
		}
		for method, op := range item.GetOperations().FromOldest() {
			if op == nil {
				continue
			}
			o := Operation{
				Method:         strings.ToUpper(method),
				Path:           path,
				Deprecated:     op.Deprecated,
				Summary:        op.Summary,
				ResponseFields: map[string][]string{},
			}
			o.Params = mergeParams(v2Params(item.Parameters), v2Params(op.Parameters))
			for _, p := range slices.Concat(item.Parameters, op.Parameters) {
				if p != nil && p.In == "body" && p.Schema != nil {
					o.RequestFields = fc.fields(p.Schema)
				}
			}
			if op.Responses != nil {
				responses(&o, op.Responses.Codes, op.Responses.Default, func(r *v2.Response) []string {
					if r.Schema != nil {
						return fc.fields(r.Schema)
					}
					return nil
				})
			}
			reqs := op.Security
			if reqs == nil {
				reqs = d.Security
			}
			o.Security, o.AuthOptional = securityKinds(reqs, kind)
			s.Ops = append(s.Ops, o)
		}
	}
}

func v2Params(ps []*v2.Parameter) []Param {
	var out []Param
	for _, p := range ps {
		if p == nil || !keptIn(p.In) {
			continue
		}
		out = append(out, Param{
			Name:     p.Name,
			In:       p.In,
			Required: p.Required != nil && *p.Required,
			Type:     p.Type,
		})
	}
	return out
}

// --- shared helpers ---

// responses records an operation's documented codes in document order,
// "default" last, and the JSON field paths that bodyFields finds in each
// response (Swagger 2.0 and OpenAPI 3 describe bodies differently).
func responses[R any](o *Operation, codes *orderedmap.Map[string, *R], def *R, bodyFields func(*R) []string) {
	add := func(code string, r *R) {
		o.Statuses = append(o.Statuses, code)
		if r == nil {
			return
		}
		if f := bodyFields(r); len(f) > 0 {
			o.ResponseFields[code] = f
		}
	}
	if codes != nil {
		for code, r := range codes.FromOldest() {
			add(code, r)
		}
	}
	if def != nil {
		add("default", def)
	}
}

func keptIn(in string) bool { return in == "query" || in == "path" || in == "header" }

// mergeParams applies operation parameters over path-item parameters:
// one with the same name and location replaces the path-item one.
func mergeParams(item, op []Param) []Param {
	if len(item) == 0 {
		return op
	}
	out := slices.Clone(op)
	for _, p := range item {
		if !slices.ContainsFunc(op, func(q Param) bool { return q.Name == p.Name && q.In == p.In }) {
			out = append(out, p)
		}
	}
	return out
}

// schemeKind names a security scheme in the LearnedEndpoint.Security
// vocabulary.
func schemeKind(typ, scheme, in, name string) string {
	switch strings.ToLower(typ) {
	case "http":
		switch s := strings.ToLower(scheme); s {
		case "basic", "bearer":
			return s
		default:
			return "http:" + s
		}
	case "basic": // Swagger 2.0
		return "basic"
	case "apikey":
		switch strings.ToLower(in) {
		case "header":
			return "apiKeyHeader:" + name
		case "query":
			return "apiKeyQuery:" + name
		case "cookie":
			return "cookie:" + name
		}
		return "apiKey:" + name
	case "oauth2":
		return "oauth2"
	case "openidconnect":
		return "openIdConnect"
	case "mutualtls":
		return "mutualTLS"
	}
	return ""
}

func securityKinds(reqs []*base.SecurityRequirement, kind func(string) string) (kinds []string, optional bool) {
	for _, r := range reqs {
		if r == nil {
			continue
		}
		if r.ContainsEmptyRequirement || r.Requirements == nil || r.Requirements.Len() == 0 {
			optional = true
			continue
		}
		for name := range r.Requirements.KeysFromOldest() {
			if k := kind(name); k != "" {
				kinds = append(kinds, k)
			}
		}
	}
	slices.Sort(kinds)
	return slices.Compact(kinds), optional
}

// schemaType is the first non-null type of a schema, looking one level
// into allOf, oneOf and anyOf (Elasticsearch's Duration is a oneOf).
func schemaType(sp *base.SchemaProxy) string {
	return schemaTypeDepth(sp, 2)
}

func schemaTypeDepth(sp *base.SchemaProxy, depth int) string {
	if sp == nil || depth == 0 {
		return ""
	}
	s := sp.Schema()
	if s == nil {
		return ""
	}
	for _, t := range s.Type {
		if t != "null" {
			return t
		}
	}
	for _, sub := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
		if t := schemaTypeDepth(sub, depth-1); t != "" {
			return t
		}
	}
	return ""
}

func normalizeHost(h string) string {
	return strings.ToLower(strings.TrimSpace(h))
}

// stripDefaultPort removes ":80" for http (or no scheme) and ":443" for
// https, the form a Host header takes.
func stripDefaultPort(host, scheme string) string {
	switch {
	case (scheme == "http" || scheme == "ws" || scheme == "") && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	case (scheme == "https" || scheme == "wss") && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	}
	return host
}

// cleanBase turns "", "/" and "/v1/" into "", "" and "/v1".
func cleanBase(p string) string {
	p = strings.TrimSpace(p)
	p = strings.TrimRight(p, "/")
	if p != "" && p[0] != '/' {
		p = "/" + p
	}
	return p
}
