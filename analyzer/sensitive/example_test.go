package sensitive_test

import (
	"fmt"

	"github.com/apitap/apitap/analyzer/sensitive"
)

func ExampleScan() {
	body := []byte(`{"user":{"name":"John","email":"john.smith@example.com",` +
		`"cards":[{"number":"4111 1111 1111 1111","exp":"12/29"}]},"password":"hunter2"}`)
	for _, f := range sensitive.Scan(body, "application/json", nil) {
		fmt.Printf("%-8s %-20s %s\n", f.Class, f.Path, f.Masked)
	}
	for _, f := range sensitive.ScanQuery("/v1/reset?email=jane%40example.org&token=abc", nil) {
		fmt.Printf("%-8s %-20s %s\n", f.Class, f.Path, f.Masked)
	}
	// Output:
	// email    user.email           j***@example.com
	// card     user.cards[].number  4111 **** **** 1111
	// password password             ********
	// email    email                j***@example.org
}
