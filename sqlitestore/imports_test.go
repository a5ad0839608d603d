package sqlitestore

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports guards the architecture: sqlitestore knows SQL, takes the
// plain types of dnsextract, and neither decodes packets, logs nor
// prints.
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"pdnsx/dnsextract":            true,
		"github.com/mattn/go-sqlite3": true,
		"github.com/miekg/dns":        true, // the mnemonic tables only
		"database/sql":                true,
		"database/sql/driver":         true,
	}
	forbidden := []string{"log", "log/slog", "flag"}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []string{"fmt.Print", "os.Stdout", "os.Stderr"} {
			if strings.Contains(string(src), call) {
				t.Errorf("%s prints: it uses %s", name, call)
			}
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range f.Imports {
			path, _ := strconv.Unquote(spec.Path.Value)
			std := !strings.Contains(strings.Split(path, "/")[0], ".") &&
				!strings.HasPrefix(path, "pdnsx/")
			for _, bad := range forbidden {
				if path == bad {
					t.Errorf("%s imports %s", name, path)
				}
			}
			if !std && !allowed[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
