/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check-runner.h"
#include "checks/checks.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "log.h"
#include "parse-util.h"
#include "state-file.h"
#include "time-util.h"

int checks_run(const CheckRunOptions *o, CheckResult ***ret, size_t *ret_n) {
        _cleanup_(state_file_freep) StateFile *state = NULL;
        _cleanup_close_ int root_fd = -1;
        CheckResult **results;
        size_t n = 0;
        const char *root = o->root ? o->root : "/";
        int r;

        for (size_t i = 0; o->only && o->only[i]; i++)
                if (!check_find(o->only[i])) {
                        _cleanup_free_ char *known = policy_check_ids_joined();
                        return log_error_errno(ENOENT, "Unknown check \"%s\". Known checks: %s.", o->only[i],
                                               known ? known : "?");
                }
        r = root_open(root, &root_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot open root directory \"%s\": %m", root);
        r = state_file_open(o->state_path, &state);
        if (r < 0) {
                log_warning_errno(r, "Cannot open state file \"%s\" (%m); grace periods start afresh.",
                                  o->state_path);
                r = state_file_open(NULL, &state);
                if (r < 0)
                        return log_oom();
        }

        results = calloc(check_registry_size, sizeof(CheckResult *));
        if (!results)
                return log_oom();
        for (size_t i = 0; i < check_registry_size; i++) {
                const Check *c = check_registry[i];
                CheckContext ctx = {
                        .root = root,
                        .root_fd = root_fd,
                        .policy = policy_check_section(o->policy, check_id(c)),
                        .sections = o->config ? o->config->sections : NULL,
                        .n_sections = o->config ? o->config->n_sections : 0,
                        .state_dir = o->state_dir,
                        .state = state_file_section(state, check_id(c)),
                        .now = now_realtime(),
                };
                CheckResult *res;
                usec_t start;

                if (o->only && !strv_contains(o->only, check_id(c)))
                        continue;
                res = check_result_new(check_id(c), _(c->title));
                if (!res || !ctx.state) {
                        check_result_free(res);
                        check_results_free(results, n);
                        return log_oom();
                }
                res->required = policy_check_required(o->policy, check_id(c));
                start = now_monotonic();
                r = c->run(&ctx, res);
                res->duration_us = now_monotonic() - start;
                if (r < 0) {
                        log_debug_errno(r, "Check %s failed: %m", check_id(c));
                        errno = -r;
                        check_result_set(res, CHECK_ERROR, _("The check could not run: %m."));
                }
                results[n++] = res;
        }
        r = state_file_save(state);
        if (r < 0)
                log_warning_errno(r, "Cannot save state file \"%s\": %m", o->state_path);
        *ret = results;
        *ret_n = n;
        return 0;
}
