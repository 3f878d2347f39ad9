package output

import (
	"context"

	"github.com/apitap/apitap/analyzer/alert"
)

// Format encodes one alert state change as one record of a SIEM format.
type Format interface {
	// Name is the format's name in a sink URL's format parameter:
	// "ocsf", "ecs", "cef", "eve", "hec".
	Name() string
	// Append appends the encoded alert to dst and returns the result.
	// Records carry no line terminator: transports frame them.
	Append(dst []byte, a *alert.Alert) ([]byte, error)
}

// Transport carries encoded records to one destination.
type Transport interface {
	// Send delivers the records, in order. It returns nil only once the
	// destination has them all (written, acknowledged); an error means
	// the batch is to be sent again, whole, later. A Retryer error may
	// say when.
	Send(ctx context.Context, records [][]byte) error
	// Close releases connections and files.
	Close() error
}

// Keyed is implemented by transports that partition records (Kafka):
// the spool hands them the key of each record, the alert's endpoint, so
// one endpoint's alerts stay in order.
type Keyed interface {
	SendKeyed(ctx context.Context, keys, records [][]byte) error
}

// Retryer is implemented by errors that know when to try again (HTTP 429
// and 503 with Retry-After).
type Retryer interface {
	RetryAfter() (seconds float64)
}
