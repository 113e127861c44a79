/*
 * record.h — the on-disk format of one key's record in Tokyo Cabinet.
 *
 * Every record carries what replication needs, so later features change
 * behaviour, not the format:
 *
 *   offset size
 *   0      1    format (RECORD_FORMAT = 1)
 *   1      1    type (enum record_type)
 *   2      8    version clock (HLC, big-endian)
 *   10     2    version node (big-endian)
 *   12     8    expiry, absolute Unix ms, 0 = none (big-endian, signed)
 *   20     4    CRC-32 of bytes 0..19 and the payload (big-endian)
 *   24     ...  payload (for strings: the value bytes)
 */
#ifndef HERD_NODE_RECORD_H
#define HERD_NODE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "shared/clock.h"

#define RECORD_FORMAT       1
#define RECORD_HEADER_SIZE  24

/* The kinds of value a record holds. */
enum record_type {
    RECORD_TOMBSTONE = 0,  /* a delete, kept for replication */
    RECORD_STRING    = 1,
    RECORD_HASH      = 2,
    RECORD_LIST      = 3,
    RECORD_SET       = 4,
    RECORD_ZSET      = 5
};

/* A decoded header. */
struct record_header {
    int            type;
    struct version version;
    int64_t        expire_ms;
};

/* Writes header + payload into out (RECORD_HEADER_SIZE + length bytes). */
void record_encode(char *out, const struct record_header *header,
                   const void *payload, size_t length);
/* Decodes and checks format and CRC.  Returns 0, or -1 if corrupt. */
int  record_decode(const char *record, size_t size, struct record_header *header,
                   const char **payload, size_t *length);
/* Decodes only the header (no CRC check; for partial reads). */
int  record_decode_header(const char *record, size_t size,
                          struct record_header *header);
const char *record_type_name(int type);   /* "string", "none", ... */
/* The record type named by a TYPE/SCAN TYPE name ("string", "hash", ...);
 * -1 when the name is unknown.  Case-insensitive. */
int  record_type_from_name(const char *name, size_t length);

/* Big-endian helpers shared by the record format and the key index. */
static inline void
record_write_be16(unsigned char *out, uint16_t value)
{
    out[0] = (unsigned char)(value >> 8);
    out[1] = (unsigned char)value;
}

static inline void
record_write_be32(unsigned char *out, uint32_t value)
{
    out[0] = (unsigned char)(value >> 24);
    out[1] = (unsigned char)(value >> 16);
    out[2] = (unsigned char)(value >> 8);
    out[3] = (unsigned char)value;
}

static inline void
record_write_be64(unsigned char *out, uint64_t value)
{
    record_write_be32(out, (uint32_t)(value >> 32));
    record_write_be32(out + 4, (uint32_t)value);
}

static inline uint16_t
record_read_be16(const unsigned char *in)
{
    return (uint16_t)((in[0] << 8) | in[1]);
}

static inline uint32_t
record_read_be32(const unsigned char *in)
{
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) |
           ((uint32_t)in[2] << 8) | (uint32_t)in[3];
}

static inline uint64_t
record_read_be64(const unsigned char *in)
{
    return ((uint64_t)record_read_be32(in) << 32) | record_read_be32(in + 4);
}

#endif
