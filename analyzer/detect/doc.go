// Package detect learns what normal looks like for every API endpoint and
// raises findings when traffic departs from it or matches an abuse
// pattern.
//
// Each transaction arrives with what the inventory made of it (its
// endpoint, whether it carried credentials, the sensitive-data classes of
// its response). The Detector counts it in the endpoint's current time bin
// (five minutes of packet time by default) and runs the per-transaction
// rules on it: injection attempts (libinjection's SQLi and XSS detectors,
// path traversal, command injection, JNDI lookups), enumeration of object
// ids (BOLA), failed-login bursts from one client (brute force) or many
// (credential stuffing), 404 runs from one client (scanning), successful
// unauthenticated calls to an endpoint that always required credentials, a
// sensitive-data class never returned before, and endpoints appearing
// after a service's learning period. When packet time passes a bin's end,
// every endpoint's bin is tested against its baseline (package baseline):
// request rate up and down with negative-binomial tails, 5xx and 401/403
// ratios with binomial tails, median latency as a z-score and with a
// Page-Hinkley drift detector, runs of unusually large responses, and per
// service the clients never seen before; then the bin is learnt. Count
// tests carry an absolute floor besides their p-value, so a quiet
// endpoint's three requests where one was expected stay unremarked. Every
// test's significance level follows from one false-alert budget per
// endpoint-day (Config.FalseAlerts), so the number of endpoints and tests
// does not change how often the analyst is woken for nothing.
//
// Findings go to a Raiser (alert.Manager), which deduplicates and rate-
// limits them. Baselines are saved to and loaded from the store, keyed by
// service, method and route, so learning continues across restarts.
//
// # Caveats
//
// A Detector is not safe for concurrent use. Observe reads the
// Observation's Endpoint, which the Inventory owns: call it under the
// lock that guards the Inventory, before the next Observe. Findings hold
// copies, never the transaction's memory.
package detect
