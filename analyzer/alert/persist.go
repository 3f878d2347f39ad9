package alert

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// BucketAlerts is the storage bucket of alerts. Its keys are the alert's
// First as big-endian nanoseconds (sign bit flipped, so earlier sorts
// first) followed by its ID: keys sort by time, and a --since listing
// starts at a seek instead of reading the whole history. Values are the
// Alert as JSON.
const BucketAlerts = "alerts"

// Writer receives changed records (storage.Batch implements it).
type Writer interface {
	Put(bucket, key string, value []byte)
	Delete(bucket, key string)
}

// Reader lists stored records (storage.Store implements it).
type Reader interface {
	ForEach(bucket string, fn func(key, value []byte) error) error
}

// seeker is a Reader that can start at a key (storage.Store is one); Load
// uses it when it can and reads the whole bucket when it cannot.
type seeker interface {
	ForEachFrom(bucket, start string, fn func(key, value []byte) error) error
}

// timeKey is the key prefix of alerts first seen at t.
func timeKey(t time.Time) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano())^1<<63)
	return string(b[:])
}

func storeKey(a *Alert) string { return timeKey(a.First) + a.ID }

// Save writes the alerts opened, updated or closed since the last Save.
// What it encodes counts as saved: a caller whose write fails keeps the
// batch and writes it with the next one (storage.Batch allows that).
func (m *Manager) Save(w Writer) error {
	for _, e := range m.open {
		if !e.dirty {
			continue
		}
		if err := put(w, &e.a); err != nil {
			return err
		}
		e.dirty = false
	}
	for i, a := range m.closed {
		if err := put(w, a); err != nil {
			m.closed = m.closed[i:]
			return err
		}
	}
	m.closed = nil
	return nil
}

func put(w Writer, a *Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("alert %s: %w", a.ID, err)
	}
	w.Put(BucketAlerts, storeKey(a), b)
	return nil
}

// Load returns the stored alerts first seen at or after since (all of them
// for the zero time), oldest first.
func Load(r Reader, since time.Time) ([]Alert, error) {
	var out []Alert
	start := ""
	if !since.IsZero() {
		start = timeKey(since)
	}
	fn := func(k, v []byte) error {
		if string(k) < start {
			return nil
		}
		var a Alert
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("stored alert %x: %w", k, err)
		}
		out = append(out, a)
		return nil
	}
	var err error
	if s, ok := r.(seeker); ok && start != "" {
		err = s.ForEachFrom(BucketAlerts, start, fn)
	} else {
		err = r.ForEach(BucketAlerts, fn)
	}
	return out, err
}

// closedJSON marks a stored alert Restore can skip without decoding it:
// encoding/json writes the State field exactly so.
var closedJSON = []byte(`"state":"closed"`)

// Restore reloads the alerts left open in the store, so a finding after a
// restart updates the alert it belongs to instead of opening a second one.
// Call it on a new Manager, before the first Raise. A restored alert's
// last event counts as sent at its Last: its next update waits for
// UpdateEvery from there. Past MaxOpen, the alerts first seen last are
// left stored as they are.
func (m *Manager) Restore(r Reader) error {
	return r.ForEach(BucketAlerts, func(k, v []byte) error {
		if bytes.Contains(v, closedJSON) {
			return nil
		}
		var a Alert
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("stored alert %x: %w", k, err)
		}
		if a.State == Closed {
			return nil
		}
		key := a.Key()
		old := m.open[key]
		if old == nil && len(m.open) >= m.cfg.MaxOpen {
			return nil
		}
		if old != nil {
			// Two open alerts for one key (a store written by two
			// processes in turn): the later lives on, the earlier is
			// closed in the store at its own quiet time.
			if a.Last.Before(old.a.Last) {
				a, old.a = old.a, a
			}
			c := old.a
			c.State, c.Closed = Closed, c.Last.Add(m.cfg.CloseAfter)
			m.closed = append(m.closed, &c)
		}
		m.open[key] = &entry{a: a, sent: a.Last}
		m.deadline(a.Last.Add(m.cfg.CloseAfter))
		return nil
	})
}
