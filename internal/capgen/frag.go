package capgen

import "encoding/binary"

// FragmentIPv4 cuts payload (a whole UDP or TCP segment of protocol proto)
// into IPv4 fragments (RFC 791) carrying at most size payload bytes each;
// size is rounded down to a multiple of 8 (and is at least 8). It returns
// whole IP packets in offset order, so that a caller may reorder or drop
// them. Every fragment repeats h's options.
func FragmentIPv4(h *IPv4, proto uint8, payload []byte, size int) [][]byte {
	size = fragSize(size)
	var frags [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		more := end < len(payload)
		pkt := h.appendHeader(nil, proto, end-off, off, more)
		frags = append(frags, append(pkt, payload[off:end]...))
	}
	return frags
}

// FragmentIPv6 cuts payload (a whole UDP or TCP segment of protocol proto)
// into IPv6 fragments (RFC 8200 section 4.5) with identification id,
// carrying at most size payload bytes each (rounded down to a multiple of 8).
// h's extension headers form the unfragmentable part and are repeated in
// every fragment, before the fragment header. It returns whole IP packets in
// offset order.
func FragmentIPv6(h *IPv6, proto uint8, payload []byte, size int, id uint32) [][]byte {
	size = fragSize(size)
	var frags [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		field := uint16(off)
		if end < len(payload) {
			field |= 1 // M flag
		}

		pkt := h.appendHeader(nil, h.firstNext(ProtoFragment), h.extLen()+8+end-off)
		pkt = h.appendExt(pkt, ProtoFragment)
		pkt = append(pkt, proto, 0)
		pkt = binary.BigEndian.AppendUint16(pkt, field)
		pkt = binary.BigEndian.AppendUint32(pkt, id)
		frags = append(frags, append(pkt, payload[off:end]...))
	}
	return frags
}

// fragSize rounds a fragment payload size down to a multiple of 8, at
// least 8.
func fragSize(size int) int {
	return max(size&^7, 8)
}
