/*
 * record.c — encoding and decoding of one key's record (format in record.h).
 *
 * The CRC-32 covers the 20 header bytes before it and the payload, so a
 * torn or bit-flipped record is detected when the node validates the file
 * after an unclean stop.
 */
#include <string.h>
#include <strings.h>
#include "shared/checksum.h"
#include "node/record.h"

#define RECORD_CRC_OFFSET 20

/* Type names as Redis's TYPE command spells them, by enum record_type. */
static const char *const record_type_names[] = {
    [RECORD_TOMBSTONE] = "none",
    [RECORD_STRING]    = "string",
    [RECORD_HASH]      = "hash",
    [RECORD_LIST]      = "list",
    [RECORD_SET]       = "set",
    [RECORD_ZSET]      = "zset",
};

#define RECORD_TYPE_COUNT (int)(sizeof(record_type_names) / sizeof(record_type_names[0]))

static uint32_t
record_checksum(const char *header, const void *payload, size_t length)
{
    uint32_t crc = crc32_update(0, header, RECORD_CRC_OFFSET);

    if (length > 0) {
        crc = crc32_update(crc, payload, length);
    }
    return crc;
}

void
record_encode(char *out, const struct record_header *header,
              const void *payload, size_t length)
{
    unsigned char *bytes = (unsigned char *)out;

    bytes[0] = RECORD_FORMAT;
    bytes[1] = (unsigned char)header->type;
    record_write_be64(bytes + 2, header->version.clock);
    record_write_be16(bytes + 10, header->version.node);
    record_write_be64(bytes + 12, (uint64_t)header->expire_ms);
    if (length > 0) {
        memmove(out + RECORD_HEADER_SIZE, payload, length);
    }
    record_write_be32(bytes + RECORD_CRC_OFFSET,
                      record_checksum(out, out + RECORD_HEADER_SIZE, length));
}

int
record_decode_header(const char *record, size_t size,
                     struct record_header *header)
{
    const unsigned char *bytes = (const unsigned char *)record;

    if (size < RECORD_HEADER_SIZE || bytes[0] != RECORD_FORMAT ||
        bytes[1] >= RECORD_TYPE_COUNT) {
        return -1;
    }
    header->type = bytes[1];
    header->version.clock = record_read_be64(bytes + 2);
    header->version.node = record_read_be16(bytes + 10);
    header->expire_ms = (int64_t)record_read_be64(bytes + 12);
    return 0;
}

int
record_decode(const char *record, size_t size, struct record_header *header,
              const char **payload, size_t *length)
{
    const unsigned char *bytes = (const unsigned char *)record;
    size_t payload_length;

    if (record_decode_header(record, size, header) != 0) {
        return -1;
    }
    payload_length = size - RECORD_HEADER_SIZE;
    if (record_read_be32(bytes + RECORD_CRC_OFFSET) !=
        record_checksum(record, record + RECORD_HEADER_SIZE, payload_length)) {
        return -1;
    }
    if (payload != NULL) {
        *payload = record + RECORD_HEADER_SIZE;
    }
    if (length != NULL) {
        *length = payload_length;
    }
    return 0;
}

const char *
record_type_name(int type)
{
    if (type < 0 || type >= RECORD_TYPE_COUNT) {
        return "none";
    }
    return record_type_names[type];
}

int
record_type_from_name(const char *name, size_t length)
{
    int type;

    for (type = RECORD_STRING; type < RECORD_TYPE_COUNT; type++) {
        if (strlen(record_type_names[type]) == length &&
            strncasecmp(record_type_names[type], name, length) == 0) {
            return type;
        }
    }
    return -1;
}
