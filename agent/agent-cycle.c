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
#include "check-runner.h"
#include "cleanup.h"
#include "enrollment.h"
#include "fs-util.h"
#include "identity.h"
#include "json-util.h"
#include "log.h"
#include "policy.h"
#include "reporter.h"
#include "spool.h"
#include "time-util.h"

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

static int run_checks(const AgentConfig *config, const Policy *policy, json_object *out,
                      CheckResult ***ret, size_t *ret_n) {
        _cleanup_free_ char *state_path = path_join(config->state_dir, "state.json");
        json_object *checks = json_object_new_array();
        CheckResult **results = NULL;
        size_t n = 0;
        int r;

        if (!state_path || !checks || json_add(out, "checks", checks) < 0)
                return -ENOMEM;
        CheckRunOptions o = {
                .root = config->root,
                .policy = policy,
                .config = config,
                .state_dir = config->state_dir,
                .state_path = state_path,
        };
        r = checks_run(&o, &results, &n);
        if (r < 0)
                return log_error_errno(r, "Cannot run the checks under \"%s\": %m", config->root);
        for (size_t i = 0; i < n; i++) {
                json_object *c = public_check(results[i]);
                if (!c || json_object_array_add(checks, c) < 0) {
                        json_object_put(c);
                        check_results_free(results, n);
                        return -ENOMEM;
                }
        }
        r = json_add_bool(out, "compliant", check_results_compliant(results, n));
        if (r < 0) {
                check_results_free(results, n);
                return r;
        }
        *ret = results;
        *ret_n = n;
        return 0;
}

/* Transport failures mean "unreachable"; an HTTP answer, even a refusal, means reachable. */
static bool reachable_after(int r) {
        return r >= 0 || r == -EACCES || r == -EAGAIN || r == -EBADMSG;
}

static int add_certificate(json_object *out, const Identity *id, usec_t *ret_nb, usec_t *ret_na) {
        json_object *cert = json_object_new_object();
        char buf[RFC3339_MAX];

        if (!cert || json_add(out, "certificate", cert) < 0)
                return -ENOMEM;
        if (cert_validity(id->cert, ret_nb, ret_na) < 0)
                return 0;
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

int agent_cycle_run(const AgentConfig *config, CycleKind kind, bool deliver, json_object **ret) {
        _cleanup_json_ json_object *out = json_object_new_object();
        _cleanup_(identity_freep) Identity *id = NULL;
        _cleanup_(transport_freep) Transport *t = NULL;
        _cleanup_(spool_freep) Spool *spool = NULL;
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_free_ char *err = NULL;
        CheckResult **results = NULL;
        FlushStats st = {};
        usec_t nb = 0, na = 0;
        bool updated = false;
        int r, reached = 1;

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
                        err = (free(err), NULL);
                }
        }

        if (kind == CYCLE_FULL) {
                if (t) {
                        r = reporter_fetch_policy(config, t, &updated, &err);
                        if (r < 0) {
                                log_info("Using the cached policy: %s", strnull(err));
                                reached = reachable_after(r);
                if (st.retry_after_s > 0 && json_add_int(out, "retry_after_s", (int64_t) st.retry_after_s) < 0)
                        return -ENOMEM;
                                if (!reached)
                                        (void) json_add_string(out, "delivery_error", strnull(err));
                        } else if (updated)
                                log_notice("New policy from the server.");
                        err = (free(err), NULL);
                }
                r = reporter_load_policy(config, &policy, &err);
                if (r < 0)
                        return log_error_errno(r, "The cached policy is unusable: %s", strnull(err));
                json_object *pj = json_object_new_object();
                if (!pj || json_add(out, "policy", pj) < 0 || json_add_string(pj, "id", policy->policy_id) < 0 ||
                    json_add_int(pj, "version", policy->version) < 0 || json_add_bool(pj, "updated", updated) < 0)
                        return -ENOMEM;
                size_t n = 0;
                r = run_checks(config, policy, out, &results, &n);
                if (r < 0)
                        return r;
                if (json_add_int(out, "checked_at", (int64_t) now_realtime()) < 0) {
                        check_results_free(results, n);
                        return -ENOMEM;
                }
                if (spool) {
                        int64_t seq;
                        r = reporter_build(config, id, spool, policy, results, n, &seq, &err);
                        check_results_free(results, n);
                        if (r < 0)
                                return log_error_errno(r, "Cannot sign and queue the report: %s", strnull(err));
                        if (json_add_int(out, "seq", seq) < 0)
                                return -ENOMEM;
                } else
                        check_results_free(results, n);
        }

        /* SIGTERM: the report is safely spooled; delivery can wait for the next start. */
        if (t && reached && !agent_cycle_stop_requested()) {
                r = reporter_flush(spool, t, &st, &err);
                if (json_add_bool(out, "delivery_attempted", true) < 0)
                        return -ENOMEM;
                reached = reachable_after(r);
                if (st.sent > 0 && json_add_int(out, "delivered_at", (int64_t) now_realtime()) < 0)
                        return -ENOMEM;
                if (r < 0 || st.rejected > 0) {
                        log_warning("Delivery: %zu sent, %zu refused, %zu waiting: %s", st.sent, st.rejected,
                                    st.waiting, strnull(err));
                        (void) json_add_string(out, "delivery_error", strnull(err));
                } else {
                        log_info("Delivered %zu report(s).", st.sent);
                        (void) json_add(out, "delivery_error", NULL);
                }
                if (r >= 0 && st.waiting == 0 && !agent_cycle_stop_requested())
                        maybe_renew(config, id, t, nb, na, out);
        } else if (t && !reached && json_add_bool(out, "delivery_attempted", true) < 0)
                return -ENOMEM;
        if (t && reached && kind == CYCLE_FULL && !agent_cycle_stop_requested())
                agent_posture_update(t, out);
        if (t && json_add_bool(out, "server_reachable", reached) < 0)
                return -ENOMEM;
        if (spool && json_add_int(out, "spool_depth", (int64_t) spool_count(spool)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 0;
}
