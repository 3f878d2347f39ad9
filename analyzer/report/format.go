package report

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Table writes the rows for a terminal.
func Table(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tSERVICE\tMETHOD\tTEMPLATE\tREQUESTS\tSTATUSES\tCLIENTS\tP50 MS\tAUTH\tSENSITIVE\tLAST SEEN")
	for _, r := range rows {
		last := "-"
		if r.LastSeen != nil {
			last = r.LastSeen.Format(time.DateTime)
		}
		class := string(r.Class)
		if r.Drift != nil {
			class += "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%.1f\t%s\t%s\t%s\n", class, r.Service, r.Method, r.Template,
			r.Requests, statuses(r.Statuses), r.Clients, r.LatencyMS[0], authSummary(r), sensitiveSummary(r), last)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	c := Counts(rows)
	_, err := fmt.Fprintf(w, "\n%d endpoints: %d documented, %d shadow, %d zombie, %d orphan (* drift from the spec)\n",
		len(rows), c[Documented], c[Shadow], c[Zombie], c[Orphan])
	return err
}

func statuses(m map[string]uint64) string {
	var b strings.Builder
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%d", k, m[k])
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// JSON writes the rows as one JSON array.
func JSON(w io.Writer, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// csvHeader is the column list of CSV output, documented in the README.
var csvHeader = []string{"class", "why", "service", "method", "template", "spec", "spec_path", "requests", "partial",
	"statuses", "clients", "latency_p50_ms", "latency_p99_ms", "resp_bytes_p50", "first_seen", "last_seen",
	"query_params", "auth", "sensitive", "undocumented_query", "undocumented_statuses", "undocumented_response_fields"}

// CSV writes the rows as CSV with a header line.
func CSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339Nano)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	for _, r := range rows {
		var q []string
		for _, p := range r.Query {
			q = append(q, p.Name)
		}
		var dq, ds, df []string
		if r.Drift != nil {
			dq, df = r.Drift.Query, r.Drift.Fields
			for _, s := range r.Drift.Statuses {
				ds = append(ds, strconv.Itoa(s))
			}
		}
		cw.Write([]string{string(r.Class), r.Why, r.Service, r.Method, r.Template, r.Spec, r.SpecPath,
			strconv.FormatUint(r.Requests, 10), strconv.FormatUint(r.Partial, 10), statuses(r.Statuses),
			strconv.FormatUint(r.Clients, 10), f(r.LatencyMS[0]), f(r.LatencyMS[2]), f(r.RespBytes[0]),
			ts(r.FirstSeen), ts(r.LastSeen), strings.Join(q, " "), authSummary(r), sensitiveSummary(r),
			strings.Join(dq, " "), strings.Join(ds, " "), strings.Join(df, " ")})
	}
	cw.Flush()
	return cw.Error()
}

// authSummary names the schemes seen, most common first: "bearer_jwt" or
// "none,basic"; "!" marks risky JWTs.
func authSummary(r Row) string {
	if len(r.Auth) == 0 {
		return "-"
	}
	names := slices.SortedFunc(maps.Keys(r.Auth), func(a, b string) int {
		return cmp.Or(cmp.Compare(r.Auth[b], r.Auth[a]), strings.Compare(a, b))
	})
	s := strings.Join(names, ",")
	if len(r.JWTFlags) > 0 {
		s += "!"
	}
	return s
}

// sensitiveSummary lists the sensitive classes seen: "email,password".
func sensitiveSummary(r Row) string {
	var classes []string
	for _, s := range r.Sensitive {
		if !slices.Contains(classes, s.Class) {
			classes = append(classes, s.Class)
		}
	}
	if len(classes) == 0 {
		return "-"
	}
	slices.Sort(classes)
	return strings.Join(classes, ",")
}
