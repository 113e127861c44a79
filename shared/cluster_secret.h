/*
 * cluster_secret.h — the shared secret that admits a process to the
 * cluster's internal traffic (herd-proxy -> herd-node today; replication
 * and node-to-node traffic later), with or without TLS.
 *
 * The secret never crosses the wire.  The accepting side hands out a fresh
 * random nonce (HERD.CHALLENGE); the connecting side answers
 * HERD.PROVE <role> <proof> where
 *
 *     proof = hex(HMAC-SHA256(secret, "herd-cluster-v1" 0x00 nonce 0x00 role))
 *
 * with nonce the 64 lowercase hex digits the node sent and role "proxy" or
 * "node".  A proof is bound to one nonce, so an overheard proof is useless
 * on any other connection.  This file holds the proof logic only; the
 * socket glue is in node/server.c (accepting) and proxy/backend.c
 * (connecting).
 */
#ifndef HERD_CLUSTER_SECRET_H
#define HERD_CLUSTER_SECRET_H

#include <stddef.h>
#include "shared/config.h"

#define CLUSTER_SECRET_MIN          16    /* bytes */
#define CLUSTER_SECRET_MAX          512   /* bytes */
#define CLUSTER_NONCE_BYTES         32
#define CLUSTER_NONCE_HEX_LENGTH    (2 * CLUSTER_NONCE_BYTES)
#define CLUSTER_PROOF_BYTES         32    /* SHA-256 */
#define CLUSTER_PROOF_HEX_LENGTH    (2 * CLUSTER_PROOF_BYTES)
#define CLUSTER_PROOF_CONTEXT       "herd-cluster-v1"

/* What a node with a cluster secret answers any command but the handshake
 * before the proof (without the leading '-'). */
#define CLUSTER_NOT_MEMBER_ERROR \
    "NOAUTH this node accepts cluster members only (cluster-secret)"

/* The configured secret; length 0: none (internal traffic unauthenticated). */
struct cluster_secret {
    size_t        length;
    unsigned char bytes[CLUSTER_SECRET_MAX];
};

/* 1 when a secret is configured. */
int  cluster_secret_configured(const struct cluster_secret *secret);

/* Sets the secret from text (checks CLUSTER_SECRET_MIN..MAX).  Returns 0,
 * or -1 with a message that never contains the secret. */
int  cluster_secret_set(struct cluster_secret *secret, const char *text, size_t length,
                        char *error, size_t error_size);
/* Sets the secret from the first line of a file (without its line end).
 * Returns 0, or -1 with a message naming the file, never the secret. */
int  cluster_secret_load_file(struct cluster_secret *secret, const char *path,
                              char *error, size_t error_size);
/* Wipes the secret from memory. */
void cluster_secret_clear(struct cluster_secret *secret);

/* CONFIG_CUSTOM setters of `cluster-secret <text>` and `cluster-secret-file
 * <path>` (exactly one value); the option's offset locates the program's
 * struct cluster_secret.  Returns 0 or -1 with error. */
int  cluster_secret_config(const struct config_option *option, void *target,
                           int argc, char **argv, char *error, size_t error_size);
int  cluster_secret_config_file(const struct config_option *option, void *target,
                                int argc, char **argv, char *error, size_t error_size);

/* HMAC-SHA256 of data under key into out.  Returns 0 or -1. */
int  cluster_hmac_sha256(const unsigned char *key, size_t key_length,
                         const unsigned char *data, size_t data_length,
                         unsigned char out[CLUSTER_PROOF_BYTES]);

/* Writes a fresh random nonce (CLUSTER_NONCE_HEX_LENGTH lowercase hex
 * digits and a NUL) from OpenSSL's RAND_bytes.  Returns 0 or -1. */
int  cluster_nonce_new(char nonce[CLUSTER_NONCE_HEX_LENGTH + 1]);

/* 1 when role names a kind of cluster member ("proxy" or "node"). */
int  cluster_role_valid(const char *role, size_t length);

/* Writes the proof (CLUSTER_PROOF_HEX_LENGTH hex digits and a NUL) of
 * `role` for `nonce`.  Returns 0, or -1 when no secret is configured or
 * the nonce or role is malformed. */
int  cluster_proof_compute(const struct cluster_secret *secret,
                           const char *nonce, size_t nonce_length,
                           const char *role, size_t role_length,
                           char proof[CLUSTER_PROOF_HEX_LENGTH + 1]);

/* 1 when `proof` is the proof of `role` for `nonce` under the secret,
 * else 0 (compared in constant time). */
int  cluster_proof_verify(const struct cluster_secret *secret,
                          const char *nonce, size_t nonce_length,
                          const char *role, size_t role_length,
                          const char *proof, size_t proof_length);

#endif
