// Package inventory builds the API inventory from HTTP transactions: every
// endpoint (service, method, route template) seen on the wire, with what is
// known about it.
//
// Each transaction is reduced to its service (the Host header, or the
// server address without one; the mirror's tunnel keeps networks apart) and
// its path, which a per-service route tree turns into a template. A segment
// becomes a parameter by its type (integers, UUIDs, hex and base64-like
// tokens, dates, emails) or by statistics: a position under one parent that
// keeps showing new words is promoted to a parameter, and the endpoints
// under its values are merged into one, their counts re-homed; words seen
// often there stay literal ("/users/me" next to "/users/{id}"). Version tags
// such as "v2" are never parameters. When specs are loaded, a path that
// matches a documented operation takes the documented template. The tree
// and the endpoint table are capped per service; past the caps, new paths
// count towards an overflow endpoint, so a scanner's random paths cost
// bounded memory.
//
// # Caveats
//
// An Inventory is not safe for concurrent use. Endpoints returned by
// Endpoints are snapshots; their sketches are copies.
package inventory
