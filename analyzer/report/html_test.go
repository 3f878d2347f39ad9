package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/report"
)

// wrapper loads the report in a frame of the same origin, sorts it by
// requests the way a person would (two clicks on the header: descending)
// and writes what the page shows into its own body for --dump-dom.
const wrapper = `<!doctype html><html><body>
<iframe id="f" src="/report.html" width="1200" height="800"></iframe>
<script>
document.getElementById('f').onload = function(){
  var d = this.contentDocument;
  var th = d.querySelectorAll('#endpoints th')[4];
  th.click(); th.click();
  var rows = d.querySelectorAll('#endpoints tbody tr.row');
  var out = {
    requests: Array.prototype.map.call(rows, function(r){ return r.children[4].textContent.trim(); }),
    sort: th.getAttribute('aria-sort'),
    details: d.querySelectorAll('#endpoints details').length,
    counts: {}
  };
  ['documented','shadow','zombie','orphan'].forEach(function(c){ out.counts[c] = d.getElementById('count-'+c).textContent; });
  var pre = document.createElement('pre'); pre.id = 'result'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
};
</script></body></html>`

// TestHTMLInBrowser renders the report in headless Chromium and sorts it.
func TestHTMLInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("APITAP_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium not found, and APITAP_REQUIRE_BROWSER is set")
		}
		t.Skip("chromium not installed (CI installs it)")
	}
	inv := inventoryOf(t, "ndpi/1kxun.pcap", nil)
	rows := report.Build(inv, nil, report.Filter{})
	var page bytes.Buffer
	if err := report.HTML(&page, rows, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/report.html" {
			w.Write(page.Bytes())
			return
		}
		w.Write([]byte(wrapper))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=10000", "--dump-dom", srv.URL+"/test.html")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`<pre id="result">(.*?)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no result in the page:\n%.2000s", out)
	}
	var got struct {
		Requests []string
		Sort     string
		Details  int
		Counts   map[string]string
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Requests) != len(rows) || got.Details != len(rows) {
		t.Errorf("the page shows %d rows and %d details, want %d", len(got.Requests), got.Details, len(rows))
	}
	var n []int
	for _, s := range got.Requests {
		v, _ := strconv.Atoi(s)
		n = append(n, v)
	}
	if got.Sort != "descending" || !slices.IsSortedFunc(n, func(a, b int) int { return b - a }) || n[0] == n[len(n)-1] {
		t.Errorf("after two clicks on Requests (%s): %v", got.Sort, n)
	}
	c := report.Counts(rows)
	for class, shown := range got.Counts {
		if shown != strconv.Itoa(c[report.Class(class)]) {
			t.Errorf("card %s shows %s, want %d", class, shown, c[report.Class(class)])
		}
	}
	t.Logf("%d rows rendered and sorted in Chromium; counts %v", len(rows), got.Counts)
}
