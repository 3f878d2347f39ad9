// Package scenario generates labelled captures of API traffic: realistic
// clean traffic with attacks planted at known times, to measure what the
// detectors find and what they raise in vain.
//
// Generate loads one OpenAPI spec per service (analyzer/spec; a built-in
// shop API when Config.Specs is empty) and builds a model from a generator
// seeded by Config.Seed: each service gets a Host ("crapi.example"), a
// server address, 10 to 20 of its operations (and a login, the spec's or
// an undocumented POST .../auth/login), and a population of clients with
// their addresses, user agents, round trips and credentials, joined by new
// clients at about 3 % a day. Each endpoint gets a weekday rate
// (stratified log-uniform from 200 to 20 000 a day, times Config.Scale; the
// busiest GET of a service gets the top), a median latency (5 to 200 ms),
// a response size and small, stable error rates; request and response
// bodies are JSON built from the spec's field paths, values chosen by
// field name. A second generator plans the attacks: on every day after
// LearningDays, one of each type asked for, on the services in turn, each
// in its own three-hour slot of its service's day, lasting 10 to 60
// minutes; each becomes a Label. A third drives the traffic minute by
// minute: per endpoint a Poisson number of requests at its rate times a
// daily and weekly rhythm (night 0.3, weekend 0.5), changed where an attack
// is active (a silent endpoint, 5xx, 401s, slow or sensitive responses),
// plus the attacks' own requests, all in time order. A request goes on its
// client's keep-alive connection when that is idle (normal requests prefer
// clients with an idle one, so connections carry several), else on a new
// one; connections close after their client's idle time. Packets are
// written by a synth.Capture: handshakes, MSS segments, acknowledgements
// and FIN closes, the response's first segment latency after the request's
// last.
//
// # Caveats
//
// The bytes depend on Config, the spec files and the architecture: math
// functions in assembly and fused multiply-adds may round differently on
// another one, and a rare draw may go the other way. Generate keeps
// nothing after it returns. Summary.Services[i].Spec is a shallow copy
// with its own Servers: services made from one spec file share its Ops,
// which must not be changed. Labels name the service by Host, the route by
// the spec's template with the base path (a new endpoint by its literal
// path), and the client only when one client is the attack. Scanning
// names no route, new_clients_surge neither method nor route.
package scenario
