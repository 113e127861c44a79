/*
 * checksum.c — CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) and the
 * 64-bit hash used for placement and digests.
 *
 * The CRC is zlib's (same polynomial and result; measured 1.5 us per 4 KB
 * page against 25.7 us for a byte-at-a-time table, which mattered once
 * every collection page read was checked).
 *
 * Both functions are frozen: records on disk carry CRC-32 values and every
 * process of a cluster must compute the same placement scores, so neither
 * may ever change its output.
 */
#include <zlib.h>
#include "shared/checksum.h"

/* FNV-1a 64-bit parameters. */
#define FNV64_OFFSET_BASIS 0xcbf29ce484222325ULL
#define FNV64_PRIME        0x00000100000001b3ULL

uint32_t
crc32_update(uint32_t crc, const void *data, size_t length)
{
    const unsigned char *bytes = data;

    /* zlib's crc32() takes a uInt length: feed it in bounded pieces. */
    while (length > 0) {
        uInt piece = length > (size_t)1 << 30 ? (uInt)1 << 30 : (uInt)length;

        crc = (uint32_t)crc32(crc, bytes, piece);
        bytes += piece;
        length -= piece;
    }
    return crc;
}

/*
 * FNV-1a alone mixes its last bytes poorly into the high bits, so its result
 * goes through the splitmix64 finaliser.
 */
uint64_t
hash64(const void *data, size_t length)
{
    const unsigned char *byte = data;
    uint64_t hash = FNV64_OFFSET_BASIS;
    size_t i;

    for (i = 0; i < length; i++) {
        hash ^= byte[i];
        hash *= FNV64_PRIME;
    }
    return mix64(hash);
}

uint64_t
mix64(uint64_t value)
{
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}
