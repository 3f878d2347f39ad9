package auth_test

import (
	"testing"

	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/sensor/http1"
)

// BenchmarkClassify measures one request of each common shape.
//
//	go test -run '^$' -bench Classify -count 6 ./analyzer/auth/ | tee classify.txt
func BenchmarkClassify(b *testing.B) {
	browser := []string{"Host: app.example.com", "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		"Accept: application/json", "Accept-Language: en-GB,en;q=0.5", "Accept-Encoding: gzip, deflate, br", "Referer: https://app.example.com/",
		"Connection: keep-alive"}
	cases := []struct {
		name string
		req  *http1.Request
	}{
		{"none", req("/api/v1/items?page=2&sort=name", browser...)},
		{"cookie", req("/api/v1/items", append(browser, "Cookie: _ga=GA1.2.1; csrftoken=abc; sessionid=0123456789abcdef; theme=dark")...)},
		{"api_key", req("/api/v1/items?api_key=0123456789", append(browser, "X-API-Key: 0123456789abcdef")...)},
		{"basic", req("/api/v1/items", append(browser, "Authorization: "+basic("alice:s3cr3t-pw"))...)},
		{"bearer_opaque", req("/api/v1/items", append(browser, "Authorization: Bearer 1gsho83nt3bkmykh5aynw6kzgy")...)},
		{"bearer_jwt", req("/api/v1/items", append(browser, "Authorization: Bearer "+jwtValid)...)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.req.Header) + len(c.req.Target)))
			b.ReportAllocs()
			for b.Loop() {
				auth.Classify(c.req, now)
			}
		})
	}
}
