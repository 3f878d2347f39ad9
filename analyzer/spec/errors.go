package spec

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrEmpty is returned (wrapped in a *LoadError) for an empty document.
var ErrEmpty = errors.New("empty document")

var (
	// go-yaml, as vendored by libopenapi, gives the context mark (where
	// the construct being parsed began) and, after '-', the problem mark:
	// "go-yaml load error in parser (while parsing a flow mapping) at L3.C10-L4.C1: did not find expected ',' or '}'"
	// "go-yaml load error in scanner (while scanning a quoted scalar) at L9.C30-C33: found unexpected end of stream"
	yamlErrRe = regexp.MustCompile(`go-yaml load error in \w+ \(([^)]*)\) at L(\d+)\.C(\d+)(?:-(?:L(\d+)\.)?C(\d+))?: (.*)`)
	lineRe    = regexp.MustCompile(`\b(?:line |L)(\d+)\b`)
)

// parseError turns an error of libopenapi.NewDocument into a *LoadError
// with the line number the parser reported. A problem at the end of the
// stream is reported on the last line of data.
func parseError(file string, data []byte, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "spec type not supported"):
		return &LoadError{File: file, Err: ErrNotOpenAPI}
	case strings.Contains(msg, "nothing in the spec"):
		return &LoadError{File: file, Err: ErrEmpty}
	}
	if m := yamlErrRe.FindStringSubmatch(msg); m != nil {
		ctxLine, line, col := m[2], m[2], m[3]
		if m[4] != "" {
			line = m[4]
		}
		if m[5] != "" {
			col = m[5]
		}
		n, _ := strconv.Atoi(line)
		last := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			last++
		}
		n = max(1, min(n, last))
		return &LoadError{File: file, Line: n, Err: errors.New("syntax error: column " + col + ": " + m[6] + " (" + m[1] + " at line " + ctxLine + ")")}
	}
	msg = strings.TrimPrefix(msg, "unable to parse specification: ")
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &LoadError{File: file, Line: line, Err: errors.New(msg)}
	}
	return &LoadError{File: file, Err: errors.New(msg)}
}

// ErrNotOpenAPI is returned (wrapped in a *LoadError) for a document that
// is YAML or JSON but neither OpenAPI 3.x nor Swagger 2.0.
var ErrNotOpenAPI = errors.New(`not an OpenAPI 3.x or Swagger 2.0 document (no "openapi" or "swagger" field)`)

// LoadError is the error of Load and Parse.
type LoadError struct {
	File string
	Line int // 1-based line of a syntax error, 0 when unknown
	Err  error
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }
