package sensitive_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/sensitive"
)

// benchJSON returns a 4 KiB API response: a page of orders. With findings,
// each order carries a customer email and phone and one a card number;
// without, those fields hold ids and labels of the same shape.
func benchJSON(findings bool) string {
	var b strings.Builder
	b.WriteString(`{"page":1,"per_page":12,"total":1832,"orders":[`)
	for i := 0; b.Len() < 4000-330; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		email, phone, card := fmt.Sprintf("customer-%d", i), "ref-2024-00017", "pending"
		if findings {
			email, phone = fmt.Sprintf("customer%d@example.com", i), fmt.Sprintf("+1 415 555 %04d", 1000+i)
			if i == 3 {
				card = "4111 1111 1111 1111"
			}
		}
		fmt.Fprintf(&b, `{"id":"ord_%08d","created_at":"2024-03-0%dT10:15:00Z","status":"paid","amount":%d.99,"currency":"EUR",`+
			`"customer":{"id":%d,"name":"Customer %d","email":"%s","phone":"%s"},"payment":{"method":"card","last4":"%s"},"items":[{"sku":"SKU-%d","qty":%d}]}`,
			1_000_000+i, 1+i%9, 10+i*7, 50_000+i, i, email, phone, card, 700+i, 1+i%3)
	}
	b.WriteString(`],"links":{"next":"/v1/orders?page=2"}}`)
	for b.Len() < 4096 {
		b.WriteByte(' ')
	}
	return b.String()
}

// BenchmarkScan scans a 4 KiB JSON body with and without findings.
//
//	go test -run '^$' -bench Scan -count 6 ./analyzer/sensitive/ | tee scan.txt
func BenchmarkScan(b *testing.B) {
	for _, findings := range []bool{false, true} {
		body := []byte(benchJSON(findings))
		name := "json_4k_clean"
		if findings {
			name = "json_4k_findings"
		}
		b.Run(name, func(b *testing.B) {
			out := make([]sensitive.Finding, 0, sensitive.MaxFindings)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				out = sensitive.Scan(body, "application/json", out[:0])
			}
			b.ReportMetric(float64(len(out)), "findings")
		})
	}
	text := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog; order 1832 shipped 2024-03-01. ", 55))
	b.Run("text_4k_clean", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			sensitive.Scan(text, "text/plain", nil)
		}
	})
}
