package sqlitestore

import (
	"pdnsx/dnsextract"
)

// addLookup appends a lookups row and the records rows of a lookup. It
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

	var qname int64
	if first.QName != "" {
		var err error
		if qname, err = w.nameID(first.QName); err != nil {
			return false, err
		}
	}
	id := w.nextLookup
	w.nextLookup++

	row := &w.lookups.rowBuffer
	row.int(id)
	row.int(capture)
	row.text(l.Kind().String())
	row.text(l.Transport.String())
	row.optText(l.Path)
	row.endpoint(l.Client)
	row.endpoint(l.Server)
	row.int(int64(first.ID))
	if qname == 0 {
		row.null()
	} else {
		row.int(qname)
	}
	w.appendQuestion(row, first, r)
	appendTimes(row, l)
	appendResponse(row, r)
	appendEDNS(row, first)
	w.appendMessage(row, q, r)
	w.rows++
	if err := w.lookups.end(); err != nil {
		return false, err
	}
	return true, w.addLookupRecords(id, l)
}

// addLookupRecords appends the records rows of a lookup: those of its
// response, and those of its query when it is an unpaired (mDNS or LLMNR)
// message, as mDNS queries carry known answers.
func (w *Writer) addLookupRecords(id int64, l *dnsextract.Lookup) error {
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

// appendQuestion appends qtype, qclass, opcode and rcode.
func (w *Writer) appendQuestion(row *rowBuffer, first, r *dnsextract.Message) {
	if first.QName != "" {
		row.text(w.types.text(first.QType))
		row.text(w.classes.text(first.QClass))
	} else {
		row.null()
		row.null()
	}
	row.text(w.opcodes.text(uint16(first.Opcode)))
	if r != nil {
		row.text(w.rcodes.text(r.Rcode))
	} else {
		row.null()
	}
}

// appendTimes appends query_time, response_time, rtt_us, query_flags and
// response_flags.
func appendTimes(row *rowBuffer, l *dnsextract.Lookup) {
	q, r := l.Query, l.Response
	if q != nil {
		row.time(q.Time)
	} else {
		row.null()
	}
	if r != nil {
		row.time(r.Time)
	} else {
		row.null()
	}
	if q != nil && r != nil {
		row.int(l.RTT().Microseconds())
	} else {
		row.null()
	}
	for _, m := range []*dnsextract.Message{q, r} {
		if m != nil {
			row.int(int64(m.Flags))
		} else {
			row.null()
		}
	}
}

// appendResponse appends tc, aa and the section counts, from the response.
func appendResponse(row *rowBuffer, r *dnsextract.Message) {
	if r == nil {
		for range 5 {
			row.null()
		}
		return
	}
	row.flag(r.Flags, 0x0200) // TC
	row.flag(r.Flags, 0x0400) // AA
	row.int(int64(r.ANCount))
	row.int(int64(r.NSCount))
	row.int(int64(r.ARCount))
}

// appendEDNS appends edns_udp_size, edns_do and edns_client_subnet.
func appendEDNS(row *rowBuffer, m *dnsextract.Message) {
	if !m.EDNS {
		row.null()
		row.null()
		row.null()
		return
	}
	row.int(int64(m.UDPSize))
	row.bool(m.DO)
	row.optText(m.ClientSubnet)
}

// appendMessage appends the sizes, captures and frames of query and
// response.
func (w *Writer) appendMessage(row *rowBuffer, q, r *dnsextract.Message) {
	for _, m := range []*dnsextract.Message{q, r} {
		if m != nil {
			row.int(int64(m.Size))
		} else {
			row.null()
		}
	}
	w.appendFrames(row, q)
	w.appendFrames(row, r)
}

// appendFrames appends the capture, first frame and frame list of a
// message.
func (w *Writer) appendFrames(row *rowBuffer, m *dnsextract.Message) {
	if m == nil {
		row.null()
		row.null()
		row.null()
		return
	}
	capture, _ := w.captureOf(m)
	row.int(capture)
	row.int(m.Frames[0].Frame)
	row.optText(framesText(m.Frames))
}

// addRecords appends the records rows of a message; id is its lookup's,
// and *ord the position of the next record within the lookup.
func (w *Writer) addRecords(id int64, ord *int, records []dnsextract.Record) error {
	for i := range records {
		rr := &records[i]
		name, err := w.nameID(rr.Name)
		if err != nil {
			return err
		}
		row := &w.records.rowBuffer
		row.int(id)
		row.int(int64(*ord))
		*ord++
		row.text(rr.Section.String())
		row.int(name)
		row.text(w.types.text(rr.Type))
		row.text(w.classes.text(rr.Class))
		row.int(int64(rr.TTL))
		row.text(rr.Data)
		w.rows++
		if err := w.records.end(); err != nil {
			return err
		}
	}
	return nil
}

// addMalformed appends a malformed row. It reports false, having added
// nothing, for a payload with no frame in a started capture.
func (w *Writer) addMalformed(m *dnsextract.Malformed) (bool, error) {
	if len(m.Frames) == 0 {
		return false, nil
	}
	capture, ok := w.capture(m.Frames[0].Capture)
	if !ok {
		return false, nil
	}

	row := &w.malformed.rowBuffer
	row.int(capture)
	row.int(m.Frames[0].Frame)
	row.optText(framesText(m.Frames))
	row.time(m.Time)
	row.text(m.Transport.String())
	row.optText(m.Path)
	row.endpoint(m.Src)
	row.endpoint(m.Dst)
	row.text(m.Reason)
	if m.Payload == nil {
		row.null()
	} else {
		row.blob(m.Payload)
	}
	w.rows++
	return true, w.malformed.end()
}

// mnemonics caches the texts of one kind of mnemonic (types, classes,
// response codes or opcodes), which would otherwise be looked up in
// miekg/dns's maps, or formatted, once per row.
type mnemonics struct {
	of    func(uint16) string
	small [256]string
	large map[uint16]string
}

// text returns the mnemonic of v.
func (m *mnemonics) text(v uint16) string {
	if v < uint16(len(m.small)) {
		if s := m.small[v]; s != "" {
			return s
		}
		m.small[v] = m.of(v)
		return m.small[v]
	}
	s, ok := m.large[v]
	if !ok {
		if m.large == nil {
			m.large = make(map[uint16]string)
		}
		s = m.of(v)
		m.large[v] = s
	}
	return s
}
