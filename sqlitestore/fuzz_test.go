package sqlitestore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReverseName checks that every name has a reversed form ending in a
// dot, and that the names under a parent sort in the parent's range: the
// reversed child starts with the reversed parent, so it lies between
// "<rparent>" and "<rparent without its last dot>/". The seeds are in
// testdata/fuzz/FuzzReverseName.
func FuzzReverseName(f *testing.F) {
	f.Fuzz(func(t *testing.T, label, parent string) {
		rparent := reverseName(parent)
		if !strings.HasSuffix(rparent, ".") {
			t.Fatalf("reverseName(%q) = %q, without the final dot", parent, rparent)
		}
		if label == "" || strings.ContainsAny(label, `.\`) || parent == "" ||
			parent[0] == '.' || strings.HasSuffix(parent, `\`) {
			return // not a label under a parent
		}
		child := label + "." + parent
		rchild := reverseName(child)
		upper := rparent[:len(rparent)-1] + "/"
		if !(rchild >= rparent && rchild < upper) {
			t.Errorf("reverseName(%q) = %q, outside [%q, %q) of %q", child, rchild, rparent,
				upper, parent)
		}
	})
}

// FuzzOpen offers arbitrary files to Open: it must open a case or refuse
// the file, and never change a file it refuses as not a case or as too
// new. The seeds, in testdata/fuzz/FuzzOpen, include case headers.
func FuzzOpen(f *testing.F) {
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), "case.pdnsx")
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path)
		if err == nil {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := pragma(t, path, "application_id"); got != ApplicationID {
				t.Fatalf("opened a file with application_id %#x", got)
			}
			return
		}
		if errors.Is(err, ErrNotCase) || errors.Is(err, ErrNewerSchema) {
			after, rerr := os.ReadFile(path)
			if rerr != nil || !bytes.Equal(after, content) {
				t.Fatalf("file refused (%v) but changed", err)
			}
		}
	})
}

// FuzzReverseNameLabels checks reverseName, which scans the name from its
// end, against the labels splitLabels finds from its start.
func FuzzReverseNameLabels(f *testing.F) {
	for _, seed := range []string{"", ".", "..", "a", "a.", "a..", ".a", `a\.b.`, `a\\.b.`,
		`a\\\.b`, `\`, `a\`, "WWW.Example.", `\065.b.`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		labels := splitLabels(name)
		var want strings.Builder
		for i := len(labels) - 1; i >= 0; i-- {
			for _, c := range []byte(labels[i]) {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				want.WriteByte(c)
			}
			want.WriteByte('.')
		}
		if len(labels) == 0 {
			want.WriteByte('.')
		}
		if got := reverseName(name); got != want.String() {
			t.Errorf("reverseName(%q) = %q, labels %q give %q", name, got, labels, want.String())
		}
	})
}
