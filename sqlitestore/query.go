package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Filter narrows the rows a query returns. Every value reaches SQL as a
// bound parameter.
type Filter struct {
	// Since and Until bound a half-open window [Since, Until); a zero
	// time leaves that side open. A resolution is in the window when its
	// time is; a pdns row when it was seen in it (time_last >= Since and
	// time_first < Until), its counts still being those of the whole case.
	Since, Until time.Time

	Types  []string // query types of resolutions, record types of pdns rows; none: any
	Rcodes []string // response codes of resolutions; "" stands for no response
	Limit  int      // rows at most; 0: no limit
}

// Resolution is a lookup as the query commands show it: who asked what,
// when, what came back, and where its packets are.
type Resolution struct {
	ID         int64
	Kind       string // answered, unanswered, unsolicited, unpaired
	Transport  string // udp, tcp
	Client     string
	ClientPort int
	Server     string
	ServerPort int
	TxID       int
	QName      string // "" for a message without a question
	QType      string
	QClass     string
	Rcode      string        // "" when no response was captured
	RTT        time.Duration // 0 unless both messages were captured
	Query      *Message      // nil when the query was not captured
	Response   *Message      // nil when the response was not captured
	Answers    []Answer      // the records of the response's answer section
}

// Time returns when the lookup happened: its query's time, or its
// response's for an unsolicited response.
func (r *Resolution) Time() time.Time {
	if r.Query != nil {
		return r.Query.Time
	}
	return r.Response.Time
}

// Message is the query or the response of a Resolution, with the way back
// to its packets.
type Message struct {
	Time    time.Time
	Flags   uint16 // the header's flags word
	Capture string // the capture file's path, as given to ingest
	SHA256  string // of the capture file, hex
	Frame   int64  // the first frame, numbered from 1 as Wireshark does
	Frames  string // every frame ("12,13,15") of a message that spans several, else ""
}

// Answer is a resource record of a response's answer section.
type Answer struct {
	Name  string
	Type  string
	Class string
	TTL   int64
	Data  string
}

// PDNS is a row of the passive DNS summary: a record (owner name, type,
// class, data) with the first and last time a response carried it, how
// many did, to how many distinct clients, and the smallest and largest TTL.
type PDNS struct {
	Name           string
	Type           string
	Class          string
	Data           string
	First, Last    time.Time
	Count, Clients int64
	TTLMin, TTLMax int64
}

// LookupsByName returns the lookups whose question name matches p, in time
// order.
func (s *Store) LookupsByName(p NamePattern, f Filter) iter.Seq2[*Resolution, error] {
	if p.cond == "" {
		return failed[*Resolution](errNoPattern)
	}
	var w where
	w.add("l.qname_id IN (SELECT id FROM names n WHERE "+p.cond+")", p.args...)
	return s.resolutions(w, f)
}

// errNoPattern is the error of a query given a NamePattern that
// ParseNamePattern did not return.
var errNoPattern = errors.New("sqlitestore: name pattern not made by ParseNamePattern")

// failed returns a sequence of the single error err.
func failed[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}

// LookupsByClient returns the lookups of the clients in p (a single
// address or a CIDR block), in time order.
func (s *Store) LookupsByClient(p netip.Prefix, f Filter) iter.Seq2[*Resolution, error] {
	if p.IsSingleIP() {
		var w where
		w.add("l.client = ?", p.Addr().String())
		return s.resolutions(w, f)
	}
	return func(yield func(*Resolution, error) bool) {
		clients, err := s.clientsIn(p)
		if err != nil {
			yield(nil, err)
			return
		}
		if len(clients) == 0 {
			return
		}
		var w where
		w.add("l.client IN (SELECT value FROM json_each(?))", clients)
		for r, err := range s.resolutions(w, f) {
			if !yield(r, err) {
				return
			}
		}
	}
}

// Lookups returns every lookup of the case in the filter, in time order.
func (s *Store) Lookups(f Filter) iter.Seq2[*Resolution, error] {
	return s.resolutions(where{}, f)
}

// PDNSByName returns the pdns rows whose owner name matches p, in the
// order of their first time seen.
func (s *Store) PDNSByName(p NamePattern, f Filter) iter.Seq2[*PDNS, error] {
	if p.cond == "" {
		return failed[*PDNS](errNoPattern)
	}
	var w where
	w.add("p.name_id IN (SELECT id FROM names n WHERE "+p.cond+")", p.args...)
	return s.pdnsRows(w, f)
}

// PDNSByAddress returns the pdns rows whose data held an address in p: A
// and AAAA records, and the ipv4hint and ipv6hint of HTTPS and SVCB
// records. They come in the order of their first time seen.
func (s *Store) PDNSByAddress(p netip.Prefix, f Filter) iter.Seq2[*PDNS, error] {
	lo, hi := prefixRange(p)
	var w where
	w.add("p.id IN (SELECT pdns_id FROM pdns_addresses WHERE address BETWEEN ? AND ?)", lo, hi)
	return s.pdnsRows(w, f)
}

// PDNS returns every pdns row of the case in the filter.
func (s *Store) PDNS(f Filter) iter.Seq2[*PDNS, error] {
	return s.pdnsRows(where{}, f)
}

// prefixRange returns the first and last address keys of a CIDR block.
func prefixRange(p netip.Prefix) (lo, hi []byte) {
	p = p.Masked()
	lo = AddressKey(p.Addr())
	hi = AddressKey(p.Addr())
	host := 128 - p.Bits()
	if p.Addr().Is4() {
		host = 32 - p.Bits()
	}
	for i := 15; host > 0; i-- {
		bits := min(host, 8)
		hi[i] |= byte(1<<bits - 1)
		host -= bits
	}
	return lo, hi
}

// clientsIn returns, as a JSON array, the client addresses of the case
// that lie in p. The distinct clients are walked on the lookups_client_time
// index, one seek each (a loose index scan), so the cost grows with the
// number of clients, not of lookups.
func (s *Store) clientsIn(p netip.Prefix) (string, error) {
	rows, err := s.conn.QueryContext(context.Background(), `
WITH RECURSIVE c(client) AS (
	SELECT min(client) FROM lookups
	UNION ALL
	SELECT (SELECT min(client) FROM lookups WHERE client > c.client) FROM c
	WHERE c.client IS NOT NULL)
SELECT client FROM c WHERE client IS NOT NULL`)
	if err != nil {
		return "", s.wrap(err)
	}
	defer rows.Close()
	var in []string
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return "", s.wrap(err)
		}
		if a, err := netip.ParseAddr(text); err == nil && p.Contains(a) {
			in = append(in, text)
		}
	}
	if err := rows.Err(); err != nil {
		return "", s.wrap(err)
	}
	if len(in) == 0 {
		return "", nil
	}
	b, err := json.Marshal(in)
	return string(b), err
}

// where collects the conditions of a WHERE clause and their arguments.
type where struct {
	conds []string
	args  []any
}

// clone returns a copy of w that conditions can be added to without
// changing w.
func (w where) clone() where {
	return where{slices.Clone(w.conds), slices.Clone(w.args)}
}

// add adds a condition with its arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "column IN (?, ...)" with a placeholder per value, and when
// null is set also accepts a NULL column.
func (w *where) in(column string, values []string, null bool) {
	var marks []string
	for _, v := range values {
		marks = append(marks, "?")
		w.args = append(w.args, v)
	}
	var alts []string
	if len(marks) > 0 {
		alts = append(alts, column+" IN ("+strings.Join(marks, ", ")+")")
	}
	if null {
		alts = append(alts, column+" IS NULL")
	}
	w.conds = append(w.conds, "("+strings.Join(alts, " OR ")+")")
}

// window adds the bounds of f's time window on a time expression: from
// >= Since to < Until.
func (w *where) window(from, to string, f Filter) {
	if !f.Since.IsZero() {
		w.add(to+" >= ?", timeText(f.Since))
	}
	if !f.Until.IsZero() {
		w.add(from+" < ?", timeText(f.Until))
	}
}

// String returns the WHERE clause, or "" when it has no condition.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return "\nWHERE " + strings.Join(w.conds, "\n  AND ")
}

// limit returns the LIMIT clause of f and appends its argument.
func (w *where) limit(f Filter) string {
	if f.Limit <= 0 {
		return ""
	}
	w.args = append(w.args, f.Limit)
	return "\nLIMIT ?"
}

// timeText returns a time as the case file stores it.
func timeText(t time.Time) string { return string(appendTime(nil, t)) }

// lookupTime is the SQL expression of a lookup's time.
const lookupTime = "coalesce(l.query_time, l.response_time)"

// resolutionColumns are the columns scanResolution reads.
const resolutionColumns = `l.id, l.kind, l.transport, coalesce(l.client, ''),
	coalesce(l.client_port, 0), coalesce(l.server, ''), coalesce(l.server_port, 0),
	coalesce(l.txid, 0), coalesce(n.name, ''), coalesce(l.qtype, ''), coalesce(l.qclass, ''),
	coalesce(l.rcode, ''), coalesce(l.rtt_us, 0),
	l.query_time, l.query_flags, qc.path, qc.sha256, l.query_frame, l.query_frames,
	l.response_time, l.response_flags, rc.path, rc.sha256, l.response_frame,
	l.response_frames,
	(SELECT json_group_array(json_array(an.name, a.type, a.class, a.ttl, a.data)
		ORDER BY a.ord)
	 FROM records a JOIN names an ON an.id = a.name_id
	 WHERE a.lookup_id = l.id AND a.section = 'answer')`

// resolutions runs a query of lookups with the conditions of w and f.
func (s *Store) resolutions(w where, f Filter) iter.Seq2[*Resolution, error] {
	query, args := resolutionQuery(w, f)
	return func(yield func(*Resolution, error) bool) {
		s.each(query, args, func(rows *sql.Rows) bool {
			r, err := scanResolution(rows)
			return yield(r, s.wrap(err)) && err == nil
		}, func(err error) { yield(nil, err) })
	}
}

// resolutionQuery returns the SQL and arguments of a query of lookups
// with the conditions of w and f. The lookups are chosen and sorted in a
// subquery that reads only their ids and times, mostly from the index
// that found them; the LIMIT keeps SQLite from flattening it, so that the
// columns and the answers are read only for the lookups kept, in order,
// and the sort holds two values a row rather than the whole row.
func resolutionQuery(w where, f Filter) (string, []any) {
	w = w.clone()
	if len(f.Types) > 0 {
		w.in("l.qtype", f.Types, false)
	}
	if len(f.Rcodes) > 0 {
		w.in("l.rcode", nonEmpty(f.Rcodes), slices.Contains(f.Rcodes, ""))
	}
	w.window(lookupTime, lookupTime, f)
	limit := f.Limit
	if limit <= 0 {
		limit = -1 // no limit, but a LIMIT all the same: see above
	}
	query := "SELECT " + resolutionColumns + `
FROM (SELECT l.id AS id, ` + lookupTime + ` AS t FROM lookups l` + w.String() + `
      ORDER BY t, l.id LIMIT ?) pick
JOIN lookups l ON l.id = pick.id
LEFT JOIN names n ON n.id = l.qname_id
LEFT JOIN captures qc ON qc.id = l.query_capture_id
LEFT JOIN captures rc ON rc.id = l.response_capture_id
ORDER BY pick.t, pick.id`
	return query, append(w.args, limit)
}

// each runs query and calls row for each row until it returns false; fail
// gets the error that stopped the query, if any.
func (s *Store) each(query string, args []any, row func(*sql.Rows) bool, fail func(error)) {
	rows, err := s.conn.QueryContext(context.Background(), query, args...)
	if err != nil {
		fail(s.wrap(err))
		return
	}
	defer rows.Close()
	for rows.Next() {
		if !row(rows) {
			return
		}
	}
	if err := rows.Err(); err != nil {
		fail(s.wrap(err))
	}
}

// message holds the columns of one side of a lookup while it is scanned.
type message struct {
	time, capture, sha256, frames sql.NullString
	flags, frame                  sql.NullInt64
}

// dest returns the scan destinations of the side, in resolutionColumns'
// order.
func (m *message) dest() []any {
	return []any{&m.time, &m.flags, &m.capture, &m.sha256, &m.frame, &m.frames}
}

// value returns the scanned side, or nil when the lookup has none.
func (m *message) value() (*Message, error) {
	if !m.time.Valid {
		return nil, nil
	}
	t, err := parseTime(m.time.String)
	if err != nil {
		return nil, err
	}
	return &Message{Time: t, Flags: uint16(m.flags.Int64), Capture: m.capture.String,
		SHA256: m.sha256.String, Frame: m.frame.Int64, Frames: m.frames.String}, nil
}

// scanResolution reads a row of resolutionColumns.
func scanResolution(rows *sql.Rows) (*Resolution, error) {
	var r Resolution
	var q, p message
	var rtt int64
	var answers string
	dest := []any{&r.ID, &r.Kind, &r.Transport, &r.Client, &r.ClientPort, &r.Server,
		&r.ServerPort, &r.TxID, &r.QName, &r.QType, &r.QClass, &r.Rcode, &rtt}
	dest = append(append(append(dest, q.dest()...), p.dest()...), &answers)
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	r.RTT = time.Duration(rtt) * time.Microsecond

	var err error
	if r.Query, err = q.value(); err != nil {
		return nil, err
	}
	if r.Response, err = p.value(); err != nil {
		return nil, err
	}
	if r.Query == nil && r.Response == nil {
		return nil, fmt.Errorf("lookup %d has neither a query nor a response time", r.ID)
	}
	r.Answers, err = parseAnswers(answers)
	return &r, err
}

// parseAnswers reads the JSON array of [name, type, class, ttl, data]
// arrays the query builds.
func parseAnswers(text string) ([]Answer, error) {
	var raw [][5]any
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, fmt.Errorf("answers %q: %w", text, err)
	}
	if len(raw) == 0 {
		return nil, nil
	}
	answers := make([]Answer, len(raw))
	for i, a := range raw {
		name, _ := a[0].(string)
		typ, _ := a[1].(string)
		class, _ := a[2].(string)
		ttl, _ := a[3].(float64)
		data, _ := a[4].(string)
		answers[i] = Answer{Name: name, Type: typ, Class: class, TTL: int64(ttl), Data: data}
	}
	return answers, nil
}

// pdnsColumns are the columns scanPDNS reads.
const pdnsColumns = `n.name, p.type, p.class, p.data, p.time_first, p.time_last, p.count,
	p.clients, p.ttl_min, p.ttl_max`

// pdnsRows runs a query of pdns rows with the conditions of w and f.
func (s *Store) pdnsRows(w where, f Filter) iter.Seq2[*PDNS, error] {
	return func(yield func(*PDNS, error) bool) {
		query, args, err := pdnsQuery(w, f)
		if err != nil {
			yield(nil, err)
			return
		}
		s.each(query, args, func(rows *sql.Rows) bool {
			p, err := scanPDNS(rows)
			return yield(p, s.wrap(err)) && err == nil
		}, func(err error) { yield(nil, err) })
	}
}

// pdnsQuery returns the SQL and arguments of a query of pdns rows with
// the conditions of w and f.
func pdnsQuery(w where, f Filter) (string, []any, error) {
	if len(f.Rcodes) > 0 {
		return "", nil, errors.New("sqlitestore: pdns rows have no response code")
	}
	w = w.clone()
	if len(f.Types) > 0 {
		w.in("p.type", f.Types, false)
	}
	w.window("p.time_first", "p.time_last", f)
	query := "SELECT " + pdnsColumns + `
FROM pdns p JOIN names n ON n.id = p.name_id` + w.String() + `
ORDER BY p.time_first, n.name, p.type, p.data` + w.limit(f)
	return query, w.args, nil
}

// scanPDNS reads a row of pdnsColumns.
func scanPDNS(rows *sql.Rows) (*PDNS, error) {
	var p PDNS
	var first, last string
	err := rows.Scan(&p.Name, &p.Type, &p.Class, &p.Data, &first, &last, &p.Count,
		&p.Clients, &p.TTLMin, &p.TTLMax)
	if err != nil {
		return nil, err
	}
	if p.First, err = parseTime(first); err != nil {
		return nil, err
	}
	p.Last, err = parseTime(last)
	return &p, err
}

// nonEmpty returns the values other than "".
func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// NamePattern is a DNS name to search for, with "*" standing for one or
// more whole labels. Matching ignores ASCII case, as DNS does.
//
//   - www.example.com: that name exactly;
//   - *.example.com: any name strictly under example.com (not example.com
//     itself), found through the names_rname index;
//   - www.example.*, *.example.*, www.*.com: "*" as the first, last or a
//     middle label; such patterns read every row of names (a LIKE scan),
//     which is small beside lookups and records;
//   - *: every name.
type NamePattern struct {
	text string
	cond string // on names n
	args []any
}

// String returns the pattern as given.
func (p NamePattern) String() string { return p.text }

// ParseNamePattern reads a name pattern; the trailing dot is optional.
func ParseNamePattern(text string) (NamePattern, error) {
	p := NamePattern{text: text}
	if text == "" {
		return p, errors.New("empty name")
	}
	name := text
	if !strings.HasSuffix(name, ".") || strings.HasSuffix(name, `\.`) {
		name += "."
	}
	labels := splitLabels(name)
	stars := 0
	for _, l := range labels {
		if l == "" {
			return p, fmt.Errorf("name %q has an empty label", text)
		}
		if l == "*" {
			stars++
		} else if strings.Contains(l, "*") {
			return p, fmt.Errorf("name %q: \"*\" stands for whole labels "+
				"(*.example.com, www.example.*)", text)
		}
	}

	switch {
	case stars == 0:
		p.cond, p.args = "n.rname = ?", []any{reverseName(name)}
	case len(labels) == 1:
		p.cond = "1"
	case stars == 1 && labels[0] == "*":
		base := reverseName(strings.Join(labels[1:], ".") + ".")
		p.cond = "n.rname > ? AND n.rname < ?"
		p.args = []any{base, base[:len(base)-1] + "/"}
	default:
		p.cond, p.args = `n.name LIKE ? ESCAPE '\'`, []any{likePattern(labels)}
	}
	return p, nil
}

// likePattern returns the LIKE pattern of a name's labels: "*" becomes
// "_%" (one character or more), other labels are escaped, and the
// trailing dot of stored names closes it.
func likePattern(labels []string) string {
	var b strings.Builder
	for _, l := range labels {
		if l == "*" {
			b.WriteString("_%")
		} else {
			for _, c := range []byte(l) {
				if c == '\\' || c == '%' || c == '_' {
					b.WriteByte('\\')
				}
				b.WriteByte(c)
			}
		}
		b.WriteByte('.')
	}
	return b.String()
}

// Info is an overview of a case, as pdnsx info shows it.
type Info struct {
	Captures   []*Capture
	Runs       []*Run
	Lookups    int64
	Kinds      []Count // lookups by kind
	Rcodes     []Count // lookups with a response, by response code
	Records    int64
	Names      int64
	PDNS       int64 // rows of the passive DNS summary
	Malformed  int64
	TopNames   []Count // the most queried names
	TopClients []Count // the clients with the most lookups
}

// Count is a value and how many rows have it.
type Count struct {
	Key string
	N   int64
}

// Run is a row of the runs table.
type Run struct {
	ID                int64
	Started, Finished time.Time // Finished is zero for a run that did not end
	Version           string
	Command           string
	Outcome           string
}

// Info reads the overview of the case, with the top most queried names
// and busiest clients. It reads every lookup once (for the kinds and
// response codes) and walks the lookups_qname and lookups_client_time
// indexes.
func (s *Store) Info(top int) (*Info, error) {
	info := &Info{}
	var err error
	if info.Captures, err = s.Captures(); err != nil {
		return nil, err
	}
	if info.Runs, err = s.runs(); err != nil {
		return nil, err
	}
	if err := s.outcomes(info); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		n     *int64
		query string
	}{
		{&info.Records, "SELECT count(*) FROM records"},
		{&info.Names, "SELECT count(*) FROM names"},
		{&info.PDNS, "SELECT count(*) FROM pdns"},
		{&info.Malformed, "SELECT count(*) FROM malformed"},
	} {
		if err := s.conn.QueryRowContext(context.Background(), c.query).Scan(c.n); err != nil {
			return nil, s.wrap(err)
		}
	}
	if info.TopNames, err = s.counts(`SELECT n.name, t.c FROM
		(SELECT qname_id, count(*) AS c FROM lookups WHERE qname_id IS NOT NULL
		 GROUP BY qname_id ORDER BY c DESC, qname_id LIMIT ?) t
		JOIN names n ON n.id = t.qname_id ORDER BY t.c DESC, n.name`, top); err != nil {
		return nil, err
	}
	info.TopClients, err = s.counts(`SELECT client, count(*) AS c FROM lookups
		WHERE client IS NOT NULL GROUP BY client ORDER BY c DESC, client LIMIT ?`, top)
	return info, err
}

// outcomes counts the lookups by kind and by response code.
func (s *Store) outcomes(info *Info) error {
	rows, err := s.counts(`SELECT kind || ' ' || coalesce(rcode, ''), count(*) FROM lookups
		GROUP BY kind, rcode`)
	if err != nil {
		return err
	}
	kinds := make(map[string]int64)
	rcodes := make(map[string]int64)
	for _, c := range rows {
		kind, rcode, _ := strings.Cut(c.Key, " ")
		info.Lookups += c.N
		kinds[kind] += c.N
		if rcode != "" {
			rcodes[rcode] += c.N
		}
	}
	info.Kinds, info.Rcodes = sortedCounts(kinds), sortedCounts(rcodes)
	return nil
}

// sortedCounts returns the counts of a map, largest first, then by key.
func sortedCounts(m map[string]int64) []Count {
	counts := make([]Count, 0, len(m))
	for k, n := range m {
		counts = append(counts, Count{k, n})
	}
	slices.SortFunc(counts, func(a, b Count) int {
		if a.N != b.N {
			return cmp.Compare(b.N, a.N)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return counts
}

// counts runs a query of (key, count) rows.
func (s *Store) counts(query string, args ...any) ([]Count, error) {
	rows, err := s.conn.QueryContext(context.Background(), query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var counts []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Key, &c.N); err != nil {
			return nil, s.wrap(err)
		}
		counts = append(counts, c)
	}
	return counts, s.wrap(rows.Err())
}

// runs returns every run of the case, oldest first.
func (s *Store) runs() ([]*Run, error) {
	rows, err := s.conn.QueryContext(context.Background(), `SELECT id, started,
		coalesce(finished, ''), version, command, outcome FROM runs ORDER BY id`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var runs []*Run
	for rows.Next() {
		var r Run
		var started, finished string
		err := rows.Scan(&r.ID, &started, &finished, &r.Version, &r.Command, &r.Outcome)
		if err == nil {
			r.Started, err = parseTime(started)
		}
		if err == nil {
			r.Finished, err = parseTime(finished)
		}
		if err != nil {
			return nil, s.wrap(err)
		}
		runs = append(runs, &r)
	}
	return runs, s.wrap(rows.Err())
}
