package capgen

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// This file lets the reference reader of ref_test.go count DNS inside
// tunnels: gopacket decodes most encapsulations itself, and the packet the
// reference reads is then re-decoded from the innermost IP header. What
// gopacket does not decode (NFLOG, PKTAP, Cisco HDLC, ERSPAN type III,
// Teredo, MPLS pseudowires, 802.11 without FCS) is taken apart here by hand,
// reading the headers with their own rules, not with capgen's encoders.

// refPacket decodes a frame and returns the packet starting at its
// innermost IP header, or the frame's packet when it has no tunnel.
func refPacket(data []byte, link layers.LinkType) gopacket.Packet {
	data, link = refLink(data, link)
	pkt := gopacket.NewPacket(data, link, gopacket.Default)
	for range 16 {
		inner, ok := refInner(pkt)
		if !ok {
			break
		}
		pkt = inner
	}
	return pkt
}

// refLink removes the link layers gopacket does not decode, returning the
// rest and the link type to decode it as.
func refLink(data []byte, link layers.LinkType) ([]byte, layers.LinkType) {
	switch LinkType(link) {
	case LinkPPPSerial, LinkCHDLC:
		if len(data) >= 4 && (data[0] == 0x0f || data[0] == 0x8f) {
			return data[4:], layers.LinkTypeRaw
		}
		return data, layers.LinkTypePPP
	case LinkIEEE80211:
		// gopacket's 802.11 decoder always takes the last 4 bytes for an FCS.
		return append(append([]byte(nil), data...), 0, 0, 0, 0), link
	case LinkNFLOG:
		return refNFLOG(data), layers.LinkTypeRaw
	case LinkPKTAP:
		if len(data) < 12 {
			return nil, layers.LinkTypeRaw
		}
		n := binary.LittleEndian.Uint32(data)
		inner := layers.LinkType(binary.LittleEndian.Uint32(data[8:]))
		return refLink(data[n:], inner)
	}
	return data, link
}

// refNFLOG returns the payload attribute of an NFLOG record written on a
// little-endian host.
func refNFLOG(data []byte) []byte {
	for off := 4; off+4 <= len(data); {
		n := int(binary.LittleEndian.Uint16(data[off:]))
		if n < 4 || off+n > len(data) {
			return nil
		}
		if binary.LittleEndian.Uint16(data[off+2:]) == 9 {
			return data[off+4 : off+n]
		}
		off += (n + 3) / 4 * 4
	}
	return nil
}

// refInner returns the packet one tunnel in from pkt, if any.
func refInner(pkt gopacket.Packet) (gopacket.Packet, bool) {
	ls := pkt.Layers()
	firstIP := -1
	for i, l := range ls {
		if t := l.LayerType(); t == layers.LayerTypeIPv4 || t == layers.LayerTypeIPv6 {
			firstIP = i
			break
		}
	}
	for i := len(ls) - 1; i >= 0; i-- {
		switch l := ls[i].(type) {
		case *layers.UDP:
			if l.SrcPort == 3544 || l.DstPort == 3544 {
				return refTeredo(l.Payload)
			}
		case *layers.GRE:
			if l.Protocol == 0x22eb {
				return refERSPAN3(l.Payload)
			}
		case *layers.MPLS:
			if l.StackBottom && len(l.Payload) > 4 && l.Payload[0]>>4 == 0 {
				return gopacket.NewPacket(l.Payload[4:], layers.LayerTypeEthernet,
					gopacket.Default), true
			}
		case *layers.IPv4, *layers.IPv6:
			if i == firstIP {
				return nil, false
			}
			ip := append(append([]byte(nil), l.LayerContents()...), l.LayerPayload()...)
			return gopacket.NewPacket(ip, l.LayerType(), gopacket.Default), true
		}
	}
	return nil, false
}

// refTeredo skips an origin indication (RFC 4380 section 5.1.1) and decodes
// the IPv6 packet.
func refTeredo(b []byte) (gopacket.Packet, bool) {
	if len(b) >= 8 && b[0] == 0 && b[1] == 0 {
		b = b[8:]
	}
	if len(b) == 0 || b[0]>>4 != 6 {
		return nil, false
	}
	return gopacket.NewPacket(b, layers.LayerTypeIPv6, gopacket.Default), true
}

// refERSPAN3 skips an ERSPAN type III header and decodes the Ethernet frame.
func refERSPAN3(b []byte) (gopacket.Packet, bool) {
	if len(b) < 12 {
		return nil, false
	}
	n := 12
	if b[11]&1 != 0 {
		n += 8
	}
	if len(b) < n {
		return nil, false
	}
	return gopacket.NewPacket(b[n:], layers.LayerTypeEthernet, gopacket.Default), true
}
