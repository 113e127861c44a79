/*
 * tls.c — OpenSSL 3 server contexts and non-blocking TLS steps (see
 * tls.h).  Every call clears OpenSSL's thread error queue first, so the
 * status of a step never reflects an older failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "shared/tls.h"

/* Sent by the server so resumed sessions keep their verified peers. */
static const unsigned char session_context[] = "herd";

const char *const tls_auth_clients_names[] = { "no", "yes", "optional", NULL };

/* Appends OpenSSL's oldest queued reason (or `fallback`) to `prefix`. */
static void
tls_describe_error(const char *prefix, const char *fallback, char *error, size_t error_size)
{
    char reason[256];
    unsigned long code = ERR_get_error();

    if (code == 0) {
        snprintf(reason, sizeof(reason), "%s", fallback);
    } else {
        ERR_error_string_n(code, reason, sizeof(reason));
    }
    ERR_clear_error();
    snprintf(error, error_size, "%s%s", prefix, reason);
}

/* The version constant of one tls-protocols word, 0 when unknown and -1
 * when known but older than TLS 1.2. */
static int
tls_protocol_version(const char *word, size_t length)
{
    if (length == 7 && strncasecmp(word, "TLSv1.2", length) == 0) {
        return TLS1_2_VERSION;
    }
    if (length == 7 && strncasecmp(word, "TLSv1.3", length) == 0) {
        return TLS1_3_VERSION;
    }
    if ((length == 5 && strncasecmp(word, "TLSv1", length) == 0) ||
        (length == 7 && strncasecmp(word, "TLSv1.1", length) == 0) ||
        (length == 5 && strncasecmp(word, "SSLv3", length) == 0)) {
        return -1;
    }
    return 0;
}

int
tls_parse_protocols(const char *text, int *lowest, int *highest,
                    char *error, size_t error_size)
{
    const char *word = text;
    size_t length;
    int version;

    *lowest = 0;
    *highest = 0;
    while (*word != '\0') {
        length = strcspn(word, " \t,");
        if (length > 0) {
            version = tls_protocol_version(word, length);
            if (version <= 0) {
                snprintf(error, error_size, "'tls-protocols': %s '%.*s' (allowed: "
                         "TLSv1.2 TLSv1.3)", version < 0 ? "too old a protocol" :
                         "unknown protocol", (int)length, word);
                return -1;
            }
            if (*lowest == 0 || version < *lowest) {
                *lowest = version;
            }
            if (version > *highest) {
                *highest = version;
            }
        }
        word += length;
        word += strspn(word, " \t,");
    }
    if (*lowest == 0) {
        snprintf(error, error_size, "'tls-protocols' names no protocol "
                 "(allowed: TLSv1.2 TLSv1.3)");
        return -1;
    }
    return 0;
}

/* The prefix put before option names in messages ("" or "node-"). */
static const char *
tls_prefix(const struct tls_options *options)
{
    return options->option_prefix != NULL ? options->option_prefix : "";
}

/* Fails with a plain message when `path` cannot be opened for reading;
 * OpenSSL's own texts for that case are obscure. */
static int
tls_check_readable(const struct tls_options *options, const char *option, const char *path,
                   char *error, size_t error_size)
{
    FILE *file;

    if (path == NULL || path[0] == '\0') {
        snprintf(error, error_size, "'%s%s' is not set", tls_prefix(options), option);
        return -1;
    }
    file = fopen(path, "r");
    if (file == NULL) {
        snprintf(error, error_size, "cannot read %s%s '%s': %s", tls_prefix(options), option,
                 path, strerror(errno));
        return -1;
    }
    fclose(file);
    return 0;
}

/* 1 when OpenSSL's queued error says a key does not match its certificate. */
static int
tls_error_is_key_mismatch(void)
{
    unsigned long code = ERR_peek_error();

    return ERR_GET_LIB(code) == ERR_LIB_X509 &&
           ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH;
}

/* Loads the certificate chain and the key and checks that they match. */
static int
tls_load_identity(SSL_CTX *context, const struct tls_options *options,
                  char *error, size_t error_size)
{
    char prefix[PATH_MAX + 64];

    if (tls_check_readable(options, "tls-cert-file", options->cert_file,
                           error, error_size) != 0 ||
        tls_check_readable(options, "tls-key-file", options->key_file,
                           error, error_size) != 0) {
        return -1;
    }
    if (SSL_CTX_use_certificate_chain_file(context, options->cert_file) != 1) {
        snprintf(prefix, sizeof(prefix), "%stls-cert-file '%s': ", tls_prefix(options),
                 options->cert_file);
        tls_describe_error(prefix, "not a PEM certificate", error, error_size);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(context, options->key_file, SSL_FILETYPE_PEM) != 1) {
        if (tls_error_is_key_mismatch()) {
            goto mismatch;
        }
        snprintf(prefix, sizeof(prefix), "%stls-key-file '%s': ", tls_prefix(options),
                 options->key_file);
        tls_describe_error(prefix, "not a PEM private key", error, error_size);
        return -1;
    }
    if (SSL_CTX_check_private_key(context) != 1) {
        goto mismatch;
    }
    return 0;

mismatch:
    snprintf(prefix, sizeof(prefix), "%stls-key-file '%s' does not match %stls-cert-file "
             "'%s': ", tls_prefix(options), options->key_file, tls_prefix(options),
             options->cert_file);
    tls_describe_error(prefix, "key mismatch", error, error_size);
    return -1;
}

/* Loads the CAs that peer certificates must be signed by. */
static int
tls_load_ca(SSL_CTX *context, const struct tls_options *options,
            char *error, size_t error_size)
{
    char prefix[PATH_MAX + 64];

    if (tls_check_readable(options, "tls-ca-cert-file", options->ca_cert_file,
                           error, error_size) != 0) {
        return -1;
    }
    if (SSL_CTX_load_verify_locations(context, options->ca_cert_file, NULL) != 1) {
        snprintf(prefix, sizeof(prefix), "%stls-ca-cert-file '%s': ", tls_prefix(options),
                 options->ca_cert_file);
        tls_describe_error(prefix, "no PEM certificate", error, error_size);
        return -1;
    }
    return 0;
}

/* Asks clients for certificates signed by the CA (tls-auth-clients). */
static int
tls_load_client_verification(SSL_CTX *context, const struct tls_options *options,
                             char *error, size_t error_size)
{
    STACK_OF(X509_NAME) *names;
    char prefix[PATH_MAX + 64];
    int mode = SSL_VERIFY_PEER;

    if (options->auth_clients == TLS_AUTH_CLIENTS_NO) {
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, NULL);
        return 0;
    }
    if (tls_load_ca(context, options, error, error_size) != 0) {
        return -1;
    }
    snprintf(prefix, sizeof(prefix), "tls-ca-cert-file '%s': ", options->ca_cert_file);
    names = SSL_load_client_CA_file(options->ca_cert_file);
    if (names == NULL) {
        tls_describe_error(prefix, "no PEM certificate", error, error_size);
        return -1;
    }
    SSL_CTX_set_client_CA_list(context, names);
    if (options->auth_clients == TLS_AUTH_CLIENTS_YES) {
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(context, mode, NULL);
    return 0;
}

/* A context for `method` with herd's options and the allowed versions. */
static SSL_CTX *
tls_context_new(const SSL_METHOD *method, const struct tls_options *options,
                char *error, size_t error_size)
{
    SSL_CTX *context;
    int lowest, highest;

    ERR_clear_error();
    if (tls_parse_protocols(options->protocols, &lowest, &highest, error, error_size) != 0) {
        return NULL;
    }
    context = SSL_CTX_new(method);
    if (context == NULL) {
        tls_describe_error("cannot create a TLS context: ", "out of memory",
                           error, error_size);
        return NULL;
    }
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_set_min_proto_version(context, lowest) != 1 ||
        SSL_CTX_set_max_proto_version(context, highest) != 1) {
        tls_describe_error("cannot set up TLS: ", "unknown error", error, error_size);
        SSL_CTX_free(context);
        return NULL;
    }
    return context;
}

SSL_CTX *
tls_server_context_new(const struct tls_options *options, char *error, size_t error_size)
{
    SSL_CTX *context = tls_context_new(TLS_server_method(), options, error, error_size);

    if (context == NULL) {
        return NULL;
    }
    if (SSL_CTX_set_session_id_context(context, session_context,
                                       sizeof(session_context) - 1) != 1) {
        tls_describe_error("cannot set up TLS: ", "unknown error", error, error_size);
        goto fail;
    }
    if (tls_load_identity(context, options, error, error_size) != 0 ||
        tls_load_client_verification(context, options, error, error_size) != 0) {
        goto fail;
    }
    return context;

fail:
    SSL_CTX_free(context);
    return NULL;
}

/* 1 when the option `path` is set. */
static int
tls_is_set(const char *path)
{
    return path != NULL && path[0] != '\0';
}

SSL_CTX *
tls_client_context_new(const struct tls_options *options, char *error, size_t error_size)
{
    SSL_CTX *context = tls_context_new(TLS_client_method(), options, error, error_size);

    if (context == NULL) {
        return NULL;
    }
    if ((tls_is_set(options->cert_file) || tls_is_set(options->key_file)) &&
        tls_load_identity(context, options, error, error_size) != 0) {
        goto fail;
    }
    if (tls_load_ca(context, options, error, error_size) != 0) {
        goto fail;
    }
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
    return context;

fail:
    SSL_CTX_free(context);
    return NULL;
}

void
tls_context_free(SSL_CTX *context)
{
    SSL_CTX_free(context);
}

SSL *
tls_connection_new(SSL_CTX *context, int fd)
{
    SSL *ssl = SSL_new(context);

    if (ssl == NULL) {
        ERR_clear_error();
        return NULL;
    }
    if (SSL_set_fd(ssl, fd) != 1) {
        ERR_clear_error();
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

SSL *
tls_client_connection_new(SSL_CTX *context, int fd, const char *host)
{
    SSL *ssl = tls_connection_new(context, fd);
    X509_VERIFY_PARAM *parameters;
    int checked;

    if (ssl == NULL) {
        return NULL;
    }
    SSL_set_connect_state(ssl);
    parameters = SSL_get0_param(ssl);
    /* An IP address is matched with the IP SANs, anything else as a name. */
    checked = X509_VERIFY_PARAM_set1_ip_asc(parameters, host);
    if (checked != 1) {
        ERR_clear_error();
        X509_VERIFY_PARAM_set_hostflags(parameters, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        checked = X509_VERIFY_PARAM_set1_host(parameters, host, 0) == 1 &&
                  SSL_set_tlsext_host_name(ssl, host) == 1;
    }
    if (!checked) {
        ERR_clear_error();
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

void
tls_connection_free(SSL *ssl, int clean)
{
    if (ssl == NULL) {
        return;
    }
    if (clean) {
        /* One attempt: the socket is non-blocking and about to close. */
        (void)SSL_shutdown(ssl);
    }
    ERR_clear_error();
    SSL_free(ssl);
}

/* Describes a failed step; a rejected peer certificate gets the reason
 * of the verification ("certificate has expired", "hostname mismatch"...). */
static void
tls_describe_failure(SSL *ssl, char *error, size_t error_size)
{
    long verify = SSL_get_verify_result(ssl);
    char prefix[160];

    if (verify == X509_V_OK) {
        tls_describe_error("", "TLS error", error, error_size);
        return;
    }
    snprintf(prefix, sizeof(prefix), "peer certificate rejected (%s): ",
             X509_verify_cert_error_string(verify));
    tls_describe_error(prefix, "TLS error", error, error_size);
}

/* Turns the result of an SSL call into a status. */
static enum tls_status
tls_status_of(SSL *ssl, int result, char *error, size_t error_size)
{
    switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
        return TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return TLS_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            if (errno == 0) {
                return TLS_CLOSED;
            }
            snprintf(error, error_size, "%s", strerror(errno));
            return TLS_FAILED;
        }
        tls_describe_error("", "system error", error, error_size);
        return TLS_FAILED;
    default:
        tls_describe_failure(ssl, error, error_size);
        return TLS_FAILED;
    }
}

enum tls_status
tls_handshake(SSL *ssl, char *error, size_t error_size)
{
    int result;

    ERR_clear_error();
    errno = 0;
    result = SSL_do_handshake(ssl);
    if (result == 1) {
        return TLS_DONE;
    }
    return tls_status_of(ssl, result, error, error_size);
}

enum tls_status
tls_read(SSL *ssl, void *buffer, size_t size, size_t *received,
         char *error, size_t error_size)
{
    ERR_clear_error();
    errno = 0;
    if (SSL_read_ex(ssl, buffer, size, received) == 1) {
        return TLS_DONE;
    }
    return tls_status_of(ssl, 0, error, error_size);
}

enum tls_status
tls_write(SSL *ssl, const void *data, size_t size, size_t *written,
          char *error, size_t error_size)
{
    ERR_clear_error();
    errno = 0;
    if (SSL_write_ex(ssl, data, size, written) == 1) {
        return TLS_DONE;
    }
    return tls_status_of(ssl, 0, error, error_size);
}

int
tls_has_pending(const SSL *ssl)
{
    return SSL_has_pending(ssl);
}

int
tls_check_listen_settings(const struct tls_listen_settings *settings,
                          char *error, size_t error_size)
{
    int lowest, highest;

    if (settings->port == 0 && settings->tls_port == 0) {
        snprintf(error, error_size, "'port' and 'tls-port' are both 0: no port to listen on");
        return -1;
    }
    if (settings->tls_port == 0) {
        return 0;
    }
    if (settings->tls_port == settings->port) {
        snprintf(error, error_size, "'tls-port' and 'port' are both %lld", settings->port);
        return -1;
    }
    if (settings->cert_file[0] == '\0' || settings->key_file[0] == '\0') {
        snprintf(error, error_size, "'tls-port' needs 'tls-cert-file' and 'tls-key-file'");
        return -1;
    }
    if (settings->auth_clients != TLS_AUTH_CLIENTS_NO && settings->ca_cert_file[0] == '\0') {
        snprintf(error, error_size, "'tls-auth-clients %s' needs 'tls-ca-cert-file' "
                 "(or set 'tls-auth-clients no')",
                 tls_auth_clients_names[settings->auth_clients]);
        return -1;
    }
    return tls_parse_protocols(settings->protocols, &lowest, &highest, error, error_size);
}
