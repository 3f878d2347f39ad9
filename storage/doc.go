// Package storage keeps apitap's state in a bbolt file under the state
// directory: the analysers hand it batches of changed records, each batch
// written in one transaction, so a process killed at any moment leaves a
// store that opens and has lost at most the batch it was writing.
//
// The store knows buckets, keys and bytes; what the bytes mean belongs to
// the packages that write them (package inventory's records, for one).
//
// # Caveats
//
// Values passed to ForEach are only valid during the call, as bbolt's are:
// copy what you keep.
package storage
