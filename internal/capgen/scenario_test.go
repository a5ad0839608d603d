package capgen

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// testdataDir is the checked-in scenario captures, relative to this package.
var testdataDir = filepath.Join("..", "..", "testdata", "captures")

// maxTestdataBytes bounds the checked-in captures.
const maxTestdataBytes = 1 << 20

// TestScenariosTruth checks each scenario's claimed truth against an
// independent reading of the bytes it wrote.
func TestScenariosTruth(t *testing.T) {
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			var buf bytes.Buffer
			want, err := sc.Write(&buf)
			if err != nil {
				t.Fatal(err)
			}

			got, err := refCount([][]byte{buf.Bytes()}, want.Ports)
			if err != nil {
				t.Fatalf("reference decode: %v", err)
			}
			if !truthEqual(got, want) {
				t.Errorf("read back %+v\nclaimed   %+v", got, want)
			}
		})
	}

	for _, sc := range Scenarios() {
		if sc.Follows == "" {
			continue
		}
		t.Run(sc.Follows+"+"+sc.Name, func(t *testing.T) {
			first, ok := Lookup(sc.Follows)
			if !ok {
				t.Fatalf("no scenario %s", sc.Follows)
			}
			var a, b bytes.Buffer
			if _, err := first.Write(&a); err != nil {
				t.Fatal(err)
			}
			if _, err := sc.Write(&b); err != nil {
				t.Fatal(err)
			}
			got, err := refCount([][]byte{a.Bytes(), b.Bytes()}, nil)
			if err != nil {
				t.Fatalf("reference decode: %v", err)
			}
			if !truthEqual(got, *sc.Joint) {
				t.Errorf("read back %+v\nclaimed   %+v", got, *sc.Joint)
			}
		})
	}
}

// truthEqual compares two truths field by field.
func truthEqual(a, b Truth) bool {
	return slices.Equal(a.Ports, b.Ports) && a.Status == b.Status && a.Frames == b.Frames &&
		a.Messages == b.Messages && a.Answered == b.Answered &&
		a.Unanswered == b.Unanswered && a.Unsolicited == b.Unsolicited &&
		a.Records == b.Records && a.Malformed == b.Malformed
}

// TestTestdataUpToDate regenerates every capture and compares it with the
// checked-in file; run `go run ./cmd/pdnsx-gen testdata` after changing a
// scenario.
func TestTestdataUpToDate(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := WriteTestdata(dir); err != nil {
		t.Fatal(err)
	}
	fresh, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}

	var total int64
	for _, e := range fresh {
		want, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(testdataDir, e.Name()))
		if err != nil {
			t.Errorf("%s: %v (run go run ./cmd/pdnsx-gen testdata)", e.Name(), err)
			continue
		}
		total += int64(len(got))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: checked-in file differs from the generator's output "+
				"(run go run ./cmd/pdnsx-gen testdata)", e.Name())
		}
	}
	checked, err := os.ReadDir(testdataDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(checked) != len(fresh) {
		t.Errorf("%s holds %d files, the generator writes %d: remove stale captures",
			testdataDir, len(checked), len(fresh))
	}
	if total > maxTestdataBytes {
		t.Errorf("testdata captures take %d bytes, want under %d", total, maxTestdataBytes)
	}
}

// TestScenariosDeterministic writes every scenario twice and compares.
func TestScenariosDeterministic(t *testing.T) {
	for _, sc := range Scenarios() {
		var a, b bytes.Buffer
		if _, err := sc.Write(&a); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Write(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two writes differ", sc.Name)
		}
	}
}

// TestScenarioNames checks that names and files are unique and that every
// rotated scenario names an existing predecessor.
func TestScenarioNames(t *testing.T) {
	names, files := map[string]bool{}, map[string]bool{}
	for _, sc := range Scenarios() {
		if names[sc.Name] || files[sc.File] {
			t.Errorf("%s: duplicate name or file %s", sc.Name, sc.File)
		}
		names[sc.Name], files[sc.File] = true, true
		if sc.About == "" {
			t.Errorf("%s: no description", sc.Name)
		}
		if sc.Follows != "" && (!names[sc.Follows] || sc.Joint == nil) {
			t.Errorf("%s: follows %q, which is not an earlier scenario, or has no joint truth",
				sc.Name, sc.Follows)
		}
	}
}

// TestScenarioFrames checks that Frames returns what Write puts in the
// capture, frame by frame.
func TestScenarioFrames(t *testing.T) {
	for _, name := range []string{"pcapng-multi-if", "tcp-split-3", "ipv6-frags", "sll2"} {
		sc, ok := Lookup(name)
		if !ok {
			t.Fatalf("no scenario %s", name)
		}
		frames, err := sc.Frames()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := sc.Write(&buf); err != nil {
			t.Fatal(err)
		}
		read, _ := refRead(buf.Bytes())
		if len(read) != len(frames) {
			t.Fatalf("%s: %d frames, capture has %d", name, len(frames), len(read))
		}
		for i, f := range frames {
			if !bytes.Equal(f.Data, read[i].data) || uint16(f.LinkType) != uint16(read[i].link) {
				t.Errorf("%s: frame %d differs from the capture's", name, i+1)
			}
		}
	}
}
