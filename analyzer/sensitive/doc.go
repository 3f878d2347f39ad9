// Package sensitive finds sensitive data in what an HTTP message carries:
// personal data (email addresses, phone numbers, payment cards, IBANs, US
// social security numbers), credentials (JWTs, AWS, GCP, GitHub and Slack
// keys, private keys) and password fields.
//
// Scan reads a body sample: JSON (by content type, or by sniffing a body
// that starts with '{' or '[') is walked value by value and each finding
// names the JSON path it was found at ("user.cards[].number"); an
// application/x-www-form-urlencoded body is split into fields, named by the
// field; anything else is scanned as text, with the path "". ScanQuery does
// the same for the query of a request target, and ScanHeaders for header
// values, leaving out the credential headers package auth reads
// (Authorization, Cookie, API-key headers) and Set-Cookie. Each string is
// run through one pass of detectors that anchor on word starts and check
// what they match (Luhn for cards, ISO 13616 mod-97 and country lengths for
// IBANs, area/group/serial rules for SSNs, issuer prefixes, token formats),
// plus a search for '@' for email addresses; a password is recognised by
// its field name alone, whatever its value. Findings are appended to a
// caller's slice, one per class and path, each with a Masked form that
// keeps only what identifies the kind ("4111********1111", "j***@example.com",
// "DE******************3000", "AKIA****************"); a password shows no
// character at all. Work is bounded: at most MaxSample bytes are read, JSON
// is followed MaxDepth levels deep (deeper values are skipped, not
// scanned), and a call appends at most MaxFindings findings. Nothing
// allocates except the findings themselves.
//
// # Caveats
//
// Findings never alias the input: Path and Masked are fresh strings, so the
// body sample may be reused once a call returns. A malformed or truncated
// JSON sample is walked as far as it is valid (as encoding/json judges it: a
// bad escape or a raw control byte in a string breaks it too) and the rest,
// from the token that broke, is scanned as text, so findings after the break
// have the path "" and password fields there go unnoticed. A JSON string
// with escapes longer than the 8 KiB unescape buffer is scanned as it is,
// escapes included; a form or query value is decoded and scanned up to 8
// KiB. Binary samples (image, audio, video and font types, or control bytes
// in the first 512 bytes) are not scanned, nor should samples still
// content-encoded (http1.Body.Encoding set) be passed. Masked values
// deliberately lose information: two findings with the same Masked string
// need not be the same value.
package sensitive
