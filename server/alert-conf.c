/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alert-conf.h"
#include "cleanup.h"
#include "conf-parser.h"
#include "error-util.h"
#include "fs-util.h"
#include "macro.h"
#include "parse-util.h"
#include "server-conf.h"

static const char *const event_names[_ALERT_EVENT_MAX] = {
        [ALERT_EVENT_NONCOMPLIANT] = "noncompliant", [ALERT_EVENT_COMPLIANT] = "compliant",
        [ALERT_EVENT_FLAGGED] = "flagged",           [ALERT_EVENT_STALE] = "stale",
        [ALERT_EVENT_REVOKED] = "revoked",           [ALERT_EVENT_ENROLLED] = "enrolled",
};

const char *alert_event_to_string(AlertEvent e) {
        return e >= 0 && e < _ALERT_EVENT_MAX ? event_names[e] : NULL;
}

AlertEvent alert_event_from_string(const char *s) {
        for (int i = 0; s && i < _ALERT_EVENT_MAX; i++)
                if (streq(s, event_names[i]))
                        return i;
        return _ALERT_EVENT_INVALID;
}

void alert_config_done(AlertConfig *a) {
        free(a->name);
        free(a->url);
        free(a->ca);
        free(a->cert);
        free(a->key);
        if (a->secret)
                explicit_bzero(a->secret, strlen(a->secret));
        free(a->secret);
        strv_free(a->checks);
        strv_free(a->os);
        *a = (AlertConfig) {};
}

static int parse_events(const char *value, unsigned *ret) {
        _cleanup_strv_free_ char **l = NULL;
        unsigned m = 0;
        int r = config_parse_strv(value, &l);

        if (r < 0)
                return r;
        for (char **e = l; e && *e; e++) {
                AlertEvent ev = alert_event_from_string(*e);
                if (ev < 0)
                        return -EINVAL;
                m |= 1u << ev;
        }
        *ret = m ? m : (1u << _ALERT_EVENT_MAX) - 1;
        return 0;
}

static int set_path(const char *value, char **field) {
        return config_parse_path(value, field);
}

static int read_secret(const char *value, char **field) {
        _cleanup_free_ char *text = NULL;
        int r = read_file_full(value, 4096, &text, NULL);
        if (r < 0)
                return r;
        text[strcspn(text, "\r\n")] = 0;
        if (!*text)
                return -EINVAL;
        free(*field);
        *field = TAKE_PTR(text);
        return 0;
}

int alert_config_section(const char *section, const char *key, const char *value,
                         const char *file, unsigned line, char **ret_error, void *userdata) {
        ServerConfig *c = userdata;
        _cleanup_free_ char *kind = NULL, *name = NULL;
        AlertConfig *a = NULL;
        int r;

        (void) file, (void) line;
        if (config_section_split(section, &kind, &name) < 0 || !name || !streq(kind, "Alert"))
                return error_set(ret_error, -EINVAL, "unknown section [%s]: expected [Alert \"NAME\"]", section);
        for (size_t i = 0; i < c->n_alerts; i++)
                if (streq(c->alerts[i].name, name))
                        a = &c->alerts[i];
        if (!a) {
                if (c->n_alerts >= ALERTS_MAX)
                        return error_set(ret_error, -EINVAL, "more than %d [Alert] sections", ALERTS_MAX);
                AlertConfig *n = reallocarray(c->alerts, c->n_alerts + 1, sizeof(AlertConfig));
                if (!n)
                        return -ENOMEM;
                c->alerts = n;
                a = &c->alerts[c->n_alerts++];
                *a = (AlertConfig) { .name = TAKE_PTR(name), .events = (1u << _ALERT_EVENT_MAX) - 1 };
        }
        if (streq(key, "URL")) {
                if (strncmp(value, "https://", 8) != 0 || strlen(value) > 2048)
                        return error_set(ret_error, -EINVAL, "URL=\"%s\": expected an https:// URL", value);
                r = config_parse_string(value, &a->url);
        } else if (streq(key, "CA"))
                r = set_path(value, &a->ca);
        else if (streq(key, "Certificate"))
                r = set_path(value, &a->cert);
        else if (streq(key, "Key"))
                r = set_path(value, &a->key);
        else if (streq(key, "Secret"))
                r = config_parse_string(value, &a->secret);
        else if (streq(key, "SecretFile")) {
                r = read_secret(value, &a->secret);
                if (r < 0)
                        return error_set(ret_error, -EINVAL, "SecretFile=\"%s\": cannot read a secret from it: %s",
                                         value, strerror(-r));
        } else if (streq(key, "Events")) {
                r = parse_events(value, &a->events);
                if (r < 0)
                        return error_set(ret_error, -EINVAL, "Events=\"%s\": expected some of noncompliant compliant "
                                         "flagged stale revoked enrolled", value);
        } else if (streq(key, "Checks"))
                r = config_parse_strv(value, &a->checks);
        else if (streq(key, "OS"))
                r = config_parse_strv(value, &a->os);
        else
                return error_set(ret_error, -EINVAL, "unknown key \"%s\" in [%s]: expected URL, CA, Certificate, "
                                 "Key, Secret, SecretFile, Events, Checks or OS", key, section);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return error_set(ret_error, -EINVAL, "%s=\"%s\" in [%s]: expected an absolute path", key, value, section);
        return 0;
}

int alert_config_validate(const AlertConfig *alerts, size_t n, const char *path, char **ret_error) {
        for (size_t i = 0; i < n; i++) {
                const AlertConfig *a = &alerts[i];
                if (!a->url || !a->secret)
                        return error_set(ret_error, -EINVAL, "%s: [Alert \"%s\"] needs URL= and Secret= (or SecretFile=)",
                                         path, a->name);
                if (!a->cert != !a->key)
                        return error_set(ret_error, -EINVAL, "%s: [Alert \"%s\"]: Certificate= and Key= go together",
                                         path, a->name);
        }
        return 0;
}
