/* SPDX-License-Identifier: MIT */
/* /run/vigie/status.json: what the tray and `vigie status` show. Written atomically,
 * 0644, holding no secret (no evidence, no key, no token). Compliance changes also go to
 * the journal with fields, so `journalctl -u vigie-agent VIGIE_CHECK=backup` works. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"
#include "fs-util.h"
#include "json-util.h"
#include "log.h"
#include "time-util.h"

/* MESSAGE_ID= of a check changing status, and of the overall verdict changing. */
#define MESSAGE_CHECK_CHANGED "05d5407db3164f34bd0d513d6f8cd612"
#define MESSAGE_VERDICT_CHANGED "bbb0a6d0f5a34bd885f1743f07819cf6"
#define MESSAGE_REPORT_QUEUED "c535fe5f9bef4cefaf3dc53f5b03a53e"
#define MESSAGE_RENEWAL_FAILED "5af8da82508d4871b6e43df4f89c00fd"

#define STATUS_FILE_MAX (1024u * 1024)

static char *status_path(const Agent *a) {
        return path_join(a->config->runtime_dir, "status.json");
}

/* Keeps what the previous run of the daemon knew (RuntimeDirectoryPreserve=yes), so a
 * restart does not forget the last delivery. */
int agent_status_load_previous(Agent *a) {
        _cleanup_free_ char *path = status_path(a);
        json_object *j = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = json_parse_file(path, STATUS_FILE_MAX, &j, NULL);
        if (r < 0)
                return r;
        if (!json_object_is_type(j, json_type_object)) {
                json_object_put(j);
                return -EINVAL;
        }
        json_object_object_del(j, "agent");
        a->last = j;
        return 0;
}

static const char *check_status_of(json_object *checks, const char *id) {
        size_t n = json_object_is_type(checks, json_type_array) ? json_object_array_length(checks) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(checks, i), *v;
                if (json_object_object_get_ex(c, "id", &v) && streq_ptr(json_object_get_string(v), id) &&
                    json_object_object_get_ex(c, "status", &v))
                        return json_object_get_string(v);
        }
        return NULL;
}

static void log_changes(json_object *old_checks, json_object *new_checks, int old_compliant,
                        bool compliant) {
        size_t n = json_object_is_type(new_checks, json_type_array) ? json_object_array_length(new_checks) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(new_checks, i), *v;
                const char *id = NULL, *status = NULL, *summary = "", *before;
                char f_check[96], f_status[64];

                if (json_object_object_get_ex(c, "id", &v))
                        id = json_object_get_string(v);
                if (json_object_object_get_ex(c, "status", &v))
                        status = json_object_get_string(v);
                if (json_object_object_get_ex(c, "summary", &v) && json_object_get_string(v))
                        summary = json_object_get_string(v);
                if (!id || !status)
                        continue;
                before = check_status_of(old_checks, id);
                snprintf(f_check, sizeof(f_check), "VIGIE_CHECK=%s", id);
                snprintf(f_status, sizeof(f_status), "VIGIE_STATUS=%s", status);
                const char *fields[] = { f_check, f_status, "MESSAGE_ID=" MESSAGE_CHECK_CHANGED, NULL };
                if (!before)
                        log_fields(LOG_INFO, fields, "Check %s: %s — %s", id, status, summary);
                else if (!streq(before, status))
                        log_fields(streq(status, "pass") ? LOG_NOTICE : LOG_WARNING, fields,
                                   "Check %s changed from %s to %s — %s", id, before, status, summary);
        }
        if (old_compliant != (int) compliant) {
                const char *fields[] = { compliant ? "VIGIE_STATUS=compliant" : "VIGIE_STATUS=noncompliant",
                                         "MESSAGE_ID=" MESSAGE_VERDICT_CHANGED, NULL };
                log_fields(compliant ? LOG_NOTICE : LOG_WARNING, fields, "This laptop is now %s.",
                           compliant ? "compliant" : "NOT compliant");
        }
}

static void log_report(json_object *result) {
        json_object *v;
        char f_seq[48];

        if (!json_object_object_get_ex(result, "seq", &v) || !json_object_is_type(v, json_type_int))
                return;
        snprintf(f_seq, sizeof(f_seq), "VIGIE_SEQ=%" PRId64, json_object_get_int64(v));
        const char *fields[] = { f_seq, "MESSAGE_ID=" MESSAGE_REPORT_QUEUED, NULL };
        log_fields(LOG_INFO, fields, "Report %" PRId64 " signed and queued.", json_object_get_int64(v));
}

/* One failed renewal is logged; two in a row raise renewal_failing in status.json (a
 * third of the lifetime is weeks: time enough for IT to look). */
#define RENEWAL_FAILING_AFTER 2

static void track_renewal(Agent *a, json_object *result) {
        json_object *cert, *v;

        if (!json_object_object_get_ex(result, "certificate", &cert))
                return;
        if (json_object_object_get_ex(cert, "renew_error", &v) && json_object_get_string(v)) {
                const char *fields[] = { "MESSAGE_ID=" MESSAGE_RENEWAL_FAILED, NULL };
                a->renew_failures++;
                log_fields(LOG_WARNING, fields, "Certificate renewal failed (%u time(s) in a row): %s",
                           a->renew_failures, json_object_get_string(v));
        } else if (json_object_object_get_ex(cert, "renewed", &v) || !json_object_object_get_ex(cert, "renewal_due", &v))
                a->renew_failures = 0;
        (void) json_add_int(cert, "renewal_failures", a->renew_failures);
        (void) json_add_bool(cert, "renewal_failing", a->renew_failures >= RENEWAL_FAILING_AFTER);
}

void agent_status_absorb(Agent *a, CycleKind kind, json_object *result) {
        json_object *v, *old_checks = NULL;
        int old_compliant = -1;

        if (!a->last && !(a->last = json_object_new_object()))
                return;
        if (!result) {
                (void) json_add_string(a->last, "last_error",
                                       kind == CYCLE_FULL ? "the last cycle failed, see the journal"
                                                          : "the last delivery attempt failed, see the journal");
                return;
        }
        json_object_object_del(a->last, "last_error");
        track_renewal(a, result);
        if (json_object_object_get_ex(a->last, "checks", &v))
                old_checks = json_object_get(v);
        if (json_object_object_get_ex(a->last, "compliant", &v))
                old_compliant = json_object_get_boolean(v);

        json_object_object_foreach(result, key, val) {
                if (streq(key, "checked_at")) {
                        char buf[RFC3339_MAX];
                        (void) json_add_string(a->last, "last_check",
                                               format_rfc3339((usec_t) json_object_get_int64(val), buf));
                } else if (streq(key, "delivered_at")) {
                        char buf[RFC3339_MAX];
                        (void) json_add_string(a->last, "last_delivery",
                                               format_rfc3339((usec_t) json_object_get_int64(val), buf));
                } else if (!streq(key, "delivery_attempted") && !streq(key, "retry_after_s"))
                        (void) json_add(a->last, key, json_object_get(val));
        }
        if (json_object_object_get_ex(result, "checks", &v)) {
                json_object *c;
                bool compliant = json_object_object_get_ex(result, "compliant", &c) && json_object_get_boolean(c);
                log_changes(old_checks, v, old_compliant, compliant);
        }
        json_object_put(old_checks);
        log_report(result);
}

int agent_status_write(Agent *a) {
        static const char *const states[] = {
                [AGENT_STARTING] = "starting", [AGENT_IDLE] = "idle",     [AGENT_CYCLE] = "checking",
                [AGENT_FLUSH] = "delivering",  [AGENT_STOPPING] = "stopped",
        };
        _cleanup_json_ json_object *doc = NULL;
        _cleanup_free_ char *path = status_path(a);
        json_object *agent = json_object_new_object(), *v = NULL;
        char buf[RFC3339_MAX];
        const char *text;
        int r;

        if (!path || !agent)
                return json_object_put(agent), -ENOMEM;
        doc = a->last ? json_object_get(a->last) : json_object_new_object();
        /* A fresh object: a->last must not grow the "agent" key. */
        if (!doc || json_object_deep_copy(doc, &v, NULL) < 0)
                return json_object_put(agent), -ENOMEM;
        json_object_put(doc);
        doc = v;
        (void) json_add_int(agent, "pid", a->state == AGENT_STOPPING ? 0 : getpid());
        (void) json_add_string(agent, "version", VERSION);
        (void) json_add_string(agent, "state", states[a->state]);
        (void) json_add_string(agent, "started", format_rfc3339(a->started_realtime, buf));
        (void) json_add_int(agent, "report_interval_s", (int64_t) (agent_interval(a) / USEC_PER_SEC));
        (void) json_add(agent, "next_check", a->next_cycle_realtime
                                                     ? json_object_new_string(format_rfc3339(a->next_cycle_realtime, buf))
                                                     : NULL);
        (void) json_add(agent, "next_retry", a->next_retry_realtime
                                                     ? json_object_new_string(format_rfc3339(a->next_retry_realtime, buf))
                                                     : NULL);
        (void) json_add_int(agent, "delivery_failures", a->delivery_failures);
        (void) json_add_int(agent, "cycles", (int64_t) a->n_cycles);
        (void) json_add_int(agent, "deliveries", (int64_t) a->n_flushes);
        (void) json_add(doc, "agent", agent);
        /* Whom employees contact: the tray's "Contact IT" button. */
        if (a->config->support_url || a->config->support_email) {
                json_object *support = json_object_new_object();
                if (support && a->config->support_url)
                        (void) json_add_string(support, "url", a->config->support_url);
                if (support && a->config->support_email)
                        (void) json_add_string(support, "email", a->config->support_email);
                (void) json_add(doc, "support", support);
        }
        (void) json_add_int(doc, "status_version", 1);
        text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        /* Replaced whole, but not made durable: it lives in RuntimeDirectory (/run, a
         * tmpfs that a reboot empties), is written twice a cycle, and readers only show
         * it; two fsyncs each time cost the daemon more than the rest of its cycle. */
        r = write_cache_file(path, text, strlen(text), 0644);
        if (r < 0)
                return log_warning_errno(r, "Cannot write \"%s\": %m", path);
        return 0;
}
