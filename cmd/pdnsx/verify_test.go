package main

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// evidence copies the named test captures into a new directory, ingests
// them into a case there and returns the directory and the case's path.
func evidence(t *testing.T, names ...string) (dir, casePath string) {
	t.Helper()
	dir = t.TempDir()
	args := []string{"ingest", "--quiet", "-j", "1", "-o", filepath.Join(dir, "case.sqlite")}
	for i, src := range captures(names...) {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, names[i])
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, dst)
	}
	if _, stderr, status := pdnsx(t, args...); status != exitOK {
		t.Fatalf("ingest: exit status %d\n%s", status, stderr)
	}
	return dir, filepath.Join(dir, "case.sqlite")
}

// alterCase runs SQL on a case through a writable connection.
func alterCase(t *testing.T, path string, statements ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range statements {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// verdicts parses verify's report into "STATUS PATH-BASE" keys, one per
// line, and checks that every line has three tab-separated fields.
func verdicts(t *testing.T, stdout string) []string {
	t.Helper()
	var got []string
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Errorf("report line %q does not have 3 tab-separated fields", line)
			continue
		}
		got = append(got, f[0]+" "+filepath.Base(f[1]))
	}
	return got
}

func TestVerify(t *testing.T) {
	const a, b = "pcap-us-le.pcap", "nxdomain.pcap"
	tests := []struct {
		name   string
		alter  func(t *testing.T, dir, casePath string) // before verify runs
		args   func(dir string) []string                // after -case CASE
		status int
		want   []string // verdicts: status and base name of the path, in any order
		detail string   // in stdout; #A, #B stand for a's and b's ids, DIR for the directory
		stderr string
	}{
		{name: "recorded files unchanged",
			args:   func(string) []string { return nil },
			status: exitOK,
			want:   []string{"ok case.sqlite", "ok " + a, "ok " + b},
			detail: "matches capture #A (complete)",
			stderr: "case sound; 3 ok"},
		{name: "input given",
			args:   func(dir string) []string { return []string{filepath.Join(dir, b)} },
			status: exitOK,
			want:   []string{"ok case.sqlite", "ok " + b},
			detail: "matches capture #B (DIR/" + b},
		{name: "renamed copy recognised by its hash",
			alter: func(t *testing.T, dir, _ string) {
				copyFile(t, filepath.Join(dir, a), filepath.Join(dir, "renamed.bin"))
			},
			args:   func(dir string) []string { return []string{filepath.Join(dir, "renamed.bin")} },
			status: exitOK,
			want:   []string{"ok case.sqlite", "ok renamed.bin"},
			detail: "matches capture #A (DIR/" + a},
		{name: "directory of inputs",
			alter: func(t *testing.T, dir, _ string) {
				sub := filepath.Join(dir, "sub")
				os.Mkdir(sub, 0o755)
				copyFile(t, filepath.Join(dir, a), filepath.Join(sub, "x.pcap"))
				copyFile(t, filepath.Join(dir, b), filepath.Join(sub, "y.pcap"))
			},
			args:   func(dir string) []string { return []string{filepath.Join(dir, "sub")} },
			status: exitOK,
			want:   []string{"ok case.sqlite", "ok x.pcap", "ok y.pcap"}},
		{name: "input not in the case",
			args:   func(string) []string { return captures("vlan.pcap") },
			status: exitPartial,
			want:   []string{"ok case.sqlite", "absent vlan.pcap"},
			detail: "is not in the case",
			stderr: "1 absent"},
		{name: "recorded file changed",
			alter: func(t *testing.T, dir, _ string) {
				appendByte(t, filepath.Join(dir, b))
			},
			args:   func(string) []string { return nil },
			status: exitPartial,
			want:   []string{"ok case.sqlite", "ok " + a, "changed " + b},
			detail: "capture #B recorded ",
			stderr: "1 changed"},
		{name: "input changed at a recorded path",
			alter: func(t *testing.T, dir, _ string) {
				appendByte(t, filepath.Join(dir, a))
			},
			args:   func(dir string) []string { return []string{filepath.Join(dir, a)} },
			status: exitPartial,
			want:   []string{"ok case.sqlite", "changed " + a},
			detail: "capture #A recorded "},
		{name: "recorded file gone is not checked",
			alter: func(t *testing.T, dir, _ string) {
				os.Remove(filepath.Join(dir, a))
			},
			args:   func(string) []string { return nil },
			status: exitOK,
			want:   []string{"ok case.sqlite", "missing " + a, "ok " + b},
			detail: "capture #A: not found, not checked",
			stderr: "1 missing"},
		{name: "input missing",
			args:   func(dir string) []string { return []string{filepath.Join(dir, "gone.pcap")} },
			status: exitPartial,
			want:   []string{"ok case.sqlite", "missing gone.pcap"}},
		{name: "unfinished capture",
			alter: func(t *testing.T, _, casePath string) {
				alterCase(t, casePath,
					"UPDATE captures SET status = 'interrupted', sha256 = NULL WHERE path LIKE '%"+b+"'")
			},
			args:   func(string) []string { return nil },
			status: exitOK,
			want:   []string{"ok case.sqlite", "ok " + a, "unfinished " + b},
			detail: "capture #B (interrupted): its ingest did not finish"},
		{name: "unfinished capture given as input",
			alter: func(t *testing.T, _, casePath string) {
				alterCase(t, casePath,
					"UPDATE captures SET status = 'interrupted', sha256 = NULL WHERE path LIKE '%"+b+"'")
			},
			args:   func(dir string) []string { return []string{filepath.Join(dir, b)} },
			status: exitPartial,
			want:   []string{"ok case.sqlite", "unfinished " + b},
			detail: "capture #B from this path did not finish (interrupted)"},
		{name: "case with dangling rows",
			alter: func(t *testing.T, _, casePath string) {
				alterCase(t, casePath, "DELETE FROM captures WHERE path LIKE '%"+a+"'")
			},
			args:   func(string) []string { return nil },
			status: exitPartial,
			want: []string{"damaged case.sqlite", "damaged case.sqlite", "damaged case.sqlite",
				"ok " + b},
			detail: "1 lookups whose capture is not in captures",
			stderr: "case DAMAGED (3 problems)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, casePath := evidence(t, a, b)
			detail := strings.NewReplacer("#A", "#"+captureID(t, casePath, a),
				"#B", "#"+captureID(t, casePath, b), "DIR", dir).Replace(tt.detail)
			if tt.alter != nil {
				tt.alter(t, dir, casePath)
			}
			args := append([]string{"verify", "-case", casePath}, tt.args(dir)...)
			stdout, stderr, status := pdnsx(t, args...)

			if status != tt.status {
				t.Errorf("exit status %d, want %d\nstdout:\n%sstderr:\n%s",
					status, tt.status, stdout, stderr)
			}
			got := verdicts(t, stdout)
			sort.Strings(got)
			sort.Strings(tt.want)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("verdicts:\n%s\nwant:\n%s", strings.Join(got, "\n"),
					strings.Join(tt.want, "\n"))
			}
			if !strings.Contains(stdout, detail) {
				t.Errorf("stdout lacks %q:\n%s", detail, stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
		})
	}
}

// TestVerifyHashes checks the SHA-256 verify prints against the one the
// case recorded at ingest, and both against the file's known digest.
func TestVerifyHashes(t *testing.T) {
	dir, casePath := evidence(t, "gzip.pcap.gz")
	stdout, _, status := pdnsx(t, "verify", "-case", casePath, filepath.Join(dir, "gzip.pcap.gz"))
	if status != exitOK {
		t.Fatalf("exit status %d:\n%s", status, stdout)
	}
	recorded := query[string](t, openCase(t, casePath), "SELECT sha256 FROM captures")
	printed := regexp.MustCompile(`sha256 ([0-9a-f]{64})`).FindStringSubmatch(stdout)
	if printed == nil || printed[1] != recorded {
		t.Errorf("verify printed %q, case recorded %s", stdout, recorded)
	}
	if want := sha256Hex(t, filepath.Join(dir, "gzip.pcap.gz")); recorded != want {
		t.Errorf("case recorded %s, file's SHA-256 is %s", recorded, want)
	}
}

func TestVerifyRefuses(t *testing.T) {
	dir := t.TempDir()
	notCase := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCase, []byte("case notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"not a case", []string{"-case", notCase}, exitPartial, "not a pdnsx case file"},
		{"no case", []string{"-case", filepath.Join(dir, "none.sqlite")}, exitPartial,
			"no such file"},
		{"bad jobs", []string{"-j", "0"}, exitUsage, "need at least one job"},
		{"bad flag", []string{"-o", "x"}, exitUsage, "flag provided but not defined"},
		{"help", []string{"-h"}, exitOK, "usage: pdnsx verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, status := pdnsx(t, append([]string{"verify"}, tt.args...)...)
			if status != tt.status {
				t.Errorf("exit status %d, want %d", status, tt.status)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.stderr)
			}
		})
	}
	if data, err := os.ReadFile(notCase); err != nil || string(data) != "case notes\n" {
		t.Errorf("verify changed a file that is not a case: %q, %v", data, err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err == nil {
		err = os.WriteFile(dst, data, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func appendByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.Write([]byte{0})
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}

func sha256Hex(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(data))
}

// captureID returns the id of the capture whose recorded path ends in name.
func captureID(t *testing.T, casePath, name string) string {
	t.Helper()
	id := query[int64](t, openCase(t, casePath),
		"SELECT id FROM captures WHERE path LIKE ?", "%"+name)
	return fmt.Sprint(id)
}
