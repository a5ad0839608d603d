package sqlitestore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Errors Open and OpenReadOnly wrap.
var (
	// ErrNotCase means the file exists but is not a pdnsx case file.
	ErrNotCase = errors.New("not a pdnsx case file")

	// ErrNewerSchema means the case file was written by a newer pdnsx.
	ErrNewerSchema = errors.New("case file schema is newer than this pdnsx")

	// ErrInUse means another process holds the case file open for writing.
	ErrInUse = errors.New("case file is in use by another process")

	// ErrUnfinished means a process writing the case was killed mid-
	// transaction: opening it for writing rolls the transaction back, a
	// read-only store cannot.
	ErrUnfinished = errors.New("case file has a transaction a killed pdnsx left " +
		"unfinished; open it for writing to roll it back")
)

// OpenError is the error Open and OpenReadOnly return for a file they
// refuse. It unwraps to ErrNotCase, ErrNewerSchema, ErrInUse or
// ErrUnfinished.
type OpenError struct {
	Path   string
	Detail string // what was wrong, as the message shows it
	Err    error  // the sentinel
}

// Error returns e.g. "sqlitestore: case.db: not a pdnsx case file (not a
// SQLite database)".
func (e *OpenError) Error() string {
	return "sqlitestore: " + e.Path + ": " + e.Detail
}

// Unwrap returns the sentinel.
func (e *OpenError) Unwrap() error { return e.Err }

// sqliteMagic starts the 100-byte header of every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// Offsets in the database header (https://sqlite.org/fileformat.html#the_database_header).
const (
	headerSize        = 100
	userVersionOffset = 60
	appIDOffset       = 68
)

// Store is an open case file. Its methods are safe for use by one
// goroutine at a time; the store holds a single SQLite connection.
type Store struct {
	path     string
	readOnly bool
	db       *sql.DB
	conn     *sql.Conn
	w        *Writer    // the open writer, if any
	wb       *writeback // early writing of a store opened for writing
}

// Open opens the case file at path for writing, creating it when it does
// not exist or is empty. A file that is not a pdnsx case, or one written
// by a newer pdnsx, is refused unmodified. The store holds the file
// exclusively until Close: other processes can neither read nor write it.
func Open(path string) (*Store, error) {
	if _, err := inspect(path, true); err != nil {
		return nil, err
	}

	s, err := connect(path, "_journal_mode=DELETE&_synchronous=OFF&_locking_mode=EXCLUSIVE")
	if err != nil {
		return nil, err
	}

	if err := s.lockAndCheck(); err != nil {
		s.closeConn()
		return nil, err
	}
	s.wb = openWriteback(path)
	return s, nil
}

// OpenReadOnly opens an existing case file for reading. It refuses the
// same files as Open, and also an empty or missing file.
func OpenReadOnly(path string) (*Store, error) {
	fresh, err := inspect(path, false)
	if err != nil {
		return nil, err
	}
	if fresh {
		return nil, &OpenError{path, ErrNotCase.Error() + " (empty file)", ErrNotCase}
	}

	s, err := connect(path, "mode=ro")
	if err != nil {
		return nil, err
	}
	s.readOnly = true

	if err := s.check(); err != nil {
		s.closeConn()
		return nil, err
	}
	return s, nil
}

// inspect reads the header of the file at path without handing it to
// SQLite, and reports whether it is absent or empty (a new case). A file
// that is not a SQLite database, has another application_id or a newer
// user_version is refused.
func inspect(path string, create bool) (fresh bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) && create {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlitestore: %w", err)
	}
	defer f.Close()

	var h [headerSize]byte
	n, err := io.ReadFull(f, h[:])
	if n == 0 && err == io.EOF {
		return true, nil
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, fmt.Errorf("sqlitestore: %s: %w", path, err)
	}
	if n < headerSize || !bytes.HasPrefix(h[:], []byte(sqliteMagic)) {
		return false, &OpenError{path, ErrNotCase.Error() + " (not a SQLite database)", ErrNotCase}
	}
	return false, checkIDs(path, binary.BigEndian.Uint32(h[appIDOffset:]),
		int64(int32(binary.BigEndian.Uint32(h[userVersionOffset:]))))
}

// checkIDs refuses a database whose application_id is not pdnsx's or
// whose user_version is newer than SchemaVersion.
func checkIDs(path string, appID uint32, version int64) error {
	if appID != ApplicationID {
		detail := fmt.Sprintf("%s (SQLite database with application_id 0x%08x)",
			ErrNotCase.Error(), appID)
		return &OpenError{path, detail, ErrNotCase}
	}
	if version > SchemaVersion {
		detail := fmt.Sprintf("case file schema %d is newer than this pdnsx (%d); upgrade pdnsx",
			version, SchemaVersion)
		return &OpenError{path, detail, ErrNewerSchema}
	}
	return nil
}

// connect opens one pinned SQLite connection to path with the given URI
// parameters, a 64 MiB page cache and in-memory temporary tables. The
// connection's own mutex is off (_mutex=no, SQLITE_OPEN_NOMUTEX): only
// one goroutine at a time uses it, as database/sql serializes the calls
// on a pinned connection, and the mutex costs a lock per bound value.
func connect(path, params string) (*Store, error) {
	uri, err := fileURI(path)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	dsn := fmt.Sprintf("%s?%s&_mutex=no&_busy_timeout=%d&_cache_size=%d",
		uri, params, busyTimeoutMS, queryCache)
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)

	s := &Store{path: path, db: db}
	s.conn, err = db.Conn(context.Background())
	if err == nil {
		_, err = s.conn.ExecContext(context.Background(), "PRAGMA temp_store = MEMORY")
	}
	if err != nil {
		s.closeConn()
		return nil, s.wrap(err)
	}
	return s, nil
}

// queryCache is the page cache of a connection, in KiB as PRAGMA cache_size
// takes a negative number.
const queryCache = -65536

// busyTimeoutMS is how long a store waits for another process's lock
// before it gives up with ErrInUse.
var busyTimeoutMS = 5000

// driverName is the database/sql driver the store uses.
const driverName = "sqlite3"

// fileURI returns the SQLite URI filename (https://sqlite.org/uri.html)
// of path, with the bytes that URIs reserve percent-encoded.
func fileURI(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("file:")
	for _, c := range []byte(filepath.ToSlash(abs)) {
		if c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// lockAndCheck takes the exclusive lock that the store keeps until Close,
// checks the database as SQLite sees it (a hot journal may have been
// rolled back since inspect) and creates the schema of a new case.
func (s *Store) lockAndCheck() error {
	// A page size takes effect on an empty database only, before its first
	// write (which a write transaction, even an empty one, is).
	if err := s.exec(fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return err
	}
	if err := s.exec("BEGIN EXCLUSIVE"); err != nil {
		return err
	}
	appID, version, objects, err := s.ids()
	if err == nil {
		err = s.exec("COMMIT")
	}
	if err != nil {
		return err
	}

	if appID == 0 && version == 0 && objects == 0 {
		if err := s.exec(fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)); err != nil {
			return err
		}
		appID = ApplicationID
	}
	if err := checkIDs(s.path, appID, version); err != nil {
		return err
	}
	if version == 0 {
		return s.createSchema()
	}
	return nil
}

// pageSize is the page size of a new case. Against SQLite's 4096, it makes
// the bulk load about a third cheaper (a page to allocate and balance every
// few rows instead of every row or two) and the index builds no slower;
// 32 KiB pages made the index builds slower.
const pageSize = 16384

// check verifies a read-only store as SQLite sees it.
func (s *Store) check() error {
	appID, version, _, err := s.ids()
	if err != nil {
		return err
	}
	if err := checkIDs(s.path, appID, version); err != nil {
		return err
	}
	if version == 0 {
		return &OpenError{s.path, ErrNotCase.Error() + " (no schema yet)", ErrNotCase}
	}
	return nil
}

// ids reads the application_id, the user_version and the number of
// schema objects.
func (s *Store) ids() (appID uint32, version int64, objects int64, err error) {
	ctx := context.Background()
	var id int64
	err = s.conn.QueryRowContext(ctx, "PRAGMA application_id").Scan(&id)
	if err == nil {
		err = s.conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version)
	}
	if err == nil {
		err = s.conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&objects)
	}
	return uint32(id), version, objects, s.wrap(err)
}

// createSchema creates the tables of a new case and stamps its version,
// in one transaction: an interrupted creation leaves version 0, which the
// next Open completes.
func (s *Store) createSchema() error {
	err := s.exec("BEGIN")
	if err == nil {
		err = s.exec(schemaV1)
	}
	if err == nil {
		err = s.exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion))
	}
	if err == nil {
		return s.exec("COMMIT")
	}
	s.exec("ROLLBACK")
	return err
}

// exec runs SQL without arguments on the store's connection.
func (s *Store) exec(query string) error {
	_, err := s.conn.ExecContext(context.Background(), query)
	return s.wrap(err)
}

// wrap prefixes err with the package and the case file's path, and turns
// SQLite's busy error into ErrInUse and its refusal to roll back a hot
// journal read-only into ErrUnfinished.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch {
		case se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked:
			return &OpenError{s.path, ErrInUse.Error(), ErrInUse}
		case se.ExtendedCode == sqlite3.ErrReadonlyRollback:
			return &OpenError{s.path, ErrUnfinished.Error(), ErrUnfinished}
		}
	}
	return fmt.Errorf("sqlitestore: %s: %w", s.path, err)
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Close closes the writer if one is open, then the case file. A store
// opened for writing is synced to disk, and nothing is left beside the
// file.
func (s *Store) Close() error {
	var err error
	if s.w != nil {
		err = s.w.Close()
	}
	if cerr := s.closeConn(); err == nil {
		err = cerr
	}
	s.wb.close()
	s.wb = nil
	if err == nil && !s.readOnly {
		err = syncFile(s.path)
	}
	return err
}

// closeConn releases the connection and the database handle.
func (s *Store) closeConn() error {
	var err error
	if s.conn != nil {
		err = s.conn.Close()
		s.conn = nil
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return s.wrap(err)
}

// syncFile flushes the case file to stable storage. SQLite runs with
// synchronous=OFF during ingest; this makes a closed case durable.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", path, err)
	}
	return nil
}
