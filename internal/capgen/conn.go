package capgen

import (
	"encoding/binary"
	"net/netip"
)

// defaultWindow is the receive window advertised by Conn segments.
const defaultWindow = 64240

// Segment is one TCP segment of a Conn, ready to be framed with
// Framer.TCP(path, s.Src, s.Dst, &s.Header, s.Payload).
type Segment struct {
	FromClient bool
	Src, Dst   netip.AddrPort
	Header     TCPHeader
	Payload    []byte
}

// Conn tracks one TCP connection between a client and a server: the next
// sequence number each side sends. Its methods return segments instead of
// writing them, so that a caller can repeat (retransmit), reorder or drop
// them. Sequence numbers wrap modulo 2^32.
type Conn struct {
	Client, Server netip.AddrPort
	clientNext     uint32
	serverNext     uint32
}

// NewConn returns a connection whose sides start at the given initial
// sequence numbers. For a connection seen without its handshake, the
// numbers are the next ones each side sends.
func NewConn(client, server netip.AddrPort, clientISN, serverISN uint32) *Conn {
	return &Conn{Client: client, Server: server, clientNext: clientISN, serverNext: serverISN}
}

// Next returns the sequence number the client or the server sends next.
func (c *Conn) Next(fromClient bool) uint32 {
	if fromClient {
		return c.clientNext
	}
	return c.serverNext
}

// Handshake returns SYN, SYN-ACK and ACK (RFC 9293 section 3.5). SYN and
// SYN-ACK each take one sequence number.
func (c *Conn) Handshake() []Segment {
	syn := c.segment(true, SYN, nil)
	syn.Header.Ack = 0
	syn.Header.Options = SynOptions(1460, 7)
	c.clientNext++

	synAck := c.segment(false, SYN|ACK, nil)
	synAck.Header.Options = SynOptions(1460, 7)
	c.serverNext++

	return []Segment{syn, synAck, c.segment(true, ACK, nil)}
}

// Send returns data sent by one side, cut into segments of the given sizes
// in turn; whatever is left after the sizes goes in one last segment. The
// last segment carries PSH. Send advances that side's sequence number.
func (c *Conn) Send(fromClient bool, data []byte, sizes ...int) []Segment {
	var segs []Segment
	for len(data) > 0 {
		n := len(data)
		if len(segs) < len(sizes) && sizes[len(segs)] < n {
			n = max(sizes[len(segs)], 1)
		}
		flags := ACK
		if n == len(data) {
			flags |= PSH
		}
		segs = append(segs, c.segment(fromClient, flags, data[:n]))
		c.advance(fromClient, n)
		data = data[n:]
	}
	return segs
}

// Ack returns a segment without data acknowledging all that the other side
// has sent.
func (c *Conn) Ack(fromClient bool) Segment {
	return c.segment(fromClient, ACK, nil)
}

// Close returns the closing exchange started by one side: FIN-ACK, the
// other side's FIN-ACK, and the last ACK. Each FIN takes one sequence
// number.
func (c *Conn) Close(fromClient bool) []Segment {
	first := c.segment(fromClient, FIN|ACK, nil)
	c.advance(fromClient, 1)
	second := c.segment(!fromClient, FIN|ACK, nil)
	c.advance(!fromClient, 1)
	return []Segment{first, second, c.segment(fromClient, ACK, nil)}
}

// segment returns a segment from one side with the current numbers.
func (c *Conn) segment(fromClient bool, flags TCPFlags, payload []byte) Segment {
	s := Segment{
		FromClient: fromClient,
		Src:        c.Server, Dst: c.Client,
		Header:  TCPHeader{Seq: c.serverNext, Ack: c.clientNext, Flags: flags, Window: defaultWindow},
		Payload: payload,
	}
	if fromClient {
		s.Src, s.Dst = c.Client, c.Server
		s.Header.Seq, s.Header.Ack = c.clientNext, c.serverNext
	}
	return s
}

// advance moves one side's next sequence number n bytes on.
func (c *Conn) advance(fromClient bool, n int) {
	if fromClient {
		c.clientNext += uint32(n)
	} else {
		c.serverNext += uint32(n)
	}
}

// LengthPrefixed frames DNS messages for TCP: each is preceded by its
// length as a two-byte big-endian number (RFC 1035 section 4.2.2, RFC 7766).
func LengthPrefixed(msgs ...[]byte) []byte {
	var b []byte
	for _, m := range msgs {
		b = binary.BigEndian.AppendUint16(b, uint16(len(m)))
		b = append(b, m...)
	}
	return b
}
