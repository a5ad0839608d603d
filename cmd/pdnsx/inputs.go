package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
)

// input is one file offered for ingest.
type input struct {
	index int    // position among the run's inputs; dnsextract's capture index
	path  string // as given, or found under a directory given
	size  int64
}

// expandInputs turns the command's arguments into files: a file stands for
// itself, a directory for every regular file below it, in lexical order.
// Arguments that cannot be read are returned as problems; the others go on.
func expandInputs(args []string) (inputs []input, problems []error) {
	seen := make(map[string]bool)
	add := func(path string, size int64) {
		if seen[path] {
			return
		}
		seen[path] = true
		inputs = append(inputs, input{index: len(inputs), path: path, size: size})
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		if !st.IsDir() {
			add(arg, st.Size())
			continue
		}
		found, err := walkDir(arg)
		if err != nil {
			problems = append(problems, err)
		}
		if len(found) == 0 && err == nil {
			problems = append(problems, fmt.Errorf("%s: directory holds no files", arg))
		}
		for _, f := range found {
			add(f.path, f.size)
		}
	}
	return inputs, problems
}

// walkDir lists the regular files under dir in lexical order.
func walkDir(dir string) ([]input, error) {
	var found []input
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		found = append(found, input{path: path, size: info.Size()})
		return nil
	})
	sort.Slice(found, func(i, j int) bool { return found[i].path < found[j].path })
	return found, err
}

// version returns pdnsx's module version and VCS revision from the build
// information, e.g. "v0.1.0 (rev 1a2b3c4d5e6f, modified)".
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (rev " + rev + modified + ")"
	}
	return v
}
