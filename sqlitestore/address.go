package sqlitestore

/*
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

// The SQLite C API, as compiled into the binary by github.com/mattn/go-sqlite3.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
const unsigned char *sqlite3_value_text(sqlite3_value *v);
int sqlite3_value_bytes(sqlite3_value *v);
void sqlite3_result_blob(sqlite3_context *ctx, const void *v, int n, void (*del)(void *));
void sqlite3_result_null(sqlite3_context *ctx);
int sqlite3_create_function_v2(sqlite3 *db, const char *name, int args, int flags, void *app,
	void (*fn)(sqlite3_context *, int, sqlite3_value **),
	void (*step)(sqlite3_context *, int, sqlite3_value **),
	void (*final)(sqlite3_context *), void (*destroy)(void *));

enum { utf8 = 1, deterministic = 0x800 };

// text_key sets key to the 16-byte key of the address in the n bytes at
// text, the data of an A or AAAA record, IPv4 as ::ffff:a.b.c.d. It returns
// 0 for any other text (an RFC 3597 form, a zone).
static int text_key(const unsigned char *text, int n, unsigned char *key) {
	char buf[64];
	if (text == 0 || n <= 0 || n >= (int)sizeof buf || memchr(text, 0, n) != 0)
		return 0;
	memcpy(buf, text, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, key + 12) == 1) {
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		return 1;
	}
	return inet_pton(AF_INET6, buf, key) == 1;
}

// address_key is the SQL function pdnsx_address: text_key of its argument,
// or NULL.
static void address_key(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
	const unsigned char *text = sqlite3_value_text(argv[0]);
	unsigned char key[16];
	if (!text_key(text, sqlite3_value_bytes(argv[0]), key)) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_blob(ctx, key, 16, (void (*)(void *))-1); // SQLITE_TRANSIENT
}

static int register_address_key(sqlite3 *db, const char *name) {
	return sqlite3_create_function_v2(db, name, 1, utf8 | deterministic, 0, address_key, 0, 0,
		0);
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// textKey returns the address key of the data of an A or AAAA record, as
// the SQL function addressFunc computes it, and false when the data is not
// an address.
func textKey(data []byte) (key [16]byte, ok bool) {
	if len(data) == 0 {
		return key, false // no first byte to point at; text_key bounds the rest
	}
	ok = C.text_key((*C.uchar)(unsafe.Pointer(&data[0])), C.int(len(data)),
		(*C.uchar)(unsafe.Pointer(&key[0]))) != 0
	return key, ok
}

// registerAddressFunc registers the SQL function addressFunc on c. It is
// written in C, as the rebuild of the summary calls it once per A and AAAA
// row: a Go function costs a cgo callback a row, which took most of a
// second on a case of a million lookups.
func registerAddressFunc(c *sqlite3.SQLiteConn) error {
	db, err := handle(c)
	if err != nil {
		return err
	}
	name := C.CString(addressFunc)
	defer C.free(unsafe.Pointer(name))
	if rc := C.register_address_key((*C.sqlite3)(unsafe.Pointer(db)), name); rc != 0 {
		return fmt.Errorf("sqlitestore: registering %s: code %d", addressFunc, int(rc))
	}
	return nil
}
