/*
 * hash.h — the key hash functions of twemproxy (nutcracker), by its names,
 * so herd-proxy's pool mode puts every key on the server nutcracker puts it
 * on.  Each returns the same 32-bit value as nutcracker 0.5.0 for the same
 * bytes, including its quirks (bytes above 0x7f are sign-extended where
 * nutcracker reads them as `char`; crc16 is not reduced to 16 bits; crc32
 * keeps 15 bits).  They are pure functions.
 */
#ifndef HERD_HASH_H
#define HERD_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The functions, in the order of hash_function_names. */
enum hash_function {
    HASH_ONE_AT_A_TIME,
    HASH_MD5,
    HASH_CRC16,
    HASH_CRC32,
    HASH_CRC32A,
    HASH_FNV1_64,
    HASH_FNV1A_64,
    HASH_FNV1_32,
    HASH_FNV1A_32,
    HASH_HSIEH,
    HASH_MURMUR,
    HASH_JENKINS,
    HASH_FUNCTION_COUNT
};

/* nutcracker's names ("one_at_a_time", "md5", ...), NULL-terminated. */
extern const char *const hash_function_names[];

/* Hashes key[0..length) with `function`. */
uint32_t hash_key(enum hash_function function, const char *key, size_t length);

uint32_t hash_one_at_a_time(const char *key, size_t length);
uint32_t hash_md5(const char *key, size_t length);
uint32_t hash_crc16(const char *key, size_t length);
uint32_t hash_crc32(const char *key, size_t length);
uint32_t hash_crc32a(const char *key, size_t length);
uint32_t hash_fnv1_64(const char *key, size_t length);
uint32_t hash_fnv1a_64(const char *key, size_t length);
uint32_t hash_fnv1_32(const char *key, size_t length);
uint32_t hash_fnv1a_32(const char *key, size_t length);
uint32_t hash_hsieh(const char *key, size_t length);
uint32_t hash_murmur(const char *key, size_t length);
uint32_t hash_jenkins(const char *key, size_t length);

/* The MD5 digest of data[0..length) into digest[16].  Returns 0 or -1. */
int hash_md5_digest(const void *data, size_t length, unsigned char digest[16]);

#endif
