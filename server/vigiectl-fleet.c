/* SPDX-License-Identifier: MIT */
/* vigiectl summary, devices, device, reports, export, history: fetch, then print as a table, JSON
 * or CSV. The server does the filtering; we only build the query string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "i18n.h"
#include "json-util.h"
#include "parse-util.h"
#include "text-util.h"
#include "vigiectl.h"

int ctl_common_option(Ctl *ctl, int c, const char *arg) {
        switch (c) {
        case ARG_CONFIG:
                ctl->config_path = arg;
                return 1;
        case ARG_SERVER:
                ctl->server = arg;
                return 1;
        case ARG_CA:
                ctl->ca = arg;
                return 1;
        case ARG_CERT:
                ctl->cert = arg;
                return 1;
        case ARG_KEY:
                ctl->key = arg;
                return 1;
        case ARG_JSON:
                ctl->mode = OUTPUT_JSON;
                return 1;
        case ARG_CSV:
                ctl->mode = OUTPUT_CSV;
                return 1;
        }
        return 0;
}

int ctl_connect(Ctl *ctl) {
        if (ctl->config)
                return 0;
        return ctl_config_load(ctl->config_path, ctl->server, ctl->ca, ctl->cert, ctl->key,
                               &ctl->config);
}

int ctl_usage_error(const char *verb) {
        fprintf(stderr, _("Try 'vigiectl %s%s--help' for more information.\n"), strempty(verb),
                verb ? " " : "");
        return VIGIECTL_EXIT_USAGE;
}

const char *ctl_json_str(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return NULL;
        return json_object_get_string(v);
}

/* Parses the common options and those of the verb; *ret_optind is the first operand.
 * Returns 0, or an exit code (help printed → -1 meaning "exit 0"). */
static int parse_options(Ctl *ctl, int argc, char *argv[], const char *verb, const char *usage,
                         const struct option *own, int (*own_handler)(int c, const char *arg,
                                                                      void *userdata),
                         void *userdata, int nargs, int *ret_optind) {
        struct option options[32] = { CTL_COMMON_OPTIONS };
        size_t n = 8;
        int c;

        for (; own && own->name && n + 1 < ELEMENTSOF(options); own++)
                options[n++] = *own;
        while ((c = getopt_long(argc, argv, "hq:", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf("%s\n%s", _(usage), CTL_COMMON_HELP);
                        return -1;
                }
                if (ctl_common_option(ctl, c, optarg))
                        continue;
                if (c != '?' && own_handler) {
                        int r = own_handler(c, optarg, userdata);
                        if (r == 0)
                                continue;
                        if (r > 0)
                                return r;
                }
                return ctl_usage_error(verb);
        }
        if (argc - optind != nargs) {
                fprintf(stderr, nargs ? _("vigiectl %s: expected a device id.\n")
                                      : _("vigiectl %s: unexpected argument \"%s\".\n"),
                        verb, nargs ? "" : argv[optind]);
                return ctl_usage_error(verb);
        }
        *ret_optind = optind;
        return ctl_connect(ctl);
}

static int64_t json_count(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

int verb_summary(Ctl *ctl, int argc, char *argv[]) {
        static const char *const labels[][2] = {
                { "enrolled", N_("enrolled") },      { "reporting", N_("reporting") },
                { "compliant", N_("compliant") },    { "noncompliant", N_("non-compliant") },
                { "stale", N_("stale") },            { "pending", N_("never reported") },
                { "revoked", N_("revoked") },        { "flagged", N_("flagged") },
                { "policy_outdated", N_("older policy") },
        };
        _cleanup_json_ json_object *j = NULL;
        _cleanup_(table_freep) Table *t = NULL, *checks_table = NULL;
        json_object *devices, *checks;
        int r, ind;

        r = parse_options(ctl, argc, argv, "summary",
                          N_("Usage: vigiectl summary [OPTIONS]\n\nFleet totals and per-check "
                             "counts.\n"), NULL, NULL, NULL, 0, &ind);
        if (r != 0)
                return r < 0 ? 0 : r;
        r = ctl_get_json(ctl->config, "/v1/fleet/summary", &j);
        if (r != 0)
                return r;
        if (ctl->mode == OUTPUT_JSON) {
                json_print(j, stdout);
                return 0;
        }
        if (!json_object_object_get_ex(j, "devices", &devices) ||
            !json_object_object_get_ex(j, "checks", &checks)) {
                fprintf(stderr, _("vigiectl: the server's summary lacks \"devices\" or \"checks\"\n"));
                return VIGIECTL_EXIT_SERVER;
        }
        t = table_new((const char *const[]) { "DEVICES", "COUNT", NULL });
        checks_table = table_new((const char *const[]) { "CHECK", "PASS", "WARN", "FAIL",
                                                         "UNKNOWN", "ERROR", NULL });
        if (!t || !checks_table)
                return VIGIECTL_EXIT_INTERNAL;
        for (size_t i = 0; i < ELEMENTSOF(labels); i++) {
                char n[32];
                /* policy_outdated sits beside "devices" (the history keeps only those) */
                snprintf(n, sizeof n, "%" PRId64,
                         json_count(streq(labels[i][0], "policy_outdated") ? j : devices, labels[i][0]));
                if (table_add_row(t, (const char *const[]) {
                                ctl->mode == OUTPUT_CSV ? labels[i][0] : _(labels[i][1]), n }) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
        }
        json_object_object_foreach(checks, id, counts) {
                char n[5][32];
                const char *names[] = { "pass", "warn", "fail", "unknown", "error" };
                for (size_t i = 0; i < 5; i++)
                        snprintf(n[i], sizeof n[i], "%" PRId64, json_count(counts, names[i]));
                if (table_add_row(checks_table, (const char *const[]) { id, n[0], n[1], n[2],
                                                                       n[3], n[4] }) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
        }
        if (ctl->mode == OUTPUT_CSV)
                return table_print(t, OUTPUT_CSV, stdout) < 0 ? VIGIECTL_EXIT_INTERNAL : 0;
        table_print(t, OUTPUT_TABLE, stdout);
        fputc('\n', stdout);
        table_print(checks_table, OUTPUT_TABLE, stdout);
        return 0;
}

typedef struct DevicesArgs {
        const char *status, *check, *check_status, *os, *q, *since, *sort, *limit, *cursor, *key;
        bool all, policy_outdated;
} DevicesArgs;

enum {
        ARG_STATUS = _ARG_VERB_FIRST,
        ARG_CHECK,
        ARG_CHECK_STATUS,
        ARG_OS,
        ARG_SINCE,
        ARG_SORT,
        ARG_LIMIT,
        ARG_CURSOR,
        ARG_ALL,
        ARG_FROM,
        ARG_TO,
        ARG_FORMAT,
        ARG_STEP,
        ARG_KEY_KIND,
        ARG_POLICY_OUTDATED,
};

static int devices_option(int c, const char *arg, void *userdata) {
        DevicesArgs *a = userdata;
        switch (c) {
        case ARG_STATUS: a->status = arg; break;
        case ARG_CHECK: a->check = arg; break;
        case ARG_CHECK_STATUS: a->check_status = arg; break;
        case ARG_OS: a->os = arg; break;
        case 'q': a->q = arg; break;
        case ARG_SINCE: a->since = arg; break;
        case ARG_SORT: a->sort = arg; break;
        case ARG_LIMIT: a->limit = arg; break;
        case ARG_CURSOR: a->cursor = arg; break;
        case ARG_ALL: a->all = true; break;
        case ARG_KEY_KIND: a->key = arg; break;
        case ARG_POLICY_OUTDATED: a->policy_outdated = true; break;
        default: return -EINVAL;
        }
        return 0;
}

/* Appends "&key=escaped(value)" when value is set. */
static int query_add(char **query, const char *key, const char *value) {
        _cleanup_free_ char *e = NULL;
        char *n;

        if (!value)
                return 0;
        e = ctl_url_escape(value);
        if (!e || asprintf(&n, "%s%s%s=%s", strempty(*query), *query ? "&" : "", key, e) < 0)
                return -ENOMEM;
        free(*query);
        *query = n;
        return 0;
}

static char *strv_json_join(json_object *a) {
        _cleanup_strv_free_ char **l = NULL;
        for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
                           i < json_object_array_length(a); i++)
                if (strv_extend(&l, json_object_get_string(json_object_array_get_idx(a, i))) < 0)
                        return NULL;
        return l ? strv_join(l, " ") : strdup("");
}

/* "default v2", or "default v1 (not current)" when the device's latest report named a
 * policy other than the current one; NULL when the server does not know (no report). */
static char *policy_label(json_object *d) {
        json_object *p = json_object_object_get(d, "policy"), *cur = json_object_object_get(d, "policy_current");
        char *s;

        if (!p || !json_object_is_type(p, json_type_object))
                return strdup("");
        if (asprintf(&s, "%s v%s%s", strempty(ctl_json_str(p, "id")), strempty(ctl_json_str(p, "version")),
                     cur && !json_object_get_boolean(cur) ? _(" (not current)") : "") < 0)
                return NULL;
        return s;
}

static int device_row(Table *t, json_object *d) {
        _cleanup_free_ char *failing = NULL, *os = NULL, *policy = policy_label(d);
        json_object *o;
        const char *id = NULL, *ver = NULL;

        if (json_object_object_get_ex(d, "os", &o) && o) {
                id = ctl_json_str(o, "id");
                ver = ctl_json_str(o, "version_id");
        }
        if (asprintf(&os, "%s%s%s", strempty(id), ver ? " " : "", strempty(ver)) < 0)
                return -ENOMEM;
        json_object_object_get_ex(d, "failing_checks", &o);
        failing = strv_json_join(o);
        if (!failing || !policy)
                return -ENOMEM;
        return table_add_row(t, (const char *const[]) {
                ctl_json_str(d, "device_id"), ctl_json_str(d, "hostname"), *os ? os : NULL,
                ctl_json_str(d, "last_report"), ctl_json_str(d, "verdict"),
                *failing ? failing : NULL, ctl_json_str(d, "noncompliant_since"), *policy ? policy : NULL,
                ctl_json_str(d, "key_kind") });
}

int verb_devices(Ctl *ctl, int argc, char *argv[]) {
        static const struct option own[] = {
                { "status", required_argument, NULL, ARG_STATUS },
                { "check", required_argument, NULL, ARG_CHECK },
                { "check-status", required_argument, NULL, ARG_CHECK_STATUS },
                { "os", required_argument, NULL, ARG_OS },
                { "query", required_argument, NULL, 'q' },
                { "since", required_argument, NULL, ARG_SINCE },
                { "sort", required_argument, NULL, ARG_SORT },
                { "limit", required_argument, NULL, ARG_LIMIT },
                { "cursor", required_argument, NULL, ARG_CURSOR },
                { "all", no_argument, NULL, ARG_ALL },
                /* --key is the client key file (CTL_COMMON_OPTIONS) */
                { "key-kind", required_argument, NULL, ARG_KEY_KIND },
                { "policy-outdated", no_argument, NULL, ARG_POLICY_OUTDATED },
                {}
        };
        DevicesArgs a = {};
        _cleanup_free_ char *query = NULL, *next = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_json_ json_object *all = NULL;
        int r, ind;

        r = parse_options(ctl, argc, argv, "devices",
                          N_("Usage: vigiectl devices [OPTIONS]\n\nLists devices.\n"
                             "      --status S        compliant, noncompliant, stale, flagged, revoked\n"
                             "      --check ID        with --check-status: devices whose check ID is…\n"
                             "      --check-status S  pass, warn, fail, unknown, error\n"
                             "      --os ID[:VER]     os-release ID, optionally VERSION_ID (debian:12)\n"
                             "  -q, --query TEXT      hostname contains TEXT\n"
                             "      --since T         reported since T (RFC 3339, or 24h, 7d ago)\n"
                             "      --key-kind K      how the device key is held: tpm, tpm_unverified,\n"
                             "                        file, provider, unknown\n"
                             "      --policy-outdated latest report named an older policy\n"
                             "      --sort KEY        device, hostname, last_report, noncompliant_since;\n"
                             "                        '-KEY' for descending\n"
                             "      --limit N         rows per page (1-1000, default 100)\n"
                             "      --cursor C        continue after the page that printed C\n"
                             "      --all             fetch every page\n"),
                          own, devices_option, &a, 0, &ind);
        if (r != 0)
                return r < 0 ? 0 : r;
        if (query_add(&query, "status", a.status) < 0 || query_add(&query, "check", a.check) < 0 ||
            query_add(&query, "check_status", a.check_status) < 0 ||
            query_add(&query, "os", a.os) < 0 || query_add(&query, "q", a.q) < 0 ||
            query_add(&query, "since", a.since) < 0 || query_add(&query, "sort", a.sort) < 0 ||
            query_add(&query, "limit", a.limit) < 0 || query_add(&query, "key", a.key) < 0 ||
            query_add(&query, "policy", a.policy_outdated ? "outdated" : NULL) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        t = table_new((const char *const[]) { "DEVICE", "HOSTNAME", "OS", "LAST REPORT",
                                              "VERDICT", "FAILING", "NON-COMPLIANT SINCE", "POLICY", "KEY", NULL });
        all = json_object_new_array();
        if (!t || !all)
                return VIGIECTL_EXIT_INTERNAL;
        next = a.cursor ? strdup(a.cursor) : NULL;
        do {
                _cleanup_json_ json_object *j = NULL;
                _cleanup_free_ char *path = NULL, *q = query ? strdup(query) : NULL;
                json_object *devs, *nc;

                if ((query && !q) || query_add(&q, "cursor", next) < 0 ||
                    asprintf(&path, "/v1/fleet/devices%s%s", q ? "?" : "", strempty(q)) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
                r = ctl_get_json(ctl->config, path, &j);
                if (r != 0)
                        return r;
                if (!json_object_object_get_ex(j, "devices", &devs) ||
                    !json_object_is_type(devs, json_type_array)) {
                        fprintf(stderr, _("vigiectl: the server's answer lacks \"devices\"\n"));
                        return VIGIECTL_EXIT_SERVER;
                }
                for (size_t i = 0; i < json_object_array_length(devs); i++) {
                        json_object *d = json_object_array_get_idx(devs, i);
                        if (device_row(t, d) < 0 ||
                            json_object_array_add(all, json_object_get(d)) < 0)
                                return VIGIECTL_EXIT_INTERNAL;
                }
                free(next);
                next = json_object_object_get_ex(j, "next_cursor", &nc) && nc
                               ? strdup(json_object_get_string(nc)) : NULL;
        } while (a.all && next);

        if (ctl->mode == OUTPUT_JSON) {
                _cleanup_json_ json_object *out = json_object_new_object();
                if (!out || json_add(out, "devices", json_object_get(all)) < 0 ||
                    json_add_string(out, "next_cursor", next) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
                json_print(out, stdout);
                return 0;
        }
        table_print(t, ctl->mode, stdout);
        if (next && ctl->mode == OUTPUT_TABLE)
                fprintf(stderr, _("More devices: add --cursor %s (or --all).\n"), next);
        return 0;
}

static int device_path(const char *id, const char *suffix, char **ret) {
        _cleanup_free_ char *e = ctl_url_escape(id);
        if (!e || asprintf(ret, "/v1/fleet/devices/%s%s", e, suffix) < 0)
                return -ENOMEM;
        return 0;
}

int verb_device(Ctl *ctl, int argc, char *argv[]) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *path = NULL, *hostname = NULL, *policy = NULL;
        _cleanup_(table_freep) Table *checks_table = NULL, *hist = NULL;
        json_object *ident = NULL, *latest = NULL, *claims = NULL, *checks = NULL, *history = NULL;
        int r, ind;

        r = parse_options(ctl, argc, argv, "device",
                          N_("Usage: vigiectl device [OPTIONS] ID\n\nOne device: identity, the "
                             "latest report's checks with evidence (--json), history.\n"),
                          NULL, NULL, NULL, 1, &ind);
        if (r != 0)
                return r < 0 ? 0 : r;
        if (device_path(argv[ind], "", &path) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        r = ctl_get_json(ctl->config, path, &j);
        if (r != 0)
                return r;
        if (ctl->mode == OUTPUT_JSON) {
                json_print(j, stdout);
                return 0;
        }
        json_object_object_get_ex(j, "identity", &ident);
        json_object_object_get_ex(j, "latest", &latest);
        if (latest)
                json_object_object_get_ex(latest, "claims", &claims);
        if (claims)
                json_object_object_get_ex(claims, "checks", &checks);
        json_object_object_get_ex(j, "history", &history);

        checks_table = table_new((const char *const[]) { "CHECK", "STATUS", "SUMMARY", NULL });
        hist = table_new((const char *const[]) { "WHEN", "CHECK", "STATUS", "SEQ", NULL });
        if (!checks_table || !hist)
                return VIGIECTL_EXIT_INTERNAL;
        for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
                json_object *c = json_object_array_get_idx(checks, i);
                if (table_add_row(checks_table, (const char *const[]) {
                                ctl_json_str(c, "id"), ctl_json_str(c, "status"),
                                ctl_json_str(c, "summary") }) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
        }
        for (size_t i = 0; history && i < json_object_array_length(history); i++) {
                json_object *h = json_object_array_get_idx(history, i);
                if (table_add_row(hist, (const char *const[]) {
                                ctl_json_str(h, "since"), ctl_json_str(h, "check"),
                                ctl_json_str(h, "status"), ctl_json_str(h, "seq") }) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
        }
        if (ctl->mode == OUTPUT_CSV)
                return table_print(checks_table, OUTPUT_CSV, stdout) < 0 ? VIGIECTL_EXIT_INTERNAL : 0;

        hostname = text_escape(strempty(ctl_json_str(j, "hostname")));
        if (!hostname)
                return VIGIECTL_EXIT_INTERNAL;
        printf(_("Device:        %s\nHostname:      %s\nVerdict:       %s%s\n"),
               strempty(ctl_json_str(j, "device_id")), hostname,
               strempty(ctl_json_str(j, "verdict")),
               json_object_get_boolean(json_object_object_get(j, "flagged")) ? _(" (flagged)") : "");
        printf(_("Last report:   %s\nNon-compliant since: %s\n"),
               ctl_json_str(j, "last_report") ?: "-", ctl_json_str(j, "noncompliant_since") ?: "-");
        policy = policy_label(j);
        if (!policy)
                return VIGIECTL_EXIT_INTERNAL;
        printf(_("Policy:        %s\n"), *policy ? policy : "-");
        if (json_object_object_get(j, "policy_current") && !json_object_get_boolean(json_object_object_get(j, "policy_current")))
                printf(_("               its last report predates the current policy: the verdict above "
                         "judges\n               those checks by the current policy until it reports again\n"));
        if (ident)
                printf(_("Certificate:   serial %s, valid %s to %s\nFingerprint:   sha256:%s\n"
                         "Enrolled:      %s (key: %s)\n"),
                       strempty(ctl_json_str(ident, "serial")),
                       strempty(ctl_json_str(ident, "not_before")),
                       strempty(ctl_json_str(ident, "not_after")),
                       strempty(ctl_json_str(ident, "fingerprint")),
                       strempty(ctl_json_str(ident, "enrolled_at")),
                       strempty(ctl_json_str(ident, "key_kind")));
        printf("\n");
        table_print(checks_table, OUTPUT_TABLE, stdout);
        printf("\n");
        table_print(hist, OUTPUT_TABLE, stdout);
        return 0;
}

typedef struct RangeArgs {
        const char *from, *to, *format, *step, *page_size, *key; /* key: export only */
        bool policy_outdated;                                    /* export only */
} RangeArgs;

static int range_option(int c, const char *arg, void *userdata) {
        RangeArgs *a = userdata;
        switch (c) {
        case ARG_FROM: a->from = arg; break;
        case ARG_TO: a->to = arg; break;
        case ARG_FORMAT: a->format = arg; break;
        case ARG_STEP: a->step = arg; break;
        case ARG_LIMIT: a->page_size = arg; break;
        case ARG_KEY_KIND: a->key = arg; break;
        case ARG_POLICY_OUTDATED: a->policy_outdated = true; break;
        default: return -EINVAL;
        }
        return 0;
}

int verb_reports(Ctl *ctl, int argc, char *argv[]) {
        static const struct option own[] = {
                { "from", required_argument, NULL, ARG_FROM },
                { "to", required_argument, NULL, ARG_TO },
                { "page-size", required_argument, NULL, ARG_LIMIT },
                {}
        };
        RangeArgs a = {};
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *path = NULL, *query = NULL, *full = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        json_object *reports;
        int r, ind;

        r = parse_options(ctl, argc, argv, "reports",
                          N_("Usage: vigiectl reports [OPTIONS] ID\n\nA device's stored signed "
                             "reports (the raw JWS with --json or --csv), every page of them.\n"
                             "      --from T         reports issued at or after T (RFC 3339)\n"
                             "      --to T           reports issued before T\n"
                             "      --page-size N    reports per request (server default 100, "
                             "at most 500)\n"),
                          own, range_option, &a, 1, &ind);
        if (r != 0)
                return r < 0 ? 0 : r;
        if (query_add(&query, "from", a.from) < 0 || query_add(&query, "to", a.to) < 0 ||
            query_add(&query, "limit", a.page_size) < 0 || device_path(argv[ind], "/reports", &path) < 0 ||
            asprintf(&full, "%s%s%s", path, query ? "?" : "", strempty(query)) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        r = ctl_get_json_pages(ctl->config, full, "reports", &j);
        if (r != 0)
                return r;
        if (ctl->mode == OUTPUT_JSON) {
                json_print(j, stdout);
                return 0;
        }
        t = ctl->mode == OUTPUT_CSV
                    ? table_new((const char *const[]) { "seq", "issued_at", "received_at", "jws", NULL })
                    : table_new((const char *const[]) { "SEQ", "ISSUED", "RECEIVED", "BYTES", NULL });
        if (!t)
                return VIGIECTL_EXIT_INTERNAL;
        json_object_object_get_ex(j, "reports", &reports);
        for (size_t i = 0; reports && i < json_object_array_length(reports); i++) {
                json_object *rep = json_object_array_get_idx(reports, i);
                const char *jws = strempty(ctl_json_str(rep, "jws"));
                char size[32];
                snprintf(size, sizeof size, "%zu", strlen(jws));
                if (table_add_row(t, (const char *const[]) {
                                ctl_json_str(rep, "seq"), ctl_json_str(rep, "issued_at"),
                                ctl_json_str(rep, "received_at"),
                                ctl->mode == OUTPUT_CSV ? jws : size }) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
        }
        table_print(t, ctl->mode, stdout);
        return 0;
}

int verb_export(Ctl *ctl, int argc, char *argv[]) {
        static const struct option own[] = {
                { "format", required_argument, NULL, ARG_FORMAT },
                { "key-kind", required_argument, NULL, ARG_KEY_KIND },
                { "policy-outdated", no_argument, NULL, ARG_POLICY_OUTDATED },
                {}
        };
        RangeArgs a = {};
        _cleanup_free_ char *path = NULL, *query = NULL;
        int r, ind;

        r = parse_options(ctl, argc, argv, "export",
                          N_("Usage: vigiectl export [OPTIONS]\n\nThe latest state of every device (the server "
                             "streams it).\n      --format F   csv (default) or jsonl; --json means jsonl\n"
                             "      --key-kind K      only devices whose key is held that way (tpm, file…)\n"
                             "      --policy-outdated only devices whose latest report named an older policy\n"),
                          own, range_option, &a, 0, &ind);
        if (r != 0)
                return r < 0 ? 0 : r;
        if (!a.format)
                a.format = ctl->mode == OUTPUT_JSON ? "jsonl" : "csv";
        if (!streq(a.format, "csv") && !streq(a.format, "jsonl")) {
                fprintf(stderr, _("vigiectl export: --format \"%s\": expected csv or jsonl\n"), a.format);
                return VIGIECTL_EXIT_USAGE;
        }
        if (query_add(&query, "format", a.format) < 0 || query_add(&query, "key", a.key) < 0 ||
            query_add(&query, "policy", a.policy_outdated ? "outdated" : NULL) < 0 ||
            asprintf(&path, "/v1/fleet/export?%s", query) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        r = ctl_get(ctl->config, path, stdout, NULL, NULL);
        if (r == 0 && fflush(stdout) != 0) {
                fprintf(stderr, _("vigiectl export: cannot write the output: %m\n"));
                return VIGIECTL_EXIT_INTERNAL;
        }
        return r;
}

/* "patch_level=2 backup=1": the checks failing on some devices at that point. */
static char *failing_counts(json_object *checks) {
        _cleanup_strv_free_ char **l = NULL;

        json_object_object_foreach(checks, id, counts) {
                _cleanup_free_ char *e = NULL;
                int64_t n = json_count(counts, "fail") + json_count(counts, "error") +
                            json_count(counts, "unknown");
                if (n == 0)
                        continue;
                if (asprintf(&e, "%s=%" PRId64, id, n) < 0 || strv_extend(&l, e) < 0)
                        return NULL;
        }
        return l ? strv_join(l, " ") : strdup("");
}

int verb_history(Ctl *ctl, int argc, char *argv[]) {
        static const struct option own[] = {
                { "from", required_argument, NULL, ARG_FROM },
                { "to", required_argument, NULL, ARG_TO },
                { "step", required_argument, NULL, ARG_STEP },
                {}
        };
        static const char *const counts[] = { "enrolled", "compliant", "noncompliant", "stale",
                                              "pending", "revoked", "flagged" };
        RangeArgs a = {};
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *query = NULL, *path = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        json_object *points;
        int r, ind;

        r = parse_options(ctl, argc, argv, "history",
                          N_("Usage: vigiectl history [OPTIONS]\n\nThe fleet's counts over time, "
                             "one row per recorded snapshot.\n"
                             "      --step S   hour (the last 48 hours) or day (default)\n"
                             "      --from T   from T (RFC 3339, or 7d meaning 7 days ago)\n"
                             "      --to T     until T (default now)\n"),
                          own, range_option, &a, 0, &ind);
        if (r != 0)
                return r < 0 ? 0 : r;
        if (query_add(&query, "step", a.step) < 0 || query_add(&query, "from", a.from) < 0 ||
            query_add(&query, "to", a.to) < 0 ||
            asprintf(&path, "/v1/fleet/history%s%s", query ? "?" : "", strempty(query)) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        r = ctl_get_json(ctl->config, path, &j);
        if (r != 0)
                return r;
        if (ctl->mode == OUTPUT_JSON) {
                json_print(j, stdout);
                return 0;
        }
        if (!json_object_object_get_ex(j, "points", &points) ||
            !json_object_is_type(points, json_type_array)) {
                fprintf(stderr, _("vigiectl: the server's history lacks \"points\"\n"));
                return VIGIECTL_EXIT_SERVER;
        }
        t = table_new((const char *const[]) { "AT", "ENROLLED", "COMPLIANT", "NONCOMPLIANT", "STALE",
                                              "PENDING", "REVOKED", "FLAGGED", "FAILING", NULL });
        if (!t)
                return VIGIECTL_EXIT_INTERNAL;
        for (size_t i = 0; i < json_object_array_length(points); i++) {
                json_object *p = json_object_array_get_idx(points, i), *devices = NULL, *checks = NULL;
                _cleanup_free_ char *failing = NULL;
                char n[ELEMENTSOF(counts)][32];

                json_object_object_get_ex(p, "devices", &devices);
                json_object_object_get_ex(p, "checks", &checks);
                for (size_t k = 0; k < ELEMENTSOF(counts); k++)
                        snprintf(n[k], sizeof n[k], "%" PRId64, json_count(devices, counts[k]));
                failing = checks ? failing_counts(checks) : strdup("");
                if (!failing || table_add_row(t, (const char *const[]) {
                                ctl_json_str(p, "at"), n[0], n[1], n[2], n[3], n[4], n[5], n[6],
                                *failing ? failing : NULL }) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
        }
        return table_print(t, ctl->mode, stdout) < 0 ? VIGIECTL_EXIT_INTERNAL : 0;
}
