package sensor

import (
	"testing"

	"github.com/apitap/apitap/sensor/decap"
	"github.com/apitap/apitap/sensor/flow"
)

// TestSumSourcesBounded: the workers' sources together keep at most 64
// labels; the rest, and each worker's own other, sum under "other"; no byte
// is lost, and a source keeps its label (or other) from one sum to the
// next, so every exported counter only grows.
func TestSumSourcesBounded(t *testing.T) {
	vxlan := func(id int) uint64 { return decap.Tunnel{Kind: decap.KindVXLAN, ID: uint32(id)}.Pack() }
	one := flow.SourceStats{PayloadBytes: 100, RetransBytes: 1, GapBytes: 2, IgnoredBytes: 3, Connections: 1, OneSided: 1}
	// Three workers: 1..40, 21..60 and 41..80 with their own other.
	l := &Live{named: map[uint64]bool{}}
	publish := func(sources ...map[uint64]flow.SourceStats) {
		l.workers = l.workers[:0]
		for _, src := range sources {
			w := &worker{}
			w.snap.Store(&Stats{Flow: flow.Stats{Sources: src}})
			l.workers = append(l.workers, w)
		}
	}
	span := func(from, to int, other uint64) map[uint64]flow.SourceStats {
		m := map[uint64]flow.SourceStats{}
		for id := from; id <= to; id++ {
			m[vxlan(id)] = one
		}
		if other > 0 {
			m[flow.OtherSource] = flow.SourceStats{PayloadBytes: other}
		}
		return m
	}
	publish(span(1, 40, 0), span(21, 60, 0), span(41, 80, 7))

	check := func(wantLabels int, wantPayload uint64) map[string]flow.SourceStats {
		t.Helper()
		got := map[string]flow.SourceStats{}
		var payload uint64
		for _, s := range l.Sources() {
			got[s.Label] = s.SourceStats
			payload += s.PayloadBytes
		}
		if len(got) != wantLabels || payload != wantPayload {
			t.Fatalf("%d labels and %d payload bytes, want %d and %d", len(got), payload, wantLabels, wantPayload)
		}
		return got
	}
	got := check(maxTunnels+1, 120*100+7)
	for id := 1; id <= 64; id++ {
		lbl := tunnelLabel(vxlan(id))
		want := one
		if id > 20 && id <= 40 || id > 40 && id <= 60 {
			want = addSource(one, one) // seen by two workers
		}
		if got[lbl] != want {
			t.Errorf("%s: %+v, want %+v", lbl, got[lbl], want)
		}
	}
	// 61..64 by one worker, 65..80 by one: 16 in other, with the 7.
	if o := got["other"]; o.PayloadBytes != 16*100+7 || o.Connections != 16 {
		t.Errorf("other: %+v", o)
	}

	// A new source that sorts first still goes to other: the labels
	// already given stay.
	publish(span(0, 40, 0), span(21, 60, 0), span(41, 80, 7))
	got = check(maxTunnels+1, 121*100+7)
	if _, ok := got[tunnelLabel(vxlan(0))]; ok {
		t.Error("vxlan=0 took a label after all 64 were given")
	}
	if o := got["other"]; o.Connections != 17 {
		t.Errorf("other: %+v", o)
	}
}
