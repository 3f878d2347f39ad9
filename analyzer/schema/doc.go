// Package schema infers the shape of JSON bodies for the API inventory.
//
// A Schema is fed one body at a time with Observe. A single pass over the
// bytes checks that the body is JSON (the grammar of RFC 8259, as
// encoding/json.Valid accepts it) and records, for each path from the root
// ("", "user.name", "items[]", "items[].id"), the JSON types seen there
// (object, array, string, integer, number, boolean, null), a string format
// when every string at the path has the same one (date-time, date, uuid,
// email, uri, ipv4; cheap syntactic checks), how many values were seen, and
// for objects how many, so that a field's presence can be told as a share
// of its parent objects (Field.Seen, Field.Optional). What a body adds is
// held aside until the body has been read to its end, so an invalid body
// returns an error and changes nothing. Schemas of the same endpoint Merge,
// serialise with encoding/json for storage, list their paths with Fields,
// and export a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) with
// JSONSchema. Work and memory are bounded whatever the body: the walk
// recurses at most MaxDepth levels and checks deeper nesting without
// recursion (up to 10000 levels, the limit of encoding/json); arrays are
// sampled (the first MaxItems elements are recorded, the rest only
// checked); a Schema stores at most MaxPaths paths, and values at further
// paths are counted in Overflow, values below MaxDepth in TooDeep. Keys
// are cut to 128 bytes. Observing a body whose paths are all known does not
// allocate.
//
// # Caveats
//
// A Schema keeps no reference to the bodies it observed: keys and paths
// are copied when a path is first seen, so samples may be reused as soon as
// Observe returns. A Schema is not safe for concurrent use; give each
// worker its own and Merge them. A truncated body sample is not valid JSON
// and is rejected as a whole; callers should observe only complete bodies
// (http1.Body.Truncated false, Encoding ""). Paths escape the characters
// '.', '[', ']' and '\' in keys with a backslash, and write an empty key as
// `""`.
package schema
