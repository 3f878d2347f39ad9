package http1

import "bytes"

// headInfo is what the parser needs from a header block to frame the body
// and pair the message. Slices alias the block.
type headInfo struct {
	cl         int64
	hasCL      bool
	chunked    bool
	teBad      bool
	host       []byte
	encoding   []byte
	anomalies  Anomaly
	fieldCount int
}

// parse reads the header fields (the block after the start line).
func (hi *headInfo) parse(b []byte, maxFields int) {
	var te []byte
	clSeen := false
	for len(b) > 0 {
		var line []byte
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			line, b = b, nil
		} else {
			line, b = b[:i], b[i+1:]
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		} else if i >= 0 {
			hi.anomalies |= AnomalyBareLF
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			hi.anomalies |= AnomalyObsFold
			continue
		}
		if hi.fieldCount++; hi.fieldCount > maxFields {
			hi.anomalies |= AnomalyTooManyHeaders
			break
		}
		c := bytes.IndexByte(line, ':')
		if c <= 0 {
			hi.anomalies |= AnomalyBadHeaderLine
			continue
		}
		name, value := line[:c], trimOWS(line[c+1:])
		if last := name[len(name)-1]; last == ' ' || last == '\t' {
			hi.anomalies |= AnomalySpaceBeforeColon
			name = trimOWS(name)
		}
		switch len(name) {
		case 4:
			if asciiEqualFold(name, "host") && hi.host == nil {
				hi.host = value
			}
		case 14:
			if asciiEqualFold(name, "content-length") {
				n, ok, conflict := parseLength(value)
				switch {
				case conflict:
					hi.anomalies |= AnomalyConflictingLength
				case !ok:
					hi.anomalies |= AnomalyBadContentLength
				case clSeen && n != hi.cl:
					hi.anomalies |= AnomalyConflictingLength
				case !clSeen:
					hi.cl, hi.hasCL = n, true
				}
				clSeen = true
			}
		case 16:
			if asciiEqualFold(name, "content-encoding") {
				hi.encoding = value
			}
		case 17:
			if asciiEqualFold(name, "transfer-encoding") {
				te = value // the last field wins, as the last coding does
			}
		}
	}
	if te != nil {
		if asciiEqualFold(lastToken(te), "chunked") {
			hi.chunked = true
		} else if !asciiEqualFold(lastToken(te), "identity") {
			hi.teBad = true
		}
		if clSeen {
			// RFC 9112 6.3: Transfer-Encoding overrides Content-Length,
			// and the pair is the classic smuggling vector.
			hi.anomalies |= AnomalyTEWithCL
			hi.hasCL = false
		}
	}
}
