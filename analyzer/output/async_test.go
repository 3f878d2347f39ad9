package output

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/apitap/apitap/analyzer/alert"
)

// gateSink blocks every Send until released, as a stalled disk would.
type gateSink struct {
	entered chan struct{} // one per Send entered
	release chan struct{}
	mu      sync.Mutex
	got     []string
}

func (g *gateSink) Send(a *alert.Alert) error {
	g.entered <- struct{}{}
	<-g.release
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got = append(g.got, a.ID)
	return nil
}

// TestAsync: Send never waits for a stalled sink; a full queue refuses and
// counts; Close delivers what was queued, in order.
func TestAsync(t *testing.T) {
	g := &gateSink{entered: make(chan struct{}, 16), release: make(chan struct{})}
	a := NewAsync(g, 4)
	a.Send(&alert.Alert{ID: "0"})
	<-g.entered // the sink holds alert 0
	var refused int
	for i := 1; i < 10; i++ {
		if err := a.Send(&alert.Alert{ID: fmt.Sprint(i)}); errors.Is(err, ErrQueueFull) {
			refused++
		}
	}
	// One alert is held by the stalled sink, four wait in the queue.
	if refused != 5 || a.Dropped() != 5 {
		t.Errorf("refused %d, Dropped %d; want 5 and 5", refused, a.Dropped())
	}
	close(g.release)
	a.Close()
	if fmt.Sprint(g.got) != "[0 1 2 3 4]" {
		t.Errorf("delivered %v, want [0 1 2 3 4]", g.got)
	}
}
