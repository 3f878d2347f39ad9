package synth

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// routeKind decides which methods a route takes and what it answers.
type routeKind uint8

const (
	kindItem       routeKind = iota // /users/{id}: GET PUT PATCH DELETE
	kindCollection                  // /users/{id}/orders: GET POST
	kindSearch                      // /search?q=...: GET
	kindAction                      // /payments/{uuid}/capture: POST
	kindHealth                      // /health: GET, tiny body
)

// token is one piece of a route template: a literal or a parameter.
type token struct {
	lit   string
	param byte // 0: literal; 'i' id, 'h' hex id, 'u' uuid, 'w' word, 'n' small number
}

type route struct {
	kind   routeKind
	object string // resource name for JSON bodies
	tokens []token
}

// routeTemplates are the paths after a service's prefix. Each service serves
// three quarters of them, a different subset per service.
var routeTemplates = []struct {
	kind   routeKind
	object string
	path   string
}{
	{kindItem, "user", "/users/{id}"},
	{kindCollection, "order", "/users/{id}/orders"},
	{kindItem, "order", "/users/{id}/orders/{hex}"},
	{kindItem, "product", "/products/{id}"},
	{kindSearch, "product", "/products?category={word}&page={n}&limit=50"},
	{kindItem, "order", "/orders/{uuid}"},
	{kindItem, "line_item", "/orders/{uuid}/items/{id}"},
	{kindCollection, "order", "/orders"},
	{kindCollection, "cart_item", "/carts/{uuid}/items"},
	{kindSearch, "result", "/search?q={word}+{word}&sort=-created_at&page={n}"},
	{kindItem, "invoice", "/invoices/{id}"},
	{kindCollection, "payment_method", "/accounts/{id}/payment-methods"},
	{kindAction, "payment", "/payments/{uuid}/capture"},
	{kindAction, "session", "/sessions/{uuid}/refresh"},
	{kindHealth, "health", "/health"},
	{kindItem, "sku", "/skus/{hex}"},
}

// parseRoute splits prefix+path into tokens.
func parseRoute(prefix, path string) []token {
	s := prefix + path
	var toks []token
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			toks = append(toks, token{lit: s})
			break
		}
		if i > 0 {
			toks = append(toks, token{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}') + i
		name := s[i+1 : j]
		toks = append(toks, token{param: map[string]byte{"id": 'i', "hex": 'h', "uuid": 'u', "word": 'w', "n": 'n'}[name]})
		s = s[j+1:]
	}
	return toks
}

var words = []string{
	"alpha", "amber", "anchor", "apple", "arrow", "atlas", "autumn", "basil",
	"birch", "blue", "breeze", "bright", "cedar", "cherry", "cloud", "cobalt",
	"copper", "coral", "crimson", "delta", "desert", "echo", "ember", "falcon",
	"fern", "forest", "frost", "garnet", "glacier", "golden", "granite", "harbor",
	"hazel", "indigo", "iris", "ivory", "jade", "juniper", "lagoon", "lemon",
	"linen", "lunar", "maple", "marble", "meadow", "mint", "navy", "nimbus",
	"oak", "ocean", "olive", "onyx", "orchid", "pearl", "pine", "quartz",
	"raven", "river", "ruby", "sage", "silver", "slate", "solar", "willow",
}

var userAgents = []string{
	"okhttp/4.12.0",
	"Go-http-client/1.1",
	"python-requests/2.31.0",
	"axios/1.6.7",
	"curl/8.5.0",
	"Java-http-client/17.0.9",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	"ShopApp/5.14.2 (Android 14; Pixel 8)",
}

var serverNames = []string{"nginx/1.25.3", "envoy", "gunicorn", "Kestrel", "Jetty(11.0.20)"}

var statuses = map[int]string{
	200: "OK", 201: "Created", 204: "No Content", 304: "Not Modified",
	400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
	409: "Conflict", 422: "Unprocessable Entity", 429: "Too Many Requests",
	500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
}

// errorTypes maps a status to the snake_case type in error bodies.
var errorTypes = func() map[int]string {
	m := make(map[int]string, len(statuses))
	for code, text := range statuses {
		m[code] = strings.ToLower(strings.ReplaceAll(text, " ", "_"))
	}
	return m
}()

// weighted is a cumulative weight table.
type weighted[T any] struct {
	vals  []T
	cum   []int
	total int
}

func newWeighted[T any](pairs ...any) weighted[T] {
	var w weighted[T]
	for i := 0; i < len(pairs); i += 2 {
		w.vals = append(w.vals, pairs[i].(T))
		w.total += pairs[i+1].(int)
		w.cum = append(w.cum, w.total)
	}
	return w
}

func (w *weighted[T]) pick(r *rand.Rand) T {
	n := r.IntN(w.total)
	for i, c := range w.cum {
		if n < c {
			return w.vals[i]
		}
	}
	return w.vals[len(w.vals)-1]
}

var (
	methodsItem       = newWeighted[string]("GET", 62, "PUT", 12, "PATCH", 12, "DELETE", 14)
	methodsCollection = newWeighted[string]("GET", 65, "POST", 35)

	statusGet    = newWeighted[int](200, 84, 304, 4, 401, 2, 404, 7, 429, 1, 500, 1, 503, 1)
	statusPost   = newWeighted[int](201, 70, 200, 10, 400, 8, 409, 4, 422, 5, 500, 2, 502, 1)
	statusPut    = newWeighted[int](200, 70, 204, 15, 400, 5, 404, 6, 409, 2, 500, 2)
	statusDelete = newWeighted[int](204, 75, 200, 5, 404, 15, 403, 3, 500, 2)
)

// client is one source host with its own habits.
type client struct {
	ip         [4]byte
	mac        [6]byte
	ua         string
	token      string // "Bearer ..." or empty
	acceptGzip bool
	nextPort   uint16
}

// service is a Service with its address and routes.
type service struct {
	Service
	hostHeader string
	ip         [4]byte
	mac        [6]byte
	server     string
	routes     []route
}

// message describes the request just built, for the response.
type message struct {
	method    string
	kind      routeKind
	object    string
	id        int
	requestID [36]byte
	close     bool // the request says Connection: close
	gzipOK    bool
}

var b64 = base64.RawURLEncoding

func newClient(r *rand.Rand, i int) client {
	c := client{
		ip:         [4]byte{10, 1, byte(i / 250), byte(i%250 + 1)},
		ua:         userAgents[r.IntN(len(userAgents))],
		acceptGzip: r.IntN(10) < 8,
		nextPort:   uint16(32768 + r.IntN(28000)),
	}
	c.mac = [6]byte{0x02, 0x00, c.ip[0], c.ip[1], c.ip[2], c.ip[3]}
	if r.IntN(10) < 9 {
		var sig [32]byte
		for j := range sig {
			sig[j] = byte(r.Uint32())
		}
		iat := 1709290000 + r.IntN(100000)
		payload := `{"sub":"user-` + strconv.Itoa(1000+r.IntN(90000)) + `","iss":"https://auth.example","scope":"read write","iat":` +
			strconv.Itoa(iat) + `,"exp":` + strconv.Itoa(iat+3600) + `}`
		c.token = "Bearer " + b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
			b64.EncodeToString([]byte(payload)) + "." + b64.EncodeToString(sig[:])
	}
	return c
}

func newService(r *rand.Rand, i int, s Service) service {
	if s.Port == 0 {
		s.Port = 80
	}
	sv := service{
		Service:    s,
		hostHeader: s.Host,
		ip:         [4]byte{10, 0, byte(i / 200), byte(10 + i%200)},
		server:     serverNames[r.IntN(len(serverNames))],
	}
	if s.Port != 80 {
		sv.hostHeader += ":" + strconv.Itoa(int(s.Port))
	}
	sv.mac = [6]byte{0x02, 0x01, sv.ip[0], sv.ip[1], sv.ip[2], sv.ip[3]}
	for j, t := range routeTemplates {
		if (i+j)%4 != 3 {
			sv.routes = append(sv.routes, route{kind: t.kind, object: t.object, tokens: parseRoute(s.Prefix, t.path)})
		}
	}
	return sv
}

// content builds HTTP messages. It owns the scratch buffers and the gzip
// writer so that building allocates nothing once they have grown.
type content struct {
	r       *rand.Rand
	cfg     *Config
	body    []byte // uncompressed JSON
	gzBuf   bytes.Buffer
	gz      *gzip.Writer
	dateSec int64
	date    []byte
}

func newContent(r *rand.Rand, cfg *Config) *content {
	c := &content{r: r, cfg: cfg}
	c.gz, _ = gzip.NewWriterLevel(&c.gzBuf, gzip.BestSpeed)
	return c
}

// logUniform returns a value between lo and hi whose logarithm is uniform.
func LogUniform(r *rand.Rand, lo, hi float64) float64 {
	return lo * math.Exp(r.Float64()*math.Log(hi/lo))
}

// AppendHex appends n random lowercase hex digits.
func AppendHex(b []byte, r *rand.Rand, n int) []byte {
	const digits = "0123456789abcdef"
	for n > 0 {
		v := r.Uint64()
		for k := 0; k < 16 && n > 0; k++ {
			b = append(b, digits[v&15])
			v >>= 4
			n--
		}
	}
	return b
}

func appendUUID(b []byte, r *rand.Rand) []byte {
	b = AppendHex(b, r, 8)
	b = append(b, '-')
	b = AppendHex(b, r, 4)
	b = append(b, "-4"...)
	b = AppendHex(b, r, 3)
	b = append(b, '-', "89ab"[r.IntN(4)])
	b = AppendHex(b, r, 3)
	b = append(b, '-')
	return AppendHex(b, r, 12)
}

// appendID appends a resource id: small ids are more common.
func appendID(b []byte, r *rand.Rand) ([]byte, int) {
	id := int(LogUniform(r, 1, 200000))
	return strconv.AppendInt(b, int64(id), 10), id
}

func (c *content) word() string { return Word(c.r) }

// Word returns a random one of the words synth puts in paths and bodies.
func Word(r *rand.Rand) string { return words[r.IntN(len(words))] }

// WordAt returns word h of the same words, counting modulo their number.
func WordAt(h uint64) string { return words[h%uint64(len(words))] }

// request appends a request to b and describes it in m.
func (c *content) request(b []byte, cl *client, sv *service, last bool, m *message) []byte {
	r := c.r
	rt := &sv.routes[r.IntN(len(sv.routes))]
	*m = message{kind: rt.kind, object: rt.object, gzipOK: cl.acceptGzip}
	switch rt.kind {
	case kindItem:
		m.method = methodsItem.pick(r)
	case kindCollection:
		m.method = methodsCollection.pick(r)
	case kindAction:
		m.method = "POST"
	default:
		m.method = "GET"
	}
	b = append(b, m.method...)
	b = append(b, ' ')
	for _, t := range rt.tokens {
		switch t.param {
		case 0:
			b = append(b, t.lit...)
		case 'i':
			b, m.id = appendID(b, r)
		case 'h':
			b = AppendHex(b, r, 24)
		case 'u':
			b = appendUUID(b, r)
		case 'w':
			b = append(b, c.word()...)
		case 'n':
			b = strconv.AppendInt(b, int64(1+r.IntN(40)), 10)
		}
	}
	if rt.kind == kindCollection && m.method == "GET" && r.IntN(3) == 0 {
		b = append(b, "?limit="...)
		b = strconv.AppendInt(b, int64(10*(1+r.IntN(10))), 10)
		b = append(b, "&offset="...)
		b = strconv.AppendInt(b, int64(50*r.IntN(20)), 10)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, sv.hostHeader...)
	b = append(b, "\r\nUser-Agent: "...)
	b = append(b, cl.ua...)
	b = append(b, "\r\nAccept: application/json\r\n"...)
	if cl.acceptGzip {
		b = append(b, "Accept-Encoding: gzip, deflate\r\n"...)
	}
	if cl.token != "" {
		b = append(b, "Authorization: "...)
		b = append(b, cl.token...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "X-Request-Id: "...)
	appendUUID(m.requestID[:0], r)
	b = append(b, m.requestID[:]...)
	b = append(b, "\r\n"...)
	if m.method == "GET" && r.IntN(8) == 0 {
		b = append(b, "If-None-Match: \""...)
		b = AppendHex(b, r, 16)
		b = append(b, "\"\r\n"...)
	}
	if last && r.IntN(3) == 0 {
		m.close = true
		b = append(b, "Connection: close\r\n"...)
	}
	switch m.method {
	case "POST", "PUT", "PATCH":
		c.body = c.jsonBody(c.body[:0], m.object, int(LogUniform(r, 40, 2000)), false)
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(c.body)), 10)
		b = append(b, "\r\n\r\n"...)
		b = append(b, c.body...)
	default:
		b = append(b, "\r\n"...)
	}
	return b
}

// response appends the response to m to b; ts (Unix microseconds) is the
// Date.
func (c *content) response(b []byte, sv *service, m *message, ts int64) []byte {
	r := c.r
	var status int
	switch m.method {
	case "POST":
		status = statusPost.pick(r)
	case "PUT", "PATCH":
		status = statusPut.pick(r)
	case "DELETE":
		status = statusDelete.pick(r)
	default:
		status = statusGet.pick(r)
		if m.kind == kindHealth {
			status = 200
		}
	}
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, statuses[status]...)
	b = append(b, "\r\nDate: "...)
	b = append(b, c.httpDate(ts)...)
	b = append(b, "\r\nServer: "...)
	b = append(b, sv.server...)
	b = append(b, "\r\nX-Request-Id: "...)
	b = append(b, m.requestID[:]...)
	b = append(b, "\r\n"...)
	if m.close {
		b = append(b, "Connection: close\r\n"...)
	}
	if status == 204 || status == 304 {
		if status == 304 {
			b = append(b, "ETag: \""...)
			b = AppendHex(b, r, 16)
			b = append(b, "\"\r\n"...)
		}
		return append(b, "\r\n"...)
	}

	switch {
	case m.kind == kindHealth:
		c.body = append(c.body[:0], `{"status":"ok","checks":{"db":"ok","cache":"ok"}}`...)
	case status >= 400:
		c.body = c.errorBody(c.body[:0], status, m)
	default:
		c.body = c.jsonBody(c.body[:0], m.object, int(LogUniform(r, 100, 8192)), true)
	}
	body := c.body
	b = append(b, "Content-Type: application/json; charset=utf-8\r\n"...)
	if status < 400 && m.method == "GET" {
		if r.IntN(2) == 0 {
			b = append(b, "Cache-Control: private, max-age=60\r\nETag: \""...)
			b = AppendHex(b, r, 16)
			b = append(b, "\"\r\n"...)
		} else {
			b = append(b, "Cache-Control: no-store\r\n"...)
		}
	}
	if m.gzipOK && r.Float64() < c.cfg.GzipShare {
		c.gzBuf.Reset()
		c.gz.Reset(&c.gzBuf)
		c.gz.Write(body) // a bytes.Buffer does not fail
		c.gz.Close()
		body = c.gzBuf.Bytes()
		b = append(b, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"...)
	}
	if r.Float64() < c.cfg.ChunkedShare {
		b = append(b, "Transfer-Encoding: chunked\r\n\r\n"...)
		for len(body) > 0 {
			n := min(len(body), 256+r.IntN(4096))
			b = strconv.AppendInt(b, int64(n), 16)
			b = append(b, "\r\n"...)
			b = append(b, body[:n]...)
			b = append(b, "\r\n"...)
			body = body[n:]
		}
		return append(b, "0\r\n\r\n"...)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

const httpTimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// httpDate formats ts (Unix microseconds), caching the last second.
func (c *content) httpDate(ts int64) []byte {
	if sec := ts / 1e6; sec != c.dateSec || c.date == nil {
		c.dateSec = sec
		c.date = time.Unix(sec, 0).UTC().AppendFormat(c.date[:0], httpTimeFormat)
	}
	return c.date
}

func (c *content) errorBody(b []byte, status int, m *message) []byte {
	b = append(b, `{"error":{"code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"type":"`...)
	b = append(b, errorTypes[status]...)
	b = append(b, `","message":"`...)
	b = append(b, m.object...)
	b = append(b, ' ')
	b = append(b, c.word()...)
	b = append(b, ` request rejected","request_id":"`...)
	b = append(b, m.requestID[:]...)
	return append(b, `"}}`...)
}

// appendTime appends an RFC 3339 time in 2023 or 2024.
func (c *content) appendTime(b []byte) []byte {
	t := time.Unix(1672531200+c.r.Int64N(2*365*86400), 0).UTC()
	return t.AppendFormat(b, time.RFC3339)
}

// jsonBody appends a JSON object of about size bytes describing object.
func (c *content) jsonBody(b []byte, object string, size int, withID bool) []byte {
	r := c.r
	start := len(b)
	b = append(b, '{')
	if withID {
		b = append(b, `"id":`...)
		b = strconv.AppendInt(b, int64(1+r.IntN(500000)), 10)
		b = append(b, ',')
	}
	b = append(b, `"object":"`...)
	b = append(b, object...)
	b = append(b, `","name":"`...)
	b = append(b, c.word()...)
	b = append(b, ' ')
	b = append(b, c.word()...)
	b = append(b, `","email":"`...)
	b = append(b, c.word()...)
	b = strconv.AppendInt(b, int64(r.IntN(1000)), 10)
	b = append(b, `@example.com","status":"`...)
	b = append(b, [...]string{"active", "pending", "shipped", "cancelled", "paid"}[r.IntN(5)]...)
	b = append(b, `","created_at":"`...)
	b = c.appendTime(b)
	b = append(b, `","items":[`...)
	for n := 0; len(b)-start < size-2 || n == 0; n++ {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"sku":"SKU-`...)
		b = strconv.AppendInt(b, int64(10000+r.IntN(90000)), 10)
		b = append(b, `","title":"`...)
		b = append(b, c.word()...)
		b = append(b, ' ')
		b = append(b, c.word()...)
		b = append(b, `","qty":`...)
		b = strconv.AppendInt(b, int64(1+r.IntN(9)), 10)
		b = append(b, `,"price":"`...)
		cents := 99 + r.IntN(50000)
		b = strconv.AppendInt(b, int64(cents/100), 10)
		b = append(b, '.', byte('0'+cents/10%10), byte('0'+cents%10))
		b = append(b, `","currency":"`...)
		b = append(b, [...]string{"EUR", "USD", "GBP"}[r.IntN(3)]...)
		b = append(b, `","updated_at":"`...)
		b = c.appendTime(b)
		b = append(b, `"}`...)
	}
	return append(b, "]}"...)
}
