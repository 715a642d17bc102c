/* SPDX-License-Identifier: MIT */
#pragma once

/* DIR/server.conf (INI, with DIR/server.conf.d/ drop-ins): listen address, database,
 * limits and certificate lifetimes. Every key has a default; see docs/server.md. */

#include <stdint.h>

#include "alert-conf.h"
#include "macro.h"

#define SERVER_CONF_FILE "server.conf"
#define SERVER_DB_FILE "vigie.db"
#define SERVER_DIR_DEFAULT LOCALSTATEDIR "/lib/vigie-server"

typedef struct ServerConfig {
        char *listen;            /* ADDR:PORT, [v6]:PORT */
        char *database;          /* sqlite:PATH | postgres:CONNINFO */
        uint64_t max_body_size;  /* bytes; 413 beyond */
        int max_connections;     /* 429 beyond, once idle never-used connections are closed */
        int max_connections_per_address; /* one source address's share; closed beyond */
        usec_t handshake_timeout; /* accept → TLS handshake done */
        int device_report_burst;  /* POST /v1/reports a device may make at once… */
        usec_t device_report_interval; /* …then one per interval; 429 beyond */
        usec_t request_timeout;  /* accept/last reply → complete request; cuts slow clients */
        usec_t idle_timeout;     /* no byte read or written */
        usec_t device_cert_lifetime;
        usec_t client_cert_lifetime; /* admin-cert create */
        usec_t max_clock_skew;   /* how far in the future a report's iat may be */
        int max_batch;           /* JWS per POST /v1/reports */
        int tls_sessions;        /* TLS sessions cached for resumption; 0: none */
        usec_t tls_session_lifetime; /* how long a cached session may be resumed */
        usec_t stale_after;      /* [Fleet] StaleAfter=; 0: 3 × the policy's report interval */
        usec_t flag_window;      /* [Fleet] FlagWindow=: how long a replay/clone flag shows */
        usec_t history_retention; /* [Fleet] HistoryRetention=: daily snapshots kept */
        int verify_threads;      /* report verification off the loop; -1: CPUs - 1 */
        AlertConfig *alerts;     /* [Alert "NAME"] sections (alert-conf.h) */
        char *events_file;       /* [Events] File=: JSON lines of every fleet event */
        bool events_syslog;      /* [Events] Syslog=: the same lines to syslog */
        size_t n_alerts;
        usec_t retain_reports;   /* [Retention] Reports=: bodies older are pruned; 0: kept */
        usec_t retain_history;   /* [Retention] History=: check status changes; 0: kept */
        usec_t prune_interval;   /* [Retention] PruneInterval=: between pruning batches */
        char *tpm_root_cas;      /* [Enroll] TPMRootCAs=: PEM bundle of TPM vendor CAs, or NULL */
} ServerConfig;

ServerConfig *server_config_free(ServerConfig *c);
static inline void server_config_freep(ServerConfig **c) {
        server_config_free(*c);
}
/* Loads DIR/server.conf if present (defaults otherwise). -EINVAL with "FILE:LINE: …". */
int server_config_load(const char *dir, ServerConfig **ret, char **ret_error);
/* The commented template `init` writes. */
extern const char server_config_template[];
