package capture_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/apitap/apitap/sensor/capture"
)

// The compiled filters run in golang.org/x/net/bpf's VM against real
// frames, accepting and rejecting what tcpdump's would.
func TestCompileFilter(t *testing.T) {
	frames, err := readFile(t, filepath.Join(corpus, "zeek/http/get-gzip.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 14 {
		t.Fatalf("read %d frames, want 14", len(frames))
	}
	for _, tc := range []struct {
		expr string
		want int // frames accepted of the capture's 14 (all TCP port 80)
	}{
		{"tcp", 14}, {"tcp port 80", 14}, {"port 80", 14}, {"udp", 0}, {"tcp port 8080", 0}, {"host 54.243.118.187", 14},
	} {
		raw, err := capture.CompileFilter(tc.expr)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		ins, _ := bpf.Disassemble(raw)
		vm, err := bpf.NewVM(ins)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		n := 0
		for _, fr := range frames {
			if k, _ := vm.Run(fr.data); k > 0 {
				n++
			}
		}
		if n != tc.want {
			t.Errorf("%q accepts %d of %d frames, want %d", tc.expr, n, len(frames), tc.want)
		}
	}
	if _, err := capture.CompileFilter("nonsense words"); err == nil {
		t.Error(`"nonsense words" compiled`)
	}
}
