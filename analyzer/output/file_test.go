package output

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// fileTestRecords makes n JSON records numbered from seq, each about
// size bytes, with characters a line-based reader could trip on.
func fileTestRecords(seq, n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		b, _ := json.Marshal(map[string]any{
			"seq": seq + i,
			"msg": "caf\u00e9 \"quoted\" back\\slash \u2028 tab\t",
			"pad": strings.Repeat("x", size),
		})
		out[i] = b
	}
	return out
}

// fileTestFiles returns what a tailer would read: the rotated files in
// the order of their names (their rotation times), decompressed, then
// the current file; with each file's name.
func fileTestFiles(t *testing.T, path string) (names []string, contents [][]byte) {
	t.Helper()
	dir, base := filepath.Dir(path), filepath.Base(path)
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext)
	backup := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) +
		`-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}` + regexp.QuoteMeta(ext) + `(\.gz)?$`)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch {
		case e.Name() == base:
		case backup.MatchString(e.Name()):
			names = append(names, e.Name())
		default:
			t.Errorf("unexpected file %q next to %q", e.Name(), base)
		}
	}
	sort.Strings(names)
	names = append(names, base)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(n, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", n, err)
			}
		}
		contents = append(contents, b)
	}
	return names, contents
}

// fileTestCheck checks that the files hold records 0..want-1 in order,
// whole lines only, and returns the first seq of each file.
func fileTestCheck(t *testing.T, names []string, contents [][]byte, want int) []int {
	t.Helper()
	next := 0
	var firsts []int
	for i, b := range contents {
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s does not end with a newline: a record is split", names[i])
		}
		first := -1
		for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var r struct{ Seq int }
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatalf("%s: %v in %.80q", names[i], err, line)
			}
			if r.Seq != next {
				t.Fatalf("%s: record %d, want %d", names[i], r.Seq, next)
			}
			if first < 0 {
				first = r.Seq
			}
			next++
		}
		firsts = append(firsts, first)
	}
	if next != want {
		t.Errorf("read %d records, want %d", next, want)
	}
	return firsts
}

func TestFileRotateBySize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log", "alerts.jsonl")
	f, err := NewFile(FileConfig{Path: path, MaxSizeMB: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	const batch, batches = 150, 45 // 100 KB a batch, 4.3 MiB in all
	for i := range batches {
		if err := f.Send(context.Background(), fileTestRecords(i*batch, batch, 600)); err != nil {
			t.Fatal(err)
		}
	}
	names, contents := fileTestFiles(t, path)
	if len(names) < 4 {
		t.Fatalf("files %q: want at least 3 rotations", names)
	}
	for i, b := range contents {
		if len(b) >= 1<<20 {
			t.Errorf("%s: %d bytes, over 1 MB", names[i], len(b))
		}
	}
	for i, first := range fileTestCheck(t, names, contents, batch*batches) {
		if first%batch != 0 {
			t.Errorf("%s starts at record %d: a batch is split across files", names[i], first)
		}
	}
}

func TestFileRotateByAge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	const age = 200 * time.Millisecond
	f, err := NewFile(FileConfig{Path: path, MaxAge: age})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	send := func(seq, n int) {
		t.Helper()
		if err := f.Send(context.Background(), fileTestRecords(seq, n, 10)); err != nil {
			t.Fatal(err)
		}
	}
	send(0, 3) // file 1
	send(3, 2) // file 1: younger than age
	time.Sleep(age + 20*time.Millisecond)
	send(5, 4) // file 2
	time.Sleep(age + 20*time.Millisecond)
	send(9, 1) // file 3
	send(10, 0)

	names, contents := fileTestFiles(t, path)
	firsts := fileTestCheck(t, names, contents, 10)
	if fmt.Sprint(firsts) != "[0 5 9]" {
		t.Errorf("files %q start at records %v, want [0 5 9]", names, firsts)
	}
}

func TestFileBatchLargerThanFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	f, err := NewFile(FileConfig{Path: path, MaxSizeMB: 1, MaxBackups: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	// 2.5 MB in one batch: written record by record over three files.
	if err := f.Send(context.Background(), fileTestRecords(0, 2500, 1000)); err != nil {
		t.Fatal(err)
	}
	names, contents := fileTestFiles(t, path)
	fileTestCheck(t, names, contents, 2500)
	if len(names) != 3 {
		t.Errorf("files %q, want 3", names)
	}
	big := [][]byte{bytes.Repeat([]byte("y"), 1<<20)}
	if err := f.Send(context.Background(), big); err == nil {
		t.Error("a record larger than a file was accepted")
	}
}

func TestFileReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	for i := range 3 {
		f, err := NewFile(FileConfig{Path: path, MaxAge: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Send(context.Background(), fileTestRecords(i*2, 2, 10)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Send(context.Background(), fileTestRecords(99, 1, 10)); err == nil {
			t.Fatal("Send after Close succeeded")
		}
	}
	names, contents := fileTestFiles(t, path)
	fileTestCheck(t, names, contents, 6)
	if len(names) != 1 {
		t.Errorf("files %q, want one", names)
	}
}

func TestFileCompress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	f, err := NewFile(FileConfig{Path: path, MaxSizeMB: 1, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	for i := range 20 {
		if err := f.Send(context.Background(), fileTestRecords(i*100, 100, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	// Compression runs in lumberjack's goroutine, which removes a
	// rotated file once its .gz is complete: wait for that.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ents, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		plain, gz := 0, 0
		for _, e := range ents {
			switch {
			case strings.HasSuffix(e.Name(), ".gz"):
				gz++
			case e.Name() != filepath.Base(path):
				plain++
			}
		}
		if plain == 0 && gz > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rotated files, %d compressed", plain+gz, gz)
		}
		time.Sleep(50 * time.Millisecond)
	}
	names, contents := fileTestFiles(t, path)
	fileTestCheck(t, names, contents, 2000)
}

func TestFileConfigValidate(t *testing.T) {
	for _, c := range []FileConfig{
		{},
		{Path: "x", MaxSizeMB: -1},
		{Path: "x", MaxAge: -time.Second},
		{Path: "x", MaxBackups: -1},
	} {
		if _, err := NewFile(c); err == nil {
			t.Errorf("NewFile(%+v) accepted", c)
		}
	}
}

func ExampleFile() {
	dir, _ := os.MkdirTemp("", "apitap")
	defer os.RemoveAll(dir)
	f, err := NewFile(FileConfig{
		Path:       filepath.Join(dir, "alerts.jsonl"),
		MaxSizeMB:  100,
		MaxAge:     24 * time.Hour,
		MaxBackups: 7,
		Compress:   true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	err = f.Send(context.Background(), [][]byte{[]byte(`{"alert":"sqli"}`)})
	b, _ := os.ReadFile(filepath.Join(dir, "alerts.jsonl"))
	fmt.Printf("%v %q\n", err, b)
	// Output: <nil> "{\"alert\":\"sqli\"}\n"
}
