/*
 * password.c — scrypt password hashes (OpenSSL 3's EVP_KDF "SCRYPT") in the
 * text form described in password.h, and the `--hash-password` mode both
 * programs offer (password_tool.h).
 *
 * A hash text is parsed strictly: decimal parameters without signs or
 * leading zeros, canonical padded base64, and parameters within bounds
 * that keep one verification below PASSWORD_MEMORY_MAX bytes of memory and
 * PASSWORD_WORK_MAX units of work, whatever a configuration file says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "shared/password.h"
#include "shared/password_tool.h"

#define PASSWORD_PREFIX        "scrypt$"
#define PASSWORD_N_MIN         (1ULL << 10)
#define PASSWORD_N_MAX         (1ULL << 20)
#define PASSWORD_R_MAX         32
#define PASSWORD_P_MAX         16
#define PASSWORD_SALT_MIN      8
#define PASSWORD_SALT_MAX      32
#define PASSWORD_KEY_MIN       16
#define PASSWORD_KEY_MAX       64
/* scrypt's big table takes 128 * r * N bytes: at most 256 MiB. */
#define PASSWORD_MEMORY_MAX    (256ULL << 20)
/* N * r * p, the work of one hash: at most 32 times the defaults (about
 * 1.7 s on the development machine, where the defaults take 55 ms). */
#define PASSWORD_WORK_MAX      (1ULL << 22)
/* Added to OpenSSL's own count of the memory it needs (maxmem_bytes). */
#define PASSWORD_MEMORY_SLACK  (64ULL << 10)
/* Longest decimal field: 2^20 has 7 digits. */
#define PASSWORD_DIGITS_MAX    7

/* A hash text taken apart: the scrypt parameters, the salt and the
 * derived key. */
struct password_parts {
    uint64_t n;
    uint32_t r;
    uint32_t p;
    unsigned char salt[PASSWORD_SALT_MAX];
    size_t salt_length;
    unsigned char key[PASSWORD_KEY_MAX];
    size_t key_length;
};

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 1 when N, r and p are within the bounds every hash must respect. */
static int
password_parameters_acceptable(uint64_t n, uint32_t r, uint32_t p)
{
    if (n < PASSWORD_N_MIN || n > PASSWORD_N_MAX || (n & (n - 1)) != 0) {
        return 0;
    }
    if (r < 1 || r > PASSWORD_R_MAX || p < 1 || p > PASSWORD_P_MAX) {
        return 0;
    }
    if (128ULL * r * n > PASSWORD_MEMORY_MAX) {
        return 0;
    }
    return n * r * p <= PASSWORD_WORK_MAX;
}

/* Writes the base64 form of in[0..length) and a NUL into out, which holds
 * 4 * ((length + 2) / 3) + 1 bytes; returns the number of characters. */
static size_t
base64_encode(const unsigned char *in, size_t length, char *out)
{
    size_t written = 0;
    size_t i;

    for (i = 0; i < length; i += 3) {
        uint32_t group = (uint32_t)in[i] << 16;
        size_t left = length - i;

        if (left > 1) {
            group |= (uint32_t)in[i + 1] << 8;
        }
        if (left > 2) {
            group |= in[i + 2];
        }
        out[written++] = base64_alphabet[(group >> 18) & 63];
        out[written++] = base64_alphabet[(group >> 12) & 63];
        out[written++] = left > 1 ? base64_alphabet[(group >> 6) & 63] : '=';
        out[written++] = left > 2 ? base64_alphabet[group & 63] : '=';
    }
    out[written] = '\0';
    return written;
}

/* The 6-bit value of a base64 character, or -1. */
static int
base64_value(char c)
{
    const char *found;

    if (c == '\0') {
        return -1;
    }
    found = strchr(base64_alphabet, c);
    return found != NULL ? (int)(found - base64_alphabet) : -1;
}

/*
 * Decodes canonical padded base64 (length a multiple of 4, at most two '='
 * at the end, unused low bits zero) into out.  Returns the number of bytes,
 * or -1 when the text is not such base64 or out is too small.
 */
static long
base64_decode(const char *text, size_t length, unsigned char *out, size_t out_size)
{
    size_t padding = 0, written = 0, i;
    uint32_t bits = 0;
    int bit_count = 0;

    if (length == 0 || length % 4 != 0) {
        return -1;
    }
    while (padding < 2 && text[length - 1 - padding] == '=') {
        padding++;
    }
    for (i = 0; i < length - padding; i++) {
        int value = base64_value(text[i]);

        if (value < 0) {
            return -1;
        }
        bits = (bits << 6) | (uint32_t)value;
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            if (written == out_size) {
                return -1;
            }
            out[written++] = (unsigned char)(bits >> bit_count);
            bits &= (1U << bit_count) - 1;
        }
    }
    return bits == 0 ? (long)written : -1;
}

/* Reads a decimal number of 1 to PASSWORD_DIGITS_MAX digits without a sign
 * or a leading zero.  Returns 0, or -1. */
static int
parse_decimal(const char *text, size_t length, uint64_t *value)
{
    size_t i;

    if (length == 0 || length > PASSWORD_DIGITS_MAX || (text[0] == '0' && length > 1)) {
        return -1;
    }
    *value = 0;
    for (i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }
        *value = *value * 10 + (uint64_t)(text[i] - '0');
    }
    return 0;
}

/* Splits the text after the prefix into its five '$'-separated fields;
 * returns 0, or -1 when there are not exactly five. */
static int
split_fields(const char *text, const char *fields[5], size_t lengths[5])
{
    int field;

    for (field = 0; field < 5; field++) {
        const char *end = strchr(text, '$');

        if ((end == NULL) != (field == 4)) {
            return -1;
        }
        if (end == NULL) {
            end = text + strlen(text);
        }
        fields[field] = text;
        lengths[field] = (size_t)(end - text);
        text = end + 1;
    }
    return 0;
}

/* Takes a hash text apart and checks every part.  Returns 0, or -1. */
static int
password_parse(const char *hash, struct password_parts *parts)
{
    const char *fields[5];
    size_t lengths[5];
    uint64_t r, p;
    long salt_length, key_length;

    if (hash == NULL || strnlen(hash, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX ||
        strncmp(hash, PASSWORD_PREFIX, strlen(PASSWORD_PREFIX)) != 0) {
        return -1;
    }
    if (split_fields(hash + strlen(PASSWORD_PREFIX), fields, lengths) != 0 ||
        parse_decimal(fields[0], lengths[0], &parts->n) != 0 ||
        parse_decimal(fields[1], lengths[1], &r) != 0 ||
        parse_decimal(fields[2], lengths[2], &p) != 0 ||
        r > PASSWORD_R_MAX || p > PASSWORD_P_MAX) {
        return -1;
    }
    parts->r = (uint32_t)r;
    parts->p = (uint32_t)p;
    if (!password_parameters_acceptable(parts->n, parts->r, parts->p)) {
        return -1;
    }
    salt_length = base64_decode(fields[3], lengths[3], parts->salt, sizeof(parts->salt));
    key_length = base64_decode(fields[4], lengths[4], parts->key, sizeof(parts->key));
    if (salt_length < PASSWORD_SALT_MIN || key_length < PASSWORD_KEY_MIN) {
        return -1;
    }
    parts->salt_length = (size_t)salt_length;
    parts->key_length = (size_t)key_length;
    return 0;
}

/* Writes the hash text of `parts` into out.  Returns 0, or -1 when out is
 * too small. */
static int
password_format(const struct password_parts *parts, char *out, size_t out_size)
{
    char salt[4 * ((PASSWORD_SALT_MAX + 2) / 3) + 1];
    char key[4 * ((PASSWORD_KEY_MAX + 2) / 3) + 1];
    int written;

    base64_encode(parts->salt, parts->salt_length, salt);
    base64_encode(parts->key, parts->key_length, key);
    written = snprintf(out, out_size, PASSWORD_PREFIX "%llu$%u$%u$%s$%s",
                       (unsigned long long)parts->n, parts->r, parts->p, salt, key);
    OPENSSL_cleanse(key, sizeof(key));
    if (written < 0 || (size_t)written >= out_size) {
        if (out_size > 0) {
            out[0] = '\0';
        }
        return -1;
    }
    return 0;
}

/* Derives parts->key_length bytes from the password with the salt and
 * parameters of `parts` into key.  Returns 0, or -1 on an OpenSSL
 * failure. */
static int
password_derive(const char *password, size_t length, const struct password_parts *parts,
                unsigned char *key)
{
    static const char empty[1] = "";
    uint64_t n = parts->n;
    uint32_t r = parts->r, p = parts->p;
    uint64_t memory = 128ULL * r * (n + 2 + p) + PASSWORD_MEMORY_SLACK;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *context = NULL;
    OSSL_PARAM params[7];
    int result = -1;

    kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    context = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    if (context == NULL) {
        goto out;
    }
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                                  (void *)(length > 0 ? password : empty),
                                                  length);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                  (void *)parts->salt, parts->salt_length);
    params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
    params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
    params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
    params[5] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &memory);
    params[6] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(context, key, parts->key_length, params) == 1) {
        result = 0;
    }

out:
    EVP_KDF_CTX_free(context);
    EVP_KDF_free(kdf);
    return result;
}

int
password_hash_with(const char *password, size_t length, uint64_t n,
                   uint32_t r, uint32_t p, char *out, size_t out_size)
{
    struct password_parts parts;
    int result = -1;

    if ((password == NULL && length > 0) || out == NULL ||
        !password_parameters_acceptable(n, r, p)) {
        return -1;
    }
    parts.n = n;
    parts.r = r;
    parts.p = p;
    parts.salt_length = PASSWORD_SALT_BYTES;
    parts.key_length = PASSWORD_KEY_BYTES;
    if (RAND_bytes(parts.salt, (int)parts.salt_length) != 1 ||
        password_derive(password, length, &parts, parts.key) != 0) {
        goto out;
    }
    result = password_format(&parts, out, out_size);

out:
    OPENSSL_cleanse(&parts, sizeof(parts));
    return result;
}

int
password_hash(const char *password, size_t length, char *out, size_t out_size)
{
    return password_hash_with(password, length, PASSWORD_SCRYPT_N, PASSWORD_SCRYPT_R,
                              PASSWORD_SCRYPT_P, out, out_size);
}

int
password_verify(const char *hash, const char *password, size_t length)
{
    struct password_parts parts;
    unsigned char derived[PASSWORD_KEY_MAX];
    int result = -1;

    if (password_parse(hash, &parts) != 0 || (password == NULL && length > 0)) {
        goto out;
    }
    if (password_derive(password, length, &parts, derived) != 0) {
        goto out;
    }
    result = CRYPTO_memcmp(derived, parts.key, parts.key_length) == 0 ? 1 : 0;

out:
    OPENSSL_cleanse(derived, sizeof(derived));
    OPENSSL_cleanse(&parts, sizeof(parts));
    return result;
}

int
password_hash_valid(const char *hash)
{
    struct password_parts parts;
    int valid = password_parse(hash, &parts) == 0;

    OPENSSL_cleanse(&parts, sizeof(parts));
    return valid;
}

/* Turns the terminal's echo off when `in` is a terminal, after prompting
 * on err; returns 1 when it did (then *saved holds the old settings). */
static int
terminal_echo_off(FILE *in, FILE *err, struct termios *saved)
{
    struct termios quiet;
    int descriptor = fileno(in);

    if (descriptor < 0 || !isatty(descriptor) || tcgetattr(descriptor, saved) != 0) {
        return 0;
    }
    quiet = *saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    fputs("Password: ", err);
    fflush(err);
    return tcsetattr(descriptor, TCSAFLUSH, &quiet) == 0;
}

/* Reads the first line of `in` without its newline into *line (freed by
 * the caller).  Returns its length, or -1 with the message on err. */
static ssize_t
password_read_line(const char *program, FILE *in, FILE *err, char **line, size_t *capacity)
{
    struct termios saved;
    int echo_off = terminal_echo_off(in, err, &saved);
    ssize_t length = getline(line, capacity, in);
    int read_error = errno;

    if (echo_off) {
        tcsetattr(fileno(in), TCSAFLUSH, &saved);
    }
    if (length < 0) {
        if (ferror(in)) {
            fprintf(err, "%s: cannot read the password: %s\n", program, strerror(read_error));
        } else {
            fprintf(err, "%s: no password on standard input\n", program);
        }
        return -1;
    }
    if (length > 0 && (*line)[length - 1] == '\n') {
        length--;
    }
    return length;
}

int
password_hash_command(const char *program, FILE *in, FILE *out, FILE *err)
{
    char hash[PASSWORD_HASH_MAX];
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    int status = 1;

    length = password_read_line(program, in, err, &line, &capacity);
    if (length < 0) {
        goto out;
    }
    if (length == 0) {
        fprintf(err, "%s: the password is empty; refusing to hash it\n", program);
        goto out;
    }
    if (password_hash(line, (size_t)length, hash, sizeof(hash)) != 0) {
        fprintf(err, "%s: cannot hash the password (OpenSSL failure)\n", program);
        goto out;
    }
    if (fprintf(out, "%s\n", hash) < 0 || fflush(out) != 0) {
        fprintf(err, "%s: cannot write the hash: %s\n", program, strerror(errno));
        goto out;
    }
    status = 0;

out:
    if (line != NULL) {
        OPENSSL_cleanse(line, capacity);
        free(line);
    }
    return status;
}
