// Package jsontok reads JSON text for the analysers that walk bodies by
// hand (schema, sensitive): one copy of the syntax rules. A Reader returns
// the tokens of a body one at a time (object and array delimiters, keys,
// strings, numbers and literals), checking the syntax as encoding/json does
// and keeping track of commas, colons and nesting itself, so that a caller
// only follows the structure it cares about and calls Skip for the rest.
// Unescape decodes the content of a string token. Nothing allocates; the
// Reader holds its nesting stack (MaxNesting levels) in place, so a caller
// can keep it on the stack.
//
// # Caveats
//
// Raw returns a slice of the body given to Reset, with escapes still in
// place: it is valid as long as the body is, and must be copied to be
// kept. After a syntax error the Reader returns Invalid until Reset.
package jsontok
