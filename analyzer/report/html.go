package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// HTML writes a self-contained report page (no external resources) that a
// person can hand to an API owner: counts by class, a table sortable by any
// column, and the details of each endpoint.
func HTML(w io.Writer, rows []Row, generated time.Time) error {
	services := map[string]bool{}
	for _, r := range rows {
		services[r.Service] = true
	}
	data := struct {
		Rows      []Row
		Counts    map[Class]int
		Services  int
		Generated string
	}{rows, Counts(rows), len(services), generated.UTC().Format(time.RFC3339)}
	return page.Execute(w, data)
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"statuses": statuses,
	"join":     func(s []string) string { return strings.Join(s, ", ") },
	"ms":       func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"time": func(t interface{ Format(string) string }) string {
		return t.Format("2006-01-02 15:04:05")
	},
	"ints": func(v []int) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, ", ")
	},
	"auth":    authSummary,
	"sens":    sensitiveSummary,
	"pct":     func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) },
	"classes": func() []Class { return []Class{Documented, Shadow, Zombie, Orphan} },
}).Parse(pageHTML))

const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>apitap API inventory</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .2em}
.sub{color:#666;margin-bottom:1em}
.cards{display:flex;gap:1em;margin:1em 0}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:8em}
.card b{display:block;font-size:1.6em}
.documented{color:#1b7f3b}.shadow{color:#b3261e}.zombie{color:#8a5a00}.orphan{color:#555}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #eee;padding:.35em .5em;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f6f6f6;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,monospace}
details{margin:.2em 0}summary{cursor:pointer}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.4em 0}
dt{color:#666}
</style></head><body>
<h1>API inventory</h1>
<div class="sub">{{len .Rows}} endpoints on {{.Services}} services · generated {{.Generated}} by apitap</div>
<div class="cards">{{range classes}}<div class="card {{.}}"><b id="count-{{.}}">{{index $.Counts .}}</b>{{.}}</div>{{end}}</div>
<table id="endpoints">
<thead><tr><th data-type="text">Class</th><th data-type="text">Service</th><th data-type="text">Method</th><th data-type="text">Template</th><th data-type="num">Requests</th><th data-type="num">Clients</th><th data-type="num">p50 ms</th><th data-type="text">Auth</th><th data-type="text">Sensitive</th><th data-type="text">Last seen</th></tr></thead>
<tbody>{{range .Rows}}
<tr class="row"><td class="{{.Class}}">{{.Class}}{{if .Why}} ({{.Why}}){{end}}</td><td>{{.Service}}</td><td>{{.Method}}</td>
<td><details><summary><code>{{.Template}}</code></summary><dl>
{{if .Spec}}<dt>spec</dt><dd>{{.Spec}} <code>{{.SpecPath}}</code></dd>{{end}}
{{if .FirstSeen}}<dt>first seen</dt><dd>{{time .FirstSeen}}</dd>{{end}}
{{if .Statuses}}<dt>statuses</dt><dd>{{statuses .Statuses}}</dd>{{end}}
<dt>latency ms</dt><dd>p50 {{ms (index .LatencyMS 0)}} · p90 {{ms (index .LatencyMS 1)}} · p99 {{ms (index .LatencyMS 2)}}</dd>
<dt>response bytes</dt><dd>p50 {{ms (index .RespBytes 0)}} · p99 {{ms (index .RespBytes 2)}}</dd>
{{if .ReqTypes}}<dt>request types</dt><dd>{{join .ReqTypes}}</dd>{{end}}
{{if .RespTypes}}<dt>response types</dt><dd>{{join .RespTypes}}</dd>{{end}}
{{if .Query}}<dt>query</dt><dd>{{range .Query}}<code>{{.Name}}</code> ({{join .Types}}, {{.Count}}) {{end}}</dd>{{end}}
{{if .Auth}}<dt>authentication</dt><dd>{{range $k, $v := .Auth}}{{$k}} {{pct $v}} {{end}}{{range $k, $v := .JWTFlags}}<b>jwt {{$k}} {{pct $v}}</b> {{end}}</dd>{{end}}
{{if .Sensitive}}<dt>sensitive data</dt><dd>{{range .Sensitive}}{{.Dir}} <code>{{.Path}}</code>: {{.Class}} ×{{.Count}} (<code>{{.Masked}}</code>)<br>{{end}}</dd>{{end}}
{{if .ReqFields}}<dt>request body</dt><dd>{{range .ReqFields}}<code>{{.Path}}</code> {{join .Types}}{{if .Format}} ({{.Format}}){{end}}<br>{{end}}</dd>{{end}}
{{if .RespFields}}<dt>response body</dt><dd>{{range .RespFields}}<code>{{.Path}}</code> {{join .Types}}{{if .Format}} ({{.Format}}){{end}}<br>{{end}}</dd>{{end}}
{{with .Drift}}<dt>drift</dt><dd>{{if .Query}}undocumented query: {{join .Query}}. {{end}}{{if .Statuses}}undocumented statuses: {{ints .Statuses}}. {{end}}{{if .Fields}}undocumented response fields: {{join .Fields}}.{{end}}</dd>{{end}}
{{with .Evidence}}<dt>parameter</dt><dd>{{.Reason}}; {{.Values}} values{{if .Examples}}, e.g. {{join .Examples}}{{end}}</dd>{{end}}
{{if .Merged}}<dt>merged</dt><dd>{{.Merged}} endpoints folded into this one</dd>{{end}}
</dl></details></td>
<td class="num">{{.Requests}}</td><td class="num">{{.Clients}}</td><td class="num">{{ms (index .LatencyMS 0)}}</td><td>{{auth .}}</td><td>{{sens .}}</td><td>{{if .LastSeen}}{{time .LastSeen}}{{else}}never{{end}}</td></tr>{{end}}
</tbody></table>
<script>
// Sort the table by the clicked column; click again to reverse.
document.querySelectorAll('#endpoints th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var tbody = document.querySelector('#endpoints tbody');
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    document.querySelectorAll('#endpoints th').forEach(function(h){ h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    var num = th.dataset.type === 'num';
    var rows = Array.prototype.slice.call(tbody.querySelectorAll('tr.row'));
    rows.sort(function(a, b){
      var x = a.children[col].textContent.trim(), y = b.children[col].textContent.trim();
      var c = num ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function(r){ tbody.appendChild(r); });
  });
});
</script>
</body></html>
`
