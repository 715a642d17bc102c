/* SPDX-License-Identifier: MIT */
#pragma once

/* [Alert "NAME"] sections of server.conf (docs/alerts.md): where to POST which fleet
 * events, signed with which secret. */

#include <stdbool.h>
#include <stddef.h>

#define ALERTS_MAX 16

typedef enum AlertEvent {
        ALERT_EVENT_NONCOMPLIANT,
        ALERT_EVENT_COMPLIANT,
        ALERT_EVENT_FLAGGED,
        ALERT_EVENT_STALE,
        ALERT_EVENT_REVOKED,
        ALERT_EVENT_ENROLLED,
        _ALERT_EVENT_MAX,
        _ALERT_EVENT_INVALID = -22,
} AlertEvent;
const char *alert_event_to_string(AlertEvent e);
AlertEvent alert_event_from_string(const char *s);

typedef struct AlertConfig {
        char *name;
        char *url;                /* https:// */
        char *ca;                 /* PEM file; NULL: the system's trust store */
        char *cert, *key;         /* optional client certificate */
        char *secret;             /* HMAC-SHA256 key */
        unsigned events;          /* 1 << AlertEvent; default all */
        char **checks;            /* only events naming one of these failing checks; NULL: any */
        char **os;                /* only devices whose os_id or os_id:version_id is listed */
} AlertConfig;

void alert_config_done(AlertConfig *a);
/* A ConfigSectionHandler for [Alert "NAME"]; userdata is the ServerConfig. */
int alert_config_section(const char *section, const char *key, const char *value,
                         const char *file, unsigned line, char **ret_error, void *userdata);
/* After loading: every alert has a URL and a secret. */
int alert_config_validate(const AlertConfig *alerts, size_t n, const char *path, char **ret_error);
