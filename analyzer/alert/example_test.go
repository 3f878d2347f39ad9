package alert_test

import (
	"fmt"
	"time"

	"github.com/apitap/apitap/analyzer/alert"
)

// printer is a Sink that prints one line per state change.
type printer struct{}

func (printer) Send(a *alert.Alert) error {
	fmt.Printf("%-7s %s %s %s from %s: %d findings, last %s\n", a.State, a.Type, a.Method, a.Route, a.Client, a.Count, a.Last.Format("15:04"))
	return nil
}

func ExampleManager() {
	m := alert.New(alert.Config{Sinks: []alert.Sink{printer{}}}) // updates every 15m, closes after 30m of quiet
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	// A client walks order ids for 40 minutes; the enumeration detector
	// fires every 5 minutes of packet time.
	for min := 0; min <= 40; min += 5 {
		m.Raise(alert.Finding{
			Type: alert.Enumeration, Severity: alert.High,
			Service: "shop.example:8080", Method: "GET", Route: "/orders/{id}", Client: "203.0.113.9",
			Time:     start.Add(time.Duration(min) * time.Minute),
			Evidence: alert.Evidence{Metric: "distinct_ids", Observed: float64(50 + min), Score: float64(50 + min), ScoreKind: "count"},
		})
	}
	m.Advance(start.Add(2 * time.Hour)) // the detectors' clock moves on: quiet since 09:40
	a := m.Stats()
	fmt.Println(a.Findings, "findings,", a.Opened, "opened,", a.Updated, "updates,", a.Closed, "closed")
	// Output:
	// open    enumeration GET /orders/{id} from 203.0.113.9: 1 findings, last 09:00
	// updated enumeration GET /orders/{id} from 203.0.113.9: 3 findings, last 09:10
	// updated enumeration GET /orders/{id} from 203.0.113.9: 6 findings, last 09:25
	// closed  enumeration GET /orders/{id} from 203.0.113.9: 9 findings, last 09:40
	// 9 findings, 1 opened, 2 updates, 1 closed
}

func ExampleMarshalOCSF() {
	first := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := &alert.Alert{
		Type: alert.BruteForce, Kind: alert.Rule, Severity: alert.High, State: alert.Open, OWASP: "API2:2023",
		Service: "login.example", Method: "POST", Route: "/login", Client: "198.51.100.7",
		First: first, Last: first, Count: 1,
		Evidence: alert.Evidence{Metric: "failed_logins", Observed: 60, Window: "5m0s", Detail: "60 failed logins in 5m"},
	}
	a.ID = alert.NewID(a.Key(), a.First)
	b, err := alert.MarshalOCSF(a, alert.ProductInfo{Version: "1.0.0"})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"activity_id":1,"activity_name":"Create","category_uid":2,"category_name":"Findings","class_uid":2004,"class_name":"Detection Finding","type_uid":200401,"type_name":"Detection Finding: Create","time":1772355600000,"start_time":1772355600000,"end_time":1772355600000,"count":1,"severity_id":4,"severity":"High","status_id":1,"status":"New","is_alert":true,"message":"Login brute force on POST /login at login.example from 198.51.100.7: 60 failed logins in 5m","finding_info":{"uid":"3da43dfefcacfe96329f6331","title":"Login brute force on POST /login at login.example from 198.51.100.7","desc":"60 failed logins in 5m","created_time":1772355600000,"modified_time":1772355600000,"first_seen_time":1772355600000,"last_seen_time":1772355600000,"types":["brute_force","API2:2023 Broken Authentication"],"tags":[{"name":"owasp_api_top10_2023","value":"API2:2023"}],"analytic":{"uid":"apitap/brute_force","name":"Login brute force","type_id":1,"type":"Rule"}},"resources":[{"name":"POST /login at login.example","type":"API Endpoint"}],"evidences":[{"src_endpoint":{"ip":"198.51.100.7"},"dst_endpoint":{"hostname":"login.example"},"http_request":{"http_method":"POST","url":{"hostname":"login.example","path":"/login"}}}],"metadata":{"uid":"3da43dfefcacfe96329f6331-1-1772355600000","product":{"name":"apitap","vendor_name":"apitap","version":"1.0.0"},"version":"1.5.0"},"unmapped":{"apitap":{"type":"brute_force","state":"open","owasp":"API2:2023","evidence":{"metric":"failed_logins","observed":60,"baseline":0,"spread":0,"score":0,"score_kind":"","window":"5m0s","detail":"60 failed logins in 5m"}}}}
}
