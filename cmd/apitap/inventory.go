package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/apitap/apitap/analyzer/report"
)

// cmdInventory implements `apitap inventory`: the stored API inventory,
// classified against the given specs, in one of several formats.
func cmdInventory(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inventory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", "", "the store `DIR` that read or run filled (required)")
	var specs specFiles
	fs.Var(&specs, "spec", "OpenAPI 3.x or Swagger 2.0 `FILE` (or HOST=FILE); repeatable")
	format := fs.String("format", "table", "table, json or csv")
	service := fs.String("service", "", "only this service")
	classes := fs.String("class", "", "only these classes, comma-separated: documented,shadow,zombie,orphan")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: apitap inventory --state DIR [--spec FILE]... [--format F] [--service S] [--class C,...]\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
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
	write := map[string]func(io.Writer, []report.Row) error{"table": report.Table, "json": report.JSON, "csv": report.CSV}[*format]
	if write == nil {
		fmt.Fprintf(stderr, "apitap inventory: --format %q: want table, json or csv\n", *format)
		return 2
	}
	idx, err := specs.load()
	if err != nil {
		fmt.Fprintf(stderr, "apitap inventory: %v\n", err)
		return 2
	}
	inv, st, err := openInventory(*state, idx)
	if err != nil {
		fmt.Fprintf(stderr, "apitap inventory: %v\n", err)
		return 1
	}
	defer st.Close()
	out := bufio.NewWriter(stdout)
	if err := write(out, report.Build(inv, idx, f)); err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "apitap inventory: %v\n", err)
		return 1
	}
	return 0
}
