// Package report turns the inventory and the documented specs into what
// people and tools read: one row per endpoint, classified as documented,
// shadow (seen, in no spec), zombie (seen, but deprecated or documented only
// in another API version) or orphan (documented, never seen), with the drift
// of documented endpoints from their spec; and renders the rows as a table,
// JSON, CSV, an HTML page or OpenAPI documents.
//
// # Caveats
//
// Build reads the inventory; it must not run concurrently with Observe.
package report
