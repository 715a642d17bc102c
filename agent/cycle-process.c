/* SPDX-License-Identifier: MIT */
/* A cycle's own process (see cycle-process.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/provider.h>

#include "cleanup.h"
#include "cli.h"
#include "cycle-process.h"
#include "json-util.h"
#include "log.h"
#include "malloc-tune.h"
#include "openssl-init.h"

/* About what a cycle's heap grows to (1.4 MB here with this machine's package lists; more on
 * a laptop with more): one huge page where the kernel gives them, else mapped in one system
 * call, instead of ~350 page faults, ~10 µs each in a VM, 1–2 µs on bare metal. */
#define CYCLE_HEAP_PREFAULT (2u << 20)

/* A cycle's process ends without exit()'s handlers: OpenSSL's frees its tables one by one
 * (~1.4 M instructions, ~0.8 ms of a cycle here), which the kernel does at once when the
 * process ends. Not when another provider was loaded (the TPM's ends its TPM sessions in
 * its teardown), nor in the sanitizer build, whose leak check runs at exit(). */
#ifdef VIGIE_SANITIZE
static bool end_without_exit_handlers(void) {
        return false;
}
#else
static int count_foreign_provider(OSSL_PROVIDER *p, void *userdata) {
        const char *name = OSSL_PROVIDER_get0_name(p);

        if (!streq(name, "default") && !streq(name, "base"))
                (*(unsigned *) userdata)++;
        return 1;
}

static bool end_without_exit_handlers(void) {
        unsigned foreign = 0;

        OSSL_PROVIDER_do_all(NULL, count_foreign_provider, &foreign);
        return foreign == 0;
}
#endif

/* The daemon's kept session: an unusable one costs a full handshake, nothing more. */
static json_object *parse_tls_session(const char *text) {
        _cleanup_free_ char *err = NULL;
        json_object *j = NULL;

        if (!text || !*text)
                return NULL;
        if (json_parse(text, strlen(text), &j, &err) < 0)
                log_warning("The kept TLS session is not JSON (%s): a full handshake instead.", strempty(err));
        return j;
}

int cycle_process_run(const AgentConfig *config, CycleKind kind, bool deliver, const char *tls_session_text,
                      bool keep_tls_session) {
        _cleanup_json_ json_object *result = NULL, *tls_session = NULL;
        const char *text;
        int r;

        r = malloc_prefault(CYCLE_HEAP_PREFAULT);
        if (r < 0)
                log_debug("The heap is not mapped ahead (%s): each page faults in as it is used.", strerror(-r));
        tls_session = parse_tls_session(tls_session_text);
        r = openssl_init_without_legacy_ciphers();
        if (r < 0)
                log_debug("OpenSSL did not start ahead (%s): its first use says why.", strerror(-r));
        agent_cycle_setup_signals();
        /* Under the daemon stderr is the journal: log there, at the configured level. */
        log_set_target_stderr(false);
        log_set_max_level(config->log_level);
        r = agent_cycle_run(config, kind, deliver, tls_session, keep_tls_session, &result);
        if (r < 0)
                return EXIT_INTERNAL;
        text = json_compact(result);
        if (!text || puts(text) < 0 || fflush(stdout) != 0)
                return EXIT_INTERNAL;
        if (end_without_exit_handlers())
                _exit(0);
        return 0;
}
