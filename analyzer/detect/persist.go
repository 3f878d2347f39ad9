package detect

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/apitap/apitap/analyzer/baseline"
)

// Buckets of the detectors' state in the store.
const (
	BucketBaselines = "baselines"
	BucketServices  = "baseline_services"
)

// Writer receives changed records (storage.Batch implements it).
type Writer interface {
	Put(bucket, key string, value []byte)
}

// Reader lists stored records (storage.Store implements it).
type Reader interface {
	ForEach(bucket string, fn func(key, value []byte) error) error
}

// serviceRecord is a service's state as stored.
type serviceRecord struct {
	First time.Time       `json:"first"`
	Known *bloom          `json:"known"`
	New   baseline.Counts `json:"new_clients"`
}

// Save writes the baselines changed since the last Save.
func (d *Detector) Save(w Writer) error {
	put := func(bucket, key string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s %q: %w", bucket, key, err)
		}
		w.Put(bucket, key, b)
		return nil
	}
	for _, ep := range d.eps {
		if !ep.dirty {
			continue
		}
		if err := put(BucketBaselines, seriesKey(ep.s.Service, ep.s.Method, ep.s.Route), ep.s); err != nil {
			return err
		}
		ep.dirty = false
	}
	for _, s := range d.evicted {
		if err := put(BucketBaselines, seriesKey(s.Service, s.Method, s.Route), s); err != nil {
			return err
		}
	}
	d.evicted = d.evicted[:0]
	for name, s := range d.svcs {
		if !s.dirty {
			continue
		}
		if err := put(BucketServices, name, serviceRecord{First: s.first, Known: s.known, New: s.newBin}); err != nil {
			return err
		}
		s.dirty = false
	}
	return nil
}

// Load reads stored baselines: an endpoint takes its baseline back when
// it is next seen, so learning continues across restarts.
func (d *Detector) Load(r Reader) error {
	err := r.ForEach(BucketBaselines, func(k, v []byte) error {
		s := new(Series)
		if err := json.Unmarshal(v, s); err != nil {
			return fmt.Errorf("baseline %q: %w", k, err)
		}
		d.series[string(k)] = s
		return nil
	})
	if err != nil {
		return err
	}
	return r.ForEach(BucketServices, func(k, v []byte) error {
		var rec serviceRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("service baseline %q: %w", k, err)
		}
		if rec.Known == nil || len(rec.Known.Bits) != bloomWords {
			rec.Known = newBloom()
		}
		d.svcs[string(k)] = &service{first: rec.First, known: rec.Known, newBin: rec.New}
		return nil
	})
}
