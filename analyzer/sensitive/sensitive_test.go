package sensitive_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/sensitive"
	"github.com/apitap/apitap/sensor/http1"
)

// Test values. None of them is real: cards are the networks' published test
// numbers, the IBANs the registry's examples, keys the vendors' documented
// examples or made up in their format.
const (
	visa      = "4111111111111111"
	mc        = "5500005555555559"
	amex      = "378282246310005"
	awsKey    = "AKIAIOSFODNN7EXAMPLE"
	gcpKey    = "AIzaSyA1234567890abcdefghijklmnopqrstu" + "v"
	ghToken   = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
	ghPAT     = "github_pat_" + "11ABCDEFG0abcdefghijkl_" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"
	slackTok  = "xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx"
	jwtTok    = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	ibanDE    = "DE89370400440532013000"
	ibanDEgrp = "DE89 3704 0044 0532 0130 00"
	ibanGB    = "GB82WEST12345698765432"
)

// f formats findings as "class path masked" lines.
func f(fs []sensitive.Finding) string {
	var lines []string
	for _, x := range fs {
		lines = append(lines, x.Class.String()+" "+x.Path+" "+x.Masked)
	}
	return strings.Join(lines, "\n")
}

func lines(l ...string) string { return strings.Join(l, "\n") }

func TestScan(t *testing.T) {
	tests := []struct {
		name, ct, body string
		want           string
	}{
		{"json nested paths", "application/json",
			`{"user":{"email":"john.smith@example.com","cards":[{"number":"4111 1111 1111 1111"},{"number":"` + mc + `"}]}}`,
			lines("email user.email j***@example.com", "card user.cards[].number 4111 **** **** 1111")},
		{"json password whatever the value", "application/json; charset=utf-8",
			`{"login_id":"toto","password":"tototo","auth":{"client_secret":{"v":"` + awsKey + `"},"pwd":null,"Pass":1}}`,
			lines("password password ********", "password auth.client_secret ********", "password auth.pwd ********", "password auth.Pass ********")},
		{"json password names", "application/json",
			`{"newPassword":"a","password_confirmation":"b","X-Api-Secret":"c","passport":"d","bypass":"e","password_changed":"f","compass":"g"}`,
			lines("password newPassword ********", "password password_confirmation ********", "password X-Api-Secret ********")},
		{"json escaped key and value", "application/json",
			`{"pass\u0077ord":"x","note":"mail\u0020me\u003a a\u0040b.io","pem":"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"}`,
			lines("password password ********", "email note a***@b.io", "private_key pem -----BEGIN RSA PRIVATE KEY-----***")},
		{"json root array", "application/json",
			`[{"e":"a@example.com"},{"e":"b@example.com"},{"iban":"` + ibanDEgrp + `"},{"iban":"` + ibanGB + `"}]`,
			lines("email [].e a***@example.com", "iban [].iban DE****************3000")},
		{"json numbers", "application/json",
			`{"card":` + visa + `,"ts":1661369889587,"big":41111111111111111111,"neg":-3.5e10,"f":0.4111111111111111}`,
			"card card 4111********1111"},
		{"json tokens", "application/vnd.api+json",
			`{"a":"` + awsKey + `","g":"` + gcpKey + `","h":"` + ghToken + `","p":"` + ghPAT + `","s":"` + slackTok + `","j":"Bearer ` + jwtTok + `"}`,
			lines("aws_access_key a AKIA****************", "gcp_api_key g AIza***", "github_token h ghp_***",
				"github_token p github_pat_***", "slack_token s xoxb-***", "jwt j eyJ***.eyJ***.***")},
		{"json sniffed without content type", "",
			` {"ssn":"078-05-1120","phone":"+1 (415) 555-2671"}`,
			lines("us_ssn ssn ***-**-****", "phone phone +* (***) ***-**71")},
		{"ndjson", "application/x-ndjson",
			"{\"a\":\"x@example.org\"}\n{\"b\":\"(212) 555-0123\"}\n",
			lines("email a x***@example.org", "phone b (***) ***-**23")},
		{"truncated json keeps what came before", "application/json",
			`{"a":"x@example.org","b":[1,2,"`,
			"email a x***@example.org"},
		{"malformed json: the rest is text", "application/json",
			`{"a":1, oops "mail bob@example.org", "c":"` + visa + `"}`,
			lines("card  4111********1111", "email  b***@example.org")},
		{"depth limit", "application/json",
			strings.Repeat("[", 40) + `"deep@example.com"` + strings.Repeat("]", 40) +
				`{"x":` + strings.Repeat("[", 20) + `"a@example.com"` + strings.Repeat("]", 20) + `}`,
			"email x" + strings.Repeat("[]", 20) + " a***@example.com"},
		{"plain text", "text/plain",
			"Contact jane.doe+tag@mail.example.co.uk or call +44 20 7946 0958; card 4111-1111-1111-1111, amex 3782 822463 10005",
			lines("phone  +** ** **** **58", "card  4111-****-****-1111", "email  j***@mail.example.co.uk")},
		{"html", "text/html", `<a href="mailto:ops@example.net">ops</a> <img src="icon@2x.png"> @babel/core user@localhost`,
			"email  o***@example.net"},
		{"form", "application/x-www-form-urlencoded",
			"username=bob&password=hunter2&email=bob%40example.com&note=call+%2B1+415+555+2671&card=" + amex,
			lines("password password ********", "email email b***@example.com", "phone note +* *** *** **71", "card card 3782*******0005")},
		{"not findings", "text/plain", lines(
			"4111111111111112",            // Luhn fails
			"1661369889587 1234567890123", // timestamps: no issuer
			"41111111111111111111",        // inside a longer run
			"4111111111111111abc x4111111111111111",
			"0.4111111111111111 3.14159265358979323",
			"000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000 123-45-67890",
			"123-456-7890 (123) 456-7890 2024-01-15 10.0.0.1 192.168.100.200",
			"+0123456789 +1234567 1+2345678901",
			"DE89370400440532013001 DE8937040044053201300 XX89370400440532013000",
			"AKIAIOSFODNN7EXAMPL AKIAIOSFODNN7EXAMPLEX akiaiosfodnn7example",
			"eyJhbGciOiJIUzI1NiJ9 eyJ.eyJ.x",
			"-----BEGIN CERTIFICATE----- -----BEGIN PUBLIC KEY-----",
		), ""},
		{"numbers side by side", "text/plain", "415-555-2671 4111111111111111 | +44 20 7946 0958 " + mc + " 2024-01-15 078-05-1120",
			lines("phone  ***-***-**71", "card  4111********1111", "us_ssn  ***-**-****")},
		{"dedup per class and path", "text/plain", "a@example.com b@example.com " + visa + " " + mc,
			lines("card  4111********1111", "email  a***@example.com")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f(sensitive.Scan([]byte(tt.body), tt.ct, nil))
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestScanQuery(t *testing.T) {
	for _, tt := range []struct{ target, want string }{
		{"/login?user=a&pwd=x&token=" + jwtTok + "#e=a@b.co", lines("password pwd ********", "jwt token eyJ***.eyJ***.***")},
		{"http://h.example/x?e=a%40example.com&p=%2B49+30+1234567", lines("email e a***@example.com", "phone p +** ** *****67")},
		{"/x?card=4111%201111%201111%201111&%70assword=1", lines("card card 4111 **** **** 1111", "password password ********")},
		{"/no/query", ""},
		{"/x?a&=&&b=", ""},
	} {
		if got := f(sensitive.ScanQuery(tt.target, nil)); got != tt.want {
			t.Errorf("%s: got:\n%s\nwant:\n%s", tt.target, got, tt.want)
		}
	}
}

func TestScanHeaders(t *testing.T) {
	h := http1.Header("Host: api.example\r\n" +
		"Authorization: Bearer " + jwtTok + "\r\n" +
		"Cookie: email=a@example.com\r\n" +
		"Set-Cookie: s=b@example.com\r\n" +
		"X-API-Key: " + awsKey + "\r\n" +
		"X-User-Email: carol@example.com\r\n" +
		"X-Client-Secret: abc\r\n" +
		"X-Forwarded-Token: " + jwtTok + "\r\n" +
		"Referer: https://app.example/?mail=dave%40example.com\r\n" +
		"Date: Fri, 26 Aug 2022 07:22:57 GMT\r\n" +
		"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36\r\n")
	want := lines("email x-user-email c***@example.com", "password x-client-secret ********", "jwt x-forwarded-token eyJ***.eyJ***.***")
	if got := f(sensitive.ScanHeaders(h, nil)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestAppendsToOut(t *testing.T) {
	out := []sensitive.Finding{{Class: sensitive.Email, Path: "", Masked: "x***@example.com"}}
	out = sensitive.Scan([]byte("a@example.com"), "text/plain", out)
	if len(out) != 2 {
		t.Fatalf("findings before the call are the caller's, not deduplicated against: %v", out)
	}
	out = sensitive.ScanQuery("/?e=a@example.com", out)
	if len(out) != 3 || out[2].Path != "e" {
		t.Fatalf("%v", out)
	}
}

func TestMaxFindings(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 200 {
		fmt.Fprintf(&b, `"k%d":"u%d@example.com",`, i, i)
	}
	b.WriteString(`"z":1}`)
	out := sensitive.Scan([]byte(b.String()), "application/json", make([]sensitive.Finding, 3))
	if len(out) != 3+sensitive.MaxFindings {
		t.Fatalf("%d findings", len(out))
	}
}

// TestMasks checks the masking rule on every class: a '*' in every mask,
// never the whole value, at most a third of its characters shown except
// for the documented card, email and IBAN forms.
func TestMasks(t *testing.T) {
	values := map[sensitive.Class]string{
		sensitive.Phone: "+14155552671", sensitive.USSSN: "078-05-1120", sensitive.JWT: jwtTok,
		sensitive.AWSAccessKey: awsKey, sensitive.GCPAPIKey: gcpKey, sensitive.GitHubToken: ghToken,
		sensitive.SlackToken: slackTok,
	}
	for c, v := range values {
		out := sensitive.Scan([]byte(v), "text/plain", nil)
		if len(out) != 1 || out[0].Class != c {
			t.Fatalf("%s: %v", v, out)
		}
		m := out[0].Masked
		shown := 0
		for _, r := range m {
			if r != '*' && r != '.' && r != '-' && r != '+' && r != ' ' {
				shown++
			}
		}
		if !strings.Contains(m, "*") || strings.Contains(m, v) || shown*3 > len(v) {
			t.Errorf("%s: mask %q shows %d of %d characters", c, m, shown, len(v))
		}
	}
}

func TestClassString(t *testing.T) {
	var names []string
	for c := sensitive.Email; c <= sensitive.Password; c++ {
		names = append(names, c.String())
	}
	want := "email phone card iban us_ssn jwt aws_access_key gcp_api_key github_token slack_token private_key password"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("got %s", got)
	}
	if sensitive.Class(0).String() != "unknown" || sensitive.Class(200).String() != "unknown" {
		t.Error("unknown class")
	}
}

// TestHostile checks bounds on input a client could send: no panic, the
// findings cap, and time (the test's own timeout).
func TestHostile(t *testing.T) {
	inputs := map[string]string{
		"deep":          strings.Repeat("[", 1<<20),
		"deep objects":  strings.Repeat(`{"a":`, 100_000),
		"long key":      `{"` + strings.Repeat("k", 100_000) + `":"a@example.com"}`,
		"long string":   `{"a":"` + strings.Repeat(`\n`, 100_000) + `"}`,
		"many keys":     "{" + strings.Repeat(`"password":1,`, 100_000) + "}",
		"digits":        strings.Repeat("4111 ", 100_000),
		"ats":           strings.Repeat("a@", 100_000),
		"unterminated":  `{"a":"` + strings.Repeat("x", 100_000),
		"escapes":       `"` + strings.Repeat(`\ud83d\ude00\u`, 10_000) + `"`,
		"form":          strings.Repeat("a=%", 100_000),
		"private label": "-----BEGIN " + strings.Repeat("A", 100) + " PRIVATE KEY-----",
	}
	for name, in := range inputs {
		for _, ct := range []string{"application/json", "text/plain", "application/x-www-form-urlencoded"} {
			out := sensitive.Scan([]byte(in), ct, nil)
			if len(out) > sensitive.MaxFindings {
				t.Errorf("%s %s: %d findings", name, ct, len(out))
			}
			for _, x := range out {
				if len(x.Path) > 600 {
					t.Errorf("%s %s: path of %d bytes", name, ct, len(x.Path))
				}
			}
		}
	}
	if out := sensitive.Scan([]byte(strings.Repeat("x", sensitive.MaxSample)+" a@example.com"), "", nil); len(out) != 0 {
		t.Errorf("read past MaxSample: %v", out)
	}
}

// TestAllocs: scanning allocates only the findings.
func TestAllocs(t *testing.T) {
	clean := []byte(benchJSON(false))
	if n := testing.AllocsPerRun(50, func() { sensitive.Scan(clean, "application/json", nil) }); n != 0 {
		t.Errorf("clean body: %v allocations", n)
	}
	out := make([]sensitive.Finding, 0, 16)
	q := "/search?q=shoes&page=2&sort=price"
	if n := testing.AllocsPerRun(50, func() { sensitive.ScanQuery(q, out) }); n != 0 {
		t.Errorf("query: %v allocations", n)
	}
	h := http1.Header("Host: api.example\r\nAccept: */*\r\nUser-Agent: curl/8.4.0\r\nAuthorization: Bearer x\r\n")
	if n := testing.AllocsPerRun(50, func() { sensitive.ScanHeaders(h, out) }); n != 0 {
		t.Errorf("headers: %v allocations", n)
	}
	dirty := []byte(benchJSON(true))
	if n := testing.AllocsPerRun(50, func() { sensitive.Scan(dirty, "application/json", out[:0]) }); n > 20 {
		t.Errorf("body with findings: %v allocations", n)
	}
}
