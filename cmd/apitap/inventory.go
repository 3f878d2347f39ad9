package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apitap/apitap/analyzer/detect"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/report"
)

// cmdInventory implements `apitap inventory`: the stored API inventory,
// classified against the given specs, in one of several formats.
func cmdInventory(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("inventory", stderr, "usage: apitap inventory --state DIR [--spec FILE]... [--format F] [--service S] [--class C,...] [--out DIR]\n\nflags:\n")
	state := fs.String("state", "", "the store `DIR` that read or run filled (required)")
	var specs specFiles
	fs.Var(&specs, "spec", "OpenAPI 3.x or Swagger 2.0 `FILE` (or HOST=FILE); repeatable")
	format := fs.String("format", "table", "table, json, csv, html or openapi")
	outDir := fs.String("out", "", "with --format openapi: write one document per service into `DIR`")
	service := fs.String("service", "", "only this service")
	classes := fs.String("class", "", "only these classes, comma-separated: documented,shadow,zombie,orphan")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *state == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	var f report.Filter
	f.Service = *service
	if *classes != "" {
		for c := range strings.SplitSeq(*classes, ",") {
			switch cl := report.Class(strings.TrimSpace(c)); cl {
			case report.Documented, report.Shadow, report.Zombie, report.Orphan:
				f.Classes = append(f.Classes, cl)
			default:
				fmt.Fprintf(stderr, "apitap inventory: --class %q: want documented, shadow, zombie or orphan\n", c)
				return 2
			}
		}
	}
	write := map[string]func(io.Writer, []report.Row) error{
		"table": report.Table, "json": report.JSON, "csv": report.CSV,
		"html":    func(w io.Writer, rows []report.Row) error { return report.HTML(w, rows, time.Now()) },
		"openapi": nil,
	}
	if _, ok := write[*format]; !ok {
		fmt.Fprintf(stderr, "apitap inventory: --format %q: want table, json, csv, html or openapi\n", *format)
		return 2
	}
	idx, err := specs.load()
	if err != nil {
		fmt.Fprintf(stderr, "apitap inventory: %v\n", err)
		return 2
	}
	st, err := openExistingState(*state)
	if errors.Is(err, errNoStore) {
		fmt.Fprintf(stderr, "apitap inventory: no inventory in %s: fill it with apitap read --state %[1]s\n", *state)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "apitap inventory: %v\n", err)
		return 1
	}
	defer st.Close()
	inv, err := loadInventory(st, idx, inventory.Config{})
	if err != nil {
		fmt.Fprintf(stderr, "apitap inventory: %v\n", err)
		return 1
	}
	rows := report.Build(inv, idx, f)
	// The baselines say which endpoints are still learning.
	det := detect.New(detect.Config{}, nil)
	if err := det.Load(st); err != nil {
		fmt.Fprintf(stderr, "apitap inventory: load baselines: %v\n", err)
		return 1
	}
	markLearning(rows, det, inv)
	if *format == "openapi" {
		return writeOpenAPI(rows, *service, *outDir, stdout, stderr)
	}
	out := bufio.NewWriter(stdout)
	err = write[*format](out, rows)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "apitap inventory: %v\n", err)
		return 1
	}
	return 0
}

// writeOpenAPI writes one OpenAPI 3.1 document per service: to stdout when
// there is one service, else into dir, one file per service. service is
// the --service filter, for the message when nothing was seen.
func writeOpenAPI(rows []report.Row, service, dir string, stdout, stderr io.Writer) int {
	services := report.Services(rows)
	if len(services) == 0 && service != "" {
		fmt.Fprintf(stderr, "apitap inventory: --service %q: no endpoints seen\n", service)
		return 1
	}
	if dir == "" {
		if len(services) != 1 {
			fmt.Fprintf(stderr, "apitap inventory: %d services: choose one with --service, or give --out DIR\n", len(services))
			return 2
		}
		if err := report.OpenAPI(stdout, rows, services[0]); err != nil {
			fmt.Fprintf(stderr, "apitap inventory: %v\n", err)
			return 1
		}
		return 0
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "apitap inventory: %v\n", err)
		return 1
	}
	for _, svc := range services {
		name := strings.Map(func(r rune) rune {
			if r == '/' || r == '\\' || r == ':' || r == '@' || r == '=' {
				return '_'
			}
			return r
		}, svc) + ".openapi.json"
		f, err := os.Create(filepath.Join(dir, name))
		if err == nil {
			err = report.OpenAPI(f, rows, svc)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "apitap inventory: %s: %v\n", svc, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s\n", filepath.Join(dir, name))
	}
	return 0
}
