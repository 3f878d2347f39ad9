package main

import (
	"sync"
	"testing"

	"github.com/apitap/apitap/analyzer/inventory"
	"github.com/apitap/apitap/sensor/http1"
	"github.com/apitap/apitap/sensor/sensortest"
	"github.com/apitap/apitap/storage"
)

// A save that cannot write (a full disk; here a closed store) has already
// marked the endpoints saved; the next save must still write them, or they
// are missing from the state until they change again.
func TestSaveAfterFailedWrite(t *testing.T) {
	dir := t.TempDir()
	st, err := storage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := loadInventory(st, nil, inventory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sensortest.Each(t, demo("mattermost-api-v4.pcap"), func(x *http1.Transaction) { inv.Observe(x) })
	want := len(inv.Endpoints())
	if want == 0 {
		t.Fatal("no endpoints in the demo capture")
	}

	sv := &saver{st: st, lock: new(sync.Mutex), parts: []func(*storage.Batch) error{func(b *storage.Batch) error { return inv.Save(b) }}}
	st.Close()
	if err := sv.save(); err == nil {
		t.Fatal("save to a closed store succeeded")
	}
	if sv.st, err = storage.Open(dir); err != nil {
		t.Fatal(err)
	}
	if err := sv.save(); err != nil {
		t.Fatal(err)
	}
	sv.st.Close()

	st, err = openExistingState(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadInventory(st, nil, inventory.Config{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(again.Endpoints()); got != want {
		t.Errorf("%d endpoints stored after a failed then a good save, want %d", got, want)
	}
}
