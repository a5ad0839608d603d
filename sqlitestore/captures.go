package sqlitestore

import "context"

// Captures returns every capture row of the case, oldest first.
func (s *Store) Captures() ([]*Capture, error) {
	rows, err := s.conn.QueryContext(context.Background(),
		`SELECT `+captureColumns+` FROM captures ORDER BY id`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var all []*Capture
	for rows.Next() {
		c, err := scanCapture(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		all = append(all, c)
	}
	return all, s.wrap(rows.Err())
}

// Finished reports whether a capture's ingest ran to its end, whatever the
// capture held: its rows are all in the case.
func (c *Capture) Finished() bool {
	switch c.Status {
	case "complete", "truncated", "corrupt", "failed":
		return true
	}
	return false
}
