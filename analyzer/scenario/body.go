package scenario

import (
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/apitap/apitap/sensor/synth"
)

// This file turns the JSON field paths of a spec (spec.Operation's
// ResponseFields and RequestFields) back into bodies: a shape tree whose
// leaves get values chosen by their field names.

type shapeKind uint8

const (
	leafShape shapeKind = iota
	objectShape
	arrayShape
	mapShape // additionalProperties ("labels.*")
)

// valKind is what a leaf holds, chosen by its name.
type valKind uint8

const (
	vWord valKind = iota
	vID
	vUUID
	vEmail
	vPassword
	vPhone
	vURL
	vTime
	vStatus
	vMoney
	vCount
	vBool
	vUsername
	vName
	vText
	vToken
	vCode
	vVIN
	vLat
	vLon
	vYear
	vCurrency
	vCountry
	vCity
	vStreet
	vPostal
	vSKU
	vVersion
	vDigits
	vSeconds
)

type shape struct {
	name   string
	kind   shapeKind
	val    valKind
	fields []*shape // objectShape
	elem   *shape   // arrayShape
}

// buildShape makes the shape of a body from its sorted field paths ("a",
// "a.b", "items[].id", "[].id", "labels.*"); nil when there are none.
func buildShape(paths []string) *shape {
	if len(paths) == 0 {
		return nil
	}
	root := &shape{}
	for _, p := range paths {
		cur := root
		for seg := range strings.SplitSeq(p, ".") {
			name, arrays := seg, 0
			for strings.HasSuffix(name, "[]") {
				name = strings.TrimSuffix(name, "[]")
				arrays++
			}
			if name != "" {
				cur = cur.child(name)
			}
			for range arrays {
				cur = cur.arrayElem()
			}
		}
	}
	root.finish()
	return root
}

func (s *shape) child(name string) *shape {
	if s.kind == leafShape {
		s.kind = objectShape
	}
	if s.kind != objectShape {
		return &shape{name: name} // a conflicting path: ignored
	}
	if name == "*" {
		s.kind = mapShape
		s.fields = nil
		return &shape{name: name}
	}
	for _, f := range s.fields {
		if f.name == name {
			return f
		}
	}
	f := &shape{name: name}
	s.fields = append(s.fields, f)
	return f
}

func (s *shape) arrayElem() *shape {
	if s.kind == leafShape || s.kind == objectShape && len(s.fields) == 0 {
		s.kind = arrayShape
		s.elem = &shape{name: singular(s.name)}
	}
	if s.kind != arrayShape {
		return &shape{}
	}
	return s.elem
}

func (s *shape) finish() {
	switch s.kind {
	case leafShape:
		s.val = valueKind(s.name)
	case objectShape:
		for _, f := range s.fields {
			f.finish()
		}
	case arrayShape:
		s.elem.finish()
	}
}

// mainArray returns the array a body grows by to reach a size: the root if
// it is one, else the first array field found breadth first; nil if none.
func (s *shape) mainArray() *shape {
	if s == nil {
		return nil
	}
	queue := []*shape{s}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		switch n.kind {
		case arrayShape:
			if n.elem.kind == objectShape || n == s {
				return n
			}
		case objectShape:
			queue = append(queue, n.fields...)
		}
	}
	return nil
}

func singular(name string) string {
	switch {
	case strings.HasSuffix(name, "ies"):
		return name[:len(name)-3] + "y"
	case strings.HasSuffix(name, "ses"), strings.HasSuffix(name, "xes"):
		return name[:len(name)-2]
	case strings.HasSuffix(name, "s") && len(name) > 1:
		return name[:len(name)-1]
	}
	return name
}

// valueKind chooses a leaf's value by its name.
func valueKind(name string) valKind {
	n := strings.ToLower(name)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(n, s) {
				return true
			}
		}
		return false
	}
	switch {
	case n == "expires_in" || n == "ttl":
		return vSeconds
	case has("uuid", "guid", "vehicleid", "carid"):
		return vUUID
	case has("email"):
		return vEmail
	case has("password", "passwd", "secret"):
		return vPassword
	case has("phone") || n == "number" || n == "mobile":
		return vPhone
	case has("url", "img", "image", "picture", "avatar", "photo", "link", "href"):
		return vURL
	case has("token"):
		return vToken
	case n == "id" || strings.HasSuffix(n, "id") || strings.HasSuffix(n, "_no") || n == "orderno" || n == "cid":
		return vID
	case n == "code" || n == "userstatus":
		return vCount
	case has("pincode", "otp") || n == "pin":
		return vDigits
	case has("created", "updated", "date", "time", "_at", "_on", "due", "expires"):
		return vTime
	case has("status", "state"):
		return vStatus
	case has("price", "amount", "total", "credit", "balance", "cost"):
		return vMoney
	case has("quantity", "qty", "count", "page", "limit", "offset", "available", "reserved", "rating", "repeats", "size", "quant"):
		return vCount
	case has("latitude") || n == "lat":
		return vLat
	case has("longitude") || n == "lng" || n == "lon":
		return vLon
	case n == "year":
		return vYear
	case has("complete", "sent", "in_stock", "enabled", "admin", "vulnerable", "active", "verified") || strings.HasPrefix(n, "is") || strings.HasPrefix(n, "has"):
		return vBool
	case has("username", "nickname", "login", "owner", "user", "author"):
		return vUsername
	case has("firstname", "lastname", "fullname") || n == "name":
		return vName
	case has("message", "content", "body", "description", "details", "summary", "comment", "help", "note", "text"):
		return vText
	case has("code", "coupon", "ref"):
		return vCode
	case n == "vin":
		return vVIN
	case has("currency"):
		return vCurrency
	case has("country"):
		return vCountry
	case has("city"):
		return vCity
	case has("street", "address"):
		return vStreet
	case has("postal", "zip"):
		return vPostal
	case has("sku"):
		return vSKU
	case has("version"):
		return vVersion
	}
	return vWord
}

var firstNames = []string{
	"Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines",
	"Jonas", "Kara", "Luis", "Mei", "Noah", "Olga", "Priya", "Quinn", "Rosa",
	"Sami", "Tara", "Umar", "Vera", "Wen", "Yusuf", "Zoe",
}

var lastNames = []string{
	"Almeida", "Brown", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hansen",
	"Ito", "Jensen", "Kowalski", "Larsen", "Meyer", "Nakamura", "Okafor",
	"Petrov", "Rossi", "Schmidt", "Tanaka", "Novak", "Weber", "Young",
}

var statusWords = []string{"available", "pending", "active", "completed", "shipped", "approved"}
var currencies = []string{"EUR", "USD", "GBP"}
var countries = []string{"DE", "US", "FR", "GB", "NL", "ES", "IT", "PL"}
var cities = []string{"Berlin", "Austin", "Lyon", "Leeds", "Utrecht", "Sevilla", "Torino", "Gdansk"}

// bodyCtx is what values of one body depend on besides chance.
type bodyCtx struct {
	r       *rand.Rand
	svc     *service
	id      int // id of the requested object: the root's "id"
	main    *shape
	target  int // body size the main array grows to; 0: one element
	start   int // offset of the body in the buffer
	depth   int
	creds   bool   // a login: user names and passwords are user's
	user    int    // whose credentials
	badPass bool   // a wrong password
	inject  string // put into the first string value, then cleared
}

// appendShape appends the JSON of s.
func (c *bodyCtx) appendShape(b []byte, s *shape, root bool) []byte {
	switch s.kind {
	case objectShape:
		b = append(b, '{')
		for i, f := range s.fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.name)
			b = append(b, ':')
			if root && c.id > 0 && f.name == "id" && f.kind == leafShape && f.val == vID {
				b = strconv.AppendInt(b, int64(c.id), 10)
				continue
			}
			b = c.appendShape(b, f, false)
		}
		return append(b, '}')
	case mapShape:
		b = append(b, '{')
		for i := range 3 + c.r.IntN(3) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, statusWords[i]...)
			b = append(b, `":`...)
			b = strconv.AppendInt(b, int64(c.r.IntN(500)), 10)
		}
		return append(b, '}')
	case arrayShape:
		b = append(b, '[')
		if s == c.main {
			for i := 0; i == 0 || len(b)-c.start < c.target && i < 20_000; i++ {
				if i > 0 {
					b = append(b, ',')
				}
				b = c.appendShape(b, s.elem, false)
			}
		} else {
			c.depth++
			n := 1 + c.r.IntN(3)
			if c.depth > 2 {
				n = 1
			}
			for i := range n {
				if i > 0 {
					b = append(b, ',')
				}
				b = c.appendShape(b, s.elem, false)
			}
			c.depth--
		}
		return append(b, ']')
	}
	return c.appendValue(b, s.val)
}

// stringKind reports the leaves an injected payload can replace.
func stringKind(v valKind) bool {
	switch v {
	case vWord, vEmail, vUsername, vName, vText, vCode, vStreet, vCity, vSKU, vPassword:
		return true
	}
	return false
}

func (c *bodyCtx) appendValue(b []byte, v valKind) []byte {
	r := c.r
	if c.inject != "" && stringKind(v) {
		b = appendJSONString(b, c.inject)
		c.inject = ""
		return b
	}
	if c.creds {
		switch v {
		case vEmail:
			b = append(b, '"')
			b = appendUsername(b, c.user)
			return append(b, "@mail.example\""...)
		case vUsername, vName:
			b = append(b, '"')
			b = appendUsername(b, c.user)
			return append(b, '"')
		case vPassword:
			b = append(b, '"')
			b = appendPassword(b, r, c.user, c.badPass)
			return append(b, '"')
		}
	}
	switch v {
	case vID:
		return strconv.AppendInt(b, int64(1+r.IntN(c.svc.pop)), 10)
	case vUUID:
		b = append(b, '"')
		b = appendUUID(b, c.svc.seed, 1+r.IntN(c.svc.pop))
		return append(b, '"')
	case vEmail:
		b = append(b, '"')
		b = appendUsername(b, 1+r.IntN(c.svc.pop))
		return append(b, "@mail.example\""...)
	case vPassword:
		b = append(b, `"$2b$12$`...)
		b = appendAlnum(b, r, 53)
		return append(b, '"')
	case vPhone:
		b = append(b, `"+1`...)
		b = strconv.AppendInt(b, int64(2+r.IntN(8)), 10)
		b = strconv.AppendInt(b, int64(100_000_000+r.IntN(900_000_000)), 10)
		return append(b, '"')
	case vURL:
		b = append(b, `"https://cdn.`...)
		b = append(b, c.svc.host...)
		b = append(b, "/img/p"...)
		b = synth.AppendHex(b, r, 16)
		return append(b, `.jpg"`...)
	case vTime:
		b = append(b, '"')
		b = appendTime(b, r)
		return append(b, '"')
	case vStatus:
		b = append(b, '"')
		b = append(b, statusWords[r.IntN(len(statusWords))]...)
		return append(b, '"')
	case vMoney:
		cents := 99 + r.IntN(50_000)
		b = strconv.AppendInt(b, int64(cents/100), 10)
		return append(b, '.', byte('0'+cents/10%10), byte('0'+cents%10))
	case vCount:
		return strconv.AppendInt(b, int64(r.IntN(50)), 10)
	case vSeconds:
		return append(b, "3600"...)
	case vBool:
		if r.IntN(4) == 0 {
			return append(b, "false"...)
		}
		return append(b, "true"...)
	case vUsername:
		b = append(b, '"')
		b = appendUsername(b, 1+r.IntN(c.svc.pop))
		return append(b, '"')
	case vName:
		b = append(b, '"')
		b = append(b, firstNames[r.IntN(len(firstNames))]...)
		b = append(b, ' ')
		b = append(b, lastNames[r.IntN(len(lastNames))]...)
		return append(b, '"')
	case vText:
		b = append(b, '"')
		for i := range 4 + r.IntN(8) {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, synth.Word(r)...)
		}
		return append(b, '"')
	case vToken:
		b = append(b, '"')
		b = appendJWT(b, r, 1+r.IntN(c.svc.pop), c.svc.host)
		return append(b, '"')
	case vCode:
		b = append(b, '"')
		b = append(b, strings.ToUpper(synth.Word(r))...)
		b = strconv.AppendInt(b, int64(10+r.IntN(90)), 10)
		return append(b, '"')
	case vVIN:
		b = append(b, '"')
		b = append(b, "1HG"...)
		b = appendUpperAlnum(b, r, 14)
		return append(b, '"')
	case vLat:
		return strconv.AppendFloat(b, 30+r.Float64()*25, 'f', 5, 64)
	case vLon:
		return strconv.AppendFloat(b, -120+r.Float64()*130, 'f', 5, 64)
	case vYear:
		return strconv.AppendInt(b, int64(2010+r.IntN(16)), 10)
	case vCurrency:
		b = append(b, '"')
		b = append(b, currencies[r.IntN(len(currencies))]...)
		return append(b, '"')
	case vCountry:
		b = append(b, '"')
		b = append(b, countries[r.IntN(len(countries))]...)
		return append(b, '"')
	case vCity:
		b = append(b, '"')
		b = append(b, cities[r.IntN(len(cities))]...)
		return append(b, '"')
	case vStreet:
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(1+r.IntN(200)), 10)
		b = append(b, ' ')
		b = append(b, strings.ToUpper(synth.Word(r)[:1])...)
		b = append(b, synth.Word(r)[1:]...)
		return append(b, ` Street"`...)
	case vPostal:
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(10_000+r.IntN(89_999)), 10)
		return append(b, '"')
	case vSKU:
		b = append(b, `"SKU-`...)
		b = strconv.AppendInt(b, int64(10_000+r.IntN(90_000)), 10)
		return append(b, '"')
	case vVersion:
		return append(b, `"1.4.2"`...)
	case vDigits:
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(1000+r.IntN(9000)), 10)
		return append(b, '"')
	}
	b = append(b, '"')
	b = append(b, synth.Word(r)...)
	return append(b, '"')
}

// appendTime appends an RFC 3339 time in 2024 or 2025.
func appendTime(b []byte, r *rand.Rand) []byte {
	s := 1704067200 + r.Int64N(2*365*86400)
	return appendUnixTime(b, s)
}

// appendUnixTime appends s (Unix seconds) as YYYY-MM-DDThh:mm:ssZ without
// going through time.Time's formatting.
func appendUnixTime(b []byte, s int64) []byte {
	days := s / 86400
	sec := s % 86400
	// Civil from days, Howard Hinnant's algorithm.
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	b = strconv.AppendInt(b, y, 10)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, sec/3600)
	b = append(b, ':')
	b = append2(b, sec/60%60)
	b = append(b, ':')
	b = append2(b, sec%60)
	return append(b, 'Z')
}

func append2(b []byte, v int64) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

const hexDigits = "0123456789abcdef"

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func appendAlnum(b []byte, r *rand.Rand, n int) []byte {
	for range n {
		b = append(b, alnum[r.IntN(len(alnum))])
	}
	return b
}

func appendUpperAlnum(b []byte, r *rand.Rand, n int) []byte {
	for range n {
		b = append(b, alnum[26+r.IntN(36)])
	}
	return b
}

// splitmix is SplitMix64's output function: a hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// appendUUID appends the UUID of object k of a service: the same k always
// gives the same UUID.
func appendUUID(b []byte, seed uint64, k int) []byte {
	hi, lo := splitmix(seed^uint64(k)), splitmix(seed+uint64(k)*0x632be59bd9b4e019)
	var u [16]byte
	for i := range 8 {
		u[i] = byte(hi >> (8 * i))
		u[8+i] = byte(lo >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&15])
	}
	return b
}

// appendUsername appends the user name of user k, e.g. "maple.chen42".
func appendUsername(b []byte, k int) []byte {
	h := splitmix(uint64(k))
	b = append(b, synth.WordAt(h)...)
	b = append(b, '.')
	b = append(b, strings.ToLower(lastNames[h>>8%uint64(len(lastNames))])...)
	return strconv.AppendInt(b, int64(k%1000), 10)
}

// appendJWT appends an HS256 JWT for user k issued by host, valid for a
// year from 2025-12-01.
func appendJWT(b []byte, r *rand.Rand, k int, host string) []byte {
	b = append(b, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."...) // {"alg":"HS256","typ":"JWT"}
	var p [160]byte
	iat := 1764547200 + int64(r.IntN(86400))
	q := append(p[:0], `{"sub":"`...)
	q = strconv.AppendInt(q, int64(k), 10)
	q = append(q, `","iss":"https://`...)
	q = append(q, host...)
	q = append(q, `","iat":`...)
	q = strconv.AppendInt(q, iat, 10)
	q = append(q, `,"exp":`...)
	q = strconv.AppendInt(q, iat+365*86400, 10)
	q = append(q, '}')
	b = base64.RawURLEncoding.AppendEncode(b, q)
	b = append(b, '.')
	var sig [32]byte
	for i := range sig {
		sig[i] = byte(r.Uint32())
	}
	return base64.RawURLEncoding.AppendEncode(b, sig[:])
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendCard appends a 16-digit Visa number whose Luhn check digit is valid,
// in groups of four.
func appendCard(b []byte, r *rand.Rand) []byte {
	var d [16]int
	d[0] = 4
	for i := 1; i < 15; i++ {
		d[i] = r.IntN(10)
	}
	sum := 0
	for i := 14; i >= 0; i-- {
		v := d[i]
		if (14-i)%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	d[15] = (10 - sum%10) % 10
	for i, v := range d {
		if i > 0 && i%4 == 0 {
			b = append(b, ' ')
		}
		b = append(b, byte('0'+v))
	}
	return b
}

// appendSSN appends a US social security number that passes the area,
// group and serial rules: ddd-dd-dddd.
func appendSSN(b []byte, r *rand.Rand) []byte {
	area := 1 + r.IntN(665)
	b = append(b, byte('0'+area/100), byte('0'+area/10%10), byte('0'+area%10), '-')
	g := 1 + r.IntN(99)
	b = append(b, byte('0'+g/10), byte('0'+g%10), '-')
	s := 1 + r.IntN(9999)
	return append(b, byte('0'+s/1000), byte('0'+s/100%10), byte('0'+s/10%10), byte('0'+s%10))
}
