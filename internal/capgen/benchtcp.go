package capgen

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/miekg/dns"
)

// TCP lookup variants of the benchmark.
const (
	variantPlain    = iota // one query, one response, one segment each
	variantSplit           // the response in two or three segments
	variantTwoInOne        // two queries in one segment, both responses in one
	variantCount
)

// tcpLookup schedules a DNS over TCP connection starting at t: sometimes
// after a truncated UDP response, as a client falls back to TCP.
func (d *dnsStream) tcpLookup(t time.Time, c *benchClient) {
	q, r := d.newLookup()
	if d.rng.IntN(3) == 0 && d.left >= 2 {
		t = d.truncatedUDP(t, c, q, r)
	}

	variant := d.rng.IntN(variantCount)
	if variant == variantTwoInOne && d.left < 2 {
		variant = variantPlain
	}
	queries, responses := [][]byte{d.count(q)}, [][]byte{d.count(r)}
	if variant == variantTwoInOne {
		q2, r2 := d.newLookup()
		queries, responses = append(queries, d.count(q2)), append(responses, d.count(r2))
	}
	d.left -= len(queries)
	d.truth.Answered += len(queries)

	client := netip.AddrPortFrom(c.addr, c.port)
	conn := NewConn(client, c.server, d.rng.Uint32(), d.rng.Uint32())
	hop := time.Duration(100_000 + d.rng.IntN(200_000))
	at := d.scheduleSegments(t, hop, c, conn.Handshake())
	at = d.scheduleSegments(at, 10*time.Microsecond, c, conn.Send(true, LengthPrefixed(queries...)))

	var sizes []int
	if variant == variantSplit {
		sizes = []int{1 + d.rng.IntN(40), 20 + d.rng.IntN(60)}
	}
	reply := conn.Send(false, LengthPrefixed(responses...), sizes...)
	at = d.scheduleSegments(at.Add(d.rtt()), 20*time.Microsecond, c, reply)
	at = d.scheduleSegments(at.Add(30*time.Microsecond), hop, c, []Segment{conn.Ack(true)})
	d.scheduleSegments(at.Add(time.Millisecond), hop, c, conn.Close(true))
}

// truncatedUDP schedules q over UDP and a response with TC set and no
// records, and returns when the client falls back to TCP.
func (d *dnsStream) truncatedUDP(t time.Time, c *benchClient, q, r *dns.Msg) time.Time {
	client := netip.AddrPortFrom(c.addr, c.port)
	d.schedule(t, d.framer.UDP(&c.path, client, c.server, d.count(q)))

	tc := NewResponse(q, r.Rcode)
	tc.Truncated = true
	if opt := q.IsEdns0(); opt != nil {
		SetEDNS(tc, 1232, opt.Do(), netip.Prefix{}, 0)
	}
	back := t.Add(d.rtt())
	d.schedule(back, d.framer.UDP(&c.back, c.server, client, d.count(tc)))
	d.left--
	d.truth.Answered++

	c.nextPort()
	return back.Add(50 * time.Microsecond)
}

// scheduleSegments schedules segments step apart from at, and returns the
// time after the last.
func (d *dnsStream) scheduleSegments(at time.Time, step time.Duration, c *benchClient,
	segs []Segment) time.Time {
	for i := range segs {
		s := &segs[i]
		path := &c.back
		if s.FromClient {
			path = &c.path
		}
		d.schedule(at, d.framer.TCP(path, s.Src, s.Dst, &s.Header, s.Payload))
		at = at.Add(step)
	}
	return at
}

// fragmentedLookup schedules a TXT query and a response of 2.5 to 4 kB that
// travels in IP fragments.
func (d *dnsStream) fragmentedLookup(t time.Time, c *benchClient) {
	d.left--
	client := netip.AddrPortFrom(c.addr, c.port)
	i := d.names.pick(d.rng)
	name := d.names.names[i]
	q := NewQuery(uint16(d.rng.Uint32()), name, dns.TypeTXT)
	SetEDNS(q, 4096, true, netip.Prefix{}, 0)
	r := NewResponse(q, dns.RcodeSuccess)
	h := mix(d.names.seed, uint64(i))
	for k := range 12 + int(h%9) {
		text := "key" + strconv.Itoa(k) + "=" + strconv.FormatUint(mix(h, uint64(k)), 36)
		for len(text) < 200 {
			text += text
		}
		r.Answer = append(r.Answer, &dns.TXT{Hdr: hdr(name, dns.TypeTXT, 300), Txt: []string{text[:200]}})
	}
	SetEDNS(r, 4096, true, netip.Prefix{}, 0)
	d.schedule(t, d.framer.UDP(&c.path, client, c.server, d.count(q)))

	datagram := AppendUDP(nil, c.server, client, d.count(r))
	var frags [][]byte
	if client.Addr().Is4() {
		h := d.framer.IPv4Header(&c.back, c.server.Addr(), client.Addr())
		frags = FragmentIPv4(&h, ProtoUDP, datagram, 1480)
	} else {
		h := IPv6{Src: c.server.Addr(), Dst: client.Addr()}
		frags = FragmentIPv6(&h, ProtoUDP, datagram, 1232, d.rng.Uint32())
	}
	at := t.Add(d.rtt())
	for _, f := range frags {
		d.schedule(at, d.framer.Frame(&c.back, f))
		at = at.Add(5 * time.Microsecond)
	}
	d.truth.Answered++
}
