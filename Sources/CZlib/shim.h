// CZlib: the system zlib (Debian package zlib1g-dev), for reading rotated decision logs
// (`*.gz`) in `relayguard report`.
#ifndef RELAYGUARD_CZLIB_SHIM_H
#define RELAYGUARD_CZLIB_SHIM_H

#include <zlib.h>

// inflateInit2 is a macro, which Swift cannot call: this wraps it. windowBits 15 + 32 makes
// zlib detect a gzip (or zlib) header by itself.
static inline int czlib_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);
}

#endif
