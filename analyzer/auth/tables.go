package auth

import "github.com/apitap/apitap/sensor/http1"

// This file holds the names Classify recognises. Names are matched without
// regard to ASCII case; what a Result reports is the spelling here, so
// matching never allocates.

// authSchemes are the Authorization schemes known by name. Classify maps
// Basic, Bearer, Digest, NTLM/Negotiate and the API-key schemes to their
// own Scheme; the rest are Other.
var authSchemes = []string{
	"Basic", "Bearer", "Digest", "NTLM", "Negotiate",
	// API keys sent as Authorization: <scheme> <key>.
	"ApiKey", "Api-Key", "Token", "Key", "SSWS",
	// Other: signatures and older schemes.
	"AWS4-HMAC-SHA256", "OAuth", "Hawk", "HOBA", "Mutual", "SCRAM-SHA-1",
	"SCRAM-SHA-256", "vapid", "Signature", "GoogleLogin", "DPoP", "MAC",
}

// apiKeyHeaders are the headers that carry an API key by themselves.
var apiKeyHeaders = []string{
	"X-API-Key", "X-Api-Token", "X-APIKey", "Api-Key", "ApiKey", "Api_Key",
	"X-Auth-Token", "X-Access-Token", "X-Auth-Key", "X-Goog-Api-Key",
	"Ocp-Apim-Subscription-Key", "Private-Token", "X-Vault-Token",
	"X-Shopify-Access-Token",
}

// apiKeyParams are the query parameters that carry an API key.
var apiKeyParams = []string{
	"api_key", "apikey", "api-key", "key", "token", "access_token", "auth",
}

// sessionCookies are the cookie names that hold a session, beyond those
// sessionSuffixes catches.
var sessionCookies = []string{
	"session", "sessionid", "session_id", "sid", "sess", "JSESSIONID",
	"PHPSESSID", "connect.sid", "ASP.NET_SessionId", "_session",
	"laravel_session", "CFID", "CFTOKEN",
}

// sessionSuffixes end cookie names that hold a session: cpsession,
// user_session, _gh_sess, koa.sid, ci_session, app-sid.
var sessionSuffixes = []string{"session", "sessionid", "session_id", "sessid", "_sess", ".sid", "_sid", "-sid"}

// knownAuthScheme returns the canonical spelling of a known scheme name, ""
// for an unknown one.
func knownAuthScheme(b []byte) string {
	for _, s := range authSchemes {
		if http1.EqualFold(b, s) {
			return s
		}
	}
	return ""
}

// otherSchemeName returns an unknown scheme name, "" when it does not look
// like one. It precedes the credentials, so it should not be a secret; but
// a client may send a bare key followed by a space, so only short names of
// letters, '-' and '_' are kept: "Custom-Scheme", not "a1b2c3".
func otherSchemeName(b []byte) string {
	if len(b) == 0 || len(b) > 24 {
		return ""
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return ""
		}
	}
	return string(b)
}

// apiKeyHeader returns the canonical name of an API-key header, "" for
// other headers.
func apiKeyHeader(name []byte) string {
	for _, h := range apiKeyHeaders {
		if http1.EqualFold(name, h) {
			return h
		}
	}
	return ""
}

// apiKeyParam returns the canonical name of an API-key query parameter.
func apiKeyParam(name string) string {
	for _, p := range apiKeyParams {
		if equalFoldString(name, p) {
			return p
		}
	}
	return ""
}

// sessionCookie reports whether a cookie name denotes a session, with the
// table's spelling when it is in sessionCookies. The __Host- and __Secure-
// prefixes are ignored.
func sessionCookie(name []byte) (string, bool) {
	base := name
	for _, p := range []string{"__host-", "__secure-"} {
		if hasPrefixFold(base, p) {
			base = base[len(p):]
		}
	}
	if len(base) == 0 {
		return "", false
	}
	for _, c := range sessionCookies {
		if http1.EqualFold(base, c) {
			if len(base) == len(name) {
				return c, true
			}
			return "", true
		}
	}
	if hasPrefixFold(base, "aspsessionid") { // classic ASP: ASPSESSIONIDQQGGGNCG
		return "", true
	}
	for _, s := range sessionSuffixes {
		if hasSuffixFold(base, s) {
			return "", true
		}
	}
	return "", false
}

// internJOSE returns common JOSE header values (alg, typ) without
// allocating.
func internJOSE(b []byte) (string, bool) {
	for _, a := range joseNames {
		if string(b) == a {
			return a, true
		}
	}
	return "", false
}

var joseNames = []string{
	"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384",
	"ES512", "ES256K", "PS256", "PS384", "PS512", "EdDSA", "none",
	"RSA-OAEP", "RSA-OAEP-256", "A128KW", "A256KW", "dir", "ECDH-ES",
	"JWT", "at+jwt", "JOSE", "jwt", "JWE",
}
