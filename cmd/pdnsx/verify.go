package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"pdnsx/sqlitestore"
)

const verifyUsage = "usage: pdnsx verify [-case CASE] [-j N] [INPUT...]"

// verifyOptions are the flags of "pdnsx verify".
type verifyOptions struct {
	casePath string
	jobs     int
}

// verdict is one line of verify's report: a status word, the file it is
// about and what was found. fail marks the verdicts that make the exit
// status 1.
type verdict struct {
	status string
	path   string
	detail string
	fail   bool
}

// Verdict status words, the first column of verify's report.
const (
	verdictOK         = "ok"         // the file's bytes are those the case recorded
	verdictDamaged    = "damaged"    // the case file failed a check
	verdictChanged    = "changed"    // the file's bytes differ from those recorded
	verdictAbsent     = "absent"     // the file is not in the case
	verdictMissing    = "missing"    // a recorded file is not there any more
	verdictUnreadable = "unreadable" // the file is there but could not be read
	verdictUnfinished = "unfinished" // the capture's ingest did not finish
)

func runVerify(args []string, stdout, stderr io.Writer) int {
	opts, inputs, err := parseVerify(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx verify: %v\n%s\n", err, verifyUsage)
		return exitUsage
	}

	store, err := sqlitestore.OpenReadOnly(opts.casePath)
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx verify: %v\n", err)
		if errors.Is(err, sqlitestore.ErrUnfinished) {
			fmt.Fprintln(stderr, "pdnsx verify: run the interrupted ingest again: "+
				"it rolls the transaction back and completes the case")
		}
		return exitPartial
	}
	defer store.Close()

	tally, err := verify(store, opts, inputs, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "pdnsx verify: %v\n", err)
		return exitPartial
	}
	fmt.Fprintf(stderr, "pdnsx verify: %s: %s\n", opts.casePath, tally)
	if tally.failures > 0 {
		return exitPartial
	}
	return exitOK
}

// parseVerify reads the flags and arguments of "pdnsx verify".
func parseVerify(args []string, stderr io.Writer) (verifyOptions, []string, error) {
	opts := verifyOptions{}
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.casePath, "case", "pdnsx.sqlite", "case file to check")
	fs.IntVar(&opts.jobs, "j", runtime.NumCPU(), "files to hash at once")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, verifyUsage)
		fmt.Fprintln(w, "\nChecks the case file (PRAGMA integrity_check, and that every row")
		fmt.Fprintln(w, "leads to its capture), then recomputes the SHA-256 of each INPUT, or")
		fmt.Fprintln(w, "of every recorded capture file still found at its recorded path, and")
		fmt.Fprintln(w, "says whether it matches the case. One line per file on standard")
		fmt.Fprintln(w, "output: STATUS, path and detail, separated by tabs. Exit status 1 on")
		fmt.Fprintln(w, "any mismatch or damage.")
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return opts, nil, err
	}
	if opts.jobs < 1 {
		return opts, nil, fmt.Errorf("-j %d: need at least one job", opts.jobs)
	}
	return opts, fs.Args(), nil
}

// tally counts verdicts by status, and those that make the exit status 1.
type tally struct {
	counts   map[string]int
	failures int
}

// String summarises the tally, e.g. "case sound; 3 ok, 1 changed".
func (t *tally) String() string {
	var b strings.Builder
	if n := t.counts[verdictDamaged]; n > 0 {
		fmt.Fprintf(&b, "case DAMAGED (%d problems)", n)
	} else {
		b.WriteString("case sound")
	}
	for _, s := range []string{verdictOK, verdictChanged, verdictAbsent, verdictMissing,
		verdictUnreadable, verdictUnfinished} {
		if n := t.counts[s]; n > 0 {
			fmt.Fprintf(&b, "; %d %s", n, s)
		}
	}
	return b.String()
}

// verify checks the case, then the files, and prints one verdict per line.
func verify(store *sqlitestore.Store, opts verifyOptions, inputs []string,
	stdout io.Writer) (*tally, error) {
	t := &tally{counts: make(map[string]int)}
	report := func(v verdict) {
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", v.status, v.path, v.detail)
		t.counts[v.status]++
		if v.fail {
			t.failures++
		}
	}

	captures, err := store.Captures()
	if err != nil {
		return t, err
	}
	if err := checkCase(store, len(captures), report); err != nil {
		return t, err
	}

	if len(inputs) == 0 {
		verifyRecorded(captures, opts.jobs, report)
	} else {
		verifyInputs(captures, inputs, opts.jobs, report)
	}
	return t, nil
}

// checkCase reports the case file's own soundness.
func checkCase(store *sqlitestore.Store, captures int, report func(verdict)) error {
	problems, err := store.Check()
	if err != nil {
		return err
	}
	for _, p := range problems {
		report(verdict{verdictDamaged, store.Path(), p, true})
	}
	if len(problems) == 0 {
		report(verdict{verdictOK, store.Path(), fmt.Sprintf("case file sound: integrity_check ok, "+
			"every row leads to its capture (%d captures)", captures), false})
	}
	return nil
}

// hashed reports whether a capture row holds the SHA-256 of its whole file:
// a capture whose ingest did not finish holds none, or that of a prefix.
func hashed(c *sqlitestore.Capture) bool {
	switch c.Status {
	case statusComplete, statusTruncated, statusCorrupt, statusFailed:
		return len(c.SHA256) == sha256.Size*2
	}
	return false
}

// verifyRecorded hashes the file at each capture's recorded path and
// compares it with the recorded SHA-256. A file no longer at its path is
// reported, but is not a mismatch: the case may be checked on another
// machine than the evidence.
func verifyRecorded(captures []*sqlitestore.Capture, jobs int, report func(verdict)) {
	var paths []string
	for _, c := range captures {
		if hashed(c) {
			paths = append(paths, c.Path)
		}
	}
	sums := hashFiles(paths, jobs)

	for _, c := range captures {
		if !hashed(c) {
			report(verdict{verdictUnfinished, c.Path, fmt.Sprintf("capture #%d (%s): its ingest "+
				"did not finish, the case holds no SHA-256 of the whole file", c.ID, c.Status), false})
			continue
		}
		h := <-sums[c.Path]
		sums[c.Path] <- h // other captures may share the path
		report(compareRecorded(c, h))
	}
}

// compareRecorded judges the file found at a capture's recorded path.
func compareRecorded(c *sqlitestore.Capture, h fileHash) verdict {
	switch {
	case errors.Is(h.err, fs.ErrNotExist):
		return verdict{verdictMissing, c.Path, fmt.Sprintf("capture #%d: not found, "+
			"not checked", c.ID), false}
	case h.err != nil:
		return verdict{verdictUnreadable, c.Path, fmt.Sprintf("capture #%d: %v", c.ID, h.err),
			true}
	case h.sum != c.SHA256:
		return verdict{verdictChanged, c.Path, fmt.Sprintf("sha256 %s, capture #%d recorded %s",
			h.sum, c.ID, c.SHA256), true}
	}
	return verdict{verdictOK, c.Path, fmt.Sprintf("sha256 %s matches capture #%d (%s)",
		h.sum, c.ID, c.Status), false}
}

// verifyInputs hashes each input and looks its SHA-256 up in the case.
func verifyInputs(captures []*sqlitestore.Capture, args []string, jobs int,
	report func(verdict)) {
	inputs, problems := expandInputs(args)
	for _, err := range problems {
		report(inputProblem(err))
	}
	paths := make([]string, len(inputs))
	for i, in := range inputs {
		paths[i] = in.path
	}
	sums := hashFiles(paths, jobs)

	bySum := make(map[string][]*sqlitestore.Capture)
	for _, c := range captures {
		if hashed(c) {
			bySum[c.SHA256] = append(bySum[c.SHA256], c)
		}
	}
	for _, path := range paths {
		h := <-sums[path]
		report(judgeInput(path, h, bySum[h.sum], captures))
	}
}

// judgeInput judges a file given on the command line: its SHA-256 is that of
// the captures matches, or of none.
func judgeInput(path string, h fileHash, matches, captures []*sqlitestore.Capture) verdict {
	if h.err != nil {
		return verdict{verdictUnreadable, path, h.err.Error(), true}
	}
	if len(matches) > 0 {
		return verdict{verdictOK, path, fmt.Sprintf("sha256 %s matches %s", h.sum,
			describeCaptures(matches)), false}
	}

	// Not in the case: say what the case holds under the same path, if anything.
	for i := len(captures) - 1; i >= 0; i-- {
		c := captures[i]
		if c.Path != path {
			continue
		}
		if !hashed(c) {
			return verdict{verdictUnfinished, path, fmt.Sprintf("sha256 %s is not in the case; "+
				"capture #%d from this path did not finish (%s)", h.sum, c.ID, c.Status), true}
		}
		return verdict{verdictChanged, path, fmt.Sprintf("sha256 %s, capture #%d recorded %s",
			h.sum, c.ID, c.SHA256), true}
	}
	return verdict{verdictAbsent, path, fmt.Sprintf("sha256 %s is not in the case", h.sum), true}
}

// inputProblem judges an argument that named no readable file.
func inputProblem(err error) verdict {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return verdict{verdictUnreadable, "", err.Error(), true}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return verdict{verdictMissing, pe.Path, pe.Err.Error(), true}
	}
	return verdict{verdictUnreadable, pe.Path, pe.Err.Error(), true}
}

// describeCaptures lists captures as "capture #3 (path, complete)".
func describeCaptures(cs []*sqlitestore.Capture) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("capture #%d (%s, %s)", c.ID, c.Path, c.Status)
	}
	return strings.Join(parts, ", ")
}

// fileHash is the SHA-256 of a file's bytes, in lowercase hex, or why it
// could not be computed.
type fileHash struct {
	sum string
	err error
}

// hashFiles hashes the distinct paths with jobs goroutines. Each path's
// result arrives on its channel, which holds one value.
func hashFiles(paths []string, jobs int) map[string]chan fileHash {
	sums := make(map[string]chan fileHash, len(paths))
	work := make(chan string, len(paths))
	for _, p := range paths {
		if _, ok := sums[p]; !ok {
			sums[p] = make(chan fileHash, 1)
			work <- p
		}
	}
	close(work)

	for range min(jobs, max(len(sums), 1)) {
		go func() {
			buf := make([]byte, 1<<20)
			for p := range work {
				sum, err := sha256File(p, buf)
				sums[p] <- fileHash{sum, err}
			}
		}()
	}
	return sums
}

// sha256File returns the SHA-256 of the file's bytes as stored, read
// through buf. No capture format is parsed: the case records the hash of
// the file as it is on disk, compressed or not.
func sha256File(path string, buf []byte) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()

	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, buf); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
