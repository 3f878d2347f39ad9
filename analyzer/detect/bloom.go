package detect

import (
	"encoding/binary"
	"net/netip"
)

// bloom remembers the clients a service has seen, in fixed memory: 32 KiB
// holds about 27 000 clients at a 1 % false-positive rate (a client taken
// for known is only not counted as new). It hashes with a seed fixed for
// the filter's life, so a stored filter reads back.
type bloom struct {
	Bits []uint64 `json:"bits"`
	Seed uint64   `json:"seed"`
}

const bloomWords = 4096 // 2^18 bits

func newBloom() *bloom { return &bloom{Bits: make([]uint64, bloomWords), Seed: 0x9e3779b97f4a7c15} }

func (b *bloom) hashes(a netip.Addr) (uint64, uint64) {
	x := a.As16()
	h1 := binary.LittleEndian.Uint64(x[:8])*0xff51afd7ed558ccd ^ binary.LittleEndian.Uint64(x[8:])*0xc4ceb9fe1a85ec53 ^ b.Seed
	h1 ^= h1 >> 33
	h1 *= 0xff51afd7ed558ccd
	h1 ^= h1 >> 33
	h2 := h1*0xc4ceb9fe1a85ec53 | 1
	return h1, h2
}

const bloomK = 7

func (b *bloom) has(a netip.Addr) bool {
	h1, h2 := b.hashes(a)
	n := uint64(len(b.Bits) * 64)
	for i := uint64(0); i < bloomK; i++ {
		bit := (h1 + i*h2) % n
		if b.Bits[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

func (b *bloom) add(a netip.Addr) {
	h1, h2 := b.hashes(a)
	n := uint64(len(b.Bits) * 64)
	for i := uint64(0); i < bloomK; i++ {
		bit := (h1 + i*h2) % n
		b.Bits[bit/64] |= 1 << (bit % 64)
	}
}
