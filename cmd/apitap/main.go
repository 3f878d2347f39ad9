// Command apitap is a passive API sensor: it reads mirrored traffic, parses
// HTTP transactions and reports what it finds.
//
// Usage:
//
//	apitap read [flags] CAPTURE...
//	apitap inventory --state DIR [flags]
//	apitap alerts --state DIR [flags]
//	apitap version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		usage()
		return 2
	}
	switch args[0] {
	case "read":
		return cmdRead(args[1:], os.Stdout, os.Stderr)
	case "inventory":
		return cmdInventory(args[1:], os.Stdout, os.Stderr)
	case "alerts":
		return cmdAlerts(args[1:], os.Stdout, os.Stderr)
	case "eval":
		return cmdEval(args[1:], os.Stdout, os.Stderr)
	case "run":
		return cmdRun(args[1:], os.Stdout, os.Stderr)
	case "gen":
		return cmdGen(args[1:], os.Stdout, os.Stderr)
	case "version", "--version", "-version":
		fmt.Println("apitap", version)
		return 0
	case "help", "-h", "--help":
		usage()
		return 0
	default:
		fmt.Fprintf(os.Stderr, "apitap: unknown command %q\n", args[0])
		usage()
		return 2
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: apitap COMMAND [flags]

commands:
  read [flags] CAPTURE...   parse HTTP transactions from pcap/pcapng files (optionally .gz)
  inventory --state DIR     the API inventory: documented, shadow, zombie and orphan endpoints
  alerts --state DIR        the stored alerts, newest first (--since T, --format table|json)
  run --iface IF [flags]    the live sensor: capture mirrored traffic, keep the inventory, raise alerts
  eval --labels F --state D score the alerts of a generated scenario (apitap gen) against its labels
  gen --out FILE [flags]    generate a labelled capture of API traffic with planted attacks
  version                   print the version

Run 'apitap read -h' for the flags of read.
`)
}

// newFlagSet is a command's flag set: errors and the usage go to stderr,
// the usage as head followed by the flags.
func newFlagSet(name string, stderr io.Writer, head string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, head)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses a command's args. When they do not parse, done is set
// and code is the exit status: 0 for -h (the usage asked for is no error),
// 2 for a bad flag (the flag package said which).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	}
	return 2, true
}
