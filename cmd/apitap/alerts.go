package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
)

// cmdAlerts implements `apitap alerts`: the stored alerts, newest first.
func cmdAlerts(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("alerts", stderr, "usage: apitap alerts --state DIR [--since T] [--format table|json]\n\nflags:\n")
	state := fs.String("state", "", "the store `DIR` that read or run filled (required)")
	since := fs.String("since", "", "only alerts opened at or after `T`: an RFC 3339 time, or a duration such as 24h\n"+
		"counted back in packet time from the latest activity of any stored alert\n"+
		"(so a replayed capture lists like a live sensor)")
	format := fs.String("format", "table", "table or json")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *state == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "apitap alerts: --format %q: want table or json\n", *format)
		return 2
	}
	var from time.Time
	var back time.Duration
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			d, derr := time.ParseDuration(*since)
			if derr != nil || d <= 0 {
				fmt.Fprintf(stderr, "apitap alerts: --since %q: want an RFC 3339 time (2026-03-01T12:00:00Z) or a positive duration (24h)\n", *since)
				return 2
			}
			back = d
		}
		from = t
	}
	st, err := openExistingState(*state)
	if errors.Is(err, errNoStore) {
		fmt.Fprintf(stderr, "apitap alerts: no store in %s: fill it with apitap read --state %[1]s or apitap run --state %[1]s\n", *state)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "apitap alerts: %v\n", err)
		return 1
	}
	defer st.Close()
	alerts, err := alert.Load(st, from)
	if err != nil {
		fmt.Fprintf(stderr, "apitap alerts: load from %s: %v\n", *state, err)
		return 1
	}
	if back > 0 {
		alerts = openedWithin(alerts, back)
	}
	slices.SortFunc(alerts, func(a, b alert.Alert) int {
		return cmp.Or(b.First.Compare(a.First), cmp.Compare(a.ID, b.ID))
	})
	out := bufio.NewWriter(stdout)
	if *format == "json" {
		err = alertsJSON(out, alerts)
	} else {
		err = alertsTable(out, alerts)
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "apitap alerts: %v\n", err)
		return 1
	}
	return 0
}

// openedWithin keeps the alerts opened within d before the latest activity
// (last finding or close) of any of them. Packet time, not the clock: the
// alerts of a capture replayed today are as old as its packets.
func openedWithin(alerts []alert.Alert, d time.Duration) []alert.Alert {
	var latest time.Time
	for _, a := range alerts {
		for _, t := range []time.Time{a.Last, a.Closed} {
			if t.After(latest) {
				latest = t
			}
		}
	}
	from := latest.Add(-d)
	return slices.DeleteFunc(alerts, func(a alert.Alert) bool { return a.First.Before(from) })
}

func alertsJSON(w io.Writer, alerts []alert.Alert) error {
	if alerts == nil {
		alerts = []alert.Alert{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(alerts)
}

// maxEvidence bounds the EVIDENCE column, in runes.
const maxEvidence = 60

func alertsTable(w io.Writer, alerts []alert.Alert) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIRST\tLAST\tSEVERITY\tTYPE\tSTATE\tSERVICE\tENDPOINT\tCLIENT\tCOUNT\tEVIDENCE")
	states := map[alert.State]int{}
	for _, a := range alerts {
		states[a.State]++
		endpoint := strings.TrimSpace(a.Method + " " + a.Route)
		ev := []rune(a.Evidence.Summary())
		if len(ev) > maxEvidence {
			ev = append(ev[:maxEvidence-3], []rune("...")...)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n",
			a.First.UTC().Format(time.DateTime), a.Last.UTC().Format(time.DateTime), strings.ToLower(a.Severity.Name()),
			a.Type, a.State, a.Service, dashIfEmpty(endpoint), dashIfEmpty(a.Client), a.Count, dashIfEmpty(string(ev)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d alerts: %d open, %d updated, %d closed (times UTC, packet time)\n",
		len(alerts), states[alert.Open], states[alert.Updated], states[alert.Closed])
	return err
}

// dashIfEmpty fills an empty table cell.
func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
