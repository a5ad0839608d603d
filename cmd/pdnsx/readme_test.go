package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// sqlBlocks matches the ```sql blocks of a Markdown file.
var sqlBlocks = regexp.MustCompile("(?s)```sql\n(.*?)```")

// TestReadmeSQL runs every SQL statement of the README on the case of
// "First steps" (the demonstration capture), which the README says they
// run on as they are: each must be valid and return rows. It runs them
// through the driver pdnsx uses, and through the stock sqlite3 shell when
// it is installed (the README promises 3.40 or newer reads the case).
func TestReadmeSQL(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := sqlBlocks.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 6 {
		t.Fatalf("%d sql blocks in README.md, want the six questions at least", len(blocks))
	}
	casePath := askCase(t, "../../testdata/demo.pcap")
	db := openCase(t, casePath)
	shell, _ := exec.LookPath("sqlite3")

	for i, b := range blocks {
		stmt := b[1]
		t.Run(strings.SplitN(strings.TrimSpace(stmt), "\n", 2)[0], func(t *testing.T) {
			n := query[int](t, db, "SELECT count(*) FROM ("+strings.TrimSuffix(
				strings.TrimSpace(stmt), ";")+")")
			if n == 0 {
				t.Errorf("block %d returns no rows:\n%s", i+1, stmt)
			}
			if shell == "" {
				return
			}
			out, err := exec.Command(shell, "-readonly", casePath, stmt).CombinedOutput()
			if err != nil || len(out) == 0 {
				t.Errorf("sqlite3 shell: %v, output %q", err, out)
			}
		})
	}
}
