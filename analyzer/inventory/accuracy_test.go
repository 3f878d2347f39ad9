package inventory_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/spec"
	"github.com/apitap/apitap/sensor/http1"
)

// The specs of ../shared/corpus/openapi whose templates the inventory must
// learn from traffic alone.
var accuracySpecs = []string{
	"crapi/crapi-openapi-spec.json",
	"vampi/openapi3.yml",
	"dvapi/DVAPI.postman_collection.yaml",
	"swagger-petstore/openapi.yaml",
	"oai-examples/petstore.yaml",
	"oai-examples/petstore-expanded.yaml",
	"juice-shop/swagger.yml",
	"docker/v1.41.yaml",
	"elasticsearch/elasticsearch-serverless-openapi.json",
}

// valueGen makes realistic values for a path parameter: ids of the kind
// its name and type suggest, or words (names, titles, index names) drawn
// from a large pool.
type valueGen struct {
	rng   *rand.Rand
	words []string
}

func newValueGen(seed uint64) *valueGen {
	g := &valueGen{rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	first := []string{"mira", "otto", "lena", "kofi", "sana", "ivan", "noor", "tariq", "elin", "ravi", "yuki", "ada", "bruno", "chen", "dara", "emil"}
	last := []string{"lopez", "berg", "okafor", "silva", "novak", "haddad", "kim", "moreau", "fischer", "rossi", "tanaka", "walsh"}
	for _, f := range first {
		for _, l := range last {
			g.words = append(g.words, f+"-"+l, f+l, l+"_"+f)
		}
	}
	return g
}

func (g *valueGen) value(name, typ string) string {
	n := strings.ToLower(name)
	switch {
	case typ == "integer" || typ == "number" || strings.HasSuffix(n, "id") && g.rng.IntN(2) == 0:
		return fmt.Sprint(1 + g.rng.IntN(1_000_000))
	case strings.Contains(n, "uuid") || strings.HasSuffix(n, "id"):
		return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", g.rng.Uint32(), g.rng.IntN(1<<16), g.rng.IntN(1<<12), g.rng.IntN(1<<12), g.rng.Uint64()>>16)
	case strings.Contains(n, "hash") || strings.Contains(n, "digest") || strings.Contains(n, "sha"):
		return fmt.Sprintf("%016x%016x", g.rng.Uint64(), g.rng.Uint64())
	default:
		return g.words[g.rng.IntN(len(g.words))]
	}
}

// instantiate fills every parameter of a template; a segment mixing text
// and parameters keeps its text.
func (g *valueGen) instantiate(tmpl string, params []spec.Param) string {
	types := map[string]string{}
	for _, p := range params {
		if p.In == "path" {
			types[p.Name] = p.Type
		}
	}
	var b strings.Builder
	for len(tmpl) > 0 {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+1 : i+j]
		b.WriteString(g.value(name, types[name]))
		tmpl = tmpl[i+j+1:]
	}
	return b.String()
}

// normalize writes every segment holding a parameter as "{}", and drops a
// trailing slash (servers route "/a/" and "/a" alike; the inventory too).
func normalize(tmpl string) string {
	if len(tmpl) > 1 {
		tmpl = strings.TrimSuffix(tmpl, "/")
	}
	segs := strings.Split(tmpl, "/")
	for i, s := range segs {
		if strings.ContainsRune(s, '{') {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

// TestTemplatingAccuracy learns each spec's templates from generated
// traffic without the spec, and measures precision and recall of the
// learned (method, template) pairs against the spec's.
func TestTemplatingAccuracy(t *testing.T) {
	var sumTP, sumLearned, sumSpec int
	for si, name := range accuracySpecs {
		sp, err := spec.Load(filepath.Join("..", "..", "..", "shared", "corpus", "openapi", name))
		if err != nil {
			t.Fatal(err)
		}
		base := ""
		if len(sp.Servers) > 0 {
			base = sp.Servers[0].BasePath
		}
		g := newValueGen(uint64(si + 1))
		want := map[string]bool{}
		type req struct{ method, path string }
		var reqs []req
		for _, op := range sp.Ops {
			tmpl := base + op.Path
			want[op.Method+" "+normalize(tmpl)] = true
			// Each operation is called as often as real clients would
			// call one: 20 to 60 times, with fresh values.
			for range 20 + g.rng.IntN(41) {
				reqs = append(reqs, req{op.Method, g.instantiate(tmpl, op.Params)})
			}
		}
		g.rng.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
		inv := inventory.New(inventory.Config{})
		for i, r := range reqs {
			tx := &http1.Transaction{Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}), 1024),
				Server: netip.MustParseAddrPort("192.0.2.10:80")}
			tx.Request.Method, tx.Request.Target, tx.Request.Host = r.method, r.path, "svc"
			tx.Request.Start = time.Unix(int64(i), 0)
			tx.Response.Status = 200
			inv.Observe(tx)
		}
		learned := map[string]bool{}
		for _, e := range inv.Endpoints() {
			learned[e.Method+" "+normalize(e.Template)] = true
		}
		var tp int
		var missing, extra []string
		for k := range want {
			if learned[k] {
				tp++
			} else {
				missing = append(missing, k)
			}
		}
		for k := range learned {
			if !want[k] {
				extra = append(extra, k)
			}
		}
		slices.Sort(missing)
		slices.Sort(extra)
		sumTP, sumLearned, sumSpec = sumTP+tp, sumLearned+len(learned), sumSpec+len(want)
		t.Logf("%-52s %4d ops, %5d requests: precision %5.1f%%, recall %5.1f%%", name, len(want), len(reqs),
			100*float64(tp)/float64(len(learned)), 100*float64(tp)/float64(len(want)))
		for _, m := range missing[:min(len(missing), 40)] {
			t.Logf("    missed  %s", m)
		}
		for _, x := range extra[:min(len(extra), 40)] {
			t.Logf("    learned %s", x)
		}
	}
	precision, recall := float64(sumTP)/float64(sumLearned), float64(sumTP)/float64(sumSpec)
	t.Logf("all specs: precision %.1f%%, recall %.1f%% (%d of %d templates)", 100*precision, 100*recall, sumTP, sumSpec)
	if precision < 0.95 || recall < 0.95 {
		t.Errorf("precision %.1f%%, recall %.1f%%: want at least 95%% each", 100*precision, 100*recall)
	}
}
