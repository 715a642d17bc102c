/* SPDX-License-Identifier: MIT */
/* When things happen: the cycle timer (CLOCK_BOOTTIME, so suspended time counts), the
 * delivery backoff, and the child process that runs a cycle. Between events nothing is
 * armed but the next cycle, the next retry (only while the server is unreachable) and
 * the watchdog systemd asked for. */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"
#include "cycle-process.h"
#include "fs-util.h"
#include "json-util.h"
#include "log.h"
#include "time-util.h"

#define CYCLE_RESULT_MAX (4u * 1024 * 1024)

uint64_t random_u64(void) {
        uint64_t v;
        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
                v = (uint64_t) now_monotonic() * 6364136223846793005ULL + (uint64_t) getpid();
        return v;
}

usec_t jitter(usec_t interval, uint64_t rnd) {
        usec_t span = interval / 5; /* ±10 % */
        if (span == 0)
                return interval;
        return interval - interval / 10 + rnd % (span + 1);
}

usec_t backoff_delay(unsigned failures, usec_t base, usec_t cap, uint64_t rnd) {
        usec_t d = base;

        for (unsigned i = 1; i < failures && d < cap; i++)
                d = d > cap / 2 ? cap : d * 2;
        return jitter(MIN(d, cap), rnd);
}

usec_t agent_interval(const Agent *a) {
        return a->config->report_interval ? a->config->report_interval : a->policy_interval;
}

static usec_t now_boottime(Agent *a) {
        usec_t t = 0;
        (void) sd_event_now(a->event, CLOCK_BOOTTIME, &t);
        return t;
}

static int run_child(Agent *a, CycleKind kind);

/* A timer fired: its child runs now, or right after the one running. */
static int on_timer(Agent *a, CycleKind kind) {
        sd_event_source **slot = kind == CYCLE_FULL ? &a->cycle_timer : &a->retry_timer;

        *slot = sd_event_source_unref(*slot);
        *(kind == CYCLE_FULL ? &a->next_cycle_realtime : &a->next_retry_realtime) = 0;
        if (a->child_pid > 0) {
                *(kind == CYCLE_FULL ? &a->cycle_requested : &a->flush_requested) = true;
                return 0;
        }
        (void) run_child(a, kind);
        return 0;
}

static int on_cycle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s, (void) usec;
        return on_timer(userdata, CYCLE_FULL);
}

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s, (void) usec;
        return on_timer(userdata, CYCLE_FLUSH);
}

static int arm(Agent *a, sd_event_source **slot, usec_t delay, sd_event_time_handler_t cb,
               const char *what, usec_t *ret_realtime) {
        usec_t when = now_boottime(a) + delay;
        /* Let the kernel fold our wake-up into others: 1 % of the delay, at most a minute. */
        usec_t accuracy = MIN(MAX(delay / 100, USEC_PER_MSEC), USEC_PER_MINUTE);
        int r;

        if (*slot) {
                r = sd_event_source_set_time(*slot, when);
                if (r >= 0)
                        r = sd_event_source_set_time_accuracy(*slot, accuracy);
                if (r >= 0)
                        r = sd_event_source_set_enabled(*slot, SD_EVENT_ONESHOT);
        } else {
                r = sd_event_add_time(a->event, slot, CLOCK_BOOTTIME, when, accuracy, cb, a);
                if (r >= 0)
                        (void) sd_event_source_set_description(*slot, what);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to arm the %s timer: %m", what);
        *ret_realtime = now_realtime() + delay;
        return 0;
}

int agent_schedule_cycle(Agent *a, usec_t delay) {
        return arm(a, &a->cycle_timer, delay, on_cycle_timer, "cycle", &a->next_cycle_realtime);
}

int agent_request_cycle(Agent *a, usec_t delay, const char *why) {
        log_info("Cycle %s%s.", why, delay ? " soon" : "");
        if (a->state == AGENT_STOPPING)
                return 0;
        /* A person or an event asked: the backoff must not hold the report back. */
        a->delivery_failures = 0;
        a->retry_timer = sd_event_source_disable_unref(a->retry_timer);
        a->next_retry_realtime = 0;
        if (a->child_pid > 0 && a->child_kind == CYCLE_FULL && delay == 0) {
                a->cycle_requested = true;
                return 0;
        }
        return agent_schedule_cycle(a, delay);
}

int agent_request_flush(Agent *a, usec_t delay, const char *why) {
        if (a->delivery_failures == 0 || a->state == AGENT_STOPPING)
                return 0; /* nothing waits for the network */
        log_info("Delivery retry %s.", why);
        a->delivery_failures = 0;
        return arm(a, &a->retry_timer, delay, on_retry_timer, "retry", &a->next_retry_realtime);
}

static int on_child_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;
        (void) s, (void) usec;

        log_error("The cycle has run for longer than CycleTimeoutSec=; killing it (pid %d).",
                  (int) a->child_pid);
        (void) kill(a->child_pid, SIGKILL);
        return 0;
}

void agent_forget_tls_session(Agent *a) {
        if (a->tls_session)
                explicit_bzero(a->tls_session, strlen(a->tls_session));
        free(a->tls_session);
        a->tls_session = NULL;
}

/* The session the cycle came back with replaces the kept one (null: forget it), and leaves
 * the result before status.json or anything else sees it. A cycle that did not reach the
 * server says nothing, and the kept one waits for the next. */
static void take_tls_session(Agent *a, json_object *result) {
        json_object *v;
        const char *text;

        if (!result || !json_object_object_get_ex(result, "tls_session", &v))
                return;
        agent_forget_tls_session(a);
        text = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : NULL;
        a->tls_session = text ? strdup(text) : NULL;
        json_object_object_del(result, "tls_session");
}

/* Reads the child's JSON result from its memfd. */
static json_object *child_result(Agent *a) {
        _cleanup_free_ char *buf = NULL, *err = NULL;
        json_object *j = NULL;
        size_t size;

        if (lseek(a->child_result_fd, 0, SEEK_SET) < 0 ||
            read_fd_full(a->child_result_fd, CYCLE_RESULT_MAX, &buf, &size) < 0 || size == 0)
                return NULL;
        if (json_parse(buf, size, &j, &err) < 0) {
                log_error("The cycle returned an unreadable result: %s", strempty(err));
                return NULL;
        }
        return j;
}

static void schedule_after(Agent *a, CycleKind kind, json_object *result) {
        json_object *v;
        bool delivered_all = result && json_object_object_get_ex(result, "spool_depth", &v) &&
                             json_object_get_int64(v) == 0;
        bool attempted = result && json_object_object_get_ex(result, "delivery_attempted", &v) &&
                         json_object_get_boolean(v);

        if (kind == CYCLE_FULL || !a->cycle_timer)
                (void) agent_schedule_cycle(a, jitter(agent_interval(a), random_u64()));
        if (delivered_all) {
                a->delivery_failures = 0;
                a->retry_timer = sd_event_source_disable_unref(a->retry_timer);
                a->next_retry_realtime = 0;
        } else if (attempted || !result) {
                usec_t d;
                a->delivery_failures++;
                d = backoff_delay(a->delivery_failures, a->config->retry_min, a->config->retry_max,
                                  random_u64());
                /* A server that said when (429 Retry-After) is not asked again before. */
                if (json_object_object_get_ex(result, "retry_after_s", &v))
                        d = MAX(d, (usec_t) json_object_get_int64(v) * USEC_PER_SEC);
                log_info("Delivery failed %u time(s) in a row; next attempt in %" PRIu64 " s.",
                         a->delivery_failures, (d + USEC_PER_SEC / 2) / USEC_PER_SEC);
                (void) arm(a, &a->retry_timer, d, on_retry_timer, "retry", &a->next_retry_realtime);
        }
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Agent *a = userdata;
        _cleanup_json_ json_object *result = NULL;
        CycleKind kind = a->child_kind;
        (void) s;

        if (si->si_code == CLD_EXITED && si->si_status == 0)
                result = child_result(a);
        else if (si->si_code == CLD_EXITED)
                log_error("The %s exited with status %d.", kind == CYCLE_FULL ? "cycle" : "delivery",
                          si->si_status);
        else
                log_error("The %s was killed by signal %d.", kind == CYCLE_FULL ? "cycle" : "delivery",
                          si->si_status);
        a->child_pid = 0;
        a->child_source = sd_event_source_unref(a->child_source);
        a->child_timeout = sd_event_source_disable_unref(a->child_timeout);
        a->child_result_fd = (close(a->child_result_fd), -1);

        log_debug("The %s (pid %d) ended after %" PRIu64 " ms.", kind == CYCLE_FULL ? "cycle" : "delivery",
                  (int) si->si_pid, (now_boottime(a) - a->child_started) / USEC_PER_MSEC);
        take_tls_session(a, result);
        agent_status_absorb(a, kind, result);
        if (a->state == AGENT_STOPPING) {
                (void) agent_status_write(a);
                (void) sd_event_exit(a->event, 0);
                return 0;
        }
        a->state = AGENT_IDLE;
        if (kind == CYCLE_FULL)
                /* A new policy may have arrived with this cycle. */
                agent_load_policy_interval(a);
        schedule_after(a, kind, result);
        (void) agent_status_write(a);
        agent_notify_status(a);
        json_object_put(TAKE_PTR(result));
        /* Give back what parsing the result took: idle RSS stays small. */
        (void) malloc_trim(0);

        if (a->cycle_requested) {
                a->cycle_requested = false;
                (void) run_child(a, CYCLE_FULL);
        } else if (a->flush_requested) {
                a->flush_requested = false;
                (void) run_child(a, CYCLE_FLUSH);
        }
        return 0;
}

/* The cycle, in a forked child that writes its result to result_fd; its pid, or -errno.
 * Forked, not a `vigie cycle` exec'd: the child starts from the daemon's memory, its
 * libraries loaded and relocated and its configuration parsed, where an exec paid ~6 ms of
 * loading and relocating OpenSSL again each cycle here (docs/performance.md, round 17). Its
 * only peer is the server, authenticated by the pinned CA; a crash still ends the child
 * alone. */
static pid_t fork_cycle(Agent *a, CycleKind kind, bool deliver, int result_fd) {
        pid_t parent = getpid(), pid;
        sigset_t stop;

        fflush(NULL); /* nothing buffered is written twice */
        pid = fork();
        if (pid != 0)
                return pid < 0 ? -errno : pid;
        /* The child: it never returns into the daemon's code. SIGTERM and SIGINT stay
         * blocked until the cycle has its handlers (agent_cycle_setup_signals()); the
         * signals the daemon reads from its signalfd are unblocked. */
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        (void) sigprocmask(SIG_SETMASK, &stop, NULL);
        /* The cycle dies with the daemon (kill -9, crash): the spool is atomic. The daemon
         * may have died before this line, leaving us to another parent. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(EXIT_FAILURE);
        (void) prctl(PR_SET_NAME, "vigie-cycle");
        /* The daemon's other descriptors stay open, untouched: all are close-on-exec, so
         * no tool the cycle runs inherits them, and log.c keeps using the journal's. */
        if (dup2(result_fd, STDOUT_FILENO) < 0)
                _exit(EXIT_FAILURE);
        exit(cycle_process_run(a->config, kind, deliver, a->tls_session, true));
}

static int start_child(Agent *a, CycleKind kind) {
        _cleanup_close_ int fd = -1;
        /* While the server is unreachable, cycles still check and spool; only the backoff
         * decides when to knock again. */
        bool deliver = kind == CYCLE_FLUSH || !a->retry_timer;
        pid_t pid;
        int r;

        fd = memfd_create("vigie-cycle-result", MFD_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create the cycle's result file: %m");
        pid = fork_cycle(a, kind, deliver, fd);
        if (pid < 0)
                return log_error_errno((int) pid, "Failed to start a cycle: %m");
        a->child_pid = pid;
        a->child_kind = kind;
        a->child_result_fd = TAKE_FD(fd);
        a->child_started = now_boottime(a);
        if (kind == CYCLE_FULL)
                a->n_cycles++;
        else
                a->n_flushes++;
        a->state = kind == CYCLE_FULL ? AGENT_CYCLE : AGENT_FLUSH;
        r = sd_event_add_child(a->event, &a->child_source, pid, WEXITED, on_child_exit, a);
        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                a->child_pid = 0;
                a->state = AGENT_IDLE;
                return log_error_errno(r, "Failed to watch the cycle: %m");
        }
        r = sd_event_add_time_relative(a->event, &a->child_timeout, CLOCK_BOOTTIME,
                                       a->config->cycle_timeout, USEC_PER_SEC, on_child_timeout, a);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the cycle timeout: %m");
        (void) agent_status_write(a);
        agent_notify_status(a);
        return 0;
}

static int run_child(Agent *a, CycleKind kind) {
        int r = start_child(a, kind);

        /* As a cycle that failed: the next one comes on the usual schedule, not never. */
        if (r < 0) {
                a->state = AGENT_IDLE;
                schedule_after(a, kind, NULL);
                (void) agent_status_write(a);
                agent_notify_status(a);
        }
        return r;
}
