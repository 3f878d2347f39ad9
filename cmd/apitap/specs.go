package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/analyzer/spec"
	"github.com/apitap/apitap/storage"
)

// specFiles is the repeatable --spec flag: FILE, or HOST=FILE to say which
// service the spec describes.
type specFiles []string

func (s *specFiles) String() string     { return strings.Join(*s, ",") }
func (s *specFiles) Set(v string) error { *s = append(*s, v); return nil }

// errNoOps is the error of a spec without operations.
var errNoOps = errors.New(`no operations (no "paths" with methods): is the file complete?`)

// load reads every spec; errors name the file (and line).
func (s specFiles) load() (*spec.Index, error) {
	if len(s) == 0 {
		return nil, nil
	}
	var specs []*spec.Spec
	for _, v := range s {
		var sp *spec.Spec
		var err error
		if host, file, ok := strings.Cut(v, "="); ok && !strings.ContainsAny(host, "/\\") {
			sp, err = spec.LoadFor(host, file)
		} else {
			sp, err = spec.Load(v)
		}
		if err != nil {
			return nil, err
		}
		// A file cut short can still be valid YAML (cut inside a block
		// scalar, before "paths:"): it would document nothing and every
		// endpoint would silently read as shadow.
		if len(sp.Ops) == 0 {
			return nil, &spec.LoadError{File: sp.File, Err: errNoOps}
		}
		specs = append(specs, sp)
	}
	return spec.NewIndex(specs...), nil
}

// matcherOf is the inventory's Matcher for idx: nil (no interface holding
// a nil index) without specs.
func matcherOf(idx *spec.Index) inventory.Matcher {
	if idx == nil {
		return nil
	}
	return idx
}

// loadInventory makes the inventory with cfg's limits and idx's templates
// and loads the one stored in st; st nil: an empty inventory.
func loadInventory(st *storage.Store, idx *spec.Index, cfg inventory.Config) (*inventory.Inventory, error) {
	cfg.Specs = matcherOf(idx)
	inv := inventory.New(cfg)
	if st == nil {
		return inv, nil
	}
	if err := inv.Load(st); err != nil {
		return nil, fmt.Errorf("load inventory from %s: %w", filepath.Dir(st.Path()), err)
	}
	return inv, nil
}

// errNoStore is openExistingState's error for a directory without a store.
var errNoStore = errors.New("no store")

// openExistingState opens the store in dir, which must already hold one:
// the commands that only report never create a store, since a mistyped DIR
// would read as an empty one.
func openExistingState(dir string) (*storage.Store, error) {
	if _, err := os.Stat(filepath.Join(dir, storage.FileName)); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", errNoStore, dir)
	}
	return storage.Open(dir)
}

// saver writes the analysers' changes to the store. Each part marks what
// it encodes as saved, so a batch whose write failed is kept and written
// again with the next changes: a full disk delays the state, never drops
// part of it.
type saver struct {
	st      *storage.Store
	lock    sync.Locker // held while the parts encode, not while the batch is written
	parts   []func(*storage.Batch) error
	pending storage.Batch
}

func (s *saver) save() error {
	s.lock.Lock()
	var err error
	for _, p := range s.parts {
		if err = p(&s.pending); err != nil {
			break
		}
	}
	s.lock.Unlock()
	if err != nil {
		return err
	}
	return s.st.Write(&s.pending)
}
