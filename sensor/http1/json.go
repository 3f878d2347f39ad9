package http1

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendTime writes t in UTC as RFC 3339 with nanoseconds,
// "2006-01-02T15:04:05.000000000Z", without time.Format's layout parsing.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendInt(b, y, 4)
	b = append(b, '-')
	b = appendInt(b, int(mo), 2)
	b = append(b, '-')
	b = appendInt(b, d, 2)
	b = append(b, 'T')
	b = appendInt(b, h, 2)
	b = append(b, ':')
	b = appendInt(b, mi, 2)
	b = append(b, ':')
	b = appendInt(b, s, 2)
	b = append(b, '.')
	b = appendInt(b, t.Nanosecond(), 9)
	return append(b, 'Z')
}

// appendInt writes a non-negative v zero-padded to width digits (at most
// 9, as for nanoseconds).
func appendInt(b []byte, v, width int) []byte {
	var buf [9]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:width]...)
}

// AppendJSON appends t as one JSON object in the shape of
// `apitap read --emit transactions` (see README): ts, src, dst, tunnel,
// method, host, target, status, req_bytes, resp_bytes, latency_ms, partial,
// anomalies. It is written by hand because it runs once per transaction.
func AppendJSON(b []byte, t *Transaction) []byte {
	b = append(b, `{"ts":"`...)
	b = appendTime(b, t.Time())
	b = append(b, `","src":"`...)
	b = t.Client.AppendTo(b)
	b = append(b, `","dst":"`...)
	b = t.Server.AppendTo(b)
	b = append(b, `","tunnel":`...)
	b = appendString(b, t.Tunnel.String())
	b = append(b, `,"method":`...)
	b = appendString(b, t.Request.Method)
	b = append(b, `,"host":`...)
	b = appendString(b, t.Request.Host)
	b = append(b, `,"target":`...)
	b = appendString(b, t.Request.Target)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(t.Response.Status), 10)
	b = append(b, `,"req_bytes":`...)
	b = strconv.AppendInt(b, t.Request.Body.Len, 10)
	b = append(b, `,"resp_bytes":`...)
	b = strconv.AppendInt(b, t.Response.Body.Len, 10)
	b = append(b, `,"latency_ms":`...)
	b = strconv.AppendFloat(b, float64(t.Latency())/float64(time.Millisecond), 'f', 3, 64)
	b = append(b, `,"partial":`...)
	b = strconv.AppendBool(b, t.Partial())
	b = append(b, `,"anomalies":[`...)
	for i, n := 0, 0; i < numAnomalies; i++ {
		if t.Anomalies()&(1<<i) != 0 {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, anomalyNames[i]...)
			b = append(b, '"')
			n++
		}
	}
	return append(b, "]}"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 (request targets
// are raw bytes) becomes U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
