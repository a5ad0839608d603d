// Package corpus finds the shared corpus of real captures from other
// projects, which tests use when it is there: ../shared/corpus beside the
// repository root, described by its MANIFEST.tsv. A fresh clone has no such
// folder, and the tests that need it skip.
package corpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus folder, or an error saying why there is none.
func Dir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod) not found")
		}
		dir = parent
	}

	corpus := filepath.Join(dir, "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(corpus, "MANIFEST.tsv")); err != nil {
		return "", fmt.Errorf("shared corpus not available: %w", err)
	}
	return corpus, nil
}

// DirOrSkip returns the corpus folder, or skips the test when it is absent.
func DirOrSkip(t testing.TB) string {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	return dir
}
