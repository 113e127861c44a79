/*
 * hash.c — nutcracker's key hash functions, each written from its
 * published algorithm (Bob Jenkins' one-at-a-time and lookup3, MD5,
 * CRC-16/XMODEM, CRC-32, FNV-1 and FNV-1a, Paul Hsieh's SuperFastHash,
 * Austin Appleby's MurmurHash2) with the variations nutcracker has:
 *
 *   - where nutcracker adds a key byte through a plain `char`, a byte above
 *     0x7f counts as negative (sign-extended to 32 bits); hash_signed_byte()
 *     does the same;
 *   - md5 keeps the first four digest bytes, little-endian;
 *   - crc16 shifts a 32-bit register and never masks it to 16 bits;
 *   - crc32 returns bits 16..30 of the final CRC; crc32a the whole CRC;
 *   - fnv1_64 keeps a 64-bit state and returns its low half; fnv1a_64 runs
 *     in 32 bits with the 64-bit constants truncated;
 *   - hsieh starts from 0 (not the length);
 *   - murmur seeds with 0xdeadbeef * length;
 *   - jenkins is lookup3's hashlittle with initial value 13.
 */
#include <string.h>
#include <openssl/evp.h>

#include "shared/hash.h"
#include "shared/slot.h"

#define FNV_64_OFFSET_BASIS UINT64_C(0xcbf29ce484222325)
#define FNV_64_PRIME        UINT64_C(0x100000001b3)
#define FNV_32_OFFSET_BASIS UINT32_C(2166136261)
#define FNV_32_PRIME        UINT32_C(16777619)
#define MURMUR_MULTIPLIER   UINT32_C(0x5bd1e995)
#define MURMUR_SHIFT        24
#define JENKINS_INITIAL     UINT32_C(13)

const char *const hash_function_names[] = {
    "one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64",
    "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins", NULL
};

/* CRC-32 (reflected polynomial 0xedb88320): entry i is the CRC of byte i. */
static const uint32_t crc32_table[256] = {
    0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
    0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
    0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
    0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
    0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
    0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
    0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
    0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
    0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
    0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
    0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
    0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
    0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
    0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
    0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
    0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
    0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
    0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
    0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
    0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
    0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
    0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
    0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
    0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
    0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
    0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
    0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
    0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
    0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
    0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
    0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
    0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
    0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
    0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
    0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
    0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
    0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
    0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
    0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
    0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
    0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
    0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
    0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

/* A key byte as nutcracker adds it: through a signed char. */
static inline uint32_t
hash_signed_byte(const char *byte)
{
    return (uint32_t)(int32_t)(signed char)*byte;
}

/* Two key bytes read as one little-endian 16-bit number. */
static inline uint32_t
hash_read16(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] | ((uint32_t)bytes[1] << 8);
}

/* Four key bytes read as one little-endian 32-bit number. */
static inline uint32_t
hash_read32(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] | ((uint32_t)bytes[1] << 8) |
           ((uint32_t)bytes[2] << 16) | ((uint32_t)bytes[3] << 24);
}

static inline uint32_t
hash_rotate(uint32_t value, int bits)
{
    return (value << bits) | (value >> (32 - bits));
}

uint32_t
hash_one_at_a_time(const char *key, size_t length)
{
    uint32_t value = 0;
    size_t i;

    for (i = 0; i < length; i++) {
        value += hash_signed_byte(key + i);
        value += value << 10;
        value ^= value >> 6;
    }
    value += value << 3;
    value ^= value >> 11;
    value += value << 15;
    return value;
}

int
hash_md5_digest(const void *data, size_t length, unsigned char digest[16])
{
    unsigned int digest_length = 0;

    if (EVP_Digest(data, length, digest, &digest_length, EVP_md5(), NULL) != 1 ||
        digest_length != 16) {
        memset(digest, 0, 16);
        return -1;
    }
    return 0;
}

uint32_t
hash_md5(const char *key, size_t length)
{
    unsigned char digest[16];

    hash_md5_digest(key, length, digest);
    return hash_read32(digest);
}

uint32_t
hash_crc16(const char *key, size_t length)
{
    uint32_t crc = 0;
    size_t i;

    /* CRC-16/XMODEM one byte at a time (the CRC of one byte from a zero
     * register is its table entry), in a register that keeps growing above
     * bit 15 as nutcracker's does; the low 16 bits are the true CRC. */
    for (i = 0; i < length; i++) {
        unsigned char index = (unsigned char)((crc >> 8) ^ (unsigned char)key[i]);

        crc = (crc << 8) ^ crc16_xmodem(&index, 1);
    }
    return crc;
}

/* The CRC-32 register after key[0..length), before the final inversion. */
static uint32_t
hash_crc32_register(const char *key, size_t length)
{
    uint32_t crc = UINT32_MAX;
    size_t i;

    for (i = 0; i < length; i++) {
        crc = (crc >> 8) ^ crc32_table[(crc ^ (unsigned char)key[i]) & 0xff];
    }
    return crc;
}

uint32_t
hash_crc32(const char *key, size_t length)
{
    return ((~hash_crc32_register(key, length)) >> 16) & 0x7fff;
}

uint32_t
hash_crc32a(const char *key, size_t length)
{
    return ~hash_crc32_register(key, length);
}

uint32_t
hash_fnv1_64(const char *key, size_t length)
{
    uint64_t hash = FNV_64_OFFSET_BASIS;
    size_t i;

    for (i = 0; i < length; i++) {
        hash *= FNV_64_PRIME;
        hash ^= (uint64_t)(int64_t)(signed char)key[i];
    }
    return (uint32_t)hash;
}

uint32_t
hash_fnv1a_64(const char *key, size_t length)
{
    uint32_t hash = (uint32_t)FNV_64_OFFSET_BASIS;
    size_t i;

    for (i = 0; i < length; i++) {
        hash ^= hash_signed_byte(key + i);
        hash *= (uint32_t)FNV_64_PRIME;
    }
    return hash;
}

uint32_t
hash_fnv1_32(const char *key, size_t length)
{
    uint32_t hash = FNV_32_OFFSET_BASIS;
    size_t i;

    for (i = 0; i < length; i++) {
        hash *= FNV_32_PRIME;
        hash ^= hash_signed_byte(key + i);
    }
    return hash;
}

uint32_t
hash_fnv1a_32(const char *key, size_t length)
{
    uint32_t hash = FNV_32_OFFSET_BASIS;
    size_t i;

    for (i = 0; i < length; i++) {
        hash ^= hash_signed_byte(key + i);
        hash *= FNV_32_PRIME;
    }
    return hash;
}

uint32_t
hash_hsieh(const char *key, size_t length)
{
    const unsigned char *bytes = (const unsigned char *)key;
    uint32_t hash = 0, mixed;
    size_t blocks;

    if (length == 0) {
        return 0;
    }
    for (blocks = length / 4; blocks > 0; blocks--, bytes += 4) {
        hash += hash_read16(bytes);
        mixed = (hash_read16(bytes + 2) << 11) ^ hash;
        hash = (hash << 16) ^ mixed;
        hash += hash >> 11;
    }
    switch (length & 3) {
    case 3:
        hash += hash_read16(bytes);
        hash ^= hash << 16;
        hash ^= hash_signed_byte((const char *)bytes + 2) << 18;
        hash += hash >> 11;
        break;
    case 2:
        hash += hash_read16(bytes);
        hash ^= hash << 11;
        hash += hash >> 17;
        break;
    case 1:
        hash += bytes[0];
        hash ^= hash << 10;
        hash += hash >> 1;
        break;
    default:
        break;
    }
    hash ^= hash << 3;
    hash += hash >> 5;
    hash ^= hash << 4;
    hash += hash >> 17;
    hash ^= hash << 25;
    hash += hash >> 6;
    return hash;
}

uint32_t
hash_murmur(const char *key, size_t length)
{
    const unsigned char *bytes = (const unsigned char *)key;
    uint32_t hash = (UINT32_C(0xdeadbeef) * (uint32_t)length) ^ (uint32_t)length;
    uint32_t block;
    size_t left = length;

    for (; left >= 4; left -= 4, bytes += 4) {
        block = hash_read32(bytes) * MURMUR_MULTIPLIER;
        block ^= block >> MURMUR_SHIFT;
        block *= MURMUR_MULTIPLIER;
        hash = (hash * MURMUR_MULTIPLIER) ^ block;
    }
    switch (left) {
    case 3:
        hash ^= (uint32_t)bytes[2] << 16;
        /* fall through */
    case 2:
        hash ^= (uint32_t)bytes[1] << 8;
        /* fall through */
    case 1:
        hash ^= bytes[0];
        hash *= MURMUR_MULTIPLIER;
        break;
    default:
        break;
    }
    hash ^= hash >> 13;
    hash *= MURMUR_MULTIPLIER;
    hash ^= hash >> 15;
    return hash;
}

/* lookup3's reversible mixing of three words. */
static inline void
jenkins_mix(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *a -= *c; *a ^= hash_rotate(*c, 4);  *c += *b;
    *b -= *a; *b ^= hash_rotate(*a, 6);  *a += *c;
    *c -= *b; *c ^= hash_rotate(*b, 8);  *b += *a;
    *a -= *c; *a ^= hash_rotate(*c, 16); *c += *b;
    *b -= *a; *b ^= hash_rotate(*a, 19); *a += *c;
    *c -= *b; *c ^= hash_rotate(*b, 4);  *b += *a;
}

/* lookup3's final mixing; the result is in *c. */
static inline void
jenkins_final(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *c ^= *b; *c -= hash_rotate(*b, 14);
    *a ^= *c; *a -= hash_rotate(*c, 11);
    *b ^= *a; *b -= hash_rotate(*a, 25);
    *c ^= *b; *c -= hash_rotate(*b, 16);
    *a ^= *c; *a -= hash_rotate(*c, 4);
    *b ^= *a; *b -= hash_rotate(*a, 14);
    *c ^= *b; *c -= hash_rotate(*b, 24);
}

/* Adds the last 1..12 bytes, read little-endian into a, b, c. */
static void
jenkins_tail(const unsigned char *bytes, size_t length, uint32_t *a, uint32_t *b,
             uint32_t *c)
{
    uint32_t words[3] = { 0, 0, 0 };
    size_t i;

    for (i = 0; i < length; i++) {
        words[i / 4] |= (uint32_t)bytes[i] << (8 * (i % 4));
    }
    *a += words[0];
    *b += words[1];
    *c += words[2];
}

uint32_t
hash_jenkins(const char *key, size_t length)
{
    const unsigned char *bytes = (const unsigned char *)key;
    uint32_t a, b, c;

    a = b = c = UINT32_C(0xdeadbeef) + (uint32_t)length + JENKINS_INITIAL;
    for (; length > 12; length -= 12, bytes += 12) {
        a += hash_read32(bytes);
        b += hash_read32(bytes + 4);
        c += hash_read32(bytes + 8);
        jenkins_mix(&a, &b, &c);
    }
    if (length == 0) {
        return c;
    }
    jenkins_tail(bytes, length, &a, &b, &c);
    jenkins_final(&a, &b, &c);
    return c;
}

uint32_t
hash_key(enum hash_function function, const char *key, size_t length)
{
    switch (function) {
    case HASH_ONE_AT_A_TIME: return hash_one_at_a_time(key, length);
    case HASH_MD5:           return hash_md5(key, length);
    case HASH_CRC16:         return hash_crc16(key, length);
    case HASH_CRC32:         return hash_crc32(key, length);
    case HASH_CRC32A:        return hash_crc32a(key, length);
    case HASH_FNV1_64:       return hash_fnv1_64(key, length);
    case HASH_FNV1A_64:      return hash_fnv1a_64(key, length);
    case HASH_FNV1_32:       return hash_fnv1_32(key, length);
    case HASH_FNV1A_32:      return hash_fnv1a_32(key, length);
    case HASH_HSIEH:         return hash_hsieh(key, length);
    case HASH_MURMUR:        return hash_murmur(key, length);
    case HASH_JENKINS:       return hash_jenkins(key, length);
    default:                 return 0;
    }
}
