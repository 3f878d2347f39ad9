package output_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
	"github.com/apitap/apitap/analyzer/output"
)

// fmtTestCEF is a CEF line split back into its parts.
type fmtTestCEF struct {
	header [7]string // version ("CEF:0"), vendor, product, version, signature id, name, severity
	ext    map[string]string
	keys   []string // in line order
}

// fmtTestParseCEF splits a CEF line as a receiver does, independently of
// the encoder: the header at unescaped pipes, undoing \\ and \|; the
// extension at each unescaped = (the key being the word before it, the
// value running to the space before the next key), undoing \\, \=, \n and
// \r. Anything else after a backslash is an error: the encoder must not
// write it.
func fmtTestParseCEF(line string) (*fmtTestCEF, error) {
	c := &fmtTestCEF{ext: map[string]string{}}
	rest := line
	for i := range 7 {
		var b strings.Builder
		j := 0
		for ; j < len(rest); j++ {
			ch := rest[j]
			if ch == '\\' {
				if j+1 == len(rest) || (rest[j+1] != '\\' && rest[j+1] != '|') {
					return nil, fmt.Errorf("header field %d: bad escape at %q", i, rest[j:])
				}
				b.WriteByte(rest[j+1])
				j++
				continue
			}
			if ch == '|' {
				break
			}
			if ch == '\n' || ch == '\r' {
				return nil, fmt.Errorf("header field %d: raw line break", i)
			}
			b.WriteByte(ch)
		}
		if j == len(rest) {
			return nil, fmt.Errorf("header has %d fields, want 7", i+1)
		}
		c.header[i] = b.String()
		rest = rest[j+1:]
	}
	// The extension: find the unescaped '=' signs.
	var eqs []int
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			j++
		case '=':
			eqs = append(eqs, j)
		case '\n', '\r':
			return nil, fmt.Errorf("extension: raw line break")
		}
	}
	keyStart := func(eq int) int { return strings.LastIndexByte(rest[:eq], ' ') + 1 }
	for n, eq := range eqs {
		k := rest[keyStart(eq):eq]
		end := len(rest)
		if n+1 < len(eqs) {
			end = keyStart(eqs[n+1]) - 1
			if end < eq+1 {
				return nil, fmt.Errorf("extension: key %q has no value", k)
			}
		}
		raw := rest[eq+1 : end]
		var b strings.Builder
		for j := 0; j < len(raw); j++ {
			if raw[j] != '\\' {
				b.WriteByte(raw[j])
				continue
			}
			if j+1 == len(raw) {
				return nil, fmt.Errorf("extension %s: trailing backslash", k)
			}
			j++
			switch raw[j] {
			case '\\', '=':
				b.WriteByte(raw[j])
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				return nil, fmt.Errorf("extension %s: bad escape \\%c", k, raw[j])
			}
		}
		if _, dup := c.ext[k]; dup {
			return nil, fmt.Errorf("extension: key %q twice", k)
		}
		c.ext[k] = b.String()
		c.keys = append(c.keys, k)
	}
	if len(eqs) > 0 && keyStart(eqs[0]) != 0 {
		return nil, fmt.Errorf("extension: text before the first key: %q", rest[:keyStart(eqs[0])])
	}
	return c, nil
}

func fmtTestCEFLine(t *testing.T, p alert.ProductInfo, a *alert.Alert) *fmtTestCEF {
	t.Helper()
	b, err := output.NewCEF(p).Append(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	c, err := fmtTestParseCEF(string(b))
	if err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return c
}

// Every value of the fixtures comes back from the line.
func TestCEFRecoversEveryValue(t *testing.T) {
	all := fmtTestAlerts()
	ms := func(tm time.Time) string { return strconv.FormatInt(tm.UnixMilli(), 10) }
	for _, tt := range []struct {
		name   string
		a      alert.Alert
		header [7]string
		want   map[string]string
	}{
		{"open", all[0],
			[7]string{"CEF:0", "apitap", "apitap", "1.2.3", "rate_spike", "Request rate spike", "8"},
			map[string]string{
				"rt": ms(all[0].Last), "start": ms(all[0].First), "end": ms(all[0].Last),
				"msg": "Request rate spike on GET /orders/{id} at shop.example:8080@vxlan=7 from 203.0.113.9: 940 requests in 5m from one client, 120 expected",
				"act": "alert", "cat": "API4:2023", "app": "HTTP", "proto": "TCP",
				"src": "203.0.113.9", "spt": "50412", "dst": "10.0.0.5", "dhost": "shop.example", "dpt": "8080",
				"requestMethod": "GET", "request": "http://shop.example:8080/orders/1001?expand=items", "in": "512",
				"cs1": all[0].ID, "cs1Label": "id", "cs2": "open", "cs2Label": "state",
				"cs3": "API4:2023 Unrestricted Resource Consumption", "cs3Label": "owasp",
				"cs4": "940 requests in 5m from one client, 120 expected", "cs4Label": "evidence",
				"cs5": "/orders/{id}", "cs5Label": "route", "cs6": "shop.example:8080@vxlan=7", "cs6Label": "service",
				"cn1": "1", "cn1Label": "count", "cn3": "200", "cn3Label": "status",
				"cfp1": "940", "cfp1Label": "observed", "cfp2": "120", "cfp2Label": "baseline",
				"cfp3": "30", "cfp3Label": "spread", "cfp4": "27.33", "cfp4Label": "score_z",
			}},
		{"closed: rt is when it closed", all[2],
			[7]string{"CEF:0", "apitap", "apitap", "1.2.3", "rate_spike", "Request rate spike", "8"},
			map[string]string{"rt": ms(all[2].Closed), "end": ms(all[2].Last), "cs2": "closed", "cn1": "4"}},
		{"service-wide rule alert", all[3],
			[7]string{"CEF:0", "apitap", "apitap", "1.2.3", "credential_stuffing", "Credential stuffing", "10"},
			map[string]string{
				"dhost": "login.example", "cn2": "97", "cn2Label": "distinct", "cfp4Label": "score_count",
				"src": "", "dst": "", "dpt": "", "request": "", "cs5": "", "cfp2": "", "cfp3": "",
			}},
		{"IPv6 and escapes", all[4],
			[7]string{"CEF:0", "apitap", "apitap", "1.2.3", "injection", "Injection attempt", "5"},
			map[string]string{
				"src": "2001:db8::99", "spt": "41000", "dst": "2001:db8::5", "dpt": "8443", "dhost": "",
				"request": "http://[2001:db8::5]:8443/search?q=%27%20OR%201%3D1&x=a|b",
				"cs4":     `q=' OR 1=1 -- | \ <script>`,
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := fmtTestCEFLine(t, fmtTestProduct, &tt.a)
			if c.header != tt.header {
				t.Errorf("header = %q, want %q", c.header, tt.header)
			}
			for k, want := range tt.want {
				if got := c.ext[k]; got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// Escaping edge cases: whatever a route, a detail, a product name or an
// unknown type holds comes back unchanged (line breaks included, except in
// the header, which has no escape for them: they become spaces, and in
// msg, which is one line for people).
func TestCEFEscaping(t *testing.T) {
	first := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		s    string
	}{
		{"plain", "/orders/{id}"},
		{"pipe", "/a|b||c|"},
		{"backslash", `C:\path\`},
		{"double backslash", `\\`},
		{"escaped pipe look-alike", `\|`},
		{"escaped equals look-alike", `\=`},
		{"equals", "a=b=c"},
		{"key look-alike", "x cs1=evil dst=1.2.3.4"},
		{"equals at the end", "trailing="},
		{"newline", "line1\nline2"},
		{"carriage return", "a\rb\r\n"},
		{"literal backslash n", `a\nb`},
		{"everything", "|\\=\n\r =| \\n"},
		{"utf-8", "caf\u00e9 \u2028 \u00fc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := alert.Alert{
				ID: "id" + tt.s, Type: alert.Type("type" + tt.s), Severity: alert.Low, State: alert.Open,
				Service: "svc" + tt.s, Method: "GET", Route: "/r" + tt.s, Client: "c" + tt.s,
				First: first, Last: first, Count: 1,
				Evidence: alert.Evidence{Detail: "d" + tt.s},
			}
			p := alert.ProductInfo{Name: "p" + tt.s, Vendor: "v" + tt.s, Version: "1" + tt.s}
			c := fmtTestCEFLine(t, p, &a)
			flat := strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")
			header := strings.NewReplacer("\r", " ", "\n", " ")
			wantHeader := [7]string{"CEF:0", header.Replace(p.Vendor), header.Replace(p.Name), header.Replace(p.Version),
				header.Replace(string(a.Type)), header.Replace(string(a.Type)), "3"}
			if c.header != wantHeader {
				t.Errorf("header = %q, want %q", c.header, wantHeader)
			}
			for k, want := range map[string]string{
				"cs1": a.ID, "cs4": a.Evidence.Detail, "cs5": a.Route, "cs6": a.Service, "shost": a.Client,
				"msg": flat.Replace(string(a.Type) + " on " + strings.TrimSpace("GET "+a.Route) + " at " + a.Service + " from " + a.Client + ": " + a.Evidence.Detail),
			} {
				if got := c.ext[k]; got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestCEFSeverity(t *testing.T) {
	for _, tt := range []struct {
		s    alert.Severity
		want int
	}{
		{alert.Info, 1}, {alert.Low, 3}, {alert.Medium, 5}, {alert.High, 8}, {alert.Critical, 10}, {0, 0}, {6, 0},
	} {
		if got := output.CEFSeverity(tt.s); got != tt.want {
			t.Errorf("CEFSeverity(%d) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

// The test's parser rejects what it must, or a lenient parser would
// prove nothing.
func TestCEFParserRejects(t *testing.T) {
	for _, line := range []string{
		"CEF:0|a|b|c|d|e|5",                // 6 pipes: no extension field
		"CEF:0|a|b\\x|c|d|e|5|k=v",         // bad header escape
		"CEF:0|a|b|c|d|e|5|k=v\\q",         // bad extension escape
		"CEF:0|a|b|c|d|e|5|junk k=v",       // text before the first key
		"CEF:0|a|b|c|d|e|5|k=v\nk2=v",      // raw newline
		"CEF:0|a|b|c|d|e|5|k=v k=w",        // a key twice
		"CEF:0|a|b|c|d|e|5|k=v trailing\\", // trailing backslash
	} {
		if _, err := fmtTestParseCEF(line); err == nil {
			t.Errorf("parsed %q", line)
		}
	}
}
