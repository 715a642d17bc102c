/* SPDX-License-Identifier: MIT */
/* One cycle (see agent-cycle.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-cycle.h"
#include "agent-posture.h"
#include "agent-renew.h"
#include "check-result.h"
#include "cleanup.h"
#include "enrollment.h"
#include "fs-util.h"
#include "hash-util.h"
#include "identity.h"
#include "json-util.h"
#include "log.h"
#include "policy.h"
#include "reporter.h"
#include "spool.h"
#include "time-util.h"
#include "tls-session.h"
#include "transport.h"

static volatile sig_atomic_t stop_requested;

static void on_sigterm(int sig) {
        (void) sig;
        stop_requested = 1;
}

void agent_cycle_setup_signals(void) {
        struct sigaction sa = { .sa_handler = on_sigterm };
        sigset_t stop;

        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) signal(SIGHUP, SIG_IGN);
        (void) signal(SIGUSR1, SIG_IGN);
        /* The daemon starts the cycle with them blocked: a stop it forwarded during our
         * start-up is delivered now, to the handler. */
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        (void) sigprocmask(SIG_UNBLOCK, &stop, NULL);
}

bool agent_cycle_stop_requested(void) {
        return stop_requested;
}

static json_object *public_check(const CheckResult *c) {
        json_object *j = check_result_to_json(c);
        if (j) {
                json_object_object_del(j, "evidence");
                json_object_object_del(j, "duration_us");
                (void) json_add_bool(j, "required", c->required);
        }
        return j;
}

/* What `vigie status` and the tray show of the checks: no evidence. */
static int add_checks(json_object *out, const ReporterRun *run) {
        json_object *checks = json_object_new_array(), *pj;

        if (!checks || json_add(out, "checks", checks) < 0)
                return -ENOMEM;
        pj = json_object_new_object();
        if (!pj || json_add(out, "policy", pj) < 0 ||
            json_add_string(pj, "id", run->policy->policy_id) < 0 ||
            json_add_int(pj, "version", run->policy->version) < 0 ||
            json_add_bool(pj, "updated", run->policy_updated) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < run->n_results; i++) {
                json_object *c = public_check(run->results[i]);
                if (!c || json_object_array_add(checks, c) < 0) {
                        json_object_put(c);
                        return -ENOMEM;
                }
        }
        if (json_add_bool(out, "compliant", check_results_compliant(run->results, run->n_results)) < 0 ||
            json_add_int(out, "checked_at", (int64_t) now_realtime()) < 0 ||
            (run->seq > 0 && json_add_int(out, "seq", run->seq) < 0))
                return -ENOMEM;
        return 0;
}

/* The delivery's part of the result: what status.json shows and the daemon schedules its
 * retries by. Nothing when delivery was left for later (SIGTERM). */
static int add_delivery(json_object *out, const ReporterRun *run) {
        const FlushStats *st = &run->delivery;

        if (run->flushed) {
                if (run->delivery_r < 0 || st->rejected > 0)
                        log_warning("Delivery: %zu sent, %zu refused, %zu waiting: %s", st->sent,
                                    st->rejected, st->waiting, strnull(run->delivery_error));
                else
                        log_info("Delivered %zu report(s).", st->sent);
        } else if (run->reached)
                return 0;
        /* flushed, or the policy fetch found no server */
        if (json_add_bool(out, "delivery_attempted", true) < 0 ||
            json_add_string(out, "delivery_error", run->delivery_error) < 0 ||
            (st->sent > 0 && json_add_int(out, "delivered_at", (int64_t) now_realtime()) < 0) ||
            (st->retry_after_s > 0 && json_add_int(out, "retry_after_s", (int64_t) st->retry_after_s) < 0))
                return -ENOMEM;
        return 0;
}

static int add_certificate(json_object *out, const Identity *id, usec_t *ret_nb, usec_t *ret_na) {
        json_object *cert = json_object_new_object();
        char buf[RFC3339_MAX];

        if (!cert || json_add(out, "certificate", cert) < 0)
                return -ENOMEM;
        *ret_nb = id->cert.not_before;
        *ret_na = id->cert.not_after;
        return json_add_string(cert, "not_after", format_rfc3339(*ret_na, buf));
}

/* The renewal, once the spool is empty (see agent-renew.c). */
static void maybe_renew(const AgentConfig *config, const Identity *id, Transport *t, usec_t nb,
                        usec_t na, json_object *out) {
        _cleanup_free_ char *err = NULL;
        json_object *cert;
        char buf[RFC3339_MAX];
        usec_t new_na;
        int r;

        if (!cert_renewal_due(nb, na, now_realtime()) ||
            !json_object_object_get_ex(out, "certificate", &cert))
                return;
        (void) json_add_bool(cert, "renewal_due", true);
        r = cert_renew(config, id, t, &new_na, &err);
        if (r < 0) {
                (void) json_add_string(cert, "renew_error", err ? err : strerror(-r));
                return;
        }
        log_notice("Device certificate renewed: valid until %s.", format_rfc3339(new_na, buf));
        (void) json_add_bool(cert, "renewed", true);
        (void) json_add_string(cert, "not_after", format_rfc3339(new_na, buf));
}

/* IT may drop only a token in /etc/vigie: the first cycle that reaches the server enrolls. */
static void maybe_enroll(const AgentConfig *config, json_object *out) {
        _cleanup_erase_free_ char *token = NULL;
        _cleanup_free_ char *device_id = NULL, *err = NULL;
        int r;

        if (!config->server_url || enroll_is_enrolled(config))
                return;
        r = enroll_read_token(config->enroll_token_file, &token, &err);
        if (r == -ENOENT)
                return; /* enrollment is left to "vigie enroll" */
        if (r < 0) {
                log_error_errno(r, "Not enrolling: %s", strnull(err));
                (void) json_add_string(out, "enroll_error", err);
                return;
        }
        r = enroll_device(config, token, NULL, &device_id, &err);
        if (r < 0) {
                log_error_errno(r, "Automatic enrollment with the token in \"%s\" failed: %s",
                                config->enroll_token_file, err ? err : strerror(-r));
                (void) json_add_string(out, "enroll_error", err ? err : strerror(-r));
                return;
        }
        log_notice("Enrolled as %s with the token in \"%s\".", device_id, config->enroll_token_file);
}

/* What the kept session must have been made for: this server, its pinned CA and the
 * certificate this transport presents (after a renewal in this cycle, still the old one,
 * so that the next cycle, with the new certificate, does not offer it). 0 when there is
 * nothing to bind: no certificate, or the CA unreadable. */
static int session_binding(const AgentConfig *config, Transport *t, char ret[static SHA256_HEX_SIZE]) {
        _cleanup_free_ char *ca = NULL;
        size_t cert_size;
        const uint8_t *cert = transport_client_cert_der(t, &cert_size);
        int r;

        if (!cert)
                return 0;
        if ((r = identity_ca_path(config, &ca)) < 0 ||
            (r = tls_session_binding(config->server_url, ca, cert, cert_size, ret)) < 0)
                return r == -ENOMEM ? r : 0;
        return 1;
}

/* The daemon's session from the previous cycle, if it was made for `binding`. */
static void offer_session(Transport *t, json_object *kept, const char *binding) {
        SSL_SESSION *s = NULL;
        int r = tls_session_decode(kept, binding, &s);

        if (r == -ENOENT)
                log_debug("The kept TLS session was made for another server or certificate: not offered.");
        else if (r < 0)
                log_warning_errno(r, "The kept TLS session is unusable (%m): a full handshake instead.");
        else
                transport_set_session(t, s);
        SSL_SESSION_free(s);
}

/* The session for the daemon to keep, or null (forget the kept one: the server answered
 * without one to resume). */
static int add_session(Transport *t, const char *binding, json_object *out) {
        json_object *j = NULL;
        int r = tls_session_encode(transport_session(t), binding, &j);

        if (r == -ENOENT)
                return json_add(out, "tls_session", NULL);
        if (r < 0) {
                log_debug_errno(r, "Cannot keep the TLS session: %m");
                return r == -ENOMEM ? r : 0;
        }
        return json_add(out, "tls_session", j);
}

int agent_cycle_run(const AgentConfig *config, CycleKind kind, bool deliver, json_object *tls_session,
                    bool keep_tls_session, json_object **ret) {
        _cleanup_json_ json_object *out = json_object_new_object();
        _cleanup_(identity_freep) Identity *id = NULL;
        _cleanup_(transport_freep) Transport *t = NULL;
        _cleanup_(spool_freep) Spool *spool = NULL;
        _cleanup_(reporter_run_done) ReporterRun run = {
                .report = kind == CYCLE_FULL,
                .stop_requested = agent_cycle_stop_requested,
        };
        _cleanup_free_ char *err = NULL;
        char binding[SHA256_HEX_SIZE];
        bool bound = false;
        usec_t nb = 0, na = 0;
        int r;

        if (!out)
                return -ENOMEM;
        if (deliver)
                maybe_enroll(config, out);
        r = identity_load(config, &id, &err);
        if (r == -ENODEV) {
                /* Said in status.json for `vigie status` and the tray: reports stop here. */
                log_error("%s. Nothing is signed with another key: IT must re-enroll this laptop with a device reset token.",
                          err);
                if (json_add_string(out, "identity_problem", err) < 0)
                        return -ENOMEM;
        } else if (r < 0 && r != -ENOENT)
                log_error_errno(r, "The device identity in \"%s\" is unusable (%m): run \"vigie enroll --force\".",
                                config->state_dir);
        err = (free(err), NULL);
        if (json_add_bool(out, "enrolled", id) < 0)
                return -ENOMEM;
        if (id) {
                if (add_certificate(out, id, &nb, &na) < 0)
                        return -ENOMEM;
                /* The same lock as `vigie report`: one writer of the chain at a time. */
                SpoolLimits limits = { .max_reports = config->spool_max_reports,
                                       .max_bytes = config->spool_max_bytes };
                r = spool_open(config->state_dir, &limits, 0, &spool, &err);
                if (r < 0)
                        return log_error_errno(r, "Cannot open the spool: %s", strnull(err));
                if (deliver && config->server_url) {
                        r = reporter_transport(config, id, &t, &err);
                        if (r < 0)
                                log_error("Cannot talk to the server: %s", strnull(err));
                        else if (keep_tls_session) { /* under the daemon */
                                r = session_binding(config, t, binding);
                                if (r < 0)
                                        return log_oom();
                                bound = r > 0;
                                if (bound && tls_session)
                                        offer_session(t, tls_session, binding);
                        }
                        err = (free(err), NULL);
                }
        }

        r = reporter_run(config, id, spool, t, &run, &err);
        if (r < 0) {
                static const char *const what[] = {
                        [REPORTER_STEP_POLICY] = "The cached policy is unusable",
                        [REPORTER_STEP_CHECKS] = "The checks did not run",
                        [REPORTER_STEP_SIGN] = "Cannot sign and queue the report",
                };
                return log_error_errno(r, "%s: %s", what[run.failed_step], strnull(err));
        }
        if (run.policy_updated)
                log_notice("New policy from the server.");
        if (run.report && add_checks(out, &run) < 0)
                return -ENOMEM;
        if (t && add_delivery(out, &run) < 0)
                return -ENOMEM;
        if (run.flushed && run.delivery_r >= 0 && run.delivery.waiting == 0 &&
            !agent_cycle_stop_requested())
                maybe_renew(config, id, t, nb, na, out);
        if (t && run.reached && kind == CYCLE_FULL && !agent_cycle_stop_requested())
                agent_posture_update(t, out);
        if (t && json_add_bool(out, "server_reachable", run.reached) < 0)
                return -ENOMEM;
        if (spool && json_add_int(out, "spool_depth", (int64_t) spool_count(spool)) < 0)
                return -ENOMEM;
        /* Nothing said when the server was not reached: the daemon keeps what it had. */
        if (bound && run.reached && add_session(t, binding, out) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 0;
}
