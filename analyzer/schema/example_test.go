package schema_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/apitap/apitap/analyzer/schema"
)

func ExampleSchema() {
	var s schema.Schema
	for _, body := range []string{
		`{"id":"0b6f3a4e-8a3d-4b8e-9b1e-2f9f1c2d3e4f","items":[{"sku":"A1","qty":2}],"created":"2024-03-01T10:15:00Z"}`,
		`{"id":"8c2a1f0e-1111-4222-8333-944455556666","items":[{"sku":"B7","qty":1,"note":null}],"coupon":"SPRING"}`,
		`{"id":`, // truncated: an error, nothing recorded
	} {
		if err := s.Observe([]byte(body)); err != nil {
			fmt.Println("error:", err)
		}
	}
	for _, f := range s.Fields() {
		fmt.Printf("%-12s %-14s %-9s seen %.2f optional %v\n", f.Path, f.Types, f.Format, f.Seen, f.Optional)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.Encode(s.JSONSchema()["properties"].(map[string]any)["items"])
	// Output:
	// error: offset 6: invalid JSON
	//              object                   seen 1.00 optional false
	// coupon       string                   seen 0.50 optional true
	// created      string         date-time seen 0.50 optional true
	// id           string         uuid      seen 1.00 optional false
	// items        array                    seen 1.00 optional false
	// items[]      object                   seen 1.00 optional false
	// items[].note null                     seen 0.50 optional true
	// items[].qty  integer                  seen 1.00 optional false
	// items[].sku  string                   seen 1.00 optional false
	// {"items":{"properties":{"note":{"type":"null"},"qty":{"type":"integer"},"sku":{"type":"string"}},"required":["qty","sku"],"type":"object"},"type":"array"}
}
