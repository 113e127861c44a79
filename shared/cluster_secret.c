/*
 * cluster_secret.c — the cluster secret's challenge and proof (see
 * cluster_secret.h).  No sockets here: the node and the proxy carry the
 * nonce and the proof in HERD.CHALLENGE and HERD.PROVE.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "shared/cluster_secret.h"

static const char hex_digits[] = "0123456789abcdef";

int
cluster_secret_configured(const struct cluster_secret *secret)
{
    return secret->length > 0;
}

void
cluster_secret_clear(struct cluster_secret *secret)
{
    OPENSSL_cleanse(secret->bytes, sizeof(secret->bytes));
    secret->length = 0;
}

int
cluster_secret_set(struct cluster_secret *secret, const char *text, size_t length,
                   char *error, size_t error_size)
{
    if (length < CLUSTER_SECRET_MIN) {
        snprintf(error, error_size, "the cluster secret must be at least %d bytes (got %zu)",
                 CLUSTER_SECRET_MIN, length);
        return -1;
    }
    if (length > CLUSTER_SECRET_MAX) {
        snprintf(error, error_size, "the cluster secret must be at most %d bytes (got %zu)",
                 CLUSTER_SECRET_MAX, length);
        return -1;
    }
    cluster_secret_clear(secret);
    memcpy(secret->bytes, text, length);
    secret->length = length;
    return 0;
}

int
cluster_secret_load_file(struct cluster_secret *secret, const char *path,
                         char *error, size_t error_size)
{
    char line[CLUSTER_SECRET_MAX + 3];
    size_t length;
    FILE *file;
    int result = -1;

    file = fopen(path, "r");
    if (file == NULL) {
        snprintf(error, error_size, "cannot read the cluster secret file '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    if (fgets(line, sizeof(line), file) == NULL) {
        snprintf(error, error_size, "the cluster secret file '%s' is empty", path);
        goto out;
    }
    /* A line longer than the buffer is cut at MAX + 2 bytes: still refused. */
    length = strcspn(line, "\r\n");
    if (cluster_secret_set(secret, line, length, error, error_size) != 0) {
        size_t used = strlen(error);
        snprintf(error + used, error_size - used, " in '%s'", path);
        goto out;
    }
    result = 0;
out:
    OPENSSL_cleanse(line, sizeof(line));
    fclose(file);
    return result;
}

/* The struct cluster_secret a config option names. */
static struct cluster_secret *
option_secret(const struct config_option *option, void *target)
{
    return (struct cluster_secret *)((char *)target + option->offset);
}

int
cluster_secret_config(const struct config_option *option, void *target,
                      int argc, char **argv, char *error, size_t error_size)
{
    struct cluster_secret *secret = option_secret(option, target);

    if (argc != 1) {
        snprintf(error, error_size, "'cluster-secret' wants one value");
        return -1;
    }
    return cluster_secret_set(secret, argv[0], strlen(argv[0]), error, error_size);
}

int
cluster_secret_config_file(const struct config_option *option, void *target,
                           int argc, char **argv, char *error, size_t error_size)
{
    struct cluster_secret *secret = option_secret(option, target);

    if (argc != 1) {
        snprintf(error, error_size, "'cluster-secret-file' wants one path");
        return -1;
    }
    return cluster_secret_load_file(secret, argv[0], error, error_size);
}

int
cluster_hmac_sha256(const unsigned char *key, size_t key_length,
                    const unsigned char *data, size_t data_length,
                    unsigned char out[CLUSTER_PROOF_BYTES])
{
    unsigned int out_length = 0;

    if (HMAC(EVP_sha256(), key, (int)key_length, data, data_length, out,
             &out_length) == NULL || out_length != CLUSTER_PROOF_BYTES) {
        return -1;
    }
    return 0;
}

/* Lowercase hex of `length` bytes into out (2 * length digits and a NUL). */
static void
hex_encode(const unsigned char *bytes, size_t length, char *out)
{
    size_t i;

    for (i = 0; i < length; i++) {
        out[2 * i] = hex_digits[bytes[i] >> 4];
        out[2 * i + 1] = hex_digits[bytes[i] & 0x0f];
    }
    out[2 * length] = '\0';
}

int
cluster_nonce_new(char nonce[CLUSTER_NONCE_HEX_LENGTH + 1])
{
    unsigned char bytes[CLUSTER_NONCE_BYTES];

    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
        return -1;
    }
    hex_encode(bytes, sizeof(bytes), nonce);
    return 0;
}

/* 1 when text is a nonce as cluster_nonce_new() writes them. */
static int
nonce_valid(const char *nonce, size_t length)
{
    size_t i;

    if (length != CLUSTER_NONCE_HEX_LENGTH) {
        return 0;
    }
    for (i = 0; i < length; i++) {
        if (memchr(hex_digits, nonce[i], 16) == NULL) {
            return 0;
        }
    }
    return 1;
}

int
cluster_role_valid(const char *role, size_t length)
{
    return (length == 5 && memcmp(role, "proxy", 5) == 0) ||
           (length == 4 && memcmp(role, "node", 4) == 0);
}

int
cluster_proof_compute(const struct cluster_secret *secret,
                      const char *nonce, size_t nonce_length,
                      const char *role, size_t role_length,
                      char proof[CLUSTER_PROOF_HEX_LENGTH + 1])
{
    unsigned char message[sizeof(CLUSTER_PROOF_CONTEXT) + CLUSTER_NONCE_HEX_LENGTH + 1 + 8];
    unsigned char digest[CLUSTER_PROOF_BYTES];
    size_t used = 0;

    if (!cluster_secret_configured(secret) || !nonce_valid(nonce, nonce_length) ||
        !cluster_role_valid(role, role_length)) {
        return -1;
    }
    /* context NUL nonce NUL role: sizeof(context) counts its NUL. */
    memcpy(message, CLUSTER_PROOF_CONTEXT, sizeof(CLUSTER_PROOF_CONTEXT));
    used += sizeof(CLUSTER_PROOF_CONTEXT);
    memcpy(message + used, nonce, nonce_length);
    used += nonce_length;
    message[used++] = '\0';
    memcpy(message + used, role, role_length);
    used += role_length;
    if (cluster_hmac_sha256(secret->bytes, secret->length, message, used, digest) != 0) {
        return -1;
    }
    hex_encode(digest, sizeof(digest), proof);
    OPENSSL_cleanse(digest, sizeof(digest));
    return 0;
}

int
cluster_proof_verify(const struct cluster_secret *secret,
                     const char *nonce, size_t nonce_length,
                     const char *role, size_t role_length,
                     const char *proof, size_t proof_length)
{
    char expected[CLUSTER_PROOF_HEX_LENGTH + 1];
    int equal;

    if (proof_length != CLUSTER_PROOF_HEX_LENGTH ||
        cluster_proof_compute(secret, nonce, nonce_length, role, role_length,
                              expected) != 0) {
        return 0;
    }
    equal = CRYPTO_memcmp(expected, proof, CLUSTER_PROOF_HEX_LENGTH) == 0;
    OPENSSL_cleanse(expected, sizeof(expected));
    return equal;
}
