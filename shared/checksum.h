/*
 * checksum.h — CRC-32 (IEEE 802.3, the zlib polynomial) for record integrity
 * and a 64-bit hash (FNV-1a 64 followed by a splitmix64 finaliser) for
 * placement scores, index ordering and digests.  Both are frozen: stored
 * data and cross-process agreement depend on them never changing.
 */
#ifndef HERD_CHECKSUM_H
#define HERD_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* crc32_update(0, data, n) gives the CRC-32 of data; chain calls by passing
 * the previous result. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t length);
/* A well-mixed 64-bit hash of bytes. */
uint64_t hash64(const void *data, size_t length);
/* The splitmix64 finaliser: mixes one 64-bit value. */
uint64_t mix64(uint64_t value);

#endif
