/* SPDX-License-Identifier: MIT */
#pragma once

/* A cycle in a process of its own, which ends with it: the child vigie-agent forks for each
 * cycle (agent-schedule.c), or `vigie cycle` run by hand (verb-cycle.c). */

#include <stdbool.h>

#include "agent-config.h"
#include "agent-cycle.h"

/* Runs one cycle (agent_cycle_run()) and writes its result to stdout as one JSON line.
 * tls_session_text: the session the daemon kept (agent/tls-session.h); NULL or "": none.
 * Once the result is out, the process ends here when nothing needs exit()'s handlers;
 * otherwise returns the exit status, for the caller to exit() with. */
int cycle_process_run(const AgentConfig *config, CycleKind kind, bool deliver, const char *tls_session_text,
                      bool keep_tls_session);
