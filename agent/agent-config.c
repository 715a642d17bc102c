/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agent-config.h"
#include "checks.h"
#include "cleanup.h"
#include "error-util.h"
#include "conf-parser.h"
#include "parse-util.h"

static int config_parse_key_storage(const char *value, void *field) {
        KeyStorage k = key_storage_from_string(value);
        if (k < 0)
                return k;
        *(KeyStorage *) field = k;
        return 0;
}

#define F(x) offsetof(AgentConfig, x)
static const ConfigTableItem agent_config_table[] = {
        { "Agent", "Server", config_parse_string, F(server_url), "an https:// URL" },
        { "Agent", "CA", config_parse_path, F(ca_file), "an absolute path" },
        { "Agent", "EnrollTokenFile", config_parse_path, F(enroll_token_file), "an absolute path" },
        { "Agent", "StateDirectory", config_parse_path, F(state_dir), "an absolute path" },
        { "Agent", "RuntimeDirectory", config_parse_path, F(runtime_dir), "an absolute path" },
        { "Agent", "Root", config_parse_path, F(root), "an absolute path" },
        { "Agent", "LogLevel", config_parse_log_level, F(log_level), "err, warning, notice, info or debug" },
        { "Agent", "ReportIntervalSec", config_parse_duration, F(report_interval), "a duration such as 2s or 1h" },
        { "Agent", "RetryMinSec", config_parse_duration, F(retry_min), "a duration such as 30s" },
        { "Agent", "RetryMaxSec", config_parse_duration, F(retry_max), "a duration such as 1h" },
        { "Agent", "ResumeDelaySec", config_parse_duration, F(resume_delay), "a duration such as 10s" },
        { "Agent", "CycleTimeoutSec", config_parse_duration, F(cycle_timeout), "a duration such as 15min" },
        { "Agent", "KeyURI", config_parse_string, F(key_uri), "an OSSL_STORE URI (file:/path, or a provider's)" },
        { "Agent", "KeyStorage", config_parse_key_storage, F(key_storage), "auto, tpm or file" },
        { "Agent", "TPM", config_parse_string, F(tpm_tcti), "a TCTI such as device:/dev/tpmrm0" },
        { "Agent", "DeviceIdSeed", config_parse_string, F(device_id_seed), "any text" },
        { "Agent", "SupportURL", config_parse_string, F(support_url), "an https:// or mailto: URL" },
        { "Agent", "SupportEmail", config_parse_string, F(support_email), "an e-mail address" },
        { "Transport", "ConnectTimeoutSec", config_parse_duration, F(connect_timeout), "a duration like 10s" },
        { "Transport", "TimeoutSec", config_parse_duration, F(timeout), "a duration like 30s" },
        { "Spool", "MaxReports", config_parse_size, F(spool_max_reports), "a number of reports" },
        { "Spool", "MaxBytes", config_parse_size, F(spool_max_bytes), "a size like 16M" },
        {}
};

AgentConfig *agent_config_new(void) {
        _cleanup_(agent_config_freep) AgentConfig *c = calloc(1, sizeof(AgentConfig));

        if (!c)
                return NULL;
        c->log_level = LOG_INFO;
        c->retry_min = 30 * USEC_PER_SEC;
        c->retry_max = USEC_PER_HOUR;
        c->resume_delay = 10 * USEC_PER_SEC;
        c->cycle_timeout = 15 * USEC_PER_MINUTE;
        c->connect_timeout = 10 * USEC_PER_SEC;
        c->timeout = 30 * USEC_PER_SEC;
        c->spool_max_reports = 1000;   /* a report an hour: six weeks offline */
        c->spool_max_bytes = 64u << 20;
        if (!(c->ca_file = strdup(SYSCONFDIR "/vigie/ca.pem")) ||
            !(c->enroll_token_file = strdup(SYSCONFDIR "/vigie/enroll.token")) ||
            !(c->state_dir = strdup(LOCALSTATEDIR "/lib/vigie")) ||
            !(c->runtime_dir = strdup(RUNSTATEDIR "/vigie")) || !(c->root = strdup("/")))
                return NULL;
        return TAKE_PTR(c);
}

AgentConfig *agent_config_free(AgentConfig *c) {
        if (!c)
                return NULL;
        free(c->server_url);
        free(c->support_url);
        free(c->support_email);
        free(c->ca_file);
        free(c->enroll_token_file);
        free(c->state_dir);
        free(c->runtime_dir);
        free(c->root);
        free(c->key_uri);
        free(c->tpm_tcti);
        free(c->device_id_seed);
        for (size_t i = 0; i < c->n_sections; i++) {
                ConfigSection *s = &c->sections[i];
                free(s->kind);
                free(s->name);
                free(s->file);
                strv_free(s->keys);
                strv_free(s->values);
                free(s->lines);
        }
        free(c->sections);
        free(c);
        return NULL;
}

static int other_section(const char *section, const char *key, const char *value,
                         const char *file, unsigned line, char **ret_error, void *userdata) {
        AgentConfig *c = userdata;
        _cleanup_free_ char *kind = NULL, *name = NULL;
        ConfigSection *s = NULL;
        bool known = false;
        size_t n;
        unsigned *lines;

        if (config_section_split(section, &kind, &name) < 0 || !name)
                return error_set(ret_error, -EINVAL, "unknown section [%s]", section);
        for (size_t i = 0; i < check_registry_size; i++)
                known = known || streq_ptr(kind, check_registry[i]->config_kind);
        if (!known)
                return error_set(ret_error, -EINVAL, "unknown section kind \"%s\" in [%s]", kind, section);
        for (size_t i = 0; i < c->n_sections; i++)
                if (streq(c->sections[i].kind, kind) && streq(c->sections[i].name, name))
                        s = &c->sections[i];
        if (!s) {
                ConfigSection *ns = realloc(c->sections, sizeof(ConfigSection) * (c->n_sections + 1));
                if (!ns)
                        return -ENOMEM;
                c->sections = ns;
                s = &c->sections[c->n_sections++];
                *s = (ConfigSection) { .kind = TAKE_PTR(kind), .name = TAKE_PTR(name),
                                       .file = strdup(file), .line = line };
                if (!s->file)
                        return -ENOMEM;
        }
        n = strv_length(s->keys);
        lines = realloc(s->lines, sizeof(unsigned) * (n + 1));
        if (!lines)
                return -ENOMEM;
        s->lines = lines;
        s->lines[n] = line;
        if (strv_extend(&s->keys, key) < 0 || strv_extend(&s->values, value) < 0)
                return -ENOMEM;
        return 0;
}

static int validate(AgentConfig *c, char **ret_error) {
        int r;

        if (c->retry_min == 0 || c->retry_max < c->retry_min)
                return error_set(ret_error, -EINVAL, "[Agent] RetryMinSec= must be positive and not above RetryMaxSec=");
        if (c->cycle_timeout < USEC_PER_SEC)
                return error_set(ret_error, -EINVAL, "[Agent] CycleTimeoutSec= must be at least 1s");
        if (c->connect_timeout < USEC_PER_SEC || c->timeout < USEC_PER_SEC)
                return error_set(ret_error, -EINVAL, "[Transport] ConnectTimeoutSec= and TimeoutSec= must be at least 1s");
        if (c->spool_max_reports < 1 || c->spool_max_bytes < 64 * 1024)
                return error_set(ret_error, -EINVAL, "[Spool] MaxReports= must be at least 1 and MaxBytes= at least 64K");
        /* Checks' own sections ([Backup "NAME"]): each check's parser reports FILE:LINE itself. */
        for (size_t i = 0; i < check_registry_size; i++)
                if (check_registry[i]->config_validate &&
                    (r = check_registry[i]->config_validate(c->sections, c->n_sections, ret_error)) < 0)
                        return r;
        if (c->support_url && !contact_url_is_valid(c->support_url))
                return error_set(ret_error, -EINVAL, "[Agent] SupportURL=\"%s\": expected an https:// or mailto: URL "
                                 "without spaces", c->support_url);
        if (c->support_email && !email_address_is_valid(c->support_email))
                return error_set(ret_error, -EINVAL, "[Agent] SupportEmail=\"%s\": expected an address such as "
                                 "it@example.com", c->support_email);
        if (c->server_url && strncmp(c->server_url, "https://", 8) != 0)
                return error_set(ret_error, -EINVAL, "[Agent] Server=\"%s\": the server URL must start with https://",
                                 c->server_url);
        return 0;
}

int agent_config_load(const char *path, AgentConfig **ret, char **ret_error) {
        _cleanup_(agent_config_freep) AgentConfig *c = agent_config_new();
        int r;

        if (!c)
                return -ENOMEM;
        r = config_load(path, true, agent_config_table, c, other_section, c, ret_error);
        if (r < 0)
                return r;
        r = validate(c, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int agent_config_load_string(const char *text, AgentConfig **ret, char **ret_error) {
        _cleanup_(agent_config_freep) AgentConfig *c = agent_config_new();
        int r;

        if (!c)
                return -ENOMEM;
        r = config_load_string(text, "<string>", agent_config_table, c, other_section, c, ret_error);
        if (r < 0)
                return r;
        r = validate(c, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}
