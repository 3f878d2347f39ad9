package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/scenario"
)

// Targets of the evaluation (the detection issue): every detector finds at
// least 95 % of the planted attacks of its kind, and clean traffic raises
// at most one alert per 100 endpoint-days.
const (
	targetRecall      = 0.95
	targetFalsePer100 = 1.0
)

// cmdEval implements `apitap eval`: it scores the alerts `read --state`
// stored for a generated scenario against the scenario's labels, and the
// alerts of a clean scenario against its endpoint-days. Exit status 1 when
// a target is missed.
func cmdEval(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("eval", stderr, "usage: apitap eval --labels FILE --state DIR [--clean-state DIR]\n\nScores detection on generated scenarios (apitap gen): per detector, recall on\nthe planted attacks and precision; on clean traffic, false alerts per 100\nendpoint-days.\n\nflags:\n")
	labels := fs.String("labels", "", "labels `FILE` written by apitap gen (JSON Lines)")
	state := fs.String("state", "", "store `DIR` apitap read filled from the labelled scenario")
	clean := fs.String("clean-state", "", "store `DIR` apitap read filled from a scenario without attacks")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *labels == "" || *state == "" {
		fs.Usage()
		return 2
	}
	ls, err := readLabels(*labels)
	if err != nil {
		fmt.Fprintf(stderr, "apitap eval: %v\n", err)
		return 1
	}
	_, alerts, err := loadState(*state)
	if err != nil {
		fmt.Fprintf(stderr, "apitap eval: %v\n", err)
		return 1
	}
	r := score(ls, alerts)
	if *clean != "" {
		inv, calerts, err := loadState(*clean)
		if err != nil {
			fmt.Fprintf(stderr, "apitap eval: %v\n", err)
			return 1
		}
		r.clean(calerts, endpointDays(inv))
	}
	r.print(stdout)
	if !r.pass() {
		return 1
	}
	return 0
}

func readLabels(path string) ([]scenario.Label, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []scenario.Label
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l scenario.Label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// loadState reads the inventory and every alert of a store.
func loadState(dir string) (*inventory.Inventory, []alert.Alert, error) {
	st, err := openExistingState(dir)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	inv, err := loadInventory(st, nil, inventory.Config{})
	if err != nil {
		return nil, nil, err
	}
	alerts, err := alert.Load(st, time.Time{})
	return inv, alerts, err
}

// endpointDays sums the days each endpoint was seen over (first to last
// transaction, at least a bin's worth): the denominator of false alerts.
func endpointDays(inv *inventory.Inventory) float64 {
	var d float64
	for _, e := range inv.Endpoints() {
		d += max(e.LastSeen.Sub(e.FirstSeen), 5*time.Minute).Hours() / 24
	}
	return d
}

// evalReport holds the scores.
type evalReport struct {
	types      []alert.Type
	planted    map[alert.Type]int
	found      map[alert.Type]int // planted attacks with an alert of their type
	raised     map[alert.Type]int
	explained  map[alert.Type]int // alerts that match some planted attack
	missed     []scenario.Label
	cleanRun   bool
	cleanDays  float64
	cleanByTyp map[alert.Type]int
	cleanTotal int
	falses     []alert.Alert
}

// slack is how far outside an attack's window an alert may start or end
// and still be its: statistical alerts fire when a bin closes, and an
// alert stays open until CloseAfter has passed.
const slack = 35 * time.Minute

// score matches alerts to labels. A planted attack is found when an alert
// of its type on its service overlaps its window (with slack) and agrees
// on route and client where both name one. An alert is explained when it
// matches any planted attack so, whatever the type: an enumeration also
// spikes the rate of its route, and that alert is true, not false.
func score(labels []scenario.Label, alerts []alert.Alert) *evalReport {
	r := &evalReport{
		types: alert.Types, planted: map[alert.Type]int{}, found: map[alert.Type]int{},
		raised: map[alert.Type]int{}, explained: map[alert.Type]int{},
	}
	for _, l := range labels {
		t := alert.Type(l.Type)
		r.planted[t]++
		if slices.ContainsFunc(alerts, func(a alert.Alert) bool { return a.Type == t && matches(l, &a) }) {
			r.found[t]++
		} else {
			r.missed = append(r.missed, l)
		}
	}
	for i := range alerts {
		a := &alerts[i]
		r.raised[a.Type]++
		if slices.ContainsFunc(labels, func(l scenario.Label) bool { return matches(l, a) }) {
			r.explained[a.Type]++
		}
	}
	return r
}

func matches(l scenario.Label, a *alert.Alert) bool {
	if a.Service != l.Service || a.First.After(l.End.Add(slack)) || a.Last.Before(l.Start.Add(-slack)) {
		return false
	}
	if l.Route != "" && a.Route != "" && (l.Method != "" && a.Method != l.Method || !sameRoute(a.Route, l.Route)) {
		return false
	}
	return l.Client == "" || a.Client == "" || a.Client == l.Client
}

var paramName = regexp.MustCompile(`\{[^}]*\}`)

// sameRoute compares templates whatever their parameters are called, and
// a literal path with the template the inventory made of it.
func sameRoute(a, b string) bool {
	// The inventory routes "/mechanic/" as "/mechanic".
	a, b = strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/")
	if a == b || paramName.ReplaceAllString(a, "{}") == paramName.ReplaceAllString(b, "{}") {
		return true
	}
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i] != bs[i] && !strings.HasPrefix(as[i], "{") && !strings.HasPrefix(bs[i], "{") {
			return false
		}
	}
	return true
}

func (r *evalReport) clean(alerts []alert.Alert, days float64) {
	r.cleanRun, r.cleanDays, r.cleanByTyp = true, days, map[alert.Type]int{}
	for _, a := range alerts {
		r.cleanByTyp[a.Type]++
		r.cleanTotal++
		r.falses = append(r.falses, a)
	}
}

func (r *evalReport) falsePer100() float64 {
	if r.cleanDays == 0 {
		return 0
	}
	return 100 * float64(r.cleanTotal) / r.cleanDays
}

func (r *evalReport) recall(t alert.Type) float64 {
	if r.planted[t] == 0 {
		return 1
	}
	return float64(r.found[t]) / float64(r.planted[t])
}

func (r *evalReport) pass() bool {
	for _, t := range r.types {
		if r.planted[t] > 0 && r.recall(t) < targetRecall {
			return false
		}
	}
	return !r.cleanRun || r.falsePer100() <= targetFalsePer100
}

func (r *evalReport) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DETECTOR\tPLANTED\tFOUND\tRECALL\tALERTS\tEXPLAINED\tPRECISION\tCLEAN ALERTS")
	for _, t := range r.types {
		prec := "-"
		if r.raised[t] > 0 {
			prec = fmt.Sprintf("%.2f", float64(r.explained[t])/float64(r.raised[t]))
		}
		rec := "-"
		if r.planted[t] > 0 {
			rec = fmt.Sprintf("%.2f", r.recall(t))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%s\t%d\n", t, r.planted[t], r.found[t], rec, r.raised[t], r.explained[t], prec, r.cleanByTyp[t])
	}
	tw.Flush()
	if r.cleanRun {
		fmt.Fprintf(w, "\nclean traffic: %d alerts over %.0f endpoint-days = %.2f per 100 endpoint-days (target <= %.0f)\n",
			r.cleanTotal, r.cleanDays, r.falsePer100(), targetFalsePer100)
	}
	for _, a := range r.falses {
		fmt.Fprintf(w, "false: %s %s %s %s client %s at %s: %s\n", a.Type, a.Service, a.Method, a.Route, a.Client, a.First.Format(time.RFC3339), a.Evidence.Detail)
	}
	for _, l := range r.missed {
		fmt.Fprintf(w, "missed: %s %s %s %s client %s at %s\n", l.Type, l.Service, l.Method, l.Route, l.Client, l.Start.Format(time.RFC3339))
	}
	verdict := "PASS"
	if !r.pass() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s: recall >= %.2f for every detector", verdict, targetRecall)
	if r.cleanRun {
		fmt.Fprintf(w, ", <= %.0f false alert per 100 endpoint-days", targetFalsePer100)
	}
	fmt.Fprintln(w)
}
