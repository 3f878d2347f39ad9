// Package output delivers alerts to the SOC's systems: it encodes each
// alert state change in a format SIEMs ingest (OCSF, ECS, CEF, EVE JSON)
// and carries it over a transport (a rotated file, syslog, an HTTP webhook
// or Splunk HEC, Kafka), through a durable spool so that a receiver that
// is down loses nothing.
//
// The alert manager hands every state change to a Spool (its Sink). The
// Spool writes it to bbolt before it returns, one queue per destination,
// so capture and detection never wait for a network. One goroutine per
// destination takes records in order, encodes them with the destination's
// Format, sends them with its Transport, and removes them once the
// transport acknowledged them; on failure it backs off and retries, the
// other destinations going on. A full spool drops its oldest low-severity
// records first, and counts and logs what it drops.
//
// # Caveats
//
// Encoders append to the buffer they are given and must not keep it;
// transports own the batches they are handed until Send returns.
package output
