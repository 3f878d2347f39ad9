package storage

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

func TestBatchRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	b.Put("a", "k1", []byte("v1"))
	b.Put("a", "k2", []byte("v2"))
	b.Put("b", "x", []byte("y"))
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	b.Delete("a", "k1")
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string]string{}
	for _, bk := range []string{"a", "b", "missing"} {
		s.ForEach(bk, func(k, v []byte) error {
			got[bk+"/"+string(k)] = string(v)
			return nil
		})
	}
	if fmt.Sprint(got) != "map[a/k2:v2 b/x:y]" {
		t.Errorf("store holds %v", got)
	}
	if _, err := Open(dir); err == nil {
		t.Error("a second Open of the same state succeeded; want 'in use'")
	}
}

// TestKillDuringWrites kills a writing process with SIGKILL and checks the
// store opens with every batch the process reported written, and nothing
// half-written.
func TestKillDuringWrites(t *testing.T) {
	if dir := os.Getenv("APITAP_STORAGE_WRITER"); dir != "" {
		writer(dir) // the child
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringWrites$")
	cmd.Env = append(os.Environ(), "APITAP_STORAGE_WRITER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	done := -1
	for sc.Scan() {
		if n, err := strconv.Atoi(sc.Text()); err == nil {
			done = n
			if n >= 40 {
				break
			}
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if done < 40 {
		t.Fatalf("writer reported %d batches", done)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer s.Close()
	batches := map[int]int{}
	err = s.ForEach("data", func(k, v []byte) error {
		var b, i int
		fmt.Sscanf(string(k), "%d/%d", &b, &i)
		batches[b]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b <= done; b++ {
		if batches[b] != 100 {
			t.Errorf("batch %d reported written has %d of 100 records", b, batches[b])
		}
	}
	for b, n := range batches {
		if n != 100 {
			t.Errorf("batch %d is half written: %d records", b, n)
		}
	}
	t.Logf("killed after %d batches reported; store holds %d whole batches", done+1, len(batches))
}

// writer writes batches of 100 records forever, printing each batch number
// once it is written.
func writer(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var b Batch
	for n := 0; ; n++ {
		for i := range 100 {
			b.Put("data", fmt.Sprintf("%06d/%03d", n, i), make([]byte, 512))
		}
		if err := s.Write(&b); err != nil {
			fmt.Println("write:", err)
			os.Exit(1)
		}
		fmt.Println(n)
	}
}

// A write that fails leaves the batch whole: written again, with more
// appended, to a store that works, nothing of it is lost.
func TestFailedWriteKeepsBatch(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // every write now fails
	var b Batch
	b.Put("a", "k1", []byte("old"))
	if err := s.Write(&b); err == nil {
		t.Fatal("write to a closed store succeeded")
	}
	b.Put("a", "k1", []byte("new"))
	b.Put("a", "k2", []byte("v2"))
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	if len(b.ops) != 0 {
		t.Errorf("%d operations left in the batch after it committed", len(b.ops))
	}
	got := map[string]string{}
	s.ForEach("a", func(k, v []byte) error { got[string(k)] = string(v); return nil })
	if fmt.Sprint(got) != "map[k1:new k2:v2]" {
		t.Errorf("stored %v, want k1:new k2:v2", got)
	}
}

func TestForEachFrom(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b Batch
	for _, k := range []string{"a", "b", "c", "d"} {
		b.Put("x", k, []byte(k))
	}
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ bucket, start, want string }{
		{"x", "", "abcd"}, {"x", "b", "bcd"}, {"x", "bb", "cd"}, {"x", "e", ""}, {"missing", "a", ""},
	} {
		var got string
		err := s.ForEachFrom(c.bucket, c.start, func(k, v []byte) error {
			got += string(k)
			return nil
		})
		if err != nil || got != c.want {
			t.Errorf("ForEachFrom(%q, %q) = %q, %v; want %q", c.bucket, c.start, got, err, c.want)
		}
	}
}
