package schema_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apitap/apitap/analyzer/schema"
)

// ordersJSON returns a 4 KiB API response: a page of orders with nested
// objects, arrays, timestamps, UUID-like ids, numbers and nulls.
func ordersJSON() string {
	var b strings.Builder
	b.WriteString(`{"page":1,"per_page":12,"total":1832,"orders":[`)
	for i := 0; b.Len() < 4000-360; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%08x-8a3d-4b8e-9b1e-2f9f1c2d3e4f","created_at":"2024-03-0%dT10:15:00Z","status":"paid","amount":%d.99,"currency":"EUR",`+
			`"customer":{"id":%d,"name":"Customer %d","email":"c%d@example.com","vip":%t},"coupon":null,"items":[{"sku":"SKU-%d","qty":%d}]}`,
			i, 1+i%9, 10+i*7, 50_000+i, i, i, i%2 == 0, 700+i, 1+i%3)
	}
	b.WriteString(`],"links":{"next":"https://api.example.com/v1/orders?page=2"}}`)
	for b.Len() < 4096 {
		b.WriteByte(' ')
	}
	return b.String()
}

// BenchmarkObserve observes a 4 KiB body into a schema that knows its
// paths (the steady state), and into a new schema each time.
//
//	go test -run '^$' -bench . -count 6 ./analyzer/schema/ | tee observe.txt
func BenchmarkObserve(b *testing.B) {
	body := []byte(ordersJSON())
	b.Run("known_paths", func(b *testing.B) {
		var s schema.Schema
		s.Observe(body)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Observe(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new_schema", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var s schema.Schema
			s.Observe(body)
		}
	})
}

func BenchmarkMerge(b *testing.B) {
	var x schema.Schema
	x.Observe([]byte(ordersJSON()))
	b.ReportAllocs()
	for b.Loop() {
		var s schema.Schema
		s.Merge(&x)
	}
}
