package sensor

import (
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// TestRingBacklog drives the backlog measurement with made-up capture
// times around the tick at t0.
func TestRingBacklog(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	const ms = time.Millisecond
	// An Ethernet frame of n bytes takes 82+n bytes of the ring, rounded
	// up to 8: after the 68 bytes of tpacket3_hdr and sockaddr_ll, the
	// network header is 16-aligned at 96.
	slot := func(n uint64) uint64 { return (82 + n + 7) &^ 7 }

	type event struct {
		what string        // "start", "frame" or "empty" (a capture timeout)
		at   time.Duration // start: t0 plus at; frame: its capture time
		n    int           // frame: its length
	}
	for _, tc := range []struct {
		name   string
		link   layers.LinkType
		events []event
		want   []uint64 // the backlogs reported, in order
	}{{
		name:   "empty ring",
		events: []event{{what: "start"}, {what: "empty"}},
		want:   []uint64{0},
	}, {
		name: "backlog of 3 frames",
		events: []event{{what: "start"},
			{what: "frame", at: -3 * ms, n: 60}, {what: "frame", at: -2 * ms, n: 1514}, {what: "frame", at: -1 * ms, n: 100},
			{what: "frame", at: 1 * ms, n: 60},  // arrived after t0: the end
			{what: "frame", at: -1 * ms, n: 60}, // not measuring any more
		},
		want: []uint64{slot(60) + slot(1514) + slot(100)},
	}, {
		name:   "a frame stamped at t0 was not in the ring yet",
		events: []event{{what: "start"}, {what: "frame", at: 0, n: 1514}},
		want:   []uint64{0},
	}, {
		name: "ended by a timeout",
		events: []event{{what: "start"},
			{what: "frame", at: -5 * ms, n: 1514}, {what: "frame", at: -4 * ms, n: 1514},
			{what: "empty"},
			{what: "empty"}, // still empty
		},
		want: []uint64{2 * slot(1514), 0},
	}, {
		name: "a tick while measuring lets the measurement finish",
		events: []event{{what: "start"},
			{what: "frame", at: -1 * ms, n: 1000},
			{what: "start", at: 250 * ms},
			{what: "frame", at: 100 * ms, n: 1000}, // after the first t0
			{what: "start", at: 500 * ms},
			{what: "frame", at: 400 * ms, n: 1000},
			{what: "frame", at: 600 * ms, n: 1000},
		},
		want: []uint64{slot(1000), slot(1000)},
	}, {
		name:   "bare IP frames sit at the network header's offset, 96",
		link:   layers.LinkTypeRaw,
		events: []event{{what: "start"}, {what: "frame", at: -1 * ms, n: 1500}, {what: "empty"}},
		want:   []uint64{(96 + 1500 + 7) &^ 7},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			link := tc.link
			if link == 0 {
				link = layers.LinkTypeEthernet
			}
			b := newRingBacklog(link)
			var got []uint64
			for _, e := range tc.events {
				switch e.what {
				case "start":
					b.start(t0.Add(e.at))
				case "frame":
					if !b.measuring { // as the reader does
						continue
					}
					if n, done := b.frame(t0.Add(e.at), e.n); done {
						got = append(got, n)
					}
				case "empty":
					got = append(got, b.empty())
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("backlogs %v, want %v", got, tc.want)
			}
		})
	}
}
