package output

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/apitap/apitap/analyzer/alert"
)

// ErrQueueFull is Async's answer when its queue is full.
var ErrQueueFull = errors.New("alert queue full")

// Async hands alerts to a sink from its own goroutine through a bounded
// queue. The detectors raise alerts while they hold the analysis lock that
// capture workers wait for; the spool fsyncs every alert. Between the two,
// Async keeps a slow disk from ever holding capture up: when the queue is
// full (the disk has stalled for thousands of alerts), the alert is
// refused, counted in Dropped and reported by the error, never silently.
type Async struct {
	next    alert.Sink
	ch      chan *alert.Alert
	dropped atomic.Uint64
	failed  atomic.Uint64 // the next sink's errors
	once    sync.Once
	done    chan struct{}
}

var _ alert.Sink = (*Async)(nil)

// NewAsync starts an Async of size alerts in front of next.
func NewAsync(next alert.Sink, size int) *Async {
	a := &Async{next: next, ch: make(chan *alert.Alert, max(size, 1)), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for al := range a.ch {
			if err := a.next.Send(al); err != nil {
				a.failed.Add(1)
			}
		}
	}()
	return a
}

// Send queues a (the alert manager hands each sink its own copy).
func (a *Async) Send(al *alert.Alert) error {
	select {
	case a.ch <- al:
		return nil
	default:
		a.dropped.Add(1)
		return ErrQueueFull
	}
}

// Dropped returns the alerts refused because the queue was full, Failed
// those the next sink returned an error for.
func (a *Async) Dropped() uint64 { return a.dropped.Load() }

// Failed returns the alerts the next sink returned an error for.
func (a *Async) Failed() uint64 { return a.failed.Load() }

// Close hands what is queued to the next sink and stops. Send must not be
// called after it.
func (a *Async) Close() {
	a.once.Do(func() { close(a.ch) })
	<-a.done
}
