#ifndef RELAYGUARD_COPENSSL_SHIM_H
#define RELAYGUARD_COPENSSL_SHIM_H
/* The system OpenSSL (Debian libssl-dev), for STARTTLS terminated by relayguard.
 * Wrappers for the few OpenSSL "functions" that are macros, so Swift can call them. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/bio.h>

static inline int rg_ssl_ctx_set_min_tls12(SSL_CTX *context) {
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}
static inline unsigned long long rg_ssl_ctx_set_options(SSL_CTX *context, unsigned long long options) {
    return (unsigned long long)SSL_CTX_set_options(context, options);
}
static inline unsigned long long rg_ssl_op_hardening(void) {
    return (unsigned long long)(SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE
                                | SSL_OP_NO_TICKET);
}
static inline long rg_ssl_ctx_set_session_cache_off(SSL_CTX *context) {
    return SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
}
static inline size_t rg_bio_pending(BIO *bio) { return BIO_ctrl_pending(bio); }
static inline int rg_bio_set_mem_eof_return(BIO *bio, int value) { return (int)BIO_set_mem_eof_return(bio, value); }
#endif
