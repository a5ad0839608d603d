package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// BeginRun inserts the row of an ingest run with outcome "running" and
// returns its id.
func (s *Store) BeginRun(started time.Time, version, command string) (int64, error) {
	res, err := s.conn.ExecContext(context.Background(),
		`INSERT INTO runs(started, version, command, outcome) VALUES (?, ?, ?, 'running')`,
		string(appendTime(nil, started)), version, command)
	if err != nil {
		return 0, s.wrap(err)
	}
	id, err := res.LastInsertId()
	return id, s.wrap(err)
}

// EndRun stores when a run finished and its outcome: "ok", "errors" or
// "interrupted".
func (s *Store) EndRun(id int64, finished time.Time, outcome string) error {
	_, err := s.conn.ExecContext(context.Background(),
		`UPDATE runs SET finished = ?, outcome = ? WHERE id = ?`,
		string(appendTime(nil, finished)), outcome, id)
	return s.wrap(err)
}

// MarkInterrupted marks the runs still "running" and the captures still
// "ingesting" as "interrupted": left so by a process that was killed. Only
// one process can hold a case open for writing, so none of them is in
// progress. It returns the number of captures marked.
func (s *Store) MarkInterrupted() (int64, error) {
	ctx := context.Background()
	_, err := s.conn.ExecContext(ctx,
		`UPDATE runs SET outcome = 'interrupted' WHERE outcome = 'running'`)
	if err != nil {
		return 0, s.wrap(err)
	}
	res, err := s.conn.ExecContext(ctx,
		`UPDATE captures SET status = 'interrupted' WHERE status = 'ingesting'`)
	if err != nil {
		return 0, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap(err)
}

// captureColumns are the columns scanCapture reads, in its order.
const captureColumns = `id, path, coalesce(size, 0), coalesce(sha256, ''),
	coalesce(format, ''), coalesce(compression, ''), coalesce(link_types, ''),
	coalesce(first_time, ''), coalesce(last_time, ''), coalesce(frames, 0),
	coalesce(dns_messages, 0), coalesce(malformed, 0), coalesce(skipped, ''), status,
	coalesce(error, '')`

// CaptureBySHA256 returns the latest capture row whose file has the
// given SHA-256 (hex), and whether there is one.
func (s *Store) CaptureBySHA256(sum string) (*Capture, bool, error) {
	row := s.conn.QueryRowContext(context.Background(),
		`SELECT `+captureColumns+` FROM captures WHERE sha256 = ? ORDER BY id DESC LIMIT 1`,
		sum)
	c, err := scanCapture(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.wrap(err)
	}
	return c, true, nil
}

// scanCapture reads a row of captureColumns.
func scanCapture(row interface{ Scan(...any) error }) (*Capture, error) {
	var c Capture
	var first, last string
	err := row.Scan(&c.ID, &c.Path, &c.Size, &c.SHA256, &c.Format, &c.Compression,
		&c.LinkTypes, &first, &last, &c.Frames, &c.Messages, &c.Malformed, &c.Skipped,
		&c.Status, &c.Error)
	if err != nil {
		return nil, err
	}
	if c.First, err = parseTime(first); err != nil {
		return nil, err
	}
	if c.Last, err = parseTime(last); err != nil {
		return nil, err
	}
	return &c, nil
}

// parseTime reads a time as the case file stores it; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// DeleteCapture deletes a capture's row and everything that refers to
// it: its malformed payloads, and the lookups (with their records) that
// have their query, their response or their first message in it. A
// lookup paired across two captures therefore goes with either.
func (s *Store) DeleteCapture(id int64) error {
	if s.w != nil {
		if err := s.w.run(func(*sqlite3.SQLiteConn) error { return s.w.drain() }); err != nil {
			return err
		}
	}
	err := s.inSavepoint(func(ctx context.Context) error {
		for _, q := range []string{
			`DELETE FROM records WHERE lookup_id IN (SELECT id FROM lookups
				WHERE capture_id = ?1 OR query_capture_id = ?1 OR response_capture_id = ?1)`,
			`DELETE FROM lookups
				WHERE capture_id = ?1 OR query_capture_id = ?1 OR response_capture_id = ?1`,
			`DELETE FROM malformed WHERE capture_id = ?1`,
			`DELETE FROM captures WHERE id = ?1`,
		} {
			if _, err := s.conn.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || s.w == nil {
		return err
	}

	// SQLite numbers new lookups from the largest id left, which the
	// writer must follow (see newBatch).
	return s.w.run(func(c *sqlite3.SQLiteConn) error {
		max, err := maxID(c, "lookups")
		s.w.nextLookup = max + 1
		return err
	})
}

// inSavepoint runs f in a savepoint, which nests in the writer's open
// transaction or is a transaction of its own when none is open.
func (s *Store) inSavepoint(f func(ctx context.Context) error) error {
	ctx := context.Background()
	if _, err := s.conn.ExecContext(ctx, "SAVEPOINT store"); err != nil {
		return s.wrap(err)
	}
	err := f(ctx)
	if err != nil {
		s.conn.ExecContext(ctx, "ROLLBACK TO store")
	}
	if _, rerr := s.conn.ExecContext(ctx, "RELEASE store"); err == nil {
		err = rerr
	}
	return s.wrap(err)
}

// sorting calls f with the connection set to sort on disk (see
// sortOnDisk), as building an index is a sort, and sets it back.
func (s *Store) sorting(f func() error) error {
	restore, err := s.sortOnDisk()
	if err != nil {
		return err
	}
	err = f()
	if rerr := s.exec(restore); err == nil {
		err = rerr
	}
	return err
}

// Finish prepares the case for queries once an ingest is done: it commits
// what an open writer holds, rebuilds the passive DNS summary (pdns) from
// every record, builds the unique index of the names and the query indexes
// (cheaper after a bulk load than maintained during it) and refreshes the
// query planner's statistics.
func (s *Store) Finish() error {
	if s.w != nil {
		if err := s.w.Flush(); err != nil {
			return err
		}
	}

	// The names' indexes first: the summary reads the names in the order
	// of names_rname, which it then need not sort.
	err := s.sorting(func() error {
		err := s.conn.Raw(func(dc any) error { return indexNames(dc.(*sqlite3.SQLiteConn)) })
		if err == nil {
			err = s.exec(namesRnameIndex)
		}
		return err
	})
	// Each step's pages start on their way to disk as the next one runs.
	s.wb.start()
	if err == nil {
		err = s.rebuildPDNS()
	}
	s.wb.start()
	if err == nil {
		err = s.sorting(func() error { return s.exec(queryIndexes) })
	}
	s.wb.start()
	if err != nil {
		return err
	}

	// Statistics for the query planner, from a sample of each index.
	return s.exec("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002")
}
