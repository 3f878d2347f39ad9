package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the database file inside the state directory.
const FileName = "apitap.db"

// Store is an open state directory.
type Store struct {
	db *bolt.DB
}

// Open opens (creating when needed) the store in dir. The directory is made
// private (0700): the state describes the monitored network.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open state %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open state %s: in use by another apitap process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the database file.
func (s *Store) Path() string { return s.db.Path() }

// Batch collects changes to write in one transaction.
type Batch struct {
	ops []op
}

type op struct {
	bucket, key string
	value       []byte // nil: delete
}

// Put stores value under bucket/key. The batch keeps value as given.
func (b *Batch) Put(bucket, key string, value []byte) {
	b.ops = append(b.ops, op{bucket, key, value})
}

// Delete removes bucket/key.
func (b *Batch) Delete(bucket, key string) { b.ops = append(b.ops, op{bucket: bucket, key: key}) }

// Write applies the batch in one transaction: all of it or nothing. A
// batch that committed is emptied; one that did not (a full disk) is kept
// whole, so a caller that appends its next changes to the same batch and
// writes again loses nothing (later puts of a key win).
func (s *Store) Write(b *Batch) error {
	if len(b.ops) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, o := range b.ops {
			bk, err := tx.CreateBucketIfNotExists([]byte(o.bucket))
			if err != nil {
				return err
			}
			if o.value == nil {
				err = bk.Delete([]byte(o.key))
			} else {
				err = bk.Put([]byte(o.key), o.value)
			}
			if err != nil {
				return fmt.Errorf("%s/%q: %w", o.bucket, o.key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	b.ops = b.ops[:0]
	return nil
}

// ForEach calls fn for every key of bucket, in key order. A missing bucket
// has no keys.
func (s *Store) ForEach(bucket string, fn func(key, value []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(bucket))
		if bk == nil {
			return nil
		}
		return bk.ForEach(fn)
	})
}

// ForEachFrom calls fn for every key of bucket at or after start, in key
// order: a listing of time-ordered keys since some time seeks to it rather
// than reading the bucket from its first key. A missing bucket has no keys.
func (s *Store) ForEachFrom(bucket, start string, fn func(key, value []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(bucket))
		if bk == nil {
			return nil
		}
		c := bk.Cursor()
		for k, v := c.Seek([]byte(start)); k != nil; k, v = c.Next() {
			if err := fn(k, v); err != nil {
				return err
			}
		}
		return nil
	})
}
