// Package spec imports documented APIs and exports learned ones.
//
// At startup, main loads each OpenAPI 3.0/3.1 or Swagger 2.0 document
// (YAML or JSON) with Load, or with LoadFor for the --spec HOST=FILE form,
// into a Spec of plain values: servers (host and base path), and per
// operation the method, path template, parameters, documented statuses,
// JSON field paths of request and response bodies, security kinds and the
// deprecated flag. NewIndex compiles the specs into per-server segment
// tries, and the inventory calls Index.Match on every transaction to map
// host, method and path to a documented template ("/v1.41/containers/{id}/start")
// without allocating; MatchOtherVersion finds the same route documented
// under another version segment, Covers and Ops serve shadow and zombie API
// classification. In the other direction, Write turns what the inventory
// learned about a service (Learned) into an OpenAPI 3.1.0 document, and
// Validate checks a document with the same library that Load uses.
//
// # Library
//
// The package uses github.com/pb33f/libopenapi with its companion
// github.com/pb33f/libopenapi-validator, chosen over
// github.com/getkin/kin-openapi because libopenapi models Swagger 2.0,
// OpenAPI 3.0, 3.1 and 3.2 natively. kin reaches 2.0 only through its
// openapi2 types and openapi2conv, and decoding the Docker v1.41 YAML into
// them failed on its integer response-code keys (200:); libopenapi loads it
// as it is. libopenapi also reports YAML and JSON syntax errors with line
// and column, and parsed the 3.8 MiB Elasticsearch spec in about 200 ms
// against 800 ms for kin (this package's whole Load, field paths included,
// takes about 450 ms). Validate checks a document against the OpenAPI JSON Schema of its
// version (libopenapi-validator) and then builds the libopenapi model,
// which resolves every $ref. No libopenapi type appears in this package's
// API.
//
// # Real-world documents
//
// DVAPI's spec has a TAB after "status:" inside a mapping (line 308).
// PyYAML rejects it; libopenapi's YAML parser accepts it, as YAML 1.2
// allows a TAB as separating white space there, so the file loads as it is
// and no pre-pass rewrites it. A TAB used as indentation is still a syntax
// error, reported as "file:line: syntax error: ...". Docker's YAML writes
// response codes as integers (200:); Load accepts them, Validate does not.
//
// Load never follows a $ref out of the file, over the network or on disk.
// Servers declared on a path item or an operation are ignored; a relative
// server, one whose host is a variable without default, or none at all,
// matches any host. Swagger formData and OpenAPI cookie parameters are not
// in Operation.Params.
//
// # Caveats
//
// A Spec is not copied by NewIndex: Match and Ops return pointers into the
// Spec and its Ops slice, so a Spec must not be changed once it is in an
// Index. Index is read-only after NewIndex and safe for concurrent use;
// Ops returns a fresh slice each call. Operations whose bodies are the
// same $ref share one ResponseFields or RequestFields slice, so treat
// these as read-only. Load is meant for startup: the Elasticsearch spec
// takes about 450 ms and 200 MiB of allocation, of which 8 MiB stays in
// the Spec. The strings Match returns come from the Spec and never alias
// the caller's host or path.
package spec
