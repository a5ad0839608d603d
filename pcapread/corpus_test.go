package pcapread

import (
	"bufio"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pdnsx/internal/corpus"
)

// corpusDir returns the shared corpus of real captures, or skips the test
// when it is absent.
func corpusDir(t testing.TB) string { return corpus.DirOrSkip(t) }

// corpusEntry is a row of MANIFEST.tsv.
type corpusEntry struct {
	path      string
	linkTypes []LinkType
	format    string
	packets   int
	partial   bool // reading stops on an error after packets frames
	sha256    string
}

func readManifest(t *testing.T, corpus string) []corpusEntry {
	f, err := os.Open(filepath.Join(corpus, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var entries []corpusEntry
	sc := bufio.NewScanner(f)
	sc.Scan() // column names
	for sc.Scan() {
		col := strings.Split(sc.Text(), "\t")
		if len(col) < 10 {
			t.Fatalf("MANIFEST.tsv: short row %q", sc.Text())
		}
		e := corpusEntry{path: col[0], format: col[4], sha256: col[9]}
		e.partial = strings.Contains(col[5], "partial")
		count, _, _ := strings.Cut(col[5], "(")
		if e.packets, err = strconv.Atoi(count); err != nil {
			t.Fatalf("MANIFEST.tsv: %s: packets %q: %v", e.path, col[5], err)
		}
		e.linkTypes = parseLinkTypes(col[3])
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return entries
}

// parseLinkTypes reads a link_type column such as "1/EN10MB,0/NULL (3 IDBs)".
func parseLinkTypes(col string) []LinkType {
	col, _, _ = strings.Cut(col, " ")
	var links []LinkType
	for _, lt := range strings.Split(col, ",") {
		num, _, _ := strings.Cut(lt, "/")
		if n, err := strconv.ParseUint(num, 10, 16); err == nil {
			links = append(links, LinkType(n))
		}
	}
	slices.Sort(links)
	return links
}

// readable reports whether pcapread reads captures in this format column.
func readable(format string) bool {
	for _, prefix := range []string{"pcap", "gz+", "zst+"} {
		if strings.HasPrefix(format, prefix) {
			return true
		}
	}
	return false
}

// TestCorpus reads every capture of the shared corpus that pcapread can
// read and checks its frame count, link types, size and SHA-256 against the
// manifest.
func TestCorpus(t *testing.T) {
	corpus := corpusDir(t)
	read := 0
	for _, e := range readManifest(t, corpus) {
		if !readable(e.format) {
			t.Run(e.path, func(t *testing.T) { checkUnreadable(t, corpus, e) })
			continue
		}
		read++
		t.Run(e.path, func(t *testing.T) { checkCorpusEntry(t, corpus, e) })
	}
	if read < 100 {
		t.Errorf("read %d captures of the corpus, want at least 100", read)
	}
}

func checkCorpusEntry(t *testing.T, corpus string, e corpusEntry) {
	path := filepath.Join(corpus, e.path)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	frames := 0
	for r.Next() {
		frames++
	}
	var fe *FormatError
	switch err := r.Err(); {
	case e.partial && !errors.As(err, &fe):
		t.Errorf("got error %v, want a FormatError after %d frames", err, e.packets)
	case !e.partial && err != nil:
		t.Errorf("got error %v after %d frames", err, frames)
	}
	if frames != e.packets {
		t.Errorf("got %d frames, want %d", frames, e.packets)
	}

	info := r.Info()
	stat, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(info.SHA256[:]); got != e.sha256 || info.Size != stat.Size() {
		t.Errorf("got size %d, SHA-256 %s; want %d, %s", info.Size, got, stat.Size(), e.sha256)
	}
	links := slices.Sorted(slices.Values(info.LinkTypes))
	if !slices.Equal(links, e.linkTypes) {
		t.Errorf("got link types %v, want %v", links, e.linkTypes)
	}
}

// checkUnreadable checks that a capture compressed in a way pcapread does not
// read (xz, lz4) is reported as not a capture, naming the compression.
func checkUnreadable(t *testing.T, corpus string, e corpusEntry) {
	r, err := Open(filepath.Join(corpus, e.path))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	for r.Next() {
		t.Fatalf("got frame %d, want none", r.Frame().Number)
	}
	compression, _, _ := strings.Cut(e.format, "+")
	var fe *FormatError
	if !errors.As(r.Err(), &fe) || !errors.Is(fe, ErrNotCapture) ||
		!strings.HasPrefix(fe.Detail, compression+"-compressed") {
		t.Errorf("got error %v, want ErrNotCapture naming %s", r.Err(), compression)
	}
}
