package sensor_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/capture"
	"github.com/apitap/apitap/sensor/http1"
)

// corpusDir holds the shared captures; CI checks it out beside the project.
const corpusDir = "../../shared/corpus"

type txnKey struct {
	method, target string
	status         int
}

// readCapture runs a whole capture through a fresh pipeline.
func readCapture(t testing.TB, path string) ([]*http1.Transaction, sensor.Stats, error) {
	t.Helper()
	var out []*http1.Transaction
	p := sensor.New(sensor.Config{}, nil, func(x *http1.Transaction) { out = append(out, x) })
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer src.Close()
	err = p.Run(src)
	p.Flush()
	return out, p.Stats(), err
}

// expected reads tshark's view of a capture (../shared/tools/expected-http.sh).
func expected(t testing.TB, tsv string) map[txnKey]int {
	f, err := os.Open(tsv)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[txnKey]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		col := strings.Split(sc.Text(), "\t")
		if len(col) < 6 {
			continue
		}
		status, _ := strconv.Atoi(col[5]) // "-" (no response) is 0
		m[txnKey{col[2], col[4], status}]++
	}
	return m
}

func TestCorpusAgreesWithTshark(t *testing.T) {
	tsvs, _ := filepath.Glob(filepath.Join(corpusDir, "expected", "*.tsv"))
	if len(tsvs) == 0 {
		t.Fatalf("no expected files under %s", corpusDir)
	}
	var matched, totalExp, totalOurs int
	var report []string
	for _, tsv := range tsvs {
		name := strings.TrimSuffix(filepath.Base(tsv), ".tsv")
		capPath := filepath.Join(corpusDir, strings.ReplaceAll(name, "__", "/"))
		exp := expected(t, tsv)
		txns, _, _ := readCapture(t, capPath)
		ours := tsharkView(txns)
		m, ne, no := 0, 0, 0
		for k, n := range exp {
			m += min(n, ours[k])
			ne += n
		}
		for _, n := range ours {
			no += n
		}
		matched += m
		totalExp += ne
		totalOurs += no
		if m != ne || m != no {
			var diff []string
			for k, n := range exp {
				if ours[k] < n {
					diff = append(diff, fmt.Sprintf("  -%d %v", n-ours[k], k))
				}
			}
			for k, n := range ours {
				if exp[k] < n {
					diff = append(diff, fmt.Sprintf("  +%d %v", n-exp[k], k))
				}
			}
			sort.Strings(diff)
			if len(diff) > 80 {
				diff = append(diff[:8], "  ...")
			}
			report = append(report, fmt.Sprintf("%s: tshark %d, apitap %d, agree %d\n%s", name, ne, no, m, strings.Join(diff, "\n")))
		}
	}
	agree := float64(matched) / float64(max(totalExp, totalOurs))
	t.Logf("corpus: tshark %d transactions, apitap %d, agreeing %d (%.2f%%)", totalExp, totalOurs, matched, 100*agree)
	for _, r := range report {
		t.Log(r)
	}
	if agree < 0.98 {
		t.Errorf("agreement %.2f%% < 98%%", 100*agree)
	}
}

// tsharkView projects transactions the way the expected files see them.
// They come from tshark's field export with -E occurrence=f, which keeps
// the first HTTP message of each frame: a frame that completes two
// pipelined requests lists only the first, and a frame that completes two
// responses pairs only the first ("-" for the other request). A message is
// attributed to the frame that completes it, which is its End packet time
// here. Empty fields print as "-".
func tsharkView(txns []*http1.Transaction) map[txnKey]int {
	type frame struct {
		conn string
		end  int64
	}
	reqFrames, respFrames := map[frame]bool{}, map[frame]bool{}
	out := map[txnKey]int{}
	for _, x := range txns {
		if x.Request.Method == "" {
			continue
		}
		conn := x.Client.String() + x.Server.String() + x.Tunnel.String()
		rf := frame{conn, x.Request.End.UnixNano()}
		if reqFrames[rf] {
			continue
		}
		reqFrames[rf] = true
		status := x.Response.Status
		if status != 0 {
			sf := frame{conn, x.Response.End.UnixNano()}
			if respFrames[sf] {
				status = 0
			}
			respFrames[sf] = true
		}
		target := x.Request.Target
		if target == "" {
			target = "-"
		}
		out[txnKey{x.Request.Method, target, status}]++
	}
	return out
}
