package sqlitestore

import (
	"database/sql/driver"

	"pdnsx/dnsextract"
)

// addLookup fills a lookups row and the records rows of a lookup. It
// reports false, having added nothing, for a lookup whose messages have
// no frame or a frame in a capture that was not started.
func (w *Writer) addLookup(l *dnsextract.Lookup) (bool, error) {
	q, r := l.Query, l.Response
	first := q // the message that names the lookup
	if first == nil {
		first = r
	}
	if first == nil {
		return false, nil
	}
	earliest := first
	if q != nil && r != nil && r.Time.Before(q.Time) {
		earliest = r
	}
	capture, ok := w.captureOf(earliest)
	if !ok || !w.known(q) || !w.known(r) {
		return false, nil
	}

	qname, err := w.questionName(first)
	if err != nil {
		return false, err
	}
	var id any = w.nextLookup
	w.nextLookup++
	v := w.lookups.next()
	v[0].Value = id
	v[1].Value = capture.box
	v[2].Value = w.kind(l.Kind())
	v[3].Value = w.transport(l.Transport)
	v[4].Value = w.optText(l.Path)
	v[5].Value, v[6].Value = w.endpoint(l.Client)
	v[7].Value, v[8].Value = w.endpoint(l.Server)
	v[9].Value = w.uint16(first.ID)
	v[10].Value = qname
	w.fillQuestion(v[11:15], first, r)
	w.fillTimes(v[15:20], l)
	w.fillResponse(v[20:25], r)
	w.fillEDNS(v[25:28], first)
	w.fillMessage(v[28:36], q, r)
	w.rows++
	if err := w.lookups.added(); err != nil {
		return false, err
	}
	return true, w.addLookupRecords(id, l)
}

// addLookupRecords fills the records rows of a lookup: those of its
// response, and those of its query when it is an unpaired (mDNS or LLMNR)
// message, as mDNS queries carry known answers.
func (w *Writer) addLookupRecords(id any, l *dnsextract.Lookup) error {
	ord := 0
	if l.Query != nil && l.Unpaired {
		if err := w.addRecords(id, &ord, l.Query.Records); err != nil {
			return err
		}
	}
	if l.Response != nil {
		return w.addRecords(id, &ord, l.Response.Records)
	}
	return nil
}

// known reports whether a message, if any, has its first frame in a
// started capture.
func (w *Writer) known(m *dnsextract.Message) bool {
	if m == nil {
		return true
	}
	_, ok := w.captureOf(m)
	return ok
}

// questionName returns the boxed name id of a message's question, or nil
// when it has none.
func (w *Writer) questionName(m *dnsextract.Message) (any, error) {
	if m.QName == "" {
		return nil, nil
	}
	return w.nameID(m.QName)
}

// fillQuestion sets qtype, qclass, opcode and rcode.
func (w *Writer) fillQuestion(v []driver.NamedValue, first, r *dnsextract.Message) {
	v[0].Value, v[1].Value = nil, nil
	if first.QName != "" {
		v[0].Value = w.mnemonic(mnemonicType, first.QType)
		v[1].Value = w.mnemonic(mnemonicClass, first.QClass)
	}
	v[2].Value = w.mnemonic(mnemonicOpcode, uint16(first.Opcode))
	v[3].Value = nil
	if r != nil {
		v[3].Value = w.mnemonic(mnemonicRcode, r.Rcode)
	}
}

// fillTimes sets query_time, response_time, rtt_us, query_flags and
// response_flags.
func (w *Writer) fillTimes(v []driver.NamedValue, l *dnsextract.Lookup) {
	q, r := l.Query, l.Response
	for i := range v {
		v[i].Value = nil
	}
	if q != nil {
		v[0].Value = w.time(q.Time)
		v[3].Value = w.uint16(q.Flags)
	}
	if r != nil {
		v[1].Value = w.time(r.Time)
		v[4].Value = w.uint16(r.Flags)
	}
	if q != nil && r != nil {
		v[2].Value = l.RTT().Microseconds()
	}
}

// fillResponse sets tc, aa and the section counts, from the response.
func (w *Writer) fillResponse(v []driver.NamedValue, r *dnsextract.Message) {
	if r == nil {
		for i := range v {
			v[i].Value = nil
		}
		return
	}
	v[0].Value = flag(r.Flags, 0x0200) // TC
	v[1].Value = flag(r.Flags, 0x0400) // AA
	v[2].Value = w.uint16(r.ANCount)
	v[3].Value = w.uint16(r.NSCount)
	v[4].Value = w.uint16(r.ARCount)
}

// fillEDNS sets edns_udp_size, edns_do and edns_client_subnet.
func (w *Writer) fillEDNS(v []driver.NamedValue, m *dnsextract.Message) {
	if !m.EDNS {
		v[0].Value, v[1].Value, v[2].Value = nil, nil, nil
		return
	}
	v[0].Value = w.uint16(m.UDPSize)
	v[1].Value = boolInt(m.DO)
	v[2].Value = optText(m.ClientSubnet)
}

// fillMessage sets the sizes, captures and frames of query and response.
func (w *Writer) fillMessage(v []driver.NamedValue, q, r *dnsextract.Message) {
	v[0].Value, v[1].Value = nil, nil
	if q != nil {
		v[0].Value = w.int(q.Size)
	}
	if r != nil {
		v[1].Value = w.int(r.Size)
	}
	w.fillFrames(v[2:5], q)
	w.fillFrames(v[5:8], r)
}

// fillFrames sets the capture, first frame and frame list of a message.
func (w *Writer) fillFrames(v []driver.NamedValue, m *dnsextract.Message) {
	if m == nil {
		v[0].Value, v[1].Value, v[2].Value = nil, nil, nil
		return
	}
	ref, _ := w.captureOf(m)
	v[0].Value = ref.box
	v[1].Value = m.Frames[0].Frame
	v[2].Value = optText(framesText(m.Frames))
}

// addRecords fills the records rows of a message; id is the boxed id of
// its lookup, and *ord the position of the next record within the lookup.
func (w *Writer) addRecords(id any, ord *int, records []dnsextract.Record) error {
	for i := range records {
		rr := &records[i]
		name, err := w.nameID(rr.Name)
		if err != nil {
			return err
		}
		v := w.records.next()
		v[0].Value = id
		v[1].Value = w.int(*ord)
		*ord++
		v[2].Value = w.section(rr.Section)
		v[3].Value = name
		v[4].Value = w.mnemonic(mnemonicType, rr.Type)
		v[5].Value = w.mnemonic(mnemonicClass, rr.Class)
		v[6].Value = w.uint32(rr.TTL)
		v[7].Value = rr.Data
		w.rows++
		if err := w.records.added(); err != nil {
			return err
		}
	}
	return nil
}

// addMalformed fills a malformed row. It reports false, having added
// nothing, for a payload with no frame in a started capture.
func (w *Writer) addMalformed(m *dnsextract.Malformed) (bool, error) {
	if len(m.Frames) == 0 {
		return false, nil
	}
	ref, ok := w.capture(m.Frames[0].Capture)
	if !ok {
		return false, nil
	}

	v := w.malformed.next()
	v[0].Value = ref.box
	v[1].Value = m.Frames[0].Frame
	v[2].Value = optText(framesText(m.Frames))
	v[3].Value = w.time(m.Time)
	v[4].Value = w.transport(m.Transport)
	v[5].Value = w.optText(m.Path)
	v[6].Value, v[7].Value = w.endpoint(m.Src)
	v[8].Value, v[9].Value = w.endpoint(m.Dst)
	v[10].Value = m.Reason
	v[11].Value = m.Payload
	if m.Payload == nil {
		v[11].Value = nil
	}
	w.rows++
	return true, w.malformed.added()
}

// flag returns 1 when bit is set in flags, else 0.
func flag(flags, bit uint16) int64 {
	if flags&bit != 0 {
		return 1
	}
	return 0
}

// boolInt returns 1 for true and 0 for false.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
