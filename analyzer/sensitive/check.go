package sensitive

import "bytes"

// digits copies the decimal digits of v into buf and returns them.
func digits(buf []byte, v []byte) []byte {
	n := 0
	for _, c := range v {
		if c >= '0' && c <= '9' && n < len(buf) {
			buf[n] = c
			n++
		}
	}
	return buf[:n]
}

// cardNumber checks a card number: a known issuer prefix for its length,
// and the Luhn checksum.
func cardNumber(v []byte) bool {
	var buf [19]byte
	d := digits(buf[:], v)
	return cardIssuer(d) && luhn(d)
}

// cardIssuer reports whether the leading digits name a card network that
// issues numbers of this length (ISO/IEC 7812 ranges of the major networks).
// It is what keeps 13-digit millisecond timestamps out.
func cardIssuer(d []byte) bool {
	n := len(d)
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p3 := p2*10 + int(d[2]-'0')
	p4 := p3*10 + int(d[3]-'0')
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p2 == 62: // Discover, UnionPay
		return n >= 16
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n >= 14
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16
	case p2 == 50, p2 >= 56 && p2 <= 69: // Maestro
		return n >= 13
	}
	return false
}

// luhn checks the Luhn (mod 10) checksum of a digit string.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i] - '0')
		if double {
			if x *= 2; x > 9 {
				x -= 9
			}
		}
		sum += x
		double = !double
	}
	return sum%10 == 0
}

// ssn checks the rules of a US social security number ddd-dd-dddd: area
// not 000, 666 or 9xx; group not 00; serial not 0000.
func ssn(v []byte) bool {
	var buf [9]byte
	d := digits(buf[:], v)
	if len(d) != 9 {
		return false
	}
	area, group, serial := string(d[:3]), string(d[3:5]), string(d[5:])
	return area != "000" && area != "666" && d[0] != '9' && group != "00" && serial != "0000"
}

// nanp checks a North American number: area code and exchange start with 2
// to 9.
func nanp(v []byte) bool {
	var buf [10]byte
	d := digits(buf[:], v)
	return len(d) == 10 && d[0] >= '2' && d[3] >= '2'
}

// ibanLengths is the IBAN length of each country in the SWIFT IBAN registry.
var ibanLengths = map[[2]byte]uint8{
	{'A', 'D'}: 24, {'A', 'E'}: 23, {'A', 'L'}: 28, {'A', 'T'}: 20, {'A', 'Z'}: 28,
	{'B', 'A'}: 20, {'B', 'E'}: 16, {'B', 'G'}: 22, {'B', 'H'}: 22, {'B', 'I'}: 27,
	{'B', 'R'}: 29, {'B', 'Y'}: 28, {'C', 'H'}: 21, {'C', 'R'}: 22, {'C', 'Y'}: 28,
	{'C', 'Z'}: 24, {'D', 'E'}: 22, {'D', 'J'}: 27, {'D', 'K'}: 18, {'D', 'O'}: 28,
	{'E', 'E'}: 20, {'E', 'G'}: 29, {'E', 'S'}: 24, {'F', 'I'}: 18, {'F', 'K'}: 18,
	{'F', 'O'}: 18, {'F', 'R'}: 27, {'G', 'B'}: 22, {'G', 'E'}: 22, {'G', 'I'}: 23,
	{'G', 'L'}: 18, {'G', 'R'}: 27, {'G', 'T'}: 28, {'H', 'R'}: 21, {'H', 'U'}: 28,
	{'I', 'E'}: 22, {'I', 'L'}: 23, {'I', 'Q'}: 23, {'I', 'S'}: 26, {'I', 'T'}: 27,
	{'J', 'O'}: 30, {'K', 'W'}: 30, {'K', 'Z'}: 20, {'L', 'B'}: 28, {'L', 'C'}: 32,
	{'L', 'I'}: 21, {'L', 'T'}: 20, {'L', 'U'}: 20, {'L', 'V'}: 21, {'L', 'Y'}: 25,
	{'M', 'C'}: 27, {'M', 'D'}: 24, {'M', 'E'}: 22, {'M', 'K'}: 19, {'M', 'N'}: 20,
	{'M', 'R'}: 27, {'M', 'T'}: 31, {'M', 'U'}: 30, {'N', 'I'}: 28, {'N', 'L'}: 18,
	{'N', 'O'}: 15, {'O', 'M'}: 23, {'P', 'K'}: 24, {'P', 'L'}: 28, {'P', 'S'}: 29,
	{'P', 'T'}: 25, {'Q', 'A'}: 29, {'R', 'O'}: 24, {'R', 'S'}: 22, {'R', 'U'}: 33,
	{'S', 'A'}: 24, {'S', 'C'}: 31, {'S', 'D'}: 18, {'S', 'E'}: 24, {'S', 'I'}: 19,
	{'S', 'K'}: 24, {'S', 'M'}: 27, {'S', 'O'}: 23, {'S', 'T'}: 25, {'S', 'V'}: 28,
	{'T', 'L'}: 23, {'T', 'N'}: 24, {'T', 'R'}: 26, {'U', 'A'}: 29, {'V', 'A'}: 22,
	{'V', 'G'}: 24, {'X', 'K'}: 20, {'Y', 'E'}: 30,
}

func ibanLength(a, b byte) int { return int(ibanLengths[[2]byte{a, b}]) }

// ibanValid checks the ISO 13616 / ISO 7064 mod-97 checksum: the number
// with its first four characters moved to the end, letters as 10 to 35, is
// 1 modulo 97.
func ibanValid(v []byte) bool {
	if len(v) < 5 {
		return false
	}
	r := 0
	for k := range v {
		c := v[(k+4)%len(v)]
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			r = (r*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return r == 1
}

// Fixed masks: the length of the value is not shown.
const (
	maskPassword = "********"
	maskSSN      = "***-**-****"
	maskJWT      = "eyJ***.eyJ***.***"
)

// mask returns what a finding shows of value v: enough to recognise the
// kind, never the value, and apart from a card's first and last four
// digits, an email's domain and an IBAN's country and last four, at most a
// third of its characters. Every mask holds a '*'.
func mask(c Class, v []byte) string {
	switch c {
	case Password:
		return maskPassword
	case USSSN:
		return maskSSN
	case JWT:
		return maskJWT
	case Card:
		return maskDigits(v, 4, 4)
	case IBAN:
		return keepEnds(v, 2, 4)
	case Email:
		at := bytes.IndexByte(v, '@')
		var buf [264]byte
		b := append(buf[:0], v[0])
		b = append(b, "***"...)
		return string(append(b, v[at:]...))
	case Phone:
		return maskDigits(v, 0, 2)
	case AWSAccessKey, GCPAPIKey, GitHubToken, SlackToken:
		if k := matchToken(v); k != nil {
			return k.masked
		}
	case PrivateKey:
		return "-----BEGIN " + string(v) + "-----***"
	}
	return "***"
}

// maskDigits stars the digits of v but the first head and the last tail,
// and keeps every other byte: a card as "4111 **** **** 1111" (4, 4), a
// phone number as "+* (***) ***-**71" (0, 2).
func maskDigits(v []byte, head, tail int) string {
	var buf [40]byte
	b := buf[:0]
	total := 0
	for _, c := range v {
		if c >= '0' && c <= '9' {
			total++
		}
	}
	n := 0
	for _, c := range v {
		if len(b) == len(buf) {
			break
		}
		if c >= '0' && c <= '9' {
			if n >= head && n < total-tail {
				c = '*'
			}
			n++
		}
		b = append(b, c)
	}
	return string(b)
}

// keepEnds keeps head leading and tail trailing characters of v and stars
// the rest.
func keepEnds(v []byte, head, tail int) string {
	var buf [64]byte
	b := buf[:0]
	for k, c := range v[:min(len(v), len(buf))] {
		if k >= head && k < len(v)-tail {
			c = '*'
		}
		b = append(b, c)
	}
	return string(b)
}
