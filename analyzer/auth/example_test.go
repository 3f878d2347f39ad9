package auth_test

import (
	"fmt"
	"time"

	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/sensor/http1"
)

func ExampleClassify() {
	var req http1.Request
	req.Target = "/v1/orders"
	req.Header = http1.Header("Host: api.example\r\n" +
		// {"alg":"RS256","typ":"JWT"}.{"iss":"https://issuer.example","sub":"42","exp":1700003600}
		"Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoiNDIiLCJleHAiOjE3MDAwMDM2MDB9.c2ln\r\n" +
		"Cookie: theme=dark; JSESSIONID=8F1C2A\r\n")
	seen := time.Date(2023, 11, 15, 0, 0, 0, 0, time.UTC) // packet time

	r := auth.Classify(&req, seen)
	fmt.Println(r.Schemes)
	fmt.Println(r.JWT.Alg, r.JWT.Iss, r.JWT.HasSub, r.JWT.Exp.Format(time.RFC3339), r.JWT.Flags)
	fmt.Println(r.SessionCookie)
	// Output:
	// bearer_jwt,session_cookie
	// RS256 https://issuer.example true 2023-11-14T23:13:20Z expired
	// JSESSIONID
}
