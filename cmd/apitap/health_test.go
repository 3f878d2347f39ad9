package main

import (
	"slices"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/apitap/apitap/sensor"
	"github.com/apitap/apitap/sensor/flow"
)

// TestCheckMirror: each health check judges each mirror source on what it
// saw since the previous check.
func TestCheckMirror(t *testing.T) {
	const mb = 1 << 20
	src := func(label string, s flow.SourceStats) sensor.Source {
		return sensor.Source{Label: label, SourceStats: s}
	}
	healthy := flow.SourceStats{PayloadBytes: 10 * mb, RetransBytes: mb / 100, GapBytes: mb / 1000, Connections: 100, OneSided: 2}

	for _, tc := range []struct {
		name  string
		first []sensor.Source // the first check
		then  []sensor.Source // the second, whose warnings are checked
		trunc [2]uint64       // frames cut, at each check
		want  []string        // "message source", in order
	}{{
		name:  "healthy",
		first: []sensor.Source{src("none", healthy)},
		then:  []sensor.Source{src("none", addStats(healthy, healthy))},
	}, {
		name:  "one source loses data, the other is fine",
		first: []sensor.Source{src("vxlan=1", healthy), src("vxlan=2", healthy)},
		then: []sensor.Source{
			src("vxlan=1", addStats(healthy, healthy)),
			src("vxlan=2", addStats(healthy, flow.SourceStats{PayloadBytes: 2 * mb, GapBytes: mb / 10})),
		},
		want: []string{"mirror loses data: over 1% of the bytes are missing vxlan=2"},
	}, {
		name: "losses long ago are not reported again",
		first: []sensor.Source{
			src("vxlan=1", flow.SourceStats{PayloadBytes: 10 * mb, GapBytes: 5 * mb, RetransBytes: 5 * mb, Connections: 100, OneSided: 90}),
		},
		then: []sensor.Source{
			src("vxlan=1", addStats(flow.SourceStats{PayloadBytes: 10 * mb, GapBytes: 5 * mb, RetransBytes: 5 * mb, Connections: 100, OneSided: 90}, healthy)),
		},
	}, {
		name:  "retransmissions and one-sided connections",
		first: []sensor.Source{src("vlan=7", healthy)},
		then: []sensor.Source{
			src("vlan=7", addStats(healthy, flow.SourceStats{PayloadBytes: 4 * mb, RetransBytes: mb, Connections: 30, OneSided: 16})),
		},
		want: []string{
			"mirror repeats data: over 5% of the bytes were seen again (retransmitted, or mirrored twice) vlan=7",
			"mirror is one-sided: most connections show one direction only vlan=7",
		},
	}, {
		name:  "too little traffic to judge",
		first: []sensor.Source{src("none", healthy)},
		then: []sensor.Source{
			src("none", addStats(healthy, flow.SourceStats{PayloadBytes: mb / 2, GapBytes: mb / 4, Connections: 19, OneSided: 19})),
		},
	}, {
		name:  "bytes the parser ignored are left out of the ratios",
		first: []sensor.Source{src("none", healthy)},
		then: []sensor.Source{
			// 1% of 100 MiB is missing, but 99 MiB were never
			// reassembled: 1 MiB of the 1 reassembled.
			src("none", addStats(healthy, flow.SourceStats{PayloadBytes: 100 * mb, IgnoredBytes: 99 * mb, GapBytes: mb})),
		},
		want: []string{"mirror loses data: over 1% of the bytes are missing none"},
	}, {
		name:  "a new source is judged on all it saw",
		first: []sensor.Source{src("none", healthy)},
		then:  []sensor.Source{src("none", healthy), src("other", flow.SourceStats{Connections: 40, OneSided: 40})},
		want:  []string{"mirror is one-sided: most connections show one direction only other"},
	}, {
		name:  "frames cut by the snap length since the last check",
		trunc: [2]uint64{5, 7},
		want:  []string{"frames cut by the snap length "},
	}, {
		name:  "no frames cut since the last check",
		trunc: [2]uint64{5, 5},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			log := zap.New(core)
			var last mirrorCounts
			checkMirror(log, tc.first, tc.trunc[0], &last)
			logs.TakeAll()
			checkMirror(log, tc.then, tc.trunc[1], &last)
			var got []string
			for _, e := range logs.TakeAll() {
				source, _ := e.ContextMap()["source"].(string)
				got = append(got, e.Message+" "+source)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func addStats(a, b flow.SourceStats) flow.SourceStats {
	a.PayloadBytes += b.PayloadBytes
	a.RetransBytes += b.RetransBytes
	a.GapBytes += b.GapBytes
	a.IgnoredBytes += b.IgnoredBytes
	a.Connections += b.Connections
	a.OneSided += b.OneSided
	return a
}
