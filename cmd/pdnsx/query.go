package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"pdnsx/sqlitestore"
)

const queryUsage = "usage: pdnsx query [-case CASE] [flags] name PATTERN | ip ADDR|CIDR | " +
	"client ADDR|CIDR"

// queryHelp is the text of "pdnsx query -h", before the flags.
const queryHelp = queryUsage + `

Asks the case file one of the responder's questions:

  name PATTERN      the lookups of a name: www.example.com exactly (any case),
                    *.example.com any name strictly under example.com,
                    www.example.* or www.*.com with "*" for one or more labels
  ip ADDR|CIDR      the names whose records pointed to an address or a block
                    (A, AAAA, and the ipv4hint/ipv6hint of HTTPS and SVCB),
                    as passive DNS rows: first and last seen, count
  client ADDR|CIDR  what a host, or the hosts of a block, looked up

Lookups come in time order with client, server, type, response code and
answers; with -summary, "name" lists the passive DNS rows of the names
instead. -since is inclusive and -until exclusive: -since 2024-05-17
-until 2024-05-18 is that day (UTC). For passive DNS rows the window
selects the records seen in it; their counts are those of the whole case.
Flags may come before or after the question.

Flags:
`

// Output formats.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatJSON  = "json"
	formatCOF   = "cof"
	formatZeek  = "zeek"
)

// question is what "pdnsx query" asks: a kind and its argument.
type question struct {
	kind   string // name, ip, client
	name   sqlitestore.NamePattern
	prefix netip.Prefix
}

// queryOptions are the flags of "pdnsx query".
type queryOptions struct {
	casePath   string
	filter     sqlitestore.Filter
	format     string
	summary    bool
	provenance bool
}

func runQuery(args []string, stdout, stderr io.Writer) int {
	opts, q, err := parseQuery(args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, queryHelp, queryFlags(&queryOptions{}, &filterFlags{}))
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx query: %v\n%s\n", err, queryUsage)
		return exitUsage
	}

	store, ok := openCaseReadOnly("query", opts.casePath, stderr)
	if !ok {
		return exitPartial
	}
	defer store.Close()

	out := bufio.NewWriter(stdout)
	err = answer(store, opts, q, out)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx query: %v\n", err)
		return exitPartial
	}
	return exitOK
}

// answer runs the question and writes its rows.
func answer(store *sqlitestore.Store, opts queryOptions, q question, w io.Writer) error {
	f := opts.filter
	switch {
	case q.kind == "ip":
		return writePDNS(newSink(w, opts.format, false), store.PDNSByAddress(q.prefix, f))
	case q.kind == "name" && opts.summary:
		return writePDNS(newSink(w, opts.format, false), store.PDNSByName(q.name, f))
	case q.kind == "name":
		return writeResolutions(newSink(w, opts.format, opts.provenance),
			store.LookupsByName(q.name, f))
	default:
		return writeResolutions(newSink(w, opts.format, opts.provenance),
			store.LookupsByClient(q.prefix, f))
	}
}

// openCaseReadOnly opens a case for reading, or says why it cannot.
func openCaseReadOnly(cmd, path string, stderr io.Writer) (*sqlitestore.Store, bool) {
	store, err := sqlitestore.OpenReadOnly(path)
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx %s: %v\n", cmd, err)
		if errors.Is(err, sqlitestore.ErrUnfinished) {
			fmt.Fprintf(stderr, "pdnsx %s: run the interrupted ingest again: "+
				"it rolls the transaction back and completes the case\n", cmd)
		}
		return nil, false
	}
	return store, true
}

// printHelp writes a command's help and its flags.
func printHelp(w io.Writer, help string, fs *flag.FlagSet) {
	fmt.Fprint(w, help)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// filterFlags holds the text of the flags that narrow a query, until
// they are checked.
type filterFlags struct {
	since, until, types, rcodes string
	limit                       int
}

// queryFlags defines the flags of "pdnsx query" on opts and ff.
func queryFlags(opts *queryOptions, ff *filterFlags) *flag.FlagSet {
	fs := quietFlagSet("query")
	fs.StringVar(&opts.casePath, "case", "pdnsx.sqlite", "case file to read")
	fs.StringVar(&opts.format, "format", formatTable, "output: table, csv, json or cof "+
		"(json and cof: one object per line)")
	fs.BoolVar(&opts.summary, "summary", false, "with name: passive DNS rows, not lookups")
	fs.BoolVar(&opts.provenance, "provenance", false,
		"add each lookup's capture file, SHA-256 and frame numbers")
	addFilterFlags(fs, ff)
	return fs
}

// quietFlagSet returns a flag set that prints nothing itself: errors are
// returned, and help is printed by the caller to standard output.
func quietFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// addFilterFlags defines -since, -until, -type, -rcode and -limit.
func addFilterFlags(fs *flag.FlagSet, ff *filterFlags) {
	fs.StringVar(&ff.since, "since", "", "from this `time` on (RFC 3339 or a date; UTC when "+
		"no zone is given)")
	fs.StringVar(&ff.until, "until", "", "before this `time`")
	fs.StringVar(&ff.types, "type", "", "only these query or record `types`, comma-separated")
	fs.StringVar(&ff.rcodes, "rcode", "", "only lookups with these response `codes`, "+
		"comma-separated; none: no response")
	fs.IntVar(&ff.limit, "limit", 0, "at most `n` rows (0: all)")
}

// parseQuery reads the flags and the question of "pdnsx query".
func parseQuery(args []string) (queryOptions, question, error) {
	var opts queryOptions
	var ff filterFlags
	fs := queryFlags(&opts, &ff)
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return opts, question{}, err
	}
	if opts.filter, err = ff.filter(); err != nil {
		return opts, question{}, err
	}
	q, err := parseQuestion(words)
	if err != nil {
		return opts, q, err
	}
	return opts, q, checkQueryOptions(opts, q)
}

// parseInterleaved parses flags that may come before, between or after
// the positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return words, nil
		}
		words = append(words, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseQuestion reads "name PATTERN", "ip ADDR|CIDR" or "client ADDR|CIDR".
func parseQuestion(words []string) (question, error) {
	var q question
	if len(words) == 0 {
		return q, errors.New("no question: name, ip or client")
	}
	q.kind = words[0]
	if len(words) != 2 {
		return q, fmt.Errorf("%s takes one argument, got %d", q.kind, len(words)-1)
	}
	var err error
	switch q.kind {
	case "name":
		q.name, err = sqlitestore.ParseNamePattern(words[1])
	case "ip", "client":
		q.prefix, err = parsePrefix(words[1])
	default:
		err = fmt.Errorf("unknown question %q: name, ip or client", q.kind)
	}
	return q, err
}

// checkQueryOptions refuses flags that do not apply to the question.
func checkQueryOptions(opts queryOptions, q question) error {
	if err := checkFormat(opts.format, formatTable, formatCSV, formatJSON, formatCOF); err != nil {
		return err
	}
	pdns := q.kind == "ip" || opts.summary
	switch {
	case opts.summary && q.kind != "name":
		return errors.New("-summary applies to name questions (ip always lists pdns rows)")
	case pdns && len(opts.filter.Rcodes) > 0:
		return errors.New("-rcode applies to lookups, not to passive DNS rows")
	case pdns && opts.provenance:
		return errors.New("-provenance applies to lookups, not to passive DNS rows")
	case opts.provenance && opts.format == formatCOF:
		return errors.New("-provenance: the Common Output Format has no field for it")
	}
	return nil
}

// checkFormat refuses a format not in allowed.
func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return fmt.Errorf("-format %q: want %s", format, strings.Join(allowed, ", "))
}

// filter checks the filter flags and returns the filter they describe.
func (ff filterFlags) filter() (sqlitestore.Filter, error) {
	var f sqlitestore.Filter
	var err error
	if f.Since, err = parseTimeFlag("-since", ff.since); err != nil {
		return f, err
	}
	if f.Until, err = parseTimeFlag("-until", ff.until); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, fmt.Errorf("-since %s is not before -until %s", ff.since, ff.until)
	}
	if f.Types, err = parseList(ff.types, typeMnemonic); err != nil {
		return f, fmt.Errorf("-type: %w", err)
	}
	if f.Rcodes, err = parseList(ff.rcodes, rcodeMnemonic); err != nil {
		return f, fmt.Errorf("-rcode: %w", err)
	}
	if ff.limit < 0 {
		return f, fmt.Errorf("-limit %d: want 0 or more", ff.limit)
	}
	f.Limit = ff.limit
	return f, nil
}

// timeLayouts are the forms -since and -until accept; those without a
// zone are UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04", "2006-01-02"}

// parseTimeFlag reads a -since or -until value; "" is the zero time.
func parseTimeFlag(name, text string) (time.Time, error) {
	if text == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, text); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2024-05-17T10:30:00Z) or a date "+
		"(2024-05-17)", name, text)
}

// parseList splits a comma-separated flag value and checks each item.
func parseList(text string, check func(string) (string, error)) ([]string, error) {
	if text == "" {
		return nil, nil
	}
	var items []string
	for _, item := range strings.Split(text, ",") {
		v, err := check(strings.TrimSpace(item))
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
	return items, nil
}

// numbered matches the RFC 3597 style forms TYPE65280 and RCODE100.
var numbered = regexp.MustCompile(`^(TYPE|RCODE)([0-9]{1,5})$`)

// typeMnemonic returns the mnemonic the case stores for a type given as
// "a", "AAAA", "TYPE28" or "TYPE65280".
func typeMnemonic(text string) (string, error) {
	up := strings.ToUpper(text)
	if t, ok := dns.StringToType[up]; ok {
		return dns.TypeToString[t], nil
	}
	if m := numbered.FindStringSubmatch(up); m != nil && m[1] == "TYPE" {
		if n, err := strconv.ParseUint(m[2], 10, 16); err == nil {
			if s, ok := dns.TypeToString[uint16(n)]; ok {
				return s, nil
			}
			return "TYPE" + strconv.FormatUint(n, 10), nil
		}
	}
	return "", fmt.Errorf("%q is not a DNS type", text)
}

// rcodeMnemonic returns the mnemonic the case stores for a response code
// given as "nxdomain" or "RCODE3", or "" for "none" (no response).
func rcodeMnemonic(text string) (string, error) {
	up := strings.ToUpper(text)
	if up == "NONE" {
		return "", nil
	}
	if r, ok := dns.StringToRcode[up]; ok {
		return dns.RcodeToString[r], nil
	}
	if m := numbered.FindStringSubmatch(up); m != nil && m[1] == "RCODE" {
		if n, err := strconv.ParseUint(m[2], 10, 12); err == nil {
			if s, ok := dns.RcodeToString[int(n)]; ok {
				return s, nil
			}
			return "RCODE" + strconv.FormatUint(n, 10), nil
		}
	}
	return "", fmt.Errorf("%q is not a DNS response code", text)
}

// parsePrefix reads an address (a prefix of its full length) or a CIDR
// block; the block's host bits are ignored.
func parsePrefix(text string) (netip.Prefix, error) {
	if strings.Contains(text, "/") {
		p, err := netip.ParsePrefix(text)
		if err != nil {
			return p, fmt.Errorf("%q is not a CIDR block", text)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(text)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or a CIDR block", text)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
