package synth

import "encoding/binary"

// pcapFileHeader returns the header of a classic pcap file of Ethernet
// frames with microsecond timestamps.
func pcapFileHeader() []byte {
	h := make([]byte, pcapHeaderLen)
	le := binary.LittleEndian
	le.PutUint32(h[0:], 0xa1b2c3d4)
	le.PutUint16(h[4:], 2)
	le.PutUint16(h[6:], 4)
	le.PutUint32(h[16:], snapLen)
	le.PutUint32(h[20:], 1) // LINKTYPE_ETHERNET
	return h
}

// putRecordTime writes the timestamp us (µs since the Unix epoch) into the
// pcap record header at the start of h.
func putRecordTime(h []byte, us int64) {
	le := binary.LittleEndian
	le.PutUint32(h[0:], uint32(us/1e6))
	le.PutUint32(h[4:], uint32(us%1e6))
}

// ends is the addressing of one TCP connection between a client and a
// server, with what each side keeps for the headers it sends.
type ends struct {
	cmac, smac   [6]byte
	cip, sip     [4]byte
	cport, sport uint16
	cipID, sipID uint16 // IPv4 identification of the last packet each side sent
	cwin, swin   uint16
}

// headerLen returns the bytes of the pcap record header and the Ethernet,
// IPv4 and TCP headers in front of the payload of a segment with flags.
func headerLen(flags uint8) int {
	if flags&flagSYN != 0 {
		return recordHeaderLen + ethLen + ipLen + tcpLen + synOptLen
	}
	return recordHeaderLen + ethLen + ipLen + tcpLen
}

// putHeaders writes into h, of headerLen(flags) bytes, the lengths of the
// pcap record header (its timestamp is left to the caller) and the Ethernet,
// IPv4 and TCP headers of the next segment one side sends, carrying payload
// bytes; a SYN carries the MSS option. It counts the side's IPv4
// identification up and returns the frame length. Checksums are zero.
func (e *ends) putHeaders(h []byte, fromServer bool, flags uint8, seq, ack uint32, payload, mss int) int {
	srcIP, dstIP := &e.cip, &e.sip
	srcMAC, dstMAC := &e.cmac, &e.smac
	sport, dport := e.cport, e.sport
	ipID, win, ttl := &e.cipID, e.cwin, byte(61)
	if fromServer {
		srcIP, dstIP = dstIP, srcIP
		srcMAC, dstMAC = dstMAC, srcMAC
		sport, dport = dport, sport
		ipID, win, ttl = &e.sipID, e.swin, 64
	}
	*ipID++
	tcpHdr := headerLen(flags) - recordHeaderLen - ethLen - ipLen
	frame := ethLen + ipLen + tcpHdr + payload

	be, le := binary.BigEndian, binary.LittleEndian
	le.PutUint32(h[8:], uint32(frame))
	le.PutUint32(h[12:], uint32(frame))

	eth := h[recordHeaderLen:]
	copy(eth[0:6], dstMAC[:])
	copy(eth[6:12], srcMAC[:])
	be.PutUint16(eth[12:], 0x0800)

	ip := eth[ethLen:]
	ip[0] = 0x45
	ip[1] = 0
	be.PutUint16(ip[2:], uint16(ipLen+tcpHdr+payload))
	be.PutUint16(ip[4:], *ipID)
	be.PutUint16(ip[6:], 0x4000) // don't fragment
	ip[8] = ttl
	ip[9] = 6 // TCP
	ip[10], ip[11] = 0, 0
	copy(ip[12:16], srcIP[:])
	copy(ip[16:20], dstIP[:])

	tcp := ip[ipLen:]
	be.PutUint16(tcp[0:], sport)
	be.PutUint16(tcp[2:], dport)
	be.PutUint32(tcp[4:], seq)
	be.PutUint32(tcp[8:], ack)
	tcp[12] = byte(tcpHdr/4) << 4
	tcp[13] = flags
	be.PutUint16(tcp[14:], win)
	tcp[16], tcp[17], tcp[18], tcp[19] = 0, 0, 0, 0
	if flags&flagSYN != 0 {
		tcp[20], tcp[21] = 2, 4 // MSS
		be.PutUint16(tcp[22:], uint16(mss))
	}
	return frame
}
