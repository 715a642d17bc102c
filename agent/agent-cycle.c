/* SPDX-License-Identifier: MIT */
/* One cycle, in the child process: the same steps as `vigie report`, then a small JSON
 * result for the daemon (what status.json shows; never evidence nor secrets). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "check-runner.h"
#include "cleanup.h"
#include "fs-util.h"
#include "json-util.h"
#include "log.h"
#include "policy.h"
#include "time-util.h"

static volatile sig_atomic_t stop_requested;

static void on_sigterm(int sig) {
        (void) sig;
        stop_requested = 1;
}

void agent_cycle_setup_child_signals(void) {
        struct sigaction sa = { .sa_handler = on_sigterm };
        sigset_t all;

        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) signal(SIGHUP, SIG_IGN);
        (void) signal(SIGUSR1, SIG_IGN);
        (void) signal(SIGCHLD, SIG_DFL);
        sigfillset(&all);
        (void) sigprocmask(SIG_UNBLOCK, &all, NULL);
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

static int cached_policy(const AgentConfig *config, Policy **ret) {
        _cleanup_free_ char *path = path_join(config->state_dir, "policy.json"), *err = NULL;

        if (path && access(path, F_OK) == 0 && policy_load_file(path, 0, ret, &err) >= 0)
                return 0;
        *ret = policy_new_default();
        return *ret ? 0 : -ENOMEM;
}

static int run_checks(const AgentConfig *config, const Policy *policy, json_object *out) {
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
                return log_error_errno(r, "Cannot run the checks: %m");
        for (size_t i = 0; i < n; i++) {
                json_object *c = public_check(results[i]);
                if (!c || json_object_array_add(checks, c) < 0) {
                        json_object_put(c);
                        check_results_free(results, n);
                        return -ENOMEM;
                }
        }
        r = json_add_bool(out, "compliant", check_results_compliant(results, n));
        check_results_free(results, n);
        return r;
}

int agent_cycle_run(const AgentConfig *config, CycleKind kind, bool deliver, json_object **ret) {
        _cleanup_json_ json_object *out = json_object_new_object();
        _cleanup_(policy_freep) Policy *policy = NULL;
        int r;

        (void) deliver;
        if (!out)
                return -ENOMEM;
        {
                _cleanup_free_ char *crt = path_join(config->state_dir, "device.crt");
                if (!crt || json_add_bool(out, "enrolled", access(crt, F_OK) == 0) < 0)
                        return -ENOMEM;
        }
        if (kind == CYCLE_FULL) {
                r = cached_policy(config, &policy);
                if (r < 0)
                        return r;
                r = run_checks(config, policy, out);
                if (r < 0)
                        return r;
                if (json_add_int(out, "checked_at", (int64_t) now_realtime()) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(out);
        return 0;
}
