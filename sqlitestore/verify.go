package sqlitestore

import (
	"context"
	"fmt"
)

// reference is one of the case's own consistency rules: query counts the
// rows that break it.
type reference struct {
	what  string
	query string
}

// references are the rules Check enforces beyond SQLite's: every row leads
// to the rows it names, and a capture read to its end has a SHA-256.
var references = []reference{
	{"captures whose run is not in runs", `SELECT count(*) FROM captures c
		WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = c.run_id)`},
	{"captures read to their end without a SHA-256", `SELECT count(*) FROM captures
		WHERE status IN ('complete', 'truncated', 'corrupt')
		AND (sha256 IS NULL OR length(sha256) != 64)`},
	{"lookups whose capture is not in captures", `SELECT count(*) FROM lookups l
		WHERE NOT EXISTS (SELECT 1 FROM captures c WHERE c.id = l.capture_id)`},
	{"lookups whose query capture is not in captures", `SELECT count(*) FROM lookups l
		WHERE l.query_capture_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.id = l.query_capture_id)`},
	{"lookups whose response capture is not in captures", `SELECT count(*) FROM lookups l
		WHERE l.response_capture_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.id = l.response_capture_id)`},
	{"lookups whose query name is not in names", `SELECT count(*) FROM lookups l
		WHERE l.qname_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM names n WHERE n.id = l.qname_id)`},
	{"records whose lookup is not in lookups", `SELECT count(*) FROM records r
		WHERE NOT EXISTS (SELECT 1 FROM lookups l WHERE l.id = r.lookup_id)`},
	{"records whose owner name is not in names", `SELECT count(*) FROM records r
		WHERE NOT EXISTS (SELECT 1 FROM names n WHERE n.id = r.name_id)`},
	{"names stored more than once", `SELECT count(*) - count(DISTINCT name) FROM names`},
	{"malformed payloads whose capture is not in captures", `SELECT count(*) FROM malformed m
		WHERE NOT EXISTS (SELECT 1 FROM captures c WHERE c.id = m.capture_id)`},
}

// Check verifies the case file: SQLite's PRAGMA integrity_check over every
// page and index, then the case's own rules (every lookup, record and
// malformed payload leads to a capture, lookup and names that exist; every
// capture to its run; a capture read to its end has a SHA-256; each name is
// stored once). It returns
// one line per problem found, none when the case is sound. The error is
// for a check that could not run.
func (s *Store) Check() ([]string, error) {
	problems, err := s.integrityCheck()
	if err != nil || len(problems) > 0 {
		// The rules read tables that SQLite says are damaged: stop here.
		return problems, err
	}

	ctx := context.Background()
	for _, ref := range references {
		var n int64
		if err := s.conn.QueryRowContext(ctx, ref.query).Scan(&n); err != nil {
			return problems, s.wrap(err)
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d %s", n, ref.what))
		}
	}
	return problems, nil
}

// integrityCheck runs PRAGMA integrity_check and returns what it found
// wrong; SQLite answers a single "ok" for a sound file.
func (s *Store) integrityCheck() ([]string, error) {
	rows, err := s.conn.QueryContext(context.Background(), "PRAGMA integrity_check")
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()

	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return problems, s.wrap(err)
		}
		if line != "ok" {
			problems = append(problems, "integrity_check: "+line)
		}
	}
	return problems, s.wrap(rows.Err())
}
