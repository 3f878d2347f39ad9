package output

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Drop reasons: the values of apitap_output_dropped_total's reason label.
const (
	reasonSpoolFull = "spool_full" // evicted to make room (lowest severity, oldest first)
	reasonRejected  = "rejected"   // refused for good by the destination, or by its format
)

// metrics are the spool's series. The sink label is a destination's Name:
// the configured sinks only, so the label set stays bounded.
type metrics struct {
	sent    *prometheus.CounterVec // records the destination acknowledged
	failed  *prometheus.CounterVec // records given up on: rejected by the destination or its format
	retried *prometheus.CounterVec // records of batches that failed and are sent again
	dropped *prometheus.CounterVec // records removed unsent, by reason
}

// sinkMetrics are one destination's children, resolved once.
type sinkMetrics struct {
	sent, failed, retried, droppedFull, droppedRejected prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apitap_output_sent_total",
			Help: "Alert records the destination acknowledged.",
		}, []string{"sink"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apitap_output_failed_total",
			Help: "Alert records given up on: rejected for good by the destination or its format.",
		}, []string{"sink"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apitap_output_retried_total",
			Help: "Alert records of failed sends that are sent again after a backoff.",
		}, []string{"sink"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apitap_output_dropped_total",
			Help: "Alert records removed from the spool unsent, by reason (spool_full, rejected).",
		}, []string{"sink", "reason"}),
	}
}

// sink resolves the children of one destination.
func (m *metrics) sink(name string) sinkMetrics {
	return sinkMetrics{
		sent:            m.sent.WithLabelValues(name),
		failed:          m.failed.WithLabelValues(name),
		retried:         m.retried.WithLabelValues(name),
		droppedFull:     m.dropped.WithLabelValues(name, reasonSpoolFull),
		droppedRejected: m.dropped.WithLabelValues(name, reasonRejected),
	}
}

// queueGauges are the gauges read from the spool's index at scrape time,
// one pair per destination: apitap_output_queued and
// apitap_output_oldest_queued_age_seconds (wall time since the oldest
// record still queued was queued; 0 when the queue is empty).
func queueGauges(name string, queued, age func() float64) []prometheus.Collector {
	labels := prometheus.Labels{"sink": name}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "apitap_output_queued",
			Help:        "Alert records in the spool waiting for the destination.",
			ConstLabels: labels,
		}, queued),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "apitap_output_oldest_queued_age_seconds",
			Help:        "Seconds since the oldest record waiting for the destination was queued (0: none).",
			ConstLabels: labels,
		}, age),
	}
}

// registerAll registers cs with reg; a nil reg registers nothing.
func registerAll(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register output metrics: %w", err)
		}
	}
	return nil
}
