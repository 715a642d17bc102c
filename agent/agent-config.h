/* SPDX-License-Identifier: MIT */
#pragma once

/* agent.conf (+ agent.conf.d/NAME.conf drop-ins): see vigie.conf(5), docs/man/vigie.conf.5. */

#include <stdbool.h>
#include <stdint.h>

#include "config-section.h"
#include "tpm-key.h"
#include "macro.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif

#define AGENT_CONFIG_PATH SYSCONFDIR "/vigie/agent.conf"

typedef struct AgentConfig {
        char *server_url;        /* [Agent] Server= */
        char *ca_file;           /* [Agent] CA= */
        char *enroll_token_file; /* [Agent] EnrollTokenFile= */
        char *state_dir;         /* [Agent] StateDirectory= */
        char *runtime_dir;       /* [Agent] RuntimeDirectory= */
        char *root;              /* [Agent] Root= */
        int log_level;           /* [Agent] LogLevel= */
        /* The daemon (vigie-agent(8)): */
        usec_t report_interval;  /* [Agent] ReportIntervalSec= override of the policy; 0: policy */
        usec_t retry_min;        /* [Agent] RetryMinSec= first delivery retry delay */
        usec_t retry_max;        /* [Agent] RetryMaxSec= cap of the exponential backoff */
        usec_t resume_delay;     /* [Agent] ResumeDelaySec= after resume / network back */
        usec_t cycle_timeout;    /* [Agent] CycleTimeoutSec= a cycle is killed past this */
        char *key_uri;           /* [Agent] KeyURI= (OSSL_STORE URI); NULL: file:STATE/device.key */
        KeyStorage key_storage;  /* [Agent] KeyStorage= where a new device key is made */
        char *tpm_tcti;          /* [Agent] TPM= the TPM's TCTI; NULL: TPM_TCTI_DEFAULT */
        char *device_id_seed;    /* [Agent] DeviceIdSeed= (tests, demo); NULL: from machine-id */
        char *support_url;       /* [Agent] SupportURL= (https:// or mailto:): "Contact IT" */
        char *support_email;     /* [Agent] SupportEmail= */
        usec_t connect_timeout;  /* [Transport] ConnectTimeoutSec= */
        usec_t timeout;          /* [Transport] TimeoutSec= (whole request) */
        uint64_t spool_max_reports; /* [Spool] MaxReports= */
        uint64_t spool_max_bytes;   /* [Spool] MaxBytes= */
        ConfigSection *sections; /* [Kind "NAME"] sections of the kinds checks declare */
        size_t n_sections;
} AgentConfig;

AgentConfig *agent_config_new(void);
AgentConfig *agent_config_free(AgentConfig *c);
static inline void agent_config_freep(AgentConfig **c) {
        agent_config_free(*c);
}
/* Missing main file is fine (defaults); a bad line is -EINVAL with "file:line: …". */
int agent_config_load(const char *path, AgentConfig **ret, char **ret_error);
int agent_config_load_string(const char *text, AgentConfig **ret, char **ret_error);
