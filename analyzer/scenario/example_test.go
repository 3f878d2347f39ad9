package scenario_test

import (
	"fmt"
	"io"

	"github.com/apitap/apitap/analyzer/scenario"
)

// Generate three days of the built-in services, at a tenth of the default
// rates, with every attack planted on the third: the capture goes to w
// (here discarded), the labels say where the attacks are.
func ExampleGenerate() {
	cfg := scenario.Config{Seed: 1, Days: 3, Scale: scenario.DefaultScale / 10, Attacks: scenario.AllAttacks()}
	sum, labels, err := scenario.Generate(io.Discard, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(sum.Services), "services,", len(labels), "attacks")
	l := labels[0]
	fmt.Println(l.Type, l.Service, l.Method, l.Route, l.Start.Weekday())
	// Output:
	// 4 services, 15 attacks
	// unauthenticated_access shop-3.example GET /api/v1/orders Wednesday
}
