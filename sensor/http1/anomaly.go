package http1

import "strings"

// Anomaly is a set of parse-level oddities seen in a message or transaction.
type Anomaly uint32

// Anomalies, each with the snake_case reason used in output and metrics.
const (
	AnomalyGap                 Anomaly = 1 << iota // gap: bytes missing inside the message
	AnomalyTruncated                               // truncated: the connection ended inside the message
	AnomalyBadHeaderLine                           // bad_header_line: a header line without a colon
	AnomalyHeaderTooLarge                          // header_too_large: the header block exceeded MaxHeaderBytes
	AnomalyTooManyHeaders                          // too_many_headers: more than MaxHeaders header fields
	AnomalyConflictingLength                       // conflicting_content_length: Content-Length given twice with different values
	AnomalyBadContentLength                        // bad_content_length: Content-Length not a decimal number, or too large
	AnomalyTEWithCL                                // te_and_cl: Transfer-Encoding and Content-Length together
	AnomalyBadTransferEncoding                     // bad_transfer_encoding: Transfer-Encoding other than a final chunked
	AnomalyChunkOverflow                           // chunk_size_overflow: a chunk size too large to be real
	AnomalyBadChunk                                // bad_chunk: chunked framing broken
	AnomalyObsFold                                 // obs_fold: header line folding (obsolete, used for smuggling)
	AnomalySpaceBeforeColon                        // space_before_colon: whitespace between a header name and its colon
	AnomalyHTTP09                                  // http09: an HTTP/0.9 request or response
	AnomalyBadRequestLine                          // bad_request_line: a request line without a valid HTTP version
	AnomalyNoRequest                               // response_without_request: the request was never seen
	AnomalyResponseLost                            // response_lost: the response was never seen, later requests were answered
	AnomalyNoResponse                              // no_response: the connection ended before a response
	AnomalyPendingOverflow                         // pending_overflow: too many requests waiting for a response
	AnomalyBodyDecode                              // body_decode_error: the Content-Encoding could not be decoded
	AnomalyBareLF                                  // bare_lf: lines ended by LF alone
	numAnomalies               = iota
)

var anomalyNames = [numAnomalies]string{
	"gap", "truncated", "bad_header_line", "header_too_large",
	"too_many_headers", "conflicting_content_length", "bad_content_length",
	"te_and_cl", "bad_transfer_encoding", "chunk_size_overflow", "bad_chunk",
	"obs_fold", "space_before_colon", "http09", "bad_request_line", "response_without_request",
	"response_lost", "no_response", "pending_overflow", "body_decode_error", "bare_lf",
}

// AnomalyReasons lists every reason in bit order, for metrics and reports.
func AnomalyReasons() []string { return anomalyNames[:] }

// Has reports whether all of b are set in a.
func (a Anomaly) Has(b Anomaly) bool { return a&b == b }

// Names returns the reasons set in a, in bit order.
func (a Anomaly) Names() []string {
	var out []string
	for i := 0; i < numAnomalies; i++ {
		if a&(1<<i) != 0 {
			out = append(out, anomalyNames[i])
		}
	}
	return out
}

func (a Anomaly) String() string { return strings.Join(a.Names(), ",") }

// partialMask marks the anomalies that mean part of a message was not seen.
const partialMask = AnomalyGap | AnomalyTruncated | AnomalyHeaderTooLarge | AnomalyChunkOverflow | AnomalyBadChunk
