package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"pdnsx/sqlitestore"
)

const infoUsage = "usage: pdnsx info [-case CASE] [-top N]"

// infoHelp is the text of "pdnsx info -h", before the flags.
const infoHelp = infoUsage + `

Says what the case holds: the time its captures span, the counts of
lookups (by kind and response code), records, names, passive DNS rows and
malformed payloads, the most queried names and the busiest clients, every
capture with its SHA-256 and status, and every ingest run.

Flags:
`

// infoOptions are the flags of "pdnsx info".
type infoOptions struct {
	casePath string
	top      int
}

func runInfo(args []string, stdout, stderr io.Writer) int {
	opts, err := parseInfo(args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, infoHelp, infoFlags(&infoOptions{}))
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx info: %v\n%s\n", err, infoUsage)
		return exitUsage
	}

	store, ok := openCaseReadOnly("info", opts.casePath, stderr)
	if !ok {
		return exitPartial
	}
	defer store.Close()

	info, err := store.Info(opts.top)
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx info: %v\n", err)
		return exitPartial
	}
	out := bufio.NewWriter(stdout)
	printInfo(out, opts.casePath, info)
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "pdnsx info: %v\n", err)
		return exitPartial
	}
	return exitOK
}

// infoFlags defines the flags of "pdnsx info" on opts.
func infoFlags(opts *infoOptions) *flag.FlagSet {
	fs := quietFlagSet("info")
	fs.StringVar(&opts.casePath, "case", "pdnsx.sqlite", "case file to read")
	fs.IntVar(&opts.top, "top", 10, "show the `n` most queried names and busiest clients")
	return fs
}

// parseInfo reads the flags of "pdnsx info".
func parseInfo(args []string) (infoOptions, error) {
	var opts infoOptions
	words, err := parseInterleaved(infoFlags(&opts), args)
	if err != nil {
		return opts, err
	}
	if len(words) > 0 {
		return opts, fmt.Errorf("unexpected argument %q", words[0])
	}
	if opts.top < 0 {
		return opts, fmt.Errorf("-top %d: want 0 or more", opts.top)
	}
	return opts, nil
}

// printInfo writes the overview of a case.
func printInfo(w io.Writer, path string, info *sqlitestore.Info) {
	first, last := captureSpan(info.Captures)
	span := "-"
	if !first.IsZero() {
		span = timeText(first) + " to " + timeText(last)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "case\t%s\n", path)
	fmt.Fprintf(tw, "captures\t%d (%s)\n", len(info.Captures), captureStatuses(info.Captures))
	fmt.Fprintf(tw, "frames\t%s\n", span)
	fmt.Fprintf(tw, "lookups\t%d (%s)\n", info.Lookups, countsText(info.Kinds))
	fmt.Fprintf(tw, "records\t%d\n", info.Records)
	fmt.Fprintf(tw, "names\t%d\n", info.Names)
	fmt.Fprintf(tw, "pdns rows\t%d\n", info.PDNS)
	fmt.Fprintf(tw, "malformed\t%d\n", info.Malformed)
	tw.Flush()

	section(w, "response codes", []string{"RCODE", "LOOKUPS"}, countRows(info.Rcodes))
	section(w, "most queried names", []string{"NAME", "LOOKUPS"}, countRows(info.TopNames))
	section(w, "busiest clients", []string{"CLIENT", "LOOKUPS"}, countRows(info.TopClients))
	section(w, "captures", []string{"ID", "STATUS", "FRAMES", "MESSAGES", "MALFORMED",
		"FIRST", "LAST", "SHA256", "PATH", "ERROR"}, captureRows(info.Captures))
	section(w, "runs", []string{"ID", "OUTCOME", "STARTED", "FINISHED", "VERSION", "COMMAND"},
		runRows(info.Runs))
}

// section writes a titled table, or nothing when it has no rows.
func section(w io.Writer, title string, header []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range append([][]string{header}, rows...) {
		for i, c := range row {
			if c == "" {
				row[i] = "-"
			}
		}
		fmt.Fprintf(tw, "  %s\n", strings.Join(row, "\t"))
	}
	tw.Flush()
}

// captureStatuses counts captures by status: "60 complete, 2 failed".
func captureStatuses(captures []*sqlitestore.Capture) string {
	n := make(map[string]int64)
	for _, c := range captures {
		n[c.Status]++
	}
	var counts []sqlitestore.Count
	for _, s := range []string{statusComplete, statusTruncated, statusCorrupt, statusFailed,
		statusInterrupted, "ingesting"} {
		if n[s] > 0 {
			counts = append(counts, sqlitestore.Count{Key: s, N: n[s]})
		}
	}
	return countsText(counts)
}

// countsText joins counts as "573 answered, 19 unanswered".
func countsText(counts []sqlitestore.Count) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = fmt.Sprintf("%d %s", c.N, c.Key)
	}
	return strings.Join(parts, ", ")
}

// countRows turns counts into table rows.
func countRows(counts []sqlitestore.Count) [][]string {
	rows := make([][]string, len(counts))
	for i, c := range counts {
		rows[i] = []string{c.Key, strconv.FormatInt(c.N, 10)}
	}
	return rows
}

// captureRows turns captures into table rows.
func captureRows(captures []*sqlitestore.Capture) [][]string {
	rows := make([][]string, len(captures))
	for i, c := range captures {
		rows[i] = []string{strconv.FormatInt(c.ID, 10), c.Status,
			strconv.FormatInt(c.Frames, 10), strconv.FormatInt(c.Messages, 10),
			strconv.FormatInt(c.Malformed, 10), optTime(c.First), optTime(c.Last), c.SHA256,
			c.Path, c.Error}
	}
	return rows
}

// runRows turns runs into table rows.
func runRows(runs []*sqlitestore.Run) [][]string {
	rows := make([][]string, len(runs))
	for i, r := range runs {
		rows[i] = []string{strconv.FormatInt(r.ID, 10), r.Outcome, optTime(r.Started),
			optTime(r.Finished), r.Version, r.Command}
	}
	return rows
}

// optTime returns a time's text, or "" for the zero time.
func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return timeText(t)
}
