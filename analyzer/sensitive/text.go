package sensitive

import (
	"bytes"
	"math"

	"github.com/apitap/apitap/sensor/http1"
)

// Character classes of the text scanner.
const (
	cDigit = 1 << iota
	cUpper
	cLower
	cWord  // [A-Za-z0-9_]: a word continues
	cStart // a detector may start here
	cB64   // [A-Za-z0-9_-]: base64url and token characters
	cLocal // email local part
	cHost  // email domain
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		var k uint8
		switch {
		case c >= '0' && c <= '9':
			k = cDigit | cWord | cStart | cB64 | cLocal | cHost
		case c >= 'A' && c <= 'Z':
			k = cUpper | cWord | cStart | cB64 | cLocal | cHost
		case c >= 'a' && c <= 'z':
			k = cLower | cWord | cStart | cB64 | cLocal | cHost
		case c == '_':
			k = cWord | cB64 | cLocal
		case c == '-':
			k = cStart | cB64 | cLocal | cHost
		case c == '+' || c == '(':
			k = cStart
		case c == '.':
			k = cLocal | cHost
		}
		if c == '+' || c == '%' {
			k |= cLocal
		}
		class[c] = k
	}
}

func is(c byte, k uint8) bool { return class[c]&k != 0 }

// text scans free text at the current path.
func (s *scanner) text(t []byte) { s.scanText(t, bytes.IndexByte(t, '@') >= 0) }

// scanText scans t; hasAt says whether it holds an '@'.
func (s *scanner) scanText(t []byte, hasAt bool) {
	for i := 0; i < len(t) && !s.stopped; {
		c := t[i]
		if !is(c, cStart) {
			i++
			continue
		}
		if i > 0 && is(t[i-1], cWord) && is(c, cWord) {
			i = skipWord(t, i) // inside a word: nothing starts here
			continue
		}
		if j := s.detect(t, i); j > i {
			i = j
		} else if is(c, cWord) {
			i = skipWord(t, i)
		} else {
			i++
		}
	}
	if hasAt && !s.stopped {
		s.emails(t)
	}
}

func skipWord(t []byte, i int) int {
	for i < len(t) && is(t[i], cWord) {
		i++
	}
	return i
}

// detect tries the detectors that can start at t[i], a word start, and
// returns the index after a match, or i.
func (s *scanner) detect(t []byte, i int) int {
	c := t[i]
	switch {
	case is(c, cDigit) || c == '+' || c == '(':
		return s.number(t, i)
	case c == '-':
		return s.privateKey(t, i)
	}
	if !tokenStart[c] {
		if is(c, cUpper) {
			return s.iban(t, i)
		}
		return i
	}
	// A token: the run of base64url characters from here.
	j := i
	for j < len(t) && is(t[j], cB64) {
		j++
	}
	if c == 'e' {
		return s.jwt(t, i, j)
	}
	if k := matchToken(t[i:j]); k != nil {
		s.add(k.class, t[i:j])
		return j
	}
	if is(c, cUpper) {
		return s.iban(t, i)
	}
	return i
}

// A token is a credential known by its format: a run of base64url
// characters that starts with prefix, is min to max bytes long and holds
// only characters of the classes rest after the prefix. Its findings show
// masked.
type token struct {
	prefix   string
	min, max int
	rest     uint8
	class    Class
	masked   string
}

const noMax = math.MaxInt

var tokens = [...]token{
	{"AKIA", 20, 20, cUpper | cDigit, AWSAccessKey, "AKIA****************"},
	{"ASIA", 20, 20, cUpper | cDigit, AWSAccessKey, "ASIA****************"},
	{"AIza", 39, 39, cB64, GCPAPIKey, "AIza***"},
	{"ghp_", 40, 40, cUpper | cLower | cDigit, GitHubToken, "ghp_***"},
	{"gho_", 40, 40, cUpper | cLower | cDigit, GitHubToken, "gho_***"},
	{"ghs_", 40, 40, cUpper | cLower | cDigit, GitHubToken, "ghs_***"},
	{"ghu_", 40, 40, cUpper | cLower | cDigit, GitHubToken, "ghu_***"},
	{"ghr_", 40, 40, cUpper | cLower | cDigit, GitHubToken, "ghr_***"},
	{"github_pat_", 80, noMax, cB64, GitHubToken, "github_pat_***"},
	{"xoxa-", 20, noMax, cB64, SlackToken, "xoxa-***"},
	{"xoxb-", 20, noMax, cB64, SlackToken, "xoxb-***"},
	{"xoxe-", 20, noMax, cB64, SlackToken, "xoxe-***"},
	{"xoxo-", 20, noMax, cB64, SlackToken, "xoxo-***"},
	{"xoxp-", 20, noMax, cB64, SlackToken, "xoxp-***"},
	{"xoxr-", 20, noMax, cB64, SlackToken, "xoxr-***"},
	{"xoxs-", 20, noMax, cB64, SlackToken, "xoxs-***"},
	{"xapp-", 20, noMax, cB64, SlackToken, "xapp-***"},
}

// tokenStart marks the bytes a token or a JWT starts with.
var tokenStart = func() (t [256]bool) {
	t['e'] = true
	for _, k := range tokens {
		t[k.prefix[0]] = true
	}
	return t
}()

// matchToken returns the token a run of base64url characters w is, or nil.
func matchToken(w []byte) *token {
	for k := range tokens {
		r := &tokens[k]
		if len(w) >= r.min && len(w) <= r.max && bytes.HasPrefix(w, []byte(r.prefix)) && all(w[len(r.prefix):], r.rest) {
			return r
		}
	}
	return nil
}

// jwt matches eyJ<header>.eyJ<payload>.<signature> from t[i]; j ends the
// first segment.
func (s *scanner) jwt(t []byte, i, j int) int {
	if j-i < 10 || !bytes.HasPrefix(t[i:], []byte("eyJ")) || j+4 >= len(t) || t[j] != '.' ||
		!bytes.HasPrefix(t[j+1:], []byte("eyJ")) {
		return i
	}
	k := j + 1
	for k < len(t) && is(t[k], cB64) {
		k++
	}
	if k-j < 10 || k >= len(t) || t[k] != '.' {
		return i
	}
	k++
	for k < len(t) && is(t[k], cB64) {
		k++
	}
	s.add(JWT, t[i:k])
	return k
}

// privateKey matches a PEM header "-----BEGIN <label> PRIVATE KEY-----".
func (s *scanner) privateKey(t []byte, i int) int {
	const begin = "-----BEGIN "
	if !bytes.HasPrefix(t[i:], []byte(begin)) {
		return i
	}
	rest := t[i+len(begin):]
	rest = rest[:min(len(rest), 64)]
	e := bytes.Index(rest, []byte("-----"))
	if e < 0 {
		return i
	}
	label := rest[:e]
	if !bytes.Contains(label, []byte("PRIVATE KEY")) {
		return i
	}
	for _, c := range label {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ') {
			return i
		}
	}
	s.add(PrivateKey, label)
	return i + len(begin) + e + 5
}

// number matches the digit-based classes: cards, SSNs and phone numbers,
// from a digit, '+' or '('. It consumes the whole run of digit groups, so
// that nothing inside a longer number matches.
func (s *scanner) number(t []byte, i int) int {
	plus, paren := t[i] == '+', t[i] == '('
	if (plus || paren) && i > 0 && !opens(t[i-1]) {
		return i // "getTime()+63072000000" is arithmetic
	}
	var g groups
	j := i
	if plus || paren {
		j++
	}
	for g.n < len(g.len) {
		start := j
		for j < len(t) && is(t[j], cDigit) {
			j++
		}
		if j == start {
			break
		}
		g.len[g.n] = uint8(min(j-start, 255))
		g.end[g.n] = j
		g.digits += j - start
		if g.n++; g.n == len(g.len) {
			break
		}
		// A separator: one of " -./", or ")" with an optional space, or
		// " (" in E.164 ("+1 (415) 555-2671"), followed by a digit.
		k := j
		for k < len(t) && k-j < 2 && (t[k] == ' ' || t[k] == '-' || t[k] == '.' || t[k] == '(' || t[k] == ')') {
			k++
		}
		if k == j || k >= len(t) || !is(t[k], cDigit) {
			break
		}
		g.sep[g.n-1] = sepCode(t[j:k])
		j = k
	}
	if j == i+1 && (plus || paren) || j == i {
		return i
	}
	end := j
	for end < len(t) && is(t[end], cDigit) {
		end++ // more groups than we track: one long number
	}
	if end > j || end < len(t) && is(t[end], cWord) {
		return end // glued to a word, or too long: no match
	}
	if end < len(t)-1 && t[end] == '.' && is(t[end+1], cDigit) {
		return end
	}
	v := t[i:end]
	if c := g.class(v, plus, paren); c != 0 {
		s.add(c, v)
		return end
	}
	// No shape fits the whole run. Numbers printed side by side
	// ("415-555-2671 4111111111111111") are separated by spaces: try the
	// longest run of groups up to a space that fits, then go on after it;
	// if none fits, go on after the first space.
	next := end
	for k := g.n - 2; k >= 0; k-- {
		if g.sep[k] != ' ' {
			continue
		}
		next = g.end[k]
		p := g
		p.n = k + 1
		p.digits = 0
		for x := range p.len {
			if x > k {
				p.len[x], p.sep[x] = 0, 0
			}
			p.digits += int(p.len[x])
		}
		if c := p.class(t[i:next], plus, paren); c != 0 {
			s.add(c, t[i:next])
			return next
		}
	}
	return next
}

// class returns the class of the number v with groups g, 0 for none.
func (g *groups) class(v []byte, plus, paren bool) Class {
	switch {
	case paren:
		if g.n == 3 && g.len == [8]uint8{3, 3, 4} && (g.sep[0] == sepParen || g.sep[0] == sepParenSpace) &&
			(g.sep[1] == '-' || g.sep[1] == '.' || g.sep[1] == ' ') && nanp(v) {
			return Phone
		}
	case plus:
		if v[1] != '0' && g.digits >= 9 && g.digits <= 15 {
			return Phone
		}
	case g.n == 1:
		if g.digits >= 13 && g.digits <= 19 && cardNumber(v) {
			return Card
		}
	case g.n == 3 && g.len == [8]uint8{3, 2, 4} && g.sep[0] == g.sep[1] && (g.sep[0] == '-' || g.sep[0] == ' '):
		if ssn(v) {
			return USSSN
		}
	case g.n == 3 && g.len == [8]uint8{3, 3, 4} && g.sep[0] == g.sep[1] && (g.sep[0] == '-' || g.sep[0] == '.'):
		if nanp(v) {
			return Phone
		}
	default:
		if g.digits >= 13 && g.digits <= 19 && g.cardGroups() && cardNumber(v) {
			return Card
		}
	}
	return 0
}

// opens reports whether c may precede a phone number's '+' or '(': white
// space, a quote, or punctuation that opens or separates a value.
func opens(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '(', '[', '{', '<', '>', ':', '=', ',', ';', '/':
		return true
	}
	return false
}

// groups describes a run of digit groups and the separators between them.
type groups struct {
	end    [8]int // index after each group
	len    [8]uint8
	sep    [8]byte
	n      int
	digits int
}

// Separator codes other than the separator byte itself.
const (
	sepParen      = 1 // ")"
	sepParenSpace = 2 // ") "
	sepOther      = 3 // anything else of two bytes
)

func sepCode(b []byte) byte {
	switch {
	case len(b) == 1 && b[0] == ')':
		return sepParen
	case len(b) == 1 && b[0] != '(':
		return b[0]
	case len(b) == 2 && b[0] == ')' && b[1] == ' ':
		return sepParenSpace
	}
	return sepOther
}

// cardGroups reports whether the groups are printed like a card number:
// one separator, space or dash, throughout; groups of four with a shorter
// last one (4-4-4-4, 4-4-4-4-3), or 4-6-5 (Amex), 4-6-4 (Diners).
func (g *groups) cardGroups() bool {
	if g.n < 3 || g.len[0] != 4 {
		return false
	}
	for k := 0; k < g.n-1; k++ {
		if g.sep[k] != g.sep[0] || g.sep[0] != ' ' && g.sep[0] != '-' {
			return false
		}
	}
	if g.n == 3 && g.len[1] == 6 && (g.len[2] == 5 || g.len[2] == 4) {
		return true
	}
	for k := 1; k < g.n-1; k++ {
		if g.len[k] != 4 {
			return false
		}
	}
	return g.len[g.n-1] >= 1 && g.len[g.n-1] <= 4
}

// iban matches an IBAN from t[i], compact or printed in groups of four.
func (s *scanner) iban(t []byte, i int) int {
	if i+4 > len(t) || !is(t[i+1], cUpper) || !is(t[i+2], cDigit) || !is(t[i+3], cDigit) {
		return i
	}
	want := ibanLength(t[i], t[i+1])
	if want == 0 {
		return i
	}
	var buf [34]byte
	n, j := 0, i
	for n < want && j < len(t) {
		c := t[j]
		switch {
		case is(c, cUpper|cDigit):
			buf[n] = c
			n++
			j++
			continue
		case c == ' ' && n%4 == 0 && j+1 < len(t) && is(t[j+1], cUpper|cDigit):
			j++
			continue
		}
		break
	}
	if n < want || j < len(t) && is(t[j], cWord) || !ibanValid(buf[:n]) {
		return i
	}
	s.add(IBAN, buf[:n])
	return j
}

// emails finds addresses around each '@'.
func (s *scanner) emails(t []byte) {
	for at := 0; !s.stopped; at++ {
		k := bytes.IndexByte(t[at:], '@')
		if k < 0 {
			return
		}
		at += k
		lo := at
		for lo > 0 && at-lo < 64 && is(t[lo-1], cLocal) {
			lo--
		}
		for lo < at && t[lo] == '.' {
			lo++
		}
		if lo == at || lo > 0 && is(t[lo-1], cWord) {
			continue
		}
		hi := at + 1
		for hi < len(t) && hi-at <= 253 && is(t[hi], cHost) {
			hi++
		}
		for hi > at+1 && (t[hi-1] == '.' || t[hi-1] == '-') {
			hi--
		}
		if hi < len(t) && is(t[hi], cWord) || !emailDomain(t[at+1:hi]) {
			continue
		}
		s.add(Email, t[lo:hi])
	}
}

// emailDomain checks a domain: two or more labels, a TLD of letters that is
// not a file extension ("icon@2x.png").
func emailDomain(d []byte) bool {
	dot := bytes.LastIndexByte(d, '.')
	if dot <= 0 || bytes.Contains(d, []byte("..")) || d[0] == '.' || d[0] == '-' {
		return false
	}
	tld := d[dot+1:]
	if len(tld) < 2 || len(tld) > 24 {
		return false
	}
	for _, c := range tld {
		if !is(c, cUpper|cLower) {
			return false
		}
	}
	for _, ext := range fileExtensions {
		if http1.EqualFold(tld, ext) {
			return false
		}
	}
	return true
}

var fileExtensions = []string{"png", "jpg", "jpeg", "gif", "svg", "webp", "js", "css", "ico", "avif"}

// all reports whether every byte of b is of one of the classes k.
func all(b []byte, k uint8) bool {
	for _, c := range b {
		if !is(c, k) {
			return false
		}
	}
	return true
}
