// Package auth tells how an HTTP request authenticates, from what a passive
// observer sees of it.
//
// Classify reads one http1.Request: the Authorization header (Basic,
// Bearer, Digest, NTLM/Negotiate, API-key schemes such as "ApiKey" and
// "Token", or a bare credential), the API-key headers of one table
// (X-API-Key, X-Auth-Token, ...), the session cookies among the Cookie
// header's names, and the API-key parameters of the request target's query.
// It returns a Result: the set of Schemes seen and, for each, what can be
// told without holding a secret: the masked Basic or Digest user name
// ("a***e"), the names of the header, parameter and cookie that carried a
// credential, and for a bearer JWT its decoded header and registered claims
// (alg, typ, iss, aud, exp, iat, whether sub is set), which it does not
// verify, with the flags AlgNone, NoExpiry and Expired. Expiry is judged
// against the time the caller passes, the packet time, so results are
// deterministic. The work is bounded by the header block and target, which
// the http1 parser caps, and by the fixed limits below (a JWT header of 2 KiB
// and payload of 8 KiB encoded at most, four audiences, 128 bytes per claim
// string); the common cases do not allocate.
//
// # Caveats
//
// A Result never holds a password, token, cookie value or API key, nor a
// slice of the request: every string in it is either a constant from this
// package's tables or a fresh, bounded copy of a non-secret value (a JWT
// claim, a masked user name, a cookie name), so it may outlive the request
// and be stored. JWT signatures are not checked: a decoded claim says what
// the client sent, not what the server accepted. A zero now disables the
// Expired flag. Proxy-Authorization is not considered: it authenticates to a
// proxy, not to the API.
package auth
