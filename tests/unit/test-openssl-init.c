/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "fs-util.h"
#include "openssl-init.h"

/* What a TLS client offers, one cipher suite a line, and whether the legacy tables answer. */
static void describe_tls_client(FILE *out) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        SSL *ssl;
        STACK_OF(SSL_CIPHER) *ciphers;

        assert_non_null(ctx);
        /* Everything the build has, not only the default list: a suite whose cipher failed to
         * load is left out of this one too. */
        assert_int_equal(SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0"), 1);
        ssl = SSL_new(ctx);
        assert_non_null(ssl);
        ciphers = SSL_get1_supported_ciphers(ssl);
        assert_non_null(ciphers);
        for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); i++)
                fprintf(out, "%s\n", SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)));
        fprintf(out, "legacy cipher table: %s\n", EVP_get_cipherbyname("AES-128-CBC") ? "yes" : "no");
        fprintf(out, "legacy digest table: %s\n", EVP_get_digestbyname("SHA256") ? "yes" : "no");
        sk_SSL_CIPHER_free(ciphers);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
}

/* describe_tls_client() in a fresh child, started with or without the legacy ciphers. */
static char *describe_in_child(bool lean) {
        char *text = NULL;
        size_t size = 0;
        int fds[2], status;
        pid_t pid;

        assert_int_equal(pipe(fds), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                FILE *out = fdopen(fds[1], "w");
                close(fds[0]);
                if (!out || (lean && openssl_init_without_legacy_ciphers() < 0))
                        _exit(1);
                describe_tls_client(out);
                _exit(fclose(out) == 0 ? 0 : 1);
        }
        close(fds[1]);
        assert_int_equal(read_fd_full(fds[0], 1 << 20, &text, &size), 0);
        close(fds[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(status, 0);
        return text;
}

/* The lean start skips the table (else it gains nothing) and TLS offers every suite it
 * offered before: no cipher went missing with the table. */
static void test_the_legacy_cipher_table_goes_and_no_tls_suite_with_it(void **state) {
        char *usual = describe_in_child(false), *lean = describe_in_child(true);
        char *usual_table = strstr(usual, "legacy cipher table: "), *lean_table = strstr(lean, "legacy cipher table: ");

        (void) state;
        assert_non_null(usual_table);
        assert_non_null(lean_table);
        assert_string_equal(usual_table, "legacy cipher table: yes\nlegacy digest table: yes\n");
        assert_string_equal(lean_table, "legacy cipher table: no\nlegacy digest table: yes\n");
        /* Dozens of suites (TLS 1.3's and 1.2's), the same in both. */
        assert_true(usual_table - usual > 30 * 10);
        assert_int_equal(lean_table - lean, usual_table - usual);
        assert_memory_equal(lean, usual, (size_t) (usual_table - usual));
        free(usual);
        free(lean);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_legacy_cipher_table_goes_and_no_tls_suite_with_it),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
