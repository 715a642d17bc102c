/* SPDX-License-Identifier: MIT */
#pragma once

/* vigie-agent: one Agent object owns one sd-event loop. The loop only waits: each
 * check-and-report cycle runs in a forked child process (agent-schedule.c,
 * cycle-process.h), so a slow backup tool never delays the watchdog, a crash in a check
 * never takes the daemon down, every byte a cycle allocates goes back to the system when it
 * exits, and the daemon itself never initialises OpenSSL (it only has it loaded, for its
 * children). The parent keeps only what status.json shows. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "agent-config.h"
#include "agent-cycle.h"
#include "macro.h"


typedef enum AgentState {
        AGENT_STARTING,
        AGENT_IDLE,
        AGENT_CYCLE,
        AGENT_FLUSH,
        AGENT_STOPPING,
} AgentState;

typedef struct Agent {
        sd_event *event;
        sd_bus *bus; /* system bus; NULL when there is none */
        sd_bus_slot *sleep_slot, *network_slot;
        sd_bus_slot *api_slot;  /* org.vigie.Agent1 (agent-api.c) */
        usec_t check_now_at;    /* CLOCK_MONOTONIC: the last accepted CheckNow */
        int network_connected; /* NetworkManager's view: -1 unknown */

        char *config_path;
        AgentConfig *config; /* the last good one, which each cycle runs with */
        char *tls_session;  /* the last cycle's TLS session (agent/tls-session.h), handed to the
                             * next: a secret, in memory only; NULL: none */
        usec_t policy_interval; /* report_interval_s of the cached policy; 0: to read */
        struct stat policy_stat; /* policy.json when it was read (zeroes: there was none) */

        AgentState state;
        sd_event_source *cycle_timer; /* CLOCK_BOOTTIME: next scheduled cycle */
        sd_event_source *retry_timer; /* CLOCK_BOOTTIME: next delivery retry */
        sd_event_source *watchdog_timer;
        sd_event_source *child_source;
        sd_event_source *child_timeout;
        pid_t child_pid;
        int child_result_fd; /* memfd the child writes its result to */
        CycleKind child_kind;
        usec_t child_started; /* CLOCK_BOOTTIME */
        bool cycle_requested; /* asked for while a child ran: run it next */
        bool flush_requested;

        unsigned delivery_failures;
        uint64_t n_cycles, n_flushes; /* children run since start-up */
        unsigned renew_failures;      /* consecutive failed certificate renewals */
        usec_t next_cycle_realtime, next_retry_realtime;
        usec_t watchdog_usec;

        /* What status.json shows; small by construction (no evidence kept). */
        json_object *last; /* the last cycle's public part (checks, delivery, certificate) */
        usec_t started_realtime;
} Agent;

int agent_new(const char *config_path, Agent **ret);
Agent *agent_free(Agent *a);
static inline void agent_freep(Agent **a) {
        agent_free(*a);
}
/* Sets up signals, bus, watchdog, schedules the first cycle and says READY=1. */
int agent_start(Agent *a);
int agent_run(Agent *a);
/* Re-reads the configuration (a broken one keeps the old) and the cached policy. */
int agent_reload(Agent *a);
/* report_interval_s of the cached policy (state_dir/policy.json), else the default's. */
void agent_load_policy_interval(Agent *a);

/* agent-schedule.c */
usec_t agent_interval(const Agent *a);
/* Schedules the next full cycle `delay` from now (jitter added by the caller). */
int agent_schedule_cycle(Agent *a, usec_t delay);
/* A cycle now (SIGUSR1, resume, vigie report --now): queued behind a running child. */
int agent_request_cycle(Agent *a, usec_t delay, const char *why);
/* A delivery attempt now, the backoff reset (the network came back). */
int agent_request_flush(Agent *a, usec_t delay, const char *why);
/* The child has finished: processed and the next step scheduled. */
void agent_stop_child(Agent *a);
/* Drops the kept TLS session (wiped): at exit, and when the configuration changes. */
void agent_forget_tls_session(Agent *a);
/* Exponential backoff: base·2^(failures-1), capped, then ±10 % from rnd. */
usec_t backoff_delay(unsigned failures, usec_t base, usec_t cap, uint64_t rnd);
/* interval ±10 % from rnd. */
usec_t jitter(usec_t interval, uint64_t rnd);
uint64_t random_u64(void);

/* agent-bus.c */
int agent_bus_connect(Agent *a);

/* agent-api.c: org.vigie.Agent1 on the system bus (CheckNow). */
int agent_api_start(Agent *a);

/* agent-status.c */
int agent_status_load_previous(Agent *a);
/* Merges a child's result into a->last, logs compliance changes to the journal. */
void agent_status_absorb(Agent *a, CycleKind kind, json_object *result);
int agent_status_write(Agent *a);

/* agent-notify.c */
int agent_watchdog_setup(Agent *a);
void agent_notify_status(Agent *a);
