/*
 * test_cluster_secret.c — the cluster secret's proof: HMAC-SHA256 against
 * RFC 4231, the proof format pinned by a vector worked out independently
 * (Python's hmac), and every way a proof must fail: wrong secret, wrong
 * nonce, wrong role, an old proof replayed against a new nonce, malformed
 * input; secret length limits and cluster-secret-file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "shared/cluster_secret.h"

#define TEST_SECRET "0123456789abcdef-secret"
#define TEST_NONCE  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
/* hmac.new(TEST_SECRET, b"herd-cluster-v1\0" + TEST_NONCE + b"\0proxy", sha256) */
#define TEST_PROOF  "9be5c58e220039c2b9be02992849b93ef83b76b63443b94647bfc8ac3ad9ab60"

static void
set_secret(struct cluster_secret *secret, const char *text)
{
    char error[256];

    memset(secret, 0, sizeof(*secret));
    assert_int_equal(cluster_secret_set(secret, text, strlen(text), error, sizeof(error)), 0);
}

static int
verify(const struct cluster_secret *secret, const char *nonce, const char *role,
       const char *proof)
{
    return cluster_proof_verify(secret, nonce, strlen(nonce), role, strlen(role),
                                proof, strlen(proof));
}

/* RFC 4231 test case 1. */
static void
test_hmac_rfc4231(void **unused)
{
    unsigned char key[20], digest[CLUSTER_PROOF_BYTES];
    static const unsigned char expected[CLUSTER_PROOF_BYTES] = {
        0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8, 0xaf, 0xce,
        0xaf, 0x0b, 0xf1, 0x2b, 0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83, 0x3d, 0xa7,
        0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7
    };

    memset(key, 0x0b, sizeof(key));
    assert_int_equal(cluster_hmac_sha256(key, sizeof(key), (const unsigned char *)"Hi There",
                                         8, digest), 0);
    assert_memory_equal(digest, expected, sizeof(expected));
}

static void
test_proof_vector(void **unused)
{
    struct cluster_secret secret;
    char proof[CLUSTER_PROOF_HEX_LENGTH + 1];

    set_secret(&secret, TEST_SECRET);
    assert_int_equal(cluster_proof_compute(&secret, TEST_NONCE, strlen(TEST_NONCE),
                                           "proxy", 5, proof), 0);
    assert_string_equal(proof, TEST_PROOF);
    assert_int_equal(verify(&secret, TEST_NONCE, "proxy", TEST_PROOF), 1);
}

static void
test_wrong_secret(void **unused)
{
    struct cluster_secret secret;

    set_secret(&secret, "0123456789abcdef-secreT");
    assert_int_equal(verify(&secret, TEST_NONCE, "proxy", TEST_PROOF), 0);
}

static void
test_wrong_nonce_and_role(void **unused)
{
    struct cluster_secret secret;
    char nonce[] = TEST_NONCE;

    set_secret(&secret, TEST_SECRET);
    nonce[63] = 'e';
    assert_int_equal(verify(&secret, nonce, "proxy", TEST_PROOF), 0);
    assert_int_equal(verify(&secret, TEST_NONCE, "node", TEST_PROOF), 0);
    assert_int_equal(verify(&secret, TEST_NONCE, "admin", TEST_PROOF), 0);
}

/* A proof overheard on one connection is worthless against the next nonce. */
static void
test_replay_against_new_nonce(void **unused)
{
    struct cluster_secret secret;
    char first[CLUSTER_NONCE_HEX_LENGTH + 1], second[CLUSTER_NONCE_HEX_LENGTH + 1];
    char proof[CLUSTER_PROOF_HEX_LENGTH + 1];

    set_secret(&secret, TEST_SECRET);
    assert_int_equal(cluster_nonce_new(first), 0);
    assert_int_equal(cluster_nonce_new(second), 0);
    assert_int_equal(strlen(first), CLUSTER_NONCE_HEX_LENGTH);
    assert_string_not_equal(first, second);
    assert_int_equal(cluster_proof_compute(&secret, first, strlen(first), "node", 4, proof), 0);
    assert_int_equal(verify(&secret, first, "node", proof), 1);
    assert_int_equal(verify(&secret, second, "node", proof), 0);
}

static void
test_malformed_input(void **unused)
{
    struct cluster_secret secret, none;
    char proof[CLUSTER_PROOF_HEX_LENGTH + 1];
    char upper[] = TEST_PROOF;

    set_secret(&secret, TEST_SECRET);
    memset(&none, 0, sizeof(none));
    assert_int_equal(verify(&secret, TEST_NONCE, "proxy", ""), 0);
    assert_int_equal(verify(&secret, TEST_NONCE, "proxy", "9be5c58e"), 0);
    upper[0] = 'B';
    upper[1] = 'E';
    assert_int_equal(verify(&secret, TEST_NONCE, "proxy", upper), 0);
    assert_int_equal(verify(&secret, "0011", "proxy", TEST_PROOF), 0);
    assert_int_equal(verify(&none, TEST_NONCE, "proxy", TEST_PROOF), 0);
    assert_int_equal(cluster_proof_compute(&none, TEST_NONCE, strlen(TEST_NONCE), "proxy", 5,
                                           proof), -1);
    assert_int_equal(cluster_proof_compute(&secret, "zz", 2, "proxy", 5, proof), -1);
}

static void
test_secret_length_limits(void **unused)
{
    struct cluster_secret secret;
    char error[256], *big = malloc(CLUSTER_SECRET_MAX + 2);

    memset(&secret, 0, sizeof(secret));
    assert_int_equal(cluster_secret_set(&secret, "short-secret", 12, error, sizeof(error)), -1);
    assert_non_null(strstr(error, "at least 16 bytes"));
    assert_null(strstr(error, "short-secret"));
    assert_int_equal(cluster_secret_configured(&secret), 0);
    memset(big, 'x', CLUSTER_SECRET_MAX + 1);
    assert_int_equal(cluster_secret_set(&secret, big, CLUSTER_SECRET_MAX + 1, error,
                                        sizeof(error)), -1);
    assert_int_equal(cluster_secret_set(&secret, big, CLUSTER_SECRET_MAX, error,
                                        sizeof(error)), 0);
    assert_int_equal(cluster_secret_configured(&secret), 1);
    cluster_secret_clear(&secret);
    assert_int_equal(cluster_secret_configured(&secret), 0);
    free(big);
}

static void
test_secret_file(void **unused)
{
    struct cluster_secret secret, direct;
    char path[] = "/tmp/herd-test-secret-XXXXXX", error[512];
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, TEST_SECRET "\nsecond line\n", strlen(TEST_SECRET) + 13),
                     (ssize_t)strlen(TEST_SECRET) + 13);
    close(fd);
    memset(&secret, 0, sizeof(secret));
    assert_int_equal(cluster_secret_load_file(&secret, path, error, sizeof(error)), 0);
    set_secret(&direct, TEST_SECRET);
    assert_int_equal(secret.length, direct.length);
    assert_memory_equal(secret.bytes, direct.bytes, direct.length);
    unlink(path);
    assert_int_equal(cluster_secret_load_file(&secret, path, error, sizeof(error)), -1);
    assert_non_null(strstr(error, "cannot read"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_proof_vector),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_wrong_nonce_and_role),
        cmocka_unit_test(test_replay_against_new_nonce),
        cmocka_unit_test(test_malformed_input),
        cmocka_unit_test(test_secret_length_limits),
        cmocka_unit_test(test_secret_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
