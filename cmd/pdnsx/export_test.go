package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exportCaptures are the captures of the export tests: the odd lookups,
// without the demonstration capture's 500 ordinary ones.
var exportCaptures = askCaptures[1:]

func TestExportGolden(t *testing.T) {
	casePath := askCase(t, exportCaptures...)
	for _, format := range []string{"cof", "csv", "zeek"} {
		t.Run(format, func(t *testing.T) {
			stdout, stderr, status := pdnsx(t, "export", "-case", casePath, "-format", format)
			if status != exitOK {
				t.Fatalf("exit status %d\n%s", status, stderr)
			}
			checkGolden(t, "export-"+format, stdout)
		})
	}
}

// TestExportZeekShape checks the dns.log's structure: the header lines
// Zeek writes, and as many tab-separated fields on every line as #fields
// names.
func TestExportZeekShape(t *testing.T) {
	casePath := askCase(t, exportCaptures...)
	stdout, _, _ := pdnsx(t, "export", "-case", casePath, "-format", "zeek")
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	for i, prefix := range []string{"#separator \\x09", "#set_separator\t,",
		"#empty_field\t(empty)", "#unset_field\t-", "#path\tdns", "#open\t", "#fields\tts\tuid",
		"#types\ttime\tstring"} {
		if i >= len(lines) || !strings.HasPrefix(lines[i], prefix) {
			t.Fatalf("line %d does not start with %q", i+1, prefix)
		}
	}
	fields := len(strings.Split(lines[6], "\t")) - 1
	if types := len(strings.Split(lines[7], "\t")) - 1; types != fields || fields != 24 {
		t.Fatalf("%d fields, %d types; want 24 of each", fields, types)
	}
	if !strings.HasPrefix(lines[len(lines)-1], "#close\t") {
		t.Errorf("last line %q is not #close", lines[len(lines)-1])
	}
	rows := 0
	for i, line := range lines[8 : len(lines)-1] {
		if n := len(strings.Split(line, "\t")); n != fields {
			t.Errorf("line %d has %d fields, want %d: %q", i+9, n, fields, line)
		}
		rows++
	}
	db := openCase(t, casePath)
	if want := query[int](t, db, "SELECT count(*) FROM lookups"); rows != want {
		t.Errorf("%d rows, want one per lookup (%d)", rows, want)
	}
}

// TestExportToFile checks -o: the file holds what standard output would,
// nothing else is left in its directory, and the case file is never the
// target.
func TestExportToFile(t *testing.T) {
	casePath := askCase(t, exportCaptures...)
	want, _, _ := pdnsx(t, "export", "-case", casePath, "-format", "cof")
	dir := t.TempDir()
	out := filepath.Join(dir, "case.cof")
	if _, stderr, status := pdnsx(t, "export", "-case", casePath, "-format", "cof", "-o",
		out); status != exitOK {
		t.Fatalf("exit status %d\n%s", status, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil || string(got) != want {
		t.Errorf("-o wrote %d bytes (%v), want the %d of standard output", len(got), err,
			len(want))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files beside the export: %v", entries)
	}

	before, _ := os.ReadFile(casePath)
	_, stderr, status := pdnsx(t, "export", "-case", casePath, "-format", "csv", "-o", casePath)
	if status != exitPartial || !strings.Contains(stderr, "is the case file") {
		t.Errorf("export over the case: exit status %d, stderr %q", status, stderr)
	}
	if after, _ := os.ReadFile(casePath); string(after) != string(before) {
		t.Error("export over the case changed it")
	}
}

func TestExportUsage(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{nil, "no -format given"},
		{[]string{"-format", "json"}, `-format "json": want cof, csv, zeek`},
		{[]string{"-format", "cof", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, stderr, status := pdnsx(t, append([]string{"export"}, tt.args...)...)
			if status != exitUsage || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit status %d, stderr %q; want %d and %q", status, stderr,
					exitUsage, tt.stderr)
			}
		})
	}
}
