package capgen

import (
	"encoding/binary"
	"net/netip"
)

// sum16 adds data to the running ones' complement sum acc (RFC 1071), reading
// big-endian 16-bit words; an odd final byte is padded with zero.
func sum16(acc uint64, data []byte) uint64 {
	for len(data) >= 8 {
		v := binary.BigEndian.Uint64(data)
		acc += v >> 48
		acc += (v >> 32) & 0xffff
		acc += (v >> 16) & 0xffff
		acc += v & 0xffff
		data = data[8:]
	}
	for len(data) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(data))
		data = data[2:]
	}
	if len(data) == 1 {
		acc += uint64(data[0]) << 8
	}
	return acc
}

// fold reduces a running sum to 16 bits and complements it.
func fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return ^uint16(acc)
}

// Checksum returns the Internet checksum (RFC 1071) of data.
func Checksum(data []byte) uint16 {
	return fold(sum16(0, data))
}

// pseudoSum is the sum of the UDP/TCP pseudo-header (RFC 768, RFC 8200
// section 8.1) for a segment of length n carrying protocol proto.
func pseudoSum(src, dst netip.Addr, proto uint8, n int) uint64 {
	var acc uint64
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		acc = sum16(acc, s[:])
		acc = sum16(acc, d[:])
	} else {
		s, d := src.As16(), dst.As16()
		acc = sum16(acc, s[:])
		acc = sum16(acc, d[:])
	}
	return acc + uint64(proto) + uint64(n)
}

// transportChecksum returns the UDP or TCP checksum of segment, whose
// checksum field must be zero.
func transportChecksum(src, dst netip.Addr, proto uint8, segment []byte) uint16 {
	return fold(sum16(pseudoSum(src, dst, proto, len(segment)), segment))
}
