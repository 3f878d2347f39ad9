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
	t.Helper()
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

// onPurpose lists the captures where apitap and tshark differ by design,
// with the reason; the numbers pin each difference (tshark's transactions,
// apitap's, and how many agree) so that it cannot drift unnoticed. Their
// agreeing transactions count towards the 98%, their differences do not.
// Any other capture must agree transaction for transaction.
var onPurpose = map[string]struct {
	why                  string
	tshark, apitap, same int
}{
	"esnet-curated-pcaps__nmap_80_all.pcap":                     {"nmap's XFOC request: apitap accepts any method token on a well-formed request line, tshark only methods it knows", 31, 32, 31},
	"ndpi__1kxun.pcap":                                          {"32 SSDP NOTIFY datagrams (tshark's SSDP dissector takes them away from http.request); responses cut by lost segments or the capture's end are reported, marked partial", 244, 276, 237},
	"ndpi__instagram.pcap":                                      {"tshark stops dissecting responses after lost segments; apitap reports their status, marked partial", 8, 8, 4},
	"ndpi__starcraft_battle.pcap":                               {"11 SSDP NOTIFY datagrams; 5 image responses cut by the end of the capture are reported, marked truncated", 20, 31, 15},
	"suricata-verify__http-evader__http-evader-050__input.pcap": {"the evasion's status line 'HTTP/0.9 200 ok' is accepted as a response", 1, 1, 0},
	"suricata-verify__http-evader__http-evader-375__input.pcap": {"a status line after a leading space is found by resynchronisation", 1, 1, 0},
	"suricata-verify__http-gap-simple__input.pcap":              {"a response with a gap inside is reported with its status, marked partial", 3, 3, 2},
	"suricata-verify__tcp-rst-unacked-stream-10__TLPW1-tcp-174.56.47.59-10.3.11.101-tcp-80-49309.pcap": {"a response in snap-length-truncated frames is reported with its status", 1, 1, 0},
	"suricata-verify__http-protocol-nodup__input.pcap":                                                 {"tshark's field export leaves http.request_in empty on frames that carry several pipelined responses (frames 7, 10, 16-19), so two requests apitap pairs with their 404 show no status", 5, 5, 3},
	"zeek__erspan.pcap":        {"three responses cut by lost segments are reported with their status, marked partial", 22, 22, 19},
	"zeek__http__bro.org.pcap": {"a response with a lost segment is reported with its status, marked partial", 31, 31, 30},
	"zeek__http__http_09.pcap": {"HTTP/0.9 requests, which tshark does not dissect", 0, 3, 0},
}

func TestCorpusAgreesWithTshark(t *testing.T) {
	tsvs, _ := filepath.Glob(filepath.Join(corpusDir, "expected", "*.tsv"))
	if len(tsvs) == 0 {
		t.Fatalf("no expected files under %s", corpusDir)
	}
	var matched, totalExp, totalOurs int
	var explained, explainedMatched int
	seen := map[string]bool{}
	for _, tsv := range tsvs {
		name := strings.TrimSuffix(filepath.Base(tsv), ".tsv")
		capPath := filepath.Join(corpusDir, strings.ReplaceAll(name, "__", "/"))
		exp := expected(t, tsv)
		txns, _, err := readCapture(t, capPath)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
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
		if op, ok := onPurpose[name]; ok {
			seen[name] = true
			if op.tshark != ne || op.apitap != no || op.same != m {
				t.Errorf("%s: tshark %d, apitap %d, agree %d; the on-purpose entry pins %d, %d, %d (%s)",
					name, ne, no, m, op.tshark, op.apitap, op.same, op.why)
			}
			explained += max(ne, no)
			explainedMatched += m
			continue
		}
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
				diff = append(diff[:80], "  ...")
			}
			t.Errorf("%s: tshark %d, apitap %d, agree %d; an unexplained difference (fix it, or pin it in onPurpose with its reason)\n%s",
				name, ne, no, m, strings.Join(diff, "\n"))
		}
	}
	for name := range onPurpose {
		if !seen[name] {
			t.Errorf("on-purpose entry %s: no such capture under %s/expected", name, corpusDir)
		}
	}
	raw := float64(matched) / float64(max(totalExp, totalOurs))
	// Differences listed in onPurpose are by design; everything else
	// counts against the agreement.
	agree := float64(matched) / float64(max(totalExp, totalOurs)-(explained-explainedMatched))
	t.Logf("corpus: tshark %d transactions, apitap %d, agreeing %d (%.2f%% raw, %.2f%% with the %d on-purpose differences set aside)",
		totalExp, totalOurs, matched, 100*raw, 100*agree, explained-explainedMatched)
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
