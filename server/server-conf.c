/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error-util.h"
#include "conf-parser.h"
#include "fs-util.h"
#include "macro.h"
#include "parse-util.h"
#include "server-conf.h"

/* "auto" (CPUs - 1) or a count; 0 verifies on the event loop itself. */
static int config_parse_verify_threads(const char *value, void *field) {
        if (streq(value, "auto")) {
                *(int *) field = -1;
                return 0;
        }
        return parse_int_range(value, 0, 64, field);
}

#define F(x) offsetof(ServerConfig, x)
static const ConfigTableItem server_config_table[] = {
        { "Server", "Listen", config_parse_string, F(listen), "ADDRESS:PORT" },
        { "Server", "Database", config_parse_string, F(database), "sqlite:PATH or postgres:CONNINFO" },
        { "Limits", "MaxBodySize", config_parse_size, F(max_body_size), "a size like 1M" },
        { "Limits", "MaxConnections", config_parse_int, F(max_connections), "a number" },
        { "Limits", "MaxConnectionsPerAddress", config_parse_int, F(max_connections_per_address), "a number" },
        { "Limits", "HandshakeTimeout", config_parse_duration, F(handshake_timeout), "a duration like 5s" },
        { "Limits", "DeviceReportBurst", config_parse_int, F(device_report_burst), "a number" },
        { "Limits", "DeviceReportInterval", config_parse_duration, F(device_report_interval), "a duration like 30s" },
        { "Limits", "RequestTimeout", config_parse_duration, F(request_timeout), "a duration like 10s" },
        { "Limits", "IdleTimeout", config_parse_duration, F(idle_timeout), "a duration like 60s" },
        { "Limits", "MaxReportsPerRequest", config_parse_int, F(max_batch), "a number" },
        { "Server", "VerifyThreads", config_parse_verify_threads, F(verify_threads), "a number, or \"auto\"" },
        { "Limits", "MaxClockSkew", config_parse_duration, F(max_clock_skew), "a duration like 10min" },
        { "Limits", "TLSSessions", config_parse_int, F(tls_sessions), "a number, or 0" },
        { "Limits", "TLSSessionLifetime", config_parse_duration, F(tls_session_lifetime), "a duration like 2h" },
        { "Certificates", "DeviceLifetime", config_parse_duration, F(device_cert_lifetime), "a duration like 90d" },
        { "Fleet", "StaleAfter", config_parse_duration, F(stale_after), "a duration like 3h" },
        { "Fleet", "FlagWindow", config_parse_duration, F(flag_window), "a duration like 7d" },
        { "Fleet", "HistoryRetention", config_parse_duration, F(history_retention), "a duration like 400d" },
        { "Events", "File", config_parse_path, F(events_file), "an absolute path" },
        { "Events", "Syslog", config_parse_bool, F(events_syslog), "yes or no" },
        { "Certificates", "ClientLifetime", config_parse_duration, F(client_cert_lifetime), "a duration like 365d" },
        { "Enroll", "TPMRootCAs", config_parse_path, F(tpm_root_cas), "an absolute path" },
        { "Retention", "Reports", config_parse_duration, F(retain_reports), "a duration like 400d, or 0" },
        { "Retention", "History", config_parse_duration, F(retain_history), "a duration like 800d, or 0" },
        { "Retention", "PruneInterval", config_parse_duration, F(prune_interval), "a duration like 1min" },
        {}
};

const char server_config_template[] =
        "# vigie-server configuration (docs/server.md). Drop-ins: server.conf.d/*.conf\n"
        "[Server]\n"
        "#Listen=0.0.0.0:8443\n"
        "#Database=sqlite:" SERVER_DB_FILE "\n"
        "#VerifyThreads=auto\n"
        "\n[Limits]\n"
        "#MaxBodySize=1M\n"
        "#MaxConnections=1024\n"
        "#MaxConnectionsPerAddress=64\n"
        "#HandshakeTimeout=5s\n"
        "#DeviceReportBurst=60\n"
        "#DeviceReportInterval=10s\n"
        "#RequestTimeout=10s\n"
        "#IdleTimeout=60s\n"
        "#MaxReportsPerRequest=500\n"
        "#MaxClockSkew=10min\n"
        "# TLS sessions kept for resumption (0: none), and how long each may be resumed\n"
        "#TLSSessions=100000\n"
        "#TLSSessionLifetime=2h\n"
        "\n[Enroll]\n"
        "# The TPM vendors' CAs (PEM) whose EK certificates make a TPM-held device key \"tpm\"\n"
        "#TPMRootCAs=/etc/vigie-server/tpm-roots.pem\n"
        "\n[Certificates]\n"
        "#DeviceLifetime=90d\n"
        "#ClientLifetime=365d\n"
        "\n[Fleet]\n"
        "# No report for this long makes a device stale (default: 3 × the policy's interval)\n"
        "#StaleAfter=3h\n"
        "# A device flagged for a replayed or out-of-order report shows as flagged this long\n"
        "#FlagWindow=7d\n"
        "# Daily snapshots of the fleet's counts are kept this long (hourly ones: 48h)\n"
        "#HistoryRetention=400d\n"
        "\n[Retention]\n"
        "# Report bodies older than this are pruned, keeping seq, iat, hash, prev and verdict\n"
        "#Reports=400d\n"
        "# Check status changes older than this are deleted (0: kept)\n"
        "#History=800d\n"
        "#PruneInterval=1min\n"
        "\n# Every fleet event as a JSON line, for SIEM pipelines (docs/alerts.md)\n[Events]\n"
        "#File=/var/log/vigie/events.jsonl\n"
        "#Syslog=no\n"
        "\n# Webhooks (docs/alerts.md)\n"
        "#[Alert \"security\"]\n"
        "#URL=https://hooks.example.com/vigie\n"
        "#SecretFile=/etc/vigie-server/alert-security.secret\n"
        "#Events=noncompliant flagged stale revoked\n";

ServerConfig *server_config_free(ServerConfig *c) {
        if (c) {
                free(c->listen);
                free(c->database);
                free(c->events_file);
                free(c->tpm_root_cas);
                for (size_t i = 0; i < c->n_alerts; i++)
                        alert_config_done(&c->alerts[i]);
                free(c->alerts);
                free(c);
        }
        return NULL;
}

int server_config_load(const char *dir, ServerConfig **ret, char **ret_error) {
        _cleanup_(server_config_freep) ServerConfig *c = calloc(1, sizeof(ServerConfig));
        _cleanup_free_ char *path = path_join(dir, SERVER_CONF_FILE);
        int r;

        if (!c || !path)
                return -ENOMEM;
        *c = (ServerConfig) {
                .max_body_size = 1024 * 1024,
                .max_connections = 1024,
                .max_connections_per_address = 64,
                .handshake_timeout = 5 * USEC_PER_SEC,
                .device_report_burst = 60,
                .device_report_interval = 10 * USEC_PER_SEC,
                .request_timeout = 10 * USEC_PER_SEC,
                .idle_timeout = 60 * USEC_PER_SEC,
                .device_cert_lifetime = 90 * USEC_PER_DAY,
                .client_cert_lifetime = 365 * USEC_PER_DAY,
                .max_clock_skew = 10 * USEC_PER_MINUTE,
                .tls_sessions = 100000,
                .tls_session_lifetime = 2 * USEC_PER_HOUR,
                .max_batch = 500,
                .flag_window = 7 * USEC_PER_DAY,
                .history_retention = 400 * USEC_PER_DAY,
                .verify_threads = -1,
                .retain_reports = 400 * USEC_PER_DAY,
                .retain_history = 800 * USEC_PER_DAY,
                .prune_interval = USEC_PER_MINUTE,
        };
        r = config_load(path, true, server_config_table, c, alert_config_section, c, ret_error);
        if (r >= 0)
                r = alert_config_validate(c->alerts, c->n_alerts, path, ret_error);
        if (r < 0)
                return r;
        if (!c->listen && !(c->listen = strdup("0.0.0.0:8443")))
                return -ENOMEM;
        /* A relative SQLite path is relative to DIR. */
        if (!c->database || (strncmp(c->database, "sqlite:", 7) == 0 && c->database[7] != '/')) {
                _cleanup_free_ char *db = path_join(dir, c->database ? c->database + 7 : SERVER_DB_FILE);
                if (!db)
                        return -ENOMEM;
                free(c->database);
                if (asprintf(&c->database, "sqlite:%s", db) < 0)
                        return -ENOMEM;
        }
        if (c->max_body_size < 1024 || c->max_connections < 1 || c->max_batch < 1 ||
            c->max_connections_per_address < 1 || c->handshake_timeout < USEC_PER_SEC ||
            c->device_report_burst < 1 || c->device_report_interval < USEC_PER_MSEC ||
            c->request_timeout < USEC_PER_SEC || c->idle_timeout < USEC_PER_SEC ||
            c->device_cert_lifetime < USEC_PER_HOUR || c->client_cert_lifetime < USEC_PER_HOUR ||
            c->prune_interval < USEC_PER_SEC || c->history_retention < USEC_PER_DAY)
                return error_set(ret_error, -EINVAL, "%s: a limit is out of range (body ≥ 1K, connections and "
                             "batch ≥ 1, timeouts and PruneInterval ≥ 1s, lifetimes ≥ 1h, history retention ≥ 1d)", path);
        /* RFC 8446 §4.6.1: a TLS 1.3 ticket lives at most 7 days. */
        if (c->tls_sessions < 0 || c->tls_session_lifetime < USEC_PER_SEC || c->tls_session_lifetime > 7 * USEC_PER_DAY)
                return error_set(ret_error, -EINVAL, "%s: TLSSessions= must be 0 or more and TLSSessionLifetime= "
                             "between 1s and 7d", path);
        *ret = TAKE_PTR(c);
        return 0;
}
