package auth_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/auth"
	"github.com/apitap/apitap/sensor/http1"
)

// now is the packet time of the hand-built requests: 2023-11-14T22:13:20Z.
var now = time.Unix(1_700_000_000, 0).UTC()

// jwt builds a compact JWS from a JSON header and payload, with signature sig.
func jwt(header, payload, sig string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + sig
}

func basic(userPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

// req builds a request from header lines ("Name: value") and a target.
func req(target string, lines ...string) *http1.Request {
	var h strings.Builder
	for _, l := range lines {
		h.WriteString(l)
		h.WriteString("\r\n")
	}
	r := &http1.Request{Method: "GET", Target: target}
	r.Header = http1.Header(h.String())
	return r
}

var (
	jwtValid = jwt(`{"alg":"RS256","typ":"JWT","kid":"k1"}`,
		`{"iss":"https://issuer.example","sub":"user-42","aud":"api://orders","exp":1700003600,"iat":1699996400,"scope":"read"}`,
		"c2lnbmF0dXJlLXNlY3JldA")
	jwtExpired = jwt(`{"alg":"HS256","typ":"JWT"}`, `{"iss":"auth0","exp":1699999999,"iat":1699990000}`, "c2ln")
	jwtNone    = jwt(`{"alg":"none"}`, `{"sub":"admin"}`, "")
	jwtAudList = jwt(`{"alg":"ES256"}`,
		`{"aud":["a","b","c","d","e","f"],"exp":1.7000036e9,"nested":{"x":[1,{"y":"}"}]},"sub":null}`, "c2ln")
	jwtExpString = jwt(`{"alg":"HS512","typ":"at+jwt"}`, `{"exp":"1700003600","iss":"caf\u00e9 \"q\""}`, "c2ln")
	jwtNoAlg     = jwt(`{"typ":"JWT"}`, `{"exp":1700003600}`, "c2ln")
	jwe          = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)) + ".ZW5j.aXY.Y2lwaGVy.dGFn"
	jwtBadBody   = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + ".bm90IGpzb24.c2ln"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name    string
		req     *http1.Request
		schemes string
		check   func(t *testing.T, r auth.Result)
		secrets []string // must not appear anywhere in the Result
	}{
		{name: "none", req: req("/v1/items?page=2", "Host: api.example", "Accept: */*"), schemes: "none"},
		{name: "basic", req: req("/", "Authorization: "+basic("alice:s3cr3t-pw")), schemes: "basic",
			check: func(t *testing.T, r auth.Result) {
				eq(t, "User", r.User, "a***e")
				eq(t, "AuthScheme", r.AuthScheme, "Basic")
			},
			secrets: []string{"s3cr3t", "alice", base64.StdEncoding.EncodeToString([]byte("alice:s3cr3t-pw"))}},
		{name: "basic colon in password, two spaces", req: req("/", "Authorization: Basic  dGVzdDoxOjM0"), schemes: "basic",
			check: func(t *testing.T, r auth.Result) { eq(t, "User", r.User, "t***t") }, secrets: []string{"1:34", "test"}},
		{name: "basic lower case, no padding", req: req("/", "authorization: basic "+strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("bo:x")), "=")),
			schemes: "basic", check: func(t *testing.T, r auth.Result) { eq(t, "User", r.User, "b***") }},
		{name: "basic unicode user", req: req("/", "Authorization: "+basic("Zoë Ångström:pw")), schemes: "basic",
			check: func(t *testing.T, r auth.Result) { eq(t, "User", r.User, "Z***m") }, secrets: []string{"Ångström"}},
		{name: "basic control characters", req: req("/", "Authorization: "+basic("\x00bob\x1b:pw")), schemes: "basic",
			check: func(t *testing.T, r auth.Result) { eq(t, "User", r.User, "?***?") }},
		{name: "basic not base64", req: req("/", "Authorization: Basic !!!"), schemes: "basic",
			check: func(t *testing.T, r auth.Result) { eq(t, "User", r.User, "") }},
		{name: "bearer jwt", req: req("/", "Authorization: Bearer "+jwtValid), schemes: "bearer_jwt",
			check: func(t *testing.T, r auth.Result) {
				j := r.JWT
				eq(t, "Alg", j.Alg, "RS256")
				eq(t, "Typ", j.Typ, "JWT")
				eq(t, "Iss", j.Iss, "https://issuer.example")
				eq(t, "Aud", fmt.Sprint(j.Aud), "[api://orders]")
				eq(t, "Exp", j.Exp.Format(time.RFC3339), "2023-11-14T23:13:20Z")
				eq(t, "Iat", j.Iat.Format(time.RFC3339), "2023-11-14T21:13:20Z")
				eq(t, "Flags", j.Flags.String(), "")
				if !j.HasSub || !j.Claims {
					t.Errorf("HasSub, Claims = %v, %v", j.HasSub, j.Claims)
				}
			},
			secrets: []string{jwtValid, "user-42", "c2lnbmF0dXJl", "read"}},
		{name: "bearer jwt expired", req: req("/", "Authorization: Bearer "+jwtExpired), schemes: "bearer_jwt",
			check: func(t *testing.T, r auth.Result) { eq(t, "Flags", r.JWT.Flags.String(), "expired") }},
		{name: "bearer jwt alg none", req: req("/", "Authorization: Bearer "+jwtNone), schemes: "bearer_jwt",
			check: func(t *testing.T, r auth.Result) {
				eq(t, "Flags", r.JWT.Flags.String(), "alg_none,no_expiry")
				eq(t, "Alg", r.JWT.Alg, "none")
			}, secrets: []string{"admin"}},
		{name: "bearer jwt audience list, float exp, nested claims", req: req("/", "Authorization: Bearer "+jwtAudList), schemes: "bearer_jwt",
			check: func(t *testing.T, r auth.Result) {
				eq(t, "Aud", fmt.Sprint(r.JWT.Aud), "[a b c d]")
				eq(t, "Exp", r.JWT.Exp.Format(time.RFC3339), "2023-11-14T23:13:20Z")
				eq(t, "Flags", r.JWT.Flags.String(), "")
				if r.JWT.HasSub {
					t.Error("sub null counted as present")
				}
			}},
		{name: "bearer jwt string exp, escaped iss", req: req("/", "Authorization: Bearer "+jwtExpString), schemes: "bearer_jwt",
			check: func(t *testing.T, r auth.Result) {
				eq(t, "Flags", r.JWT.Flags.String(), "no_expiry")
				eq(t, "Iss", r.JWT.Iss, `café "q"`)
				eq(t, "Typ", r.JWT.Typ, "at+jwt")
			}},
		{name: "bearer jwt without alg", req: req("/", "Authorization: Bearer "+jwtNoAlg), schemes: "bearer_jwt",
			check: func(t *testing.T, r auth.Result) { eq(t, "Flags", r.JWT.Flags.String(), "alg_none") }},
		{name: "bearer jwe", req: req("/", "Authorization: Bearer "+jwe), schemes: "bearer_jwt",
			check: func(t *testing.T, r auth.Result) {
				eq(t, "Flags", r.JWT.Flags.String(), "encrypted")
				eq(t, "Alg", r.JWT.Alg, "RSA-OAEP")
			}, secrets: []string{"Y2lwaGVy"}},
		{name: "bearer jws with non-JSON payload", req: req("/", "Authorization: Bearer "+jwtBadBody), schemes: "bearer_opaque"},
		{name: "bearer opaque upper case (Mattermost)", req: req("/", "Authorization: BEARER 1gsho83nt3bkmykh5aynw6kzgy"), schemes: "bearer_opaque",
			check: func(t *testing.T, r auth.Result) { eq(t, "AuthScheme", r.AuthScheme, "Bearer") }, secrets: []string{"1gsho83nt3bkmykh5aynw6kzgy"}},
		{name: "bearer eyJ but not a JWT", req: req("/", "Authorization: Bearer eyJhbGciOi.x.y.z"), schemes: "bearer_opaque"},
		{name: "bare jwt", req: req("/", "Authorization: "+jwtValid), schemes: "bearer_jwt",
			check: func(t *testing.T, r auth.Result) {
				eq(t, "AuthScheme", r.AuthScheme, "")
				eq(t, "Iss", r.JWT.Iss, "https://issuer.example")
			},
			secrets: []string{jwtValid}},
		{name: "bare key", req: req("/", "Authorization: 0123456789abcdef0123"), schemes: "api_key_header",
			check: func(t *testing.T, r auth.Result) {
				eq(t, "APIKeyHeader", r.APIKeyHeader, "Authorization")
				eq(t, "AuthScheme", r.AuthScheme, "")
			}, secrets: []string{"0123456789abcdef0123"}},
		{name: "x-api-key", req: req("/", "x-api-key: k-123456"), schemes: "api_key_header",
			check: func(t *testing.T, r auth.Result) { eq(t, "APIKeyHeader", r.APIKeyHeader, "X-API-Key") }, secrets: []string{"k-123456"}},
		{name: "x-auth-token", req: req("/", "X-Auth-Token:tok-xyz"), schemes: "api_key_header",
			check: func(t *testing.T, r auth.Result) { eq(t, "APIKeyHeader", r.APIKeyHeader, "X-Auth-Token") }},
		{name: "api-key header empty", req: req("/", "Api-Key: "), schemes: "none"},
		{name: "authorization apikey", req: req("/", "Authorization: ApiKey abc123"), schemes: "api_key_header",
			check: func(t *testing.T, r auth.Result) {
				eq(t, "APIKeyHeader", r.APIKeyHeader, "Authorization")
				eq(t, "AuthScheme", r.AuthScheme, "ApiKey")
			}, secrets: []string{"abc123"}},
		{name: "authorization token", req: req("/", "Authorization: token ghp_abc"), schemes: "api_key_header",
			check: func(t *testing.T, r auth.Result) { eq(t, "AuthScheme", r.AuthScheme, "Token") }},
		{name: "query api_key", req: req("/v1/x?page=1&api_key=SECRETKEY&x", "Host: h"), schemes: "api_key_query",
			check: func(t *testing.T, r auth.Result) { eq(t, "APIKeyParam", r.APIKeyParam, "api_key") }, secrets: []string{"SECRETKEY"}},
		{name: "query token upper case, fragment", req: req("/x?Access_Token=tt#key=frag"), schemes: "api_key_query",
			check: func(t *testing.T, r auth.Result) { eq(t, "APIKeyParam", r.APIKeyParam, "access_token") }},
		{name: "query absolute form", req: req("http://h.example/x?apikey=1"), schemes: "api_key_query"},
		{name: "query empty or other names", req: req("/x?key=&monkey=1&keys=2&tokens=3&#apikey=4"), schemes: "none"},
		{name: "session cookie", req: req("/", "Cookie: csrftoken=abc; sessionid=SESSVAL; theme=dark"), schemes: "session_cookie",
			check: func(t *testing.T, r auth.Result) { eq(t, "SessionCookie", r.SessionCookie, "sessionid") }, secrets: []string{"SESSVAL"}},
		{name: "csrftoken is not a session", req: req("/", "Cookie: csrftoken=abc; _ga=GA1.2; lang=en"), schemes: "none"},
		{name: "session cookie names", req: req("/", "Cookie: JSESSIONID=1"), schemes: "session_cookie",
			check: func(t *testing.T, r auth.Result) { eq(t, "SessionCookie", r.SessionCookie, "JSESSIONID") }},
		{name: "session cookie case and prefix", req: req("/", "Cookie: __Host-phpsessid=1"), schemes: "session_cookie",
			check: func(t *testing.T, r auth.Result) { eq(t, "SessionCookie", r.SessionCookie, "__Host-phpsessid") }},
		{name: "session cookie suffix", req: req("/", "Cookie: a=1;myapp_session=2"), schemes: "session_cookie",
			check: func(t *testing.T, r auth.Result) { eq(t, "SessionCookie", r.SessionCookie, "myapp_session") }},
		{name: "connect.sid", req: req("/", "Cookie: connect.sid=s%3Aabc"), schemes: "session_cookie"},
		{name: "ASP.NET", req: req("/", "Cookie: ASP.NET_SessionId=x"), schemes: "session_cookie"},
		{name: "laravel", req: req("/", "Cookie: XSRF-TOKEN=1; laravel_session=2"), schemes: "session_cookie",
			check: func(t *testing.T, r auth.Result) { eq(t, "SessionCookie", r.SessionCookie, "laravel_session") }},
		{name: "cookie and bearer", req: req("/", "Cookie: sid=1", "Authorization: Bearer "+jwtValid), schemes: "bearer_jwt,session_cookie"},
		{name: "digest", req: req("/", `Authorization: Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b", uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1"`),
			schemes: "digest", check: func(t *testing.T, r auth.Result) { eq(t, "User", r.User, "M***a") },
			secrets: []string{"6629fae4", "Mufasa"}},
		{name: "digest quoted comma", req: req("/", `Authorization: Digest realm="a,username=x", username="bo"`), schemes: "digest",
			check: func(t *testing.T, r auth.Result) { eq(t, "User", r.User, "b***") }},
		{name: "ntlm", req: req("/", "Authorization: NTLM TlRMTVNTUAABAAAABwIAAA=="), schemes: "ntlm"},
		{name: "negotiate", req: req("/", "Authorization: Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnY="), schemes: "ntlm",
			check: func(t *testing.T, r auth.Result) { eq(t, "AuthScheme", r.AuthScheme, "Negotiate") }},
		{name: "aws sigv4", req: req("/", "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=5d672d79"),
			schemes: "other", check: func(t *testing.T, r auth.Result) { eq(t, "AuthScheme", r.AuthScheme, "AWS4-HMAC-SHA256") },
			secrets: []string{"AKIDEXAMPLE", "5d672d79"}},
		{name: "unknown scheme", req: req("/", "Authorization: Custom-Scheme abc"), schemes: "other",
			check: func(t *testing.T, r auth.Result) { eq(t, "AuthScheme", r.AuthScheme, "Custom-Scheme") }, secrets: []string{"abc"}},
		{name: "unknown scheme, not a token", req: req("/", "Authorization: we{ird abc"), schemes: "other",
			check: func(t *testing.T, r auth.Result) { eq(t, "AuthScheme", r.AuthScheme, "") }},
		{name: "unknown scheme that may be a key", req: req("/", "Authorization: a1b2c3d4e5 x"), schemes: "other",
			check: func(t *testing.T, r auth.Result) { eq(t, "AuthScheme", r.AuthScheme, "") }, secrets: []string{"a1b2c3d4e5"}},
		{name: "cookie without a name", req: req("/", "Cookie: secretvalue_session; a=1"), schemes: "none",
			secrets: []string{"secretvalue"}},
		{name: "empty authorization", req: req("/", "Authorization:"), schemes: "none"},
		{name: "LF line endings, no colon lines", req: rawReq("/", "junk\nX-Api-Key: 1\n:\n"), schemes: "api_key_header"},
		{name: "everything", req: req("/?token=1", "Authorization: "+basic("u:p"), "X-API-Key: 2", "Cookie: session=3"),
			schemes: "basic,api_key_header,api_key_query,session_cookie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := auth.Classify(tt.req, now)
			if got := r.Schemes.String(); got != tt.schemes {
				t.Errorf("Schemes = %q, want %q", got, tt.schemes)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			dump := fmt.Sprintf("%#v", r)
			for _, s := range tt.secrets {
				if strings.Contains(dump, s) {
					t.Errorf("result holds secret %q: %s", s, dump)
				}
			}
		})
	}
}

func rawReq(target, header string) *http1.Request {
	r := &http1.Request{Target: target}
	r.Header = http1.Header(header)
	return r
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestExpiredAtBoundary(t *testing.T) {
	tok := jwt(`{"alg":"HS256"}`, `{"exp":1700000000}`, "c2ln")
	r := req("/", "Authorization: Bearer "+tok)
	for _, c := range []struct {
		now     time.Time
		expired bool
	}{
		{now.Add(-time.Second), false},
		{now, true}, // exp is the first instant the token is no longer valid
		{now.Add(time.Second), true},
		{time.Time{}, false}, // unknown time: not judged
	} {
		if got := auth.Classify(r, c.now).JWT.Flags&auth.Expired != 0; got != c.expired {
			t.Errorf("now %v: expired = %v, want %v", c.now, got, c.expired)
		}
	}
}

func TestSchemes(t *testing.T) {
	var s auth.Schemes
	if !s.Has(auth.None) || s.Has(auth.Basic) {
		t.Fatal("empty set")
	}
	s = 1<<auth.Basic | 1<<auth.Other
	if s.Has(auth.None) || !s.Has(auth.Basic) || !s.Has(auth.Other) || s.Has(auth.NTLM) {
		t.Fatal("Has")
	}
	var names []string
	for x := range s.All() {
		names = append(names, x.String())
	}
	eq(t, "All", strings.Join(names, " "), "basic other")
	for x, want := range []string{"none", "basic", "bearer_jwt", "bearer_opaque", "api_key_header", "api_key_query", "session_cookie", "digest", "ntlm", "other", "unknown"} {
		eq(t, "String", auth.Scheme(x).String(), want)
	}
}

func TestIsCredentialHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"authorization": true, "Proxy-Authorization": true, "cookie": true, "X-API-KEY": true,
		"x-auth-token": true, "Set-Cookie": false, "X-Request-Id": false, "Accept": false,
	} {
		if got := auth.IsCredentialHeader([]byte(name)); got != want {
			t.Errorf("IsCredentialHeader(%q) = %v", name, got)
		}
	}
}

// TestHostile checks that oversized and malformed credentials are bounded.
func TestHostile(t *testing.T) {
	long := strings.Repeat("x", 60<<10)
	cases := []*http1.Request{
		req("/", "Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte(long+":pw"))),
		req("/", "Authorization: Bearer "+jwt(`{"alg":"`+long[:1500]+`"}`, `{"iss":"`+long[:6000]+`","aud":[`+strings.Repeat(`"a",`, 1000)+`"b"]}`, "")),
		req("/", "Authorization: Bearer "+jwt(`{"alg":"HS256"}`, `{"iss":"`+long+`"}`, "")),
		req("/", "Authorization: Bearer "+jwt(`{"alg":"HS256"}`, strings.Repeat("[", 5000), "")),
		req("/", "Authorization: Digest username=\""+long),
		req("/", "Cookie: "+strings.Repeat("a_session=1;", 4000)),
		req("/?" + strings.Repeat("token=1&", 5000)),
		req("/", "Authorization: "+long),
	}
	for i, r := range cases {
		res := auth.Classify(r, now)
		for _, s := range append([]string{res.User, res.AuthScheme, res.APIKeyHeader, res.APIKeyParam, res.SessionCookie, res.JWT.Alg, res.JWT.Typ, res.JWT.Iss}, res.JWT.Aud...) {
			if len(s) > 128 {
				t.Errorf("case %d: string of %d bytes in result", i, len(s))
			}
		}
		if len(res.JWT.Aud) > 4 {
			t.Errorf("case %d: %d audiences", i, len(res.JWT.Aud))
		}
	}
}

// TestAllocs: the common cases do not allocate.
func TestAllocs(t *testing.T) {
	for _, r := range []*http1.Request{
		req("/v1/items?page=2", "Host: api.example", "Accept: */*", "User-Agent: curl/8"),
		req("/", "Authorization: Bearer 1gsho83nt3bkmykh5aynw6kzgy", "Cookie: sessionid=1; csrftoken=2"),
		req("/x?api_key=1", "X-API-Key: 2"),
	} {
		if n := testing.AllocsPerRun(100, func() { auth.Classify(r, now) }); n != 0 {
			t.Errorf("%q: %v allocations", r.Header, n)
		}
	}
}
