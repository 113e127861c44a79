/*
 * password.h — password hashes for AUTH: scrypt through OpenSSL 3's
 * EVP_KDF, with its parameters and salt stored in the hash text, so a
 * config file holds hashes, never passwords:
 *
 *   scrypt$<N>$<r>$<p>$<salt, base64>$<derived key, base64>
 *
 * Hashing and verifying cost tens of milliseconds on purpose: callers on an
 * event loop run them on another thread (shared/auth.h).
 */
#ifndef HERD_PASSWORD_H
#define HERD_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#define PASSWORD_HASH_MAX      192      /* longest hash text, with its NUL */
#define PASSWORD_SCRYPT_N      16384    /* defaults for new hashes */
#define PASSWORD_SCRYPT_R      8
#define PASSWORD_SCRYPT_P      1
#define PASSWORD_SALT_BYTES    16
#define PASSWORD_KEY_BYTES     32

/* Hashes a password with a fresh random salt and the default parameters
 * into out (NUL-terminated).  Returns 0, or -1 (OpenSSL failure or out too
 * small). */
int password_hash(const char *password, size_t length, char *out, size_t out_size);
/* Same with explicit parameters (tests, tuning). */
int password_hash_with(const char *password, size_t length, uint64_t n,
                       uint32_t r, uint32_t p, char *out, size_t out_size);
/* 1 when `password` matches the hash text, 0 when not, -1 when the hash
 * text is malformed or its parameters are out of range.  The comparison of
 * derived keys takes constant time. */
int password_verify(const char *hash, const char *password, size_t length);
/* 1 when the text is a well-formed hash with acceptable parameters. */
int password_hash_valid(const char *hash);

#endif
