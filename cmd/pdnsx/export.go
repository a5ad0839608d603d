package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"

	"pdnsx/sqlitestore"
)

const exportUsage = "usage: pdnsx export [-case CASE] -format cof|csv|zeek [-o FILE]"

// exportHelp is the text of "pdnsx export -h", before the flags.
const exportHelp = exportUsage + `

Writes the whole case in a format other tools read:

  cof   the passive DNS rows in the Passive DNS Common Output Format, one
        JSON object per line (rrname, rrtype, rdata, time_first, time_last,
        count; times in epoch seconds)
  csv   every lookup, one row each, with its answers and the capture file,
        SHA-256 and frames of its query and response
  zeek  every lookup as a Zeek dns.log (tab-separated, with its header lines)

The output goes to FILE, written whole or not at all, or to standard output.

Flags:
`

// exportOptions are the flags of "pdnsx export".
type exportOptions struct {
	casePath string
	format   string
	output   string
}

func runExport(args []string, stdout, stderr io.Writer) int {
	opts, err := parseExport(args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, exportHelp, exportFlags(&exportOptions{}))
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx export: %v\n%s\n", err, exportUsage)
		return exitUsage
	}

	store, ok := openCaseReadOnly("export", opts.casePath, stderr)
	if !ok {
		return exitPartial
	}
	defer store.Close()

	if opts.output == "" {
		out := bufio.NewWriter(stdout)
		err = export(store, opts.format, out)
		if ferr := out.Flush(); err == nil {
			err = ferr
		}
	} else {
		err = writeFileWhole(opts.output, opts.casePath, func(w io.Writer) error {
			return export(store, opts.format, w)
		})
	}
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx export: %v\n", err)
		return exitPartial
	}
	return exitOK
}

// exportFlags defines the flags of "pdnsx export" on opts.
func exportFlags(opts *exportOptions) *flag.FlagSet {
	fs := quietFlagSet("export")
	fs.StringVar(&opts.casePath, "case", "pdnsx.sqlite", "case file to read")
	fs.StringVar(&opts.format, "format", "", "output: cof, csv or zeek")
	fs.StringVar(&opts.output, "o", "", "write to `file` instead of standard output")
	return fs
}

// parseExport reads the flags of "pdnsx export".
func parseExport(args []string) (exportOptions, error) {
	var opts exportOptions
	fs := exportFlags(&opts)
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return opts, err
	}
	if len(words) > 0 {
		return opts, fmt.Errorf("unexpected argument %q", words[0])
	}
	if opts.format == "" {
		return opts, errors.New("no -format given")
	}
	return opts, checkFormat(opts.format, formatCOF, formatCSV, formatZeek)
}

// export writes the whole case in format.
func export(store *sqlitestore.Store, format string, w io.Writer) error {
	switch format {
	case formatCOF:
		return writePDNS(newSink(w, format, false), store.PDNS(sqlitestore.Filter{}))
	case formatZeek:
		captures, err := store.Captures()
		if err != nil {
			return err
		}
		return writeZeek(w, captures, store.Lookups(sqlitestore.Filter{}))
	default:
		return writeResolutions(newSink(w, format, true), store.Lookups(sqlitestore.Filter{}))
	}
}

// writeFileWhole writes path through a temporary file beside it, renamed
// over path only when write succeeds. It refuses to write over the case
// file.
func writeFileWhole(path, casePath string, write func(io.Writer) error) error {
	if same(path, casePath) {
		return fmt.Errorf("-o %s is the case file", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed

	out := bufio.NewWriterSize(tmp, 1<<16)
	err = write(out)
	if err == nil {
		err = out.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// same reports whether two paths name the same existing file.
func same(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// sink writes rows of one kind in one output format.
type sink struct {
	format     string
	provenance bool // add the capture, SHA-256 and frames of each lookup
	table      *tabwriter.Writer
	csv        *csv.Writer
	json       *json.Encoder
}

// newSink returns a sink writing format to w.
func newSink(w io.Writer, format string, provenance bool) *sink {
	s := &sink{format: format, provenance: provenance}
	switch format {
	case formatTable:
		s.table = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	case formatCSV:
		s.csv = csv.NewWriter(w)
	default:
		s.json = json.NewEncoder(w)
		s.json.SetEscapeHTML(false)
	}
	return s
}

// writeResolutions writes the lookups of seq, with a header line in the
// table and csv formats.
func writeResolutions(s *sink, seq iter.Seq2[*sqlitestore.Resolution, error]) error {
	if err := s.header(resolutionHeader(s.format, s.provenance)); err != nil {
		return err
	}
	for r, err := range seq {
		if err != nil {
			return err
		}
		if err := s.resolution(r); err != nil {
			return err
		}
	}
	return s.close()
}

// writePDNS writes the passive DNS rows of seq, with a header line in the
// table and csv formats.
func writePDNS(s *sink, seq iter.Seq2[*sqlitestore.PDNS, error]) error {
	if err := s.header(pdnsHeader(s.format)); err != nil {
		return err
	}
	for p, err := range seq {
		if err != nil {
			return err
		}
		if err := s.pdns(p); err != nil {
			return err
		}
	}
	return s.close()
}

// header writes the column names of the table and csv formats.
func (s *sink) header(cells []string) error {
	return s.cells(cells)
}

// cells writes one line of the table or csv format; the JSON formats
// have none.
func (s *sink) cells(cells []string) error {
	switch {
	case s.table != nil:
		for i, c := range cells {
			if c == "" {
				cells[i] = "-"
			}
		}
		_, err := io.WriteString(s.table, strings.Join(cells, "\t")+"\n")
		return err
	case s.csv != nil:
		return s.csv.Write(cells)
	}
	return nil
}

// close flushes what the sink holds.
func (s *sink) close() error {
	switch {
	case s.table != nil:
		return s.table.Flush()
	case s.csv != nil:
		s.csv.Flush()
		return s.csv.Error()
	}
	return nil
}

// resolution writes a lookup.
func (s *sink) resolution(r *sqlitestore.Resolution) error {
	switch s.format {
	case formatTable:
		return s.cells(resolutionTableCells(r, s.provenance))
	case formatCSV:
		return s.cells(resolutionCSVCells(r, s.provenance))
	case formatCOF:
		return s.resolutionCOF(r)
	}
	return s.json.Encode(resolutionJSON(r, s.provenance))
}

// pdns writes a passive DNS row.
func (s *sink) pdns(p *sqlitestore.PDNS) error {
	switch s.format {
	case formatTable:
		return s.cells(pdnsTableCells(p))
	case formatCSV:
		return s.cells(pdnsCSVCells(p))
	case formatCOF:
		return s.json.Encode(cofRecord{p.Name, p.Type, p.Data, p.First.Unix(), p.Last.Unix(),
			p.Count})
	}
	return s.json.Encode(pdnsJSON{p.Name, p.Type, p.Class, p.Data, timeText(p.First),
		timeText(p.Last), p.Count, p.Clients, p.TTLMin, p.TTLMax})
}

// resolutionCOF writes each answer of a lookup as a Common Output Format
// object seen once, at the response's time.
func (s *sink) resolutionCOF(r *sqlitestore.Resolution) error {
	if r.Response == nil {
		return nil
	}
	t := r.Response.Time.Unix()
	for _, a := range r.Answers {
		if err := s.json.Encode(cofRecord{a.Name, a.Type, a.Data, t, t, 1}); err != nil {
			return err
		}
	}
	return nil
}

// timeText returns a time as the case file stores it: UTC, nanoseconds.
func timeText(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// resolutionHeader returns the column names of lookups in format.
func resolutionHeader(format string, provenance bool) []string {
	if format == formatTable {
		h := []string{"TIME", "CLIENT", "SERVER", "QNAME", "QTYPE", "RCODE", "ANSWERS"}
		if provenance {
			h = append(h, "FRAMES", "SHA256", "CAPTURE")
		}
		return h
	}
	h := []string{"time", "kind", "transport", "client", "client_port", "server",
		"server_port", "txid", "qname", "qtype", "qclass", "rcode", "rtt_us", "answers"}
	if provenance {
		h = append(h, "query_capture", "query_sha256", "query_frames", "response_capture",
			"response_sha256", "response_frames")
	}
	return h
}

// resolutionTableCells returns a lookup's line in the table format.
func resolutionTableCells(r *sqlitestore.Resolution, provenance bool) []string {
	cells := []string{timeText(r.Time()), r.Client, r.Server, r.QName, r.QType, r.Rcode,
		answersText(r.Answers)}
	if !provenance {
		return cells
	}
	first := r.Query
	if first == nil {
		first = r.Response
	}
	frames := sideFrames("q", r.Query, first) + " " + sideFrames("r", r.Response, first)
	return append(cells, strings.TrimSpace(frames), first.SHA256, first.Capture)
}

// sideFrames describes the frames of one message of a lookup for the
// table, e.g. "q:12", naming the capture when it is not first's.
func sideFrames(tag string, m, first *sqlitestore.Message) string {
	if m == nil {
		return ""
	}
	s := tag + ":" + frames(m)
	if m.SHA256 != first.SHA256 {
		s += "@" + m.Capture
	}
	return s
}

// frames returns a message's frame numbers, "12" or "12,13,15".
func frames(m *sqlitestore.Message) string {
	if m.Frames != "" {
		return m.Frames
	}
	return strconv.FormatInt(m.Frame, 10)
}

// answersText joins the answers of a lookup as "CNAME b.example.; A 192.0.2.1".
func answersText(answers []sqlitestore.Answer) string {
	parts := make([]string, len(answers))
	for i, a := range answers {
		parts[i] = a.Type + " " + a.Data
	}
	return strings.Join(parts, "; ")
}

// resolutionCSVCells returns a lookup's row in the csv format.
func resolutionCSVCells(r *sqlitestore.Resolution, provenance bool) []string {
	rtt := ""
	if r.Query != nil && r.Response != nil {
		rtt = strconv.FormatInt(r.RTT.Microseconds(), 10)
	}
	cells := []string{timeText(r.Time()), r.Kind, r.Transport, r.Client, port(r.ClientPort),
		r.Server, port(r.ServerPort), strconv.Itoa(r.TxID), r.QName, r.QType, r.QClass, r.Rcode,
		rtt, answersText(r.Answers)}
	if provenance {
		cells = append(cells, csvSide(r.Query)...)
		cells = append(cells, csvSide(r.Response)...)
	}
	return cells
}

// port returns a port number's text, or "" for none.
func port(p int) string {
	if p == 0 {
		return ""
	}
	return strconv.Itoa(p)
}

// csvSide returns the capture, SHA-256 and frames of a message, or three
// empty cells.
func csvSide(m *sqlitestore.Message) []string {
	if m == nil {
		return []string{"", "", ""}
	}
	return []string{m.Capture, m.SHA256, frames(m)}
}

// pdnsHeader returns the column names of passive DNS rows in format.
func pdnsHeader(format string) []string {
	if format == formatTable {
		return []string{"NAME", "TYPE", "DATA", "FIRST", "LAST", "COUNT", "CLIENTS", "TTL"}
	}
	return []string{"name", "type", "class", "data", "time_first", "time_last", "count",
		"clients", "ttl_min", "ttl_max"}
}

// pdnsTableCells returns a passive DNS row's line in the table format.
func pdnsTableCells(p *sqlitestore.PDNS) []string {
	ttl := strconv.FormatInt(p.TTLMin, 10)
	if p.TTLMax != p.TTLMin {
		ttl += "-" + strconv.FormatInt(p.TTLMax, 10)
	}
	return []string{p.Name, p.Type, p.Data, timeText(p.First), timeText(p.Last),
		strconv.FormatInt(p.Count, 10), strconv.FormatInt(p.Clients, 10), ttl}
}

// pdnsCSVCells returns a passive DNS row in the csv format.
func pdnsCSVCells(p *sqlitestore.PDNS) []string {
	return []string{p.Name, p.Type, p.Class, p.Data, timeText(p.First), timeText(p.Last),
		strconv.FormatInt(p.Count, 10), strconv.FormatInt(p.Clients, 10),
		strconv.FormatInt(p.TTLMin, 10), strconv.FormatInt(p.TTLMax, 10)}
}

// cofRecord is an object of the Passive DNS Common Output Format
// (draft-dulaunoy-dnsop-passive-dns-cof): times in seconds since the epoch.
type cofRecord struct {
	RRName    string `json:"rrname"`
	RRType    string `json:"rrtype"`
	RData     string `json:"rdata"`
	TimeFirst int64  `json:"time_first"`
	TimeLast  int64  `json:"time_last"`
	Count     int64  `json:"count"`
}

// pdnsJSON is a passive DNS row in the json format.
type pdnsJSON struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Class     string `json:"class"`
	Data      string `json:"data"`
	TimeFirst string `json:"time_first"`
	TimeLast  string `json:"time_last"`
	Count     int64  `json:"count"`
	Clients   int64  `json:"clients"`
	TTLMin    int64  `json:"ttl_min"`
	TTLMax    int64  `json:"ttl_max"`
}

// resolutionJSONRow is a lookup in the json format.
type resolutionJSONRow struct {
	Time       string       `json:"time"`
	Kind       string       `json:"kind"`
	Transport  string       `json:"transport"`
	Client     string       `json:"client"`
	ClientPort int          `json:"client_port"`
	Server     string       `json:"server"`
	ServerPort int          `json:"server_port"`
	TxID       int          `json:"txid"`
	QName      string       `json:"qname"`
	QType      string       `json:"qtype"`
	QClass     string       `json:"qclass"`
	Rcode      *string      `json:"rcode"`  // null: no response
	RTT        *int64       `json:"rtt_us"` // null: not both messages
	Answers    []answerJSON `json:"answers"`
	Query      *messageJSON `json:"query,omitempty"`
	Response   *messageJSON `json:"response,omitempty"`
}

// answerJSON is an answer record in the json format.
type answerJSON struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Class string `json:"class"`
	TTL   int64  `json:"ttl"`
	Data  string `json:"data"`
}

// messageJSON is the provenance of a query or response in the json format.
type messageJSON struct {
	Time    string  `json:"time"`
	Capture string  `json:"capture"`
	SHA256  string  `json:"sha256"`
	Frames  []int64 `json:"frames"`
}

// resolutionJSON returns a lookup in the json format.
func resolutionJSON(r *sqlitestore.Resolution, provenance bool) resolutionJSONRow {
	j := resolutionJSONRow{Time: timeText(r.Time()), Kind: r.Kind, Transport: r.Transport,
		Client: r.Client, ClientPort: r.ClientPort, Server: r.Server, ServerPort: r.ServerPort,
		TxID: r.TxID, QName: r.QName, QType: r.QType, QClass: r.QClass,
		Answers: make([]answerJSON, len(r.Answers))}
	if r.Response != nil {
		j.Rcode = &r.Rcode
	}
	if r.Query != nil && r.Response != nil {
		rtt := r.RTT.Microseconds()
		j.RTT = &rtt
	}
	for i, a := range r.Answers {
		j.Answers[i] = answerJSON(a)
	}
	if provenance {
		j.Query, j.Response = messageProvenance(r.Query), messageProvenance(r.Response)
	}
	return j
}

// messageProvenance returns where a message's packets are, or nil.
func messageProvenance(m *sqlitestore.Message) *messageJSON {
	if m == nil {
		return nil
	}
	j := &messageJSON{Time: timeText(m.Time), Capture: m.Capture, SHA256: m.SHA256}
	for _, f := range strings.Split(frames(m), ",") {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil {
			j.Frames = append(j.Frames, n)
		}
	}
	return j
}

// zeekFields and zeekTypes are the columns of a Zeek dns.log, as Zeek's
// DNS analyzer logs them.
var (
	zeekFields = []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
		"proto", "trans_id", "rtt", "query", "qclass", "qclass_name", "qtype", "qtype_name",
		"rcode", "rcode_name", "AA", "TC", "RD", "RA", "Z", "answers", "TTLs", "rejected"}
	zeekTypes = []string{"time", "string", "addr", "port", "addr", "port", "enum", "count",
		"interval", "string", "count", "string", "count", "string", "count", "string", "bool",
		"bool", "bool", "bool", "count", "vector[string]", "vector[interval]", "bool"}
)

// Header flag bits (RFC 1035 section 4.1.1).
const (
	flagAA = 0x0400
	flagTC = 0x0200
	flagRD = 0x0100
	flagRA = 0x0080
)

// writeZeek writes lookups as a Zeek dns.log. The #open and #close lines
// carry the first and last frame times of the captures rather than the
// time the file was written, so that the same case gives the same log.
func writeZeek(w io.Writer, captures []*sqlitestore.Capture,
	seq iter.Seq2[*sqlitestore.Resolution, error]) error {
	first, last := captureSpan(captures)
	fmt.Fprintf(w, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"+
		"#unset_field\t-\n#path\tdns\n#open\t%s\n", zeekStamp(first))
	fmt.Fprintf(w, "#fields\t%s\n#types\t%s\n", strings.Join(zeekFields, "\t"),
		strings.Join(zeekTypes, "\t"))
	for r, err := range seq {
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, strings.Join(zeekRow(r), "\t")+"\n"); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "#close\t%s\n", zeekStamp(last))
	return err
}

// captureSpan returns the earliest first and latest last frame time of
// the captures.
func captureSpan(captures []*sqlitestore.Capture) (first, last time.Time) {
	for _, c := range captures {
		if !c.First.IsZero() && (first.IsZero() || c.First.Before(first)) {
			first = c.First
		}
		if c.Last.After(last) {
			last = c.Last
		}
	}
	return first, last
}

// zeekStamp formats a time as Zeek's #open and #close lines do.
func zeekStamp(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format("2006-01-02-15-04-05")
}

// zeekRow returns a lookup's fields in a Zeek dns.log.
func zeekRow(r *sqlitestore.Resolution) []string {
	var query, response uint16
	if r.Query != nil {
		query = r.Query.Flags
	}
	flags := query
	if r.Response != nil {
		response = r.Response.Flags
		flags = response
	}
	rd := query&flagRD != 0 || (r.Query == nil && response&flagRD != 0)

	row := []string{zeekTime(r.Time()), zeekUID(r), zeekText(r.Client), zeekPort(r.ClientPort),
		zeekText(r.Server), zeekPort(r.ServerPort), r.Transport, strconv.Itoa(r.TxID), "-"}
	if r.Query != nil && r.Response != nil {
		row[8] = zeekInterval(r.RTT)
	}
	row = append(row, zeekQuestion(r)...)
	row = append(row, zeekRcode(r)...)
	row = append(row, zeekBool(response&flagAA != 0), zeekBool(response&flagTC != 0),
		zeekBool(rd), zeekBool(response&flagRA != 0), strconv.Itoa(int(flags>>4&7)))
	row = append(row, zeekAnswers(r.Answers)...)
	return append(row, zeekBool(r.Rcode == "REFUSED"))
}

// zeekQuestion returns the query, qclass, qclass_name, qtype and
// qtype_name fields.
func zeekQuestion(r *sqlitestore.Resolution) []string {
	if r.QName == "" {
		return []string{"-", "-", "-", "-", "-"}
	}
	name := strings.TrimSuffix(r.QName, ".")
	if name == "" {
		name = "<root>"
	}
	class, _ := mnemonicNumber(r.QClass, "CLASS", func(s string) (int, bool) {
		c, ok := dns.StringToClass[s]
		return int(c), ok
	})
	typ, _ := mnemonicNumber(r.QType, "TYPE", func(s string) (int, bool) {
		t, ok := dns.StringToType[s]
		return int(t), ok
	})
	typeName := r.QType
	if strings.HasPrefix(typeName, "TYPE") {
		typeName = "query-" + strconv.Itoa(typ)
	}
	return []string{zeekText(name), strconv.Itoa(class), zeekClassName(class),
		strconv.Itoa(typ), zeekText(typeName)}
}

// zeekRcode returns the rcode and rcode_name fields.
func zeekRcode(r *sqlitestore.Resolution) []string {
	if r.Response == nil {
		return []string{"-", "-"}
	}
	code, _ := mnemonicNumber(r.Rcode, "RCODE", func(s string) (int, bool) {
		c, ok := dns.StringToRcode[s]
		return c, ok
	})
	return []string{strconv.Itoa(code), zeekText(r.Rcode)}
}

// mnemonicNumber returns the number of a mnemonic as the case stores it:
// known to miekg/dns, or in the RFC 3597 form PREFIX123.
func mnemonicNumber(text, prefix string, known func(string) (int, bool)) (int, bool) {
	if n, ok := known(text); ok {
		return n, true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(text, prefix))
	return n, err == nil && strings.HasPrefix(text, prefix)
}

// zeekClassName names a query class as Zeek does.
func zeekClassName(class int) string {
	switch class {
	case dns.ClassINET:
		return "C_INTERNET"
	case dns.ClassCHAOS:
		return "C_CHAOS"
	case dns.ClassNONE:
		return "C_NONE"
	case dns.ClassANY:
		return "C_ANY"
	}
	return "qclass-" + strconv.Itoa(class)
}

// zeekAnswers returns the answers and TTLs fields: the data of each
// answer record with names as Zeek writes them (no trailing dot; MX and
// SRV as their target host), and its TTL.
func zeekAnswers(answers []sqlitestore.Answer) []string {
	if len(answers) == 0 {
		return []string{"-", "-"}
	}
	data := make([]string, len(answers))
	ttls := make([]string, len(answers))
	for i, a := range answers {
		data[i] = zeekEscape(zeekAnswerData(a), true)
		ttls[i] = zeekInterval(time.Duration(a.TTL) * time.Second)
	}
	return []string{strings.Join(data, ","), strings.Join(ttls, ",")}
}

// zeekAnswerData returns an answer's data as Zeek logs it.
func zeekAnswerData(a sqlitestore.Answer) string {
	fields := strings.Fields(a.Data)
	switch {
	case a.Type == "CNAME" || a.Type == "NS" || a.Type == "PTR" || a.Type == "DNAME":
		return trimDot(a.Data)
	case a.Type == "MX" && len(fields) == 2:
		return trimDot(fields[1])
	case a.Type == "SRV" && len(fields) == 4:
		return trimDot(fields[3])
	}
	return a.Data
}

// trimDot drops the trailing dot of a name, keeping the root ".".
func trimDot(name string) string {
	if len(name) > 1 {
		return strings.TrimSuffix(name, ".")
	}
	return name
}

// zeekUID returns the uid of a lookup's flow: the same addresses, ports
// and transport give the same uid, as one Zeek connection would. It is
// derived from the flow, not drawn at random, so exports repeat.
func zeekUID(r *sqlitestore.Resolution) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	h := fnv.New128a()
	fmt.Fprintf(h, "%s|%s|%d|%s|%d", r.Transport, r.Client, r.ClientPort, r.Server,
		r.ServerPort)
	sum := h.Sum(nil)
	b := []byte{'C'}
	for _, c := range sum[:17] {
		b = append(b, alphabet[int(c)%len(alphabet)])
	}
	return string(b)
}

// zeekTime formats a time as Zeek's time fields: epoch seconds with
// microseconds.
func zeekTime(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// zeekInterval formats a duration as Zeek's interval fields.
func zeekInterval(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// zeekPort returns a port field, "-" for none.
func zeekPort(p int) string {
	if p == 0 {
		return "-"
	}
	return strconv.Itoa(p)
}

// zeekBool returns a bool field.
func zeekBool(b bool) string {
	if b {
		return "T"
	}
	return "F"
}

// zeekText returns a string field: "-" when unset, escaped otherwise.
func zeekText(s string) string {
	if s == "" {
		return "-"
	}
	return zeekEscape(s, false)
}

// zeekEscape escapes a string as Zeek's ASCII writer does: bytes that are
// not printable ASCII, the backslash, the tab separator and, in a set or
// vector element, the comma become \xHH; a value that reads as the unset
// or empty marker has its first byte escaped.
func zeekEscape(s string, element bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '\\' || (element && c == ',') {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	if out == "-" || out == "(empty)" {
		out = fmt.Sprintf("\\x%02x", out[0]) + out[1:]
	}
	return out
}
