/*
 * test_password.c — shared/password.c: scrypt hash texts (round trips,
 * RFC 7914's test vector, strict parsing, parameter bounds, garbled
 * input) and the --hash-password helper (shared/password_tool.h).
 *
 * Most tests use N=1024, r=1, p=1 so that hundreds of verifications stay
 * fast; the defaults (N=16384, r=8) are exercised by a few.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shared/password.h"
#include "shared/password_tool.h"
#include "shared/random.h"

/* RFC 7914 section 12, third vector: P="pleaseletmein", S="SodiumChloride",
 * N=16384, r=8, p=1, dkLen=64. */
static const char rfc_vector[] =
    "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$"
    "cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw==";

/* A cheap hash of the password (N=1024, r=1, p=1) into out. */
static void
cheap_hash(const char *password, size_t length, char *out, size_t out_size)
{
    assert_int_equal(password_hash_with(password, length, 1024, 1, 1, out, out_size), 0);
}

static void
test_round_trip_with_defaults(void **state)
{
    char hash[PASSWORD_HASH_MAX];

    assert_int_equal(password_hash("secret", 6, hash, sizeof(hash)), 0);
    assert_true(strncmp(hash, "scrypt$16384$8$1$", 17) == 0);
    /* 16 salt bytes: 24 base64 characters; 32 key bytes: 44. */
    assert_int_equal(strlen(hash), 17 + 24 + 1 + 44);
    assert_int_equal(hash[17 + 24], '$');
    assert_int_equal(password_hash_valid(hash), 1);
    assert_int_equal(password_verify(hash, "secret", 6), 1);
    assert_int_equal(password_verify(hash, "Secret", 6), 0);
}

static void
test_rfc_7914_vector(void **state)
{
    assert_int_equal(password_hash_valid(rfc_vector), 1);
    assert_int_equal(password_verify(rfc_vector, "pleaseletmein", 13), 1);
    assert_int_equal(password_verify(rfc_vector, "pleaseletmeIn", 13), 0);
}

static void
test_wrong_passwords(void **state)
{
    char hash[PASSWORD_HASH_MAX];

    cheap_hash("secret", 6, hash, sizeof(hash));
    assert_int_equal(password_verify(hash, "secret", 6), 1);
    assert_int_equal(password_verify(hash, "secre", 5), 0);
    assert_int_equal(password_verify(hash, "secrets", 7), 0);
    /* scrypt's PBKDF2-HMAC pads passwords of up to 64 bytes with zero
     * bytes, so trailing NUL bytes make no difference (as with every
     * scrypt implementation). */
    assert_int_equal(password_verify(hash, "secret\0", 7), 1);
    assert_int_equal(password_verify(hash, "", 0), 0);
    assert_int_equal(password_verify(hash, NULL, 0), 0);
    assert_int_equal(password_verify(hash, NULL, 6), -1);
}

static void
test_empty_password(void **state)
{
    char hash[PASSWORD_HASH_MAX];

    cheap_hash("", 0, hash, sizeof(hash));
    assert_int_equal(password_verify(hash, "", 0), 1);
    assert_int_equal(password_verify(hash, NULL, 0), 1);
    assert_int_equal(password_verify(hash, "a", 1), 0);
    assert_int_equal(password_verify(hash, "\0", 1), 1);   /* HMAC's zero padding */
    assert_int_equal(password_verify(hash, "\0a", 2), 0);
    assert_int_equal(password_hash_with(NULL, 0, 1024, 1, 1, hash, sizeof(hash)), 0);
    assert_int_equal(password_verify(hash, "", 0), 1);
    assert_int_equal(password_hash_with(NULL, 3, 1024, 1, 1, hash, sizeof(hash)), -1);
}

static void
test_binary_passwords(void **state)
{
    static const char binary[] = "a\0b\xff\r\n";
    char hash[PASSWORD_HASH_MAX];

    cheap_hash(binary, 6, hash, sizeof(hash));
    assert_int_equal(password_verify(hash, binary, 6), 1);
    assert_int_equal(password_verify(hash, "a\0b\xff\r\0", 6), 0);
    assert_int_equal(password_verify(hash, "a\0c\xff\r\n", 6), 0);
    assert_int_equal(password_verify(hash, "a", 1), 0);
    assert_int_equal(password_verify(hash, binary, 5), 0);
}

static void
test_fresh_salt_every_time(void **state)
{
    char first[PASSWORD_HASH_MAX], second[PASSWORD_HASH_MAX];

    cheap_hash("same", 4, first, sizeof(first));
    cheap_hash("same", 4, second, sizeof(second));
    assert_string_not_equal(first, second);
    /* The salts differ, not only the keys. */
    assert_false(strncmp(first, second, 15 + 24) == 0);
    assert_int_equal(password_verify(first, "same", 4), 1);
    assert_int_equal(password_verify(second, "same", 4), 1);
}

static void
test_explicit_parameters(void **state)
{
    char hash[PASSWORD_HASH_MAX];

    assert_int_equal(password_hash_with("pw", 2, 2048, 4, 2, hash, sizeof(hash)), 0);
    assert_true(strncmp(hash, "scrypt$2048$4$2$", 16) == 0);
    assert_int_equal(password_verify(hash, "pw", 2), 1);
    assert_int_equal(password_verify(hash, "pW", 2), 0);

    cheap_hash("pw", 2, hash, sizeof(hash));
    assert_true(strncmp(hash, "scrypt$1024$1$1$", 16) == 0);
    assert_int_equal(password_verify(hash, "pw", 2), 1);
}

static void
test_parameters_out_of_range(void **state)
{
    char hash[PASSWORD_HASH_MAX];

    assert_int_equal(password_hash_with("pw", 2, 512, 1, 1, hash, sizeof(hash)), -1);
    assert_int_equal(password_hash_with("pw", 2, 1000, 1, 1, hash, sizeof(hash)), -1);
    assert_int_equal(password_hash_with("pw", 2, 1ULL << 21, 1, 1, hash, sizeof(hash)), -1);
    assert_int_equal(password_hash_with("pw", 2, 0, 1, 1, hash, sizeof(hash)), -1);
    assert_int_equal(password_hash_with("pw", 2, 1024, 0, 1, hash, sizeof(hash)), -1);
    assert_int_equal(password_hash_with("pw", 2, 1024, 33, 1, hash, sizeof(hash)), -1);
    assert_int_equal(password_hash_with("pw", 2, 1024, 1, 0, hash, sizeof(hash)), -1);
    assert_int_equal(password_hash_with("pw", 2, 1024, 1, 17, hash, sizeof(hash)), -1);
    /* 128 * r * N = 1 GiB of memory. */
    assert_int_equal(password_hash_with("pw", 2, 1ULL << 20, 8, 1, hash, sizeof(hash)), -1);
    /* N * r * p = 2^23, over the cap of 2^22. */
    assert_int_equal(password_hash_with("pw", 2, 1ULL << 18, 8, 4, hash, sizeof(hash)), -1);
    assert_int_equal(password_hash_with("pw", 2, 1024, 32, 16, hash, sizeof(hash)), 0);
}

static void
test_malformed_texts(void **state)
{
    static const char *const texts[] = {
        "",
        "scrypt",
        "scrypt$",
        "scrypt$$$$$",
        "bcrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "SCRYPT$16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=",
        "scrypt$16384$8$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==$",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==\n",
        " scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        /* N: not a power of two, too small, too big, signs, zeros, overflow. */
        "scrypt$16385$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$512$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$2097152$1$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$+16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$-16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$016384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$ 16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$0$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$18446744073709551616$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$0x4000$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        /* r and p out of range; memory and work over the caps. */
        "scrypt$16384$0$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$33$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$4294967297$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$0$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$17$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$08$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$1048576$32$16$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$1048576$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$262144$8$16$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$1048576$2$4$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        /* Salt: empty, unpadded, non-canonical bits, bad characters, too
         * short (4 bytes), too long (33 bytes). */
        "scrypt$16384$8$1$$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGV=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZ-U=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$U29k aXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZG==$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3Jp=GU=$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZ===$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$TmFDbA==$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA==",
        /* Key: empty, too short (15 bytes), too long (66 bytes), unpadded. */
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAA",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$AAAAAAAAAAAAAAAAAAAAAA",
    };
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (password_hash_valid(texts[i]) != 0 || password_verify(texts[i], "x", 1) != -1) {
            fail_msg("accepted malformed hash text %zu: \"%s\"", i, texts[i]);
        }
    }
    assert_int_equal(password_hash_valid(NULL), 0);
    assert_int_equal(password_verify(NULL, "x", 1), -1);
}

static void
test_accepted_bounds(void **state)
{
    /* The extremes of every bound: 8-byte salt, 16- and 64-byte keys, a
     * 32-byte salt, r=32, p=16. */
    assert_int_equal(password_hash_valid("scrypt$1024$1$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=="), 1);
    assert_int_equal(password_hash_valid("scrypt$1024$32$16$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
                                         "$AAAAAAAAAAAAAAAAAAAAAA=="), 1);
    assert_int_equal(password_hash_valid("scrypt$1048576$2$2$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=="), 1);
    assert_int_equal(password_hash_valid(rfc_vector), 1);
    /* A valid text whose key does not match verifies as 0, not -1. */
    assert_int_equal(password_verify("scrypt$1024$1$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==", "x", 1), 0);
}

static void
test_text_longer_than_the_maximum(void **state)
{
    char text[PASSWORD_HASH_MAX + 16];
    size_t used;

    /* A valid prefix padded out with a long run of base64 in the key. */
    used = (size_t)snprintf(text, sizeof(text), "scrypt$1024$1$1$AAAAAAAAAAA=$");
    memset(text + used, 'A', sizeof(text) - used - 1);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(password_hash_valid(text), 0);
    assert_int_equal(password_verify(text, "x", 1), -1);
}

static void
test_out_buffer_too_small(void **state)
{
    char hash[PASSWORD_HASH_MAX];
    size_t needed;

    cheap_hash("pw", 2, hash, sizeof(hash));
    needed = strlen(hash) + 1;
    memset(hash, 'z', sizeof(hash));
    assert_int_equal(password_hash_with("pw", 2, 1024, 1, 1, hash, needed - 1), -1);
    assert_true(hash[needed - 1] == 'z');
    assert_int_equal(password_hash_with("pw", 2, 1024, 1, 1, hash, 10), -1);
    assert_int_equal(password_hash_with("pw", 2, 1024, 1, 1, hash, 0), -1);
    assert_int_equal(password_hash_with("pw", 2, 1024, 1, 1, NULL, 100), -1);
    assert_int_equal(password_hash_with("pw", 2, 1024, 1, 1, hash, needed), 0);
    assert_int_equal(strlen(hash) + 1, needed);
    assert_int_equal(password_verify(hash, "pw", 2), 1);
    assert_int_equal(password_hash("pw", 2, hash, 86), -1);
    assert_int_equal(password_hash("pw", 2, hash, 87), 0);
}

/* Every prefix of a valid text: never a crash.  A prefix that cuts the
 * key at a 4-character boundary leaving 16 bytes or more is still a valid
 * text, and it matches (scrypt's output is a prefix of a longer one). */
static void
test_truncated_texts(void **state)
{
    char hash[PASSWORD_HASH_MAX], copy[PASSWORD_HASH_MAX];
    size_t length, cut;

    cheap_hash("pw", 2, hash, sizeof(hash));
    length = strlen(hash);
    for (cut = 0; cut < length; cut++) {
        int result;

        memcpy(copy, hash, cut);
        copy[cut] = '\0';
        result = password_verify(copy, "pw", 2);
        assert_int_equal(result, password_hash_valid(copy) ? 1 : -1);
    }
}

/* Random changes to a valid text: one to three bytes replaced by random
 * bytes, or by characters that matter to the parser. */
static void
test_garbled_texts(void **state)
{
    static const char interesting[] = "$=+/0129AZaz-_ \n\x80\xff";
    char hash[PASSWORD_HASH_MAX], copy[PASSWORD_HASH_MAX];
    uint64_t random_state = 0x5EEDF00DULL;
    size_t length;
    int round, matches = 0;

    cheap_hash("pw", 2, hash, sizeof(hash));
    length = strlen(hash);
    for (round = 0; round < 3000; round++) {
        int changes = 1 + (int)(random_next(&random_state) % 3), change, result;

        memcpy(copy, hash, length + 1);
        for (change = 0; change < changes; change++) {
            uint64_t roll = random_next(&random_state);
            size_t position = (size_t)(roll % length);

            if ((roll >> 32) & 1) {
                copy[position] = (char)(roll >> 40);
            } else {
                copy[position] = interesting[(roll >> 40) % (sizeof(interesting) - 1)];
            }
        }
        result = password_verify(copy, "pw", 2);
        assert_true(result >= -1 && result <= 1);
        assert_int_equal(password_hash_valid(copy), result != -1);
        matches += result == 1 && strcmp(copy, hash) != 0;
    }
    /* A changed text can only match when the change left the salt, key and
     * parameters as they were, which strict parsing rules out. */
    assert_int_equal(matches, 0);
}

/* Runs password_hash_command over `input` (size bytes); returns its status
 * and the output and error text in *out and *err (freed by the caller). */
static int
run_command(const char *input, size_t size, char **out, char **err)
{
    char *input_copy = malloc(size + 1);
    FILE *in, *out_file, *err_file;
    size_t out_size, err_size;
    int status;

    assert_non_null(input_copy);
    memcpy(input_copy, input, size);
    input_copy[size] = '\0';
    in = fmemopen(input_copy, size > 0 ? size : 1, "r");
    assert_non_null(in);
    if (size == 0) {
        fgetc(in);   /* an empty stream: position at its only byte's end */
    }
    out_file = open_memstream(out, &out_size);
    err_file = open_memstream(err, &err_size);
    assert_non_null(out_file);
    assert_non_null(err_file);
    status = password_hash_command("herd-test", in, out_file, err_file);
    fclose(in);
    fclose(out_file);
    fclose(err_file);
    free(input_copy);
    return status;
}

/* The hash printed by the command: one line, without its newline. */
static void
assert_printed_hash(char *out, const char *password, size_t length)
{
    size_t printed = strlen(out);

    assert_true(printed > 1 && out[printed - 1] == '\n');
    out[printed - 1] = '\0';
    assert_null(strchr(out, '\n'));
    assert_true(strncmp(out, "scrypt$16384$8$1$", 17) == 0);
    assert_int_equal(password_verify(out, password, length), 1);
}

static void
test_hash_command(void **state)
{
    char *out, *err;

    assert_int_equal(run_command("hunter2\n", 8, &out, &err), 0);
    assert_printed_hash(out, "hunter2", 7);
    assert_string_equal(err, "");
    assert_null(strstr(out, "hunter2"));
    free(out);
    free(err);

    /* No final newline; only the first line counts; bytes kept as given. */
    assert_int_equal(run_command("hunter2", 7, &out, &err), 0);
    assert_printed_hash(out, "hunter2", 7);
    free(out);
    free(err);
    assert_int_equal(run_command("one\ntwo\n", 8, &out, &err), 0);
    assert_printed_hash(out, "one", 3);
    free(out);
    free(err);
    assert_int_equal(run_command("a\0b\r\n", 5, &out, &err), 0);
    assert_printed_hash(out, "a\0b\r", 4);
    free(out);
    free(err);
}

static void
test_hash_command_refuses_empty(void **state)
{
    char *out, *err;

    assert_int_equal(run_command("\n", 1, &out, &err), 1);
    assert_string_equal(out, "");
    assert_string_equal(err, "herd-test: the password is empty; refusing to hash it\n");
    free(out);
    free(err);

    assert_int_equal(run_command("\nsecond\n", 8, &out, &err), 1);
    assert_string_equal(out, "");
    free(out);
    free(err);

    assert_int_equal(run_command("", 0, &out, &err), 1);
    assert_string_equal(out, "");
    assert_string_equal(err, "herd-test: no password on standard input\n");
    free(out);
    free(err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_with_defaults),
        cmocka_unit_test(test_rfc_7914_vector),
        cmocka_unit_test(test_wrong_passwords),
        cmocka_unit_test(test_empty_password),
        cmocka_unit_test(test_binary_passwords),
        cmocka_unit_test(test_fresh_salt_every_time),
        cmocka_unit_test(test_explicit_parameters),
        cmocka_unit_test(test_parameters_out_of_range),
        cmocka_unit_test(test_malformed_texts),
        cmocka_unit_test(test_accepted_bounds),
        cmocka_unit_test(test_text_longer_than_the_maximum),
        cmocka_unit_test(test_out_buffer_too_small),
        cmocka_unit_test(test_truncated_texts),
        cmocka_unit_test(test_garbled_texts),
        cmocka_unit_test(test_hash_command),
        cmocka_unit_test(test_hash_command_refuses_empty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
