package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/utils"
)

// Learned is what the inventory learned about one service, in neutral
// types, for Write.
type Learned struct {
	Service   string // host[:port], becomes the server "http://<service>"
	Endpoints []LearnedEndpoint
}

// LearnedEndpoint is one observed operation.
type LearnedEndpoint struct {
	Method      string // any case; written lower case
	Template    string // "/users/{id}"; each {name} becomes a required path parameter
	QueryParams []LearnedParam
	Statuses    []int
	// RequestSchema and ResponseSchemas are JSON Schema (draft 2020-12)
	// objects of JSON bodies, or nil when no JSON body was seen.
	RequestSchema   map[string]any
	ResponseSchemas map[int]map[string]any
	// Security lists the credentials seen, any one of which was accepted:
	// "basic", "bearer", "apiKeyHeader:<name>", "apiKeyQuery:<name>",
	// "cookie:<name>". Other values are left out of the document.
	Security   []string
	Deprecated bool
	Summary    string
}

// LearnedParam is an observed query parameter.
type LearnedParam struct {
	Name     string
	Type     string // JSON Schema type: "string", "integer", "number", "boolean", "array", "object"; others become "string"
	Required bool
}

// The document Write produces. Field order is the order of the output.
type (
	oasDoc struct {
		OpenAPI    string                       `json:"openapi"`
		Info       oasInfo                      `json:"info"`
		Servers    []oasServer                  `json:"servers"`
		Paths      map[string]map[string]*oasOp `json:"paths"`
		Components *oasComponents               `json:"components,omitempty"`
	}
	oasInfo struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description,omitempty"`
	}
	oasServer struct {
		URL string `json:"url"`
	}
	oasOp struct {
		Summary     string                 `json:"summary,omitempty"`
		OperationID string                 `json:"operationId"`
		Deprecated  bool                   `json:"deprecated,omitempty"`
		Parameters  []oasParam             `json:"parameters,omitempty"`
		RequestBody *oasBody               `json:"requestBody,omitempty"`
		Responses   map[string]oasResponse `json:"responses"`
		Security    []map[string][]string  `json:"security,omitempty"`
	}
	oasParam struct {
		Name     string         `json:"name"`
		In       string         `json:"in"`
		Required bool           `json:"required"`
		Schema   map[string]any `json:"schema"`
	}
	oasBody struct {
		Content map[string]oasMedia `json:"content"`
	}
	oasMedia struct {
		Schema map[string]any `json:"schema"`
	}
	oasResponse struct {
		Description string              `json:"description"`
		Content     map[string]oasMedia `json:"content,omitempty"`
	}
	oasComponents struct {
		SecuritySchemes map[string]oasScheme `json:"securitySchemes"`
	}
	oasScheme struct {
		Type   string `json:"type"`
		Scheme string `json:"scheme,omitempty"`
		In     string `json:"in,omitempty"`
		Name   string `json:"name,omitempty"`
	}
)

// Write writes l as an OpenAPI 3.1.0 document in indented JSON, which is
// valid YAML too. Endpoints whose templates differ only in parameter names
// ("/a/{id}", "/a/{name}") share the first one's path, as OpenAPI requires;
// a second endpoint with the same path and method is left out.
func Write(w io.Writer, l Learned) error {
	if l.Service == "" {
		return errors.New("write spec: empty service")
	}
	d := oasDoc{
		OpenAPI: "3.1.0",
		Info: oasInfo{
			Title:       l.Service,
			Version:     "learned",
			Description: "Endpoints of " + l.Service + " learned from traffic by apitap.",
		},
		Servers: []oasServer{{URL: "http://" + l.Service}},
		Paths:   map[string]map[string]*oasOp{},
	}
	schemes := map[string]oasScheme{}
	type path struct {
		key    string
		params []string
	}
	pathOf := map[string]path{} // by shape
	for _, e := range l.Endpoints {
		tmpl, shape, params, err := pathTemplate(e.Template)
		if err != nil {
			return fmt.Errorf("write spec: %w", err)
		}
		if p, ok := pathOf[shape]; ok {
			tmpl, params = p.key, p.params
		} else {
			pathOf[shape] = path{tmpl, params}
		}
		method := strings.ToLower(e.Method)
		if !OpenAPIMethod(method) {
			return fmt.Errorf("write spec: %s %s: method %q has no place in an OpenAPI 3.1 path item", e.Method, e.Template, e.Method)
		}
		item := d.Paths[tmpl]
		if item == nil {
			item = map[string]*oasOp{}
			d.Paths[tmpl] = item
		}
		if item[method] != nil {
			continue
		}
		op := &oasOp{
			Summary:     e.Summary,
			OperationID: operationID(method, tmpl),
			Deprecated:  e.Deprecated,
			Responses:   map[string]oasResponse{},
		}
		for _, p := range params {
			op.Parameters = append(op.Parameters, oasParam{Name: p, In: "path", Required: true, Schema: map[string]any{"type": "string"}})
		}
		for _, q := range e.QueryParams {
			if q.Name == "" {
				continue
			}
			op.Parameters = append(op.Parameters, oasParam{Name: q.Name, In: "query", Required: q.Required, Schema: map[string]any{"type": jsonType(q.Type)}})
		}
		if e.RequestSchema != nil {
			op.RequestBody = &oasBody{Content: map[string]oasMedia{"application/json": {Schema: e.RequestSchema}}}
		}
		statuses := slices.Clone(e.Statuses)
		for st := range e.ResponseSchemas {
			statuses = append(statuses, st)
		}
		slices.Sort(statuses)
		for _, st := range slices.Compact(statuses) {
			if st < 100 || st > 599 {
				continue
			}
			r := oasResponse{Description: http.StatusText(st)}
			if r.Description == "" {
				r.Description = "Status " + strconv.Itoa(st)
			}
			if s := e.ResponseSchemas[st]; s != nil {
				r.Content = map[string]oasMedia{"application/json": {Schema: s}}
			}
			op.Responses[strconv.Itoa(st)] = r
		}
		if len(op.Responses) == 0 {
			op.Responses["default"] = oasResponse{Description: "No response observed"}
		}
		for _, kind := range e.Security {
			name, sc, ok := learnedScheme(kind)
			if !ok {
				continue
			}
			schemes[name] = sc
			op.Security = append(op.Security, map[string][]string{name: {}})
		}
		item[method] = op
	}
	if len(schemes) > 0 {
		d.Components = &oasComponents{SecuritySchemes: schemes}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	return nil
}

// pathTemplate checks a learned template and lists its parameter names.
// A repeated or empty name is renamed so each is unique ("{id}/{id}" ->
// "{id}/{id2}"). The shape is the template with each parameter written
// "{}": templates that differ only in parameter names share it.
func pathTemplate(t string) (path, shape string, names []string, err error) {
	if t == "" || t[0] != '/' {
		return "", "", nil, fmt.Errorf("template %q does not start with '/'", t)
	}
	var b, sh strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			sh.WriteString(t)
			break
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return "", "", nil, fmt.Errorf("template %q: unclosed '{'", t)
		}
		b.WriteString(t[:i])
		sh.WriteString(t[:i])
		sh.WriteString("{}")
		name := t[i+1 : i+j]
		if name == "" {
			name = "param"
		}
		for n := 2; slices.Contains(names, name); n++ {
			name = strings.TrimRight(name, "0123456789")
			if name == "" {
				name = "param"
			}
			name += strconv.Itoa(n)
		}
		names = append(names, name)
		b.WriteString("{" + name + "}")
		t = t[i+j+1:]
	}
	return b.String(), sh.String(), names, nil
}

// OpenAPIMethod reports whether an OpenAPI 3.1 path item can hold the
// method, in any case; WebDAV, SSDP and other extension methods cannot be
// written.
func OpenAPIMethod(m string) bool {
	switch strings.ToLower(m) {
	case "get", "put", "post", "delete", "options", "head", "patch", "trace":
		return true
	}
	return false
}

// operationID is unique per path and method: "get_users_id".
func operationID(method, tmpl string) string {
	var b strings.Builder
	b.WriteString(method)
	prevSep := false
	for _, r := range tmpl {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if ok {
			if prevSep || b.Len() == len(method) {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		}
		prevSep = !ok
	}
	return b.String()
}

func jsonType(t string) string {
	switch t {
	case "string", "integer", "number", "boolean", "array", "object":
		return t
	}
	return "string"
}

// learnedScheme turns a LearnedEndpoint.Security kind into a security
// scheme and its component name.
func learnedScheme(kind string) (string, oasScheme, bool) {
	switch kind {
	case "basic":
		return "basicAuth", oasScheme{Type: "http", Scheme: "basic"}, true
	case "bearer":
		return "bearerAuth", oasScheme{Type: "http", Scheme: "bearer"}, true
	}
	prefix, name, ok := strings.Cut(kind, ":")
	if !ok || name == "" {
		return "", oasScheme{}, false
	}
	var in string
	switch prefix {
	case "apiKeyHeader":
		in = "header"
	case "apiKeyQuery":
		in = "query"
	case "cookie":
		in = "cookie"
	default:
		return "", oasScheme{}, false
	}
	return prefix + "_" + componentName(name), oasScheme{Type: "apiKey", In: in, Name: name}, true
}

// componentName keeps the characters a component key may have
// (^[a-zA-Z0-9.\-_]+$) and replaces the others by '_'.
func componentName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// Validate checks an OpenAPI 3.x or Swagger 2.0 document (YAML or JSON)
// with libopenapi: against the OpenAPI JSON Schema of its version
// (libopenapi-validator), and then by building the model, which resolves
// every $ref. The error lists each problem with its line.
func Validate(doc []byte) error {
	cfg := &datamodel.DocumentConfiguration{
		SkipExternalRefResolution: true,
		Logger:                    slog.New(slog.DiscardHandler),
	}
	d, err := libopenapi.NewDocumentWithConfiguration(doc, cfg)
	if err != nil {
		return parseError("document", doc, err)
	}
	if ok, verrs := schema_validation.ValidateOpenAPIDocument(d); !ok {
		var errs []error
		at := func(line int) string {
			if line > 0 {
				return "line " + strconv.Itoa(line) + ": "
			}
			return ""
		}
		for _, ve := range verrs {
			if len(ve.SchemaValidationErrors) == 0 {
				errs = append(errs, fmt.Errorf("%s%s: %s", at(ve.SpecLine), ve.Message, ve.Reason))
			}
			for _, f := range ve.SchemaValidationErrors {
				errs = append(errs, fmt.Errorf("%s%s: %s", at(f.Line), f.FieldPath, f.Reason))
			}
		}
		if len(errs) == 0 {
			errs = append(errs, errors.New("invalid document"))
		}
		return fmt.Errorf("validate spec: %w", errors.Join(errs...))
	}
	switch d.GetSpecInfo().SpecType {
	case utils.OpenApi3:
		_, err = d.BuildV3Model()
	default:
		_, err = d.BuildV2Model()
	}
	if err != nil {
		return fmt.Errorf("validate spec: %w", err)
	}
	return nil
}
