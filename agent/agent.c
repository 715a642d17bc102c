/* SPDX-License-Identifier: MIT */
/* The Agent object: configuration, signals, start-up, reload, shutdown. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "agent.h"
#include "cleanup.h"
#include "fs-util.h"
#include "log.h"
#include "policy.h"
#include "time-util.h"

int agent_new(const char *config_path, Agent **ret) {
        _cleanup_(agent_freep) Agent *a = calloc(1, sizeof(Agent));
        _cleanup_free_ char *err = NULL;
        int r;

        if (!a)
                return -ENOMEM;
        a->child_result_fd = -1;
        a->network_connected = -1;
        a->state = AGENT_STARTING;
        a->config_path = strdup(config_path);
        if (!a->config_path)
                return -ENOMEM;
        r = agent_config_load(config_path, &a->config, &err);
        if (r < 0)
                return log_error_errno(r, "Bad configuration: %s", err ? err : strerror(-r));
        r = sd_event_default(&a->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");
        *ret = TAKE_PTR(a);
        return 0;
}

Agent *agent_free(Agent *a) {
        if (!a)
                return NULL;
        if (a->child_pid > 0)
                (void) kill(a->child_pid, SIGKILL);
        sd_event_source_unref(a->cycle_timer);
        sd_event_source_unref(a->retry_timer);
        sd_event_source_unref(a->watchdog_timer);
        sd_event_source_unref(a->child_source);
        sd_event_source_unref(a->child_timeout);
        if (a->child_result_fd >= 0)
                close(a->child_result_fd);
        sd_bus_slot_unref(a->sleep_slot);
        sd_bus_slot_unref(a->network_slot);
        sd_bus_slot_unref(a->api_slot);
        sd_bus_flush_close_unref(a->bus);
        sd_event_unref(a->event);
        agent_config_free(a->config);
        agent_forget_tls_session(a);
        json_object_put(a->last);
        free(a->config_path);
        free(a);
        return NULL;
}

static bool same_file_version(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The cached policy says how often to report; the rest of it only matters in the child. */
void agent_load_policy_interval(Agent *a) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *path = path_join(a->config->state_dir, "policy.json"), *err = NULL;
        struct stat st = {};
        bool exists = path && stat(path, &st) == 0;

        /* After every cycle, parsed again only when the file changed (a new policy, one
         * fetched by hand, none any more): a policy's parse is ~0.45 M instructions, a third
         * of what the daemon spent per cycle. */
        if (!exists)
                st = (struct stat) {};
        if (a->policy_interval && same_file_version(&st, &a->policy_stat))
                return;
        a->policy_stat = st;
        if (exists && policy_load_file(path, 0, &p, &err) < 0)
                log_warning("Cached policy \"%s\" is unusable (%s); using the built-in default.",
                            path, strempty(err));
        if (!p)
                p = policy_new_default();
        a->policy_interval = p ? (usec_t) p->report_interval_s * USEC_PER_SEC : USEC_PER_HOUR;
}

int agent_reload(Agent *a) {
        _cleanup_free_ char *err = NULL;
        AgentConfig *c = NULL;
        usec_t old_interval = agent_interval(a);
        int r;

        (void) sd_notifyf(false, "RELOADING=1\nSTATUS=Reloading the configuration and policy\n"
                          "MONOTONIC_USEC=%" PRIu64, now_monotonic());
        r = agent_config_load(a->config_path, &c, &err);
        if (r < 0)
                log_error("Configuration reload failed, keeping the running configuration: %s",
                          err ? err : strerror(-r));
        else {
                agent_config_free(a->config);
                a->config = c;
                agent_forget_tls_session(a); /* the server or its pinned CA may have changed */
                log_set_max_level(a->config->log_level);
                log_info("Configuration reloaded from \"%s\".", a->config_path);
        }
        a->policy_interval = 0; /* read again: StateDirectory= may have changed */
        agent_load_policy_interval(a);
        /* A new interval takes effect now rather than after the old one ran out. */
        if (agent_interval(a) != old_interval && a->state == AGENT_IDLE)
                (void) agent_schedule_cycle(a, jitter(agent_interval(a), random_u64()));
        (void) sd_notify(false, "READY=1");
        agent_notify_status(a);
        (void) agent_status_write(a);
        return r;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Agent *a = userdata;
        (void) s;

        switch (si->ssi_signo) {
        case SIGHUP:
                (void) agent_reload(a);
                break;
        case SIGUSR1:
                (void) agent_request_cycle(a, 0, "requested (SIGUSR1)");
                break;
        case SIGTERM:
        case SIGINT:
                log_info("Stopping%s.", a->child_pid > 0 ? " after the current step" : "");
                (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping");
                a->state = AGENT_STOPPING;
                if (a->child_pid > 0)
                        (void) kill(a->child_pid, SIGTERM); /* the child ends its step */
                else
                        (void) sd_event_exit(a->event, 0);
                break;
        }
        return 0;
}

int agent_start(Agent *a) {
        static const int signals[] = { SIGHUP, SIGUSR1, SIGTERM, SIGINT };
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(signals); i++)
                sigaddset(&mask, signals[i]);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
                r = sd_event_add_signal(a->event, NULL, signals[i], on_signal, a);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch signal %d: %m", signals[i]);
        }
        r = mkdir_p(a->config->runtime_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create the runtime directory \"%s\": %m",
                                       a->config->runtime_dir);
        a->started_realtime = now_realtime();
        (void) agent_status_load_previous(a);
        agent_load_policy_interval(a);
        r = agent_watchdog_setup(a);
        if (r < 0)
                return r;
        /* optional: no system bus, no resume/network hints and no "Check again" */
        if (agent_bus_connect(a) >= 0)
                (void) agent_api_start(a);

        a->state = AGENT_IDLE;
        /* The first cycle right away: a restarted agent reports its state at once. */
        r = agent_request_cycle(a, 0, "start-up");
        if (r < 0)
                return r;
        (void) sd_notify(false, "READY=1");
        agent_notify_status(a);
        log_info("Vigie agent started (configuration \"%s\", state \"%s\").", a->config_path,
                 a->config->state_dir);
        return 0;
}

int agent_run(Agent *a) {
        int r = sd_event_loop(a->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        (void) agent_status_write(a);
        return 0;
}
