/* SPDX-License-Identifier: MIT */
#pragma once

/* One cycle of vigie-agent, run in a child process (cycle-process.h): the same report
 * pipeline as `vigie report` (reporter_run(): policy with ETag, checks, sign, spool,
 * deliver) plus enrollment from a token, the certificate renewal and the posture; the result is a small JSON object for the daemon (status.json
 * material: never evidence nor secrets, but for the TLS session the daemon takes out). */

#include <stdbool.h>

#include <json-c/json.h>

#include "agent-config.h"

typedef enum CycleKind {
        CYCLE_FULL,  /* checks, sign, spool, deliver (when allowed), policy, renewal */
        CYCLE_FLUSH, /* deliver what the spool holds */
} CycleKind;

/* tls_session: what the daemon kept from the previous cycle (agent/tls-session.h), offered
 * to the server when it was made for this server and certificate; NULL: none. With
 * keep_tls_session the result carries the connection's latest one as "tls_session", for
 * the daemon alone (it takes it out before anything else sees the result). */
int agent_cycle_run(const AgentConfig *config, CycleKind kind, bool deliver, json_object *tls_session,
                    bool keep_tls_session, json_object **ret);
/* SIGTERM (from the stopping daemon): finish the current step, skip the rest. */
void agent_cycle_setup_signals(void);
bool agent_cycle_stop_requested(void);
