/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>
#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "alerts.h"
#include "enroll-attest.h"
#include "history.h"
#include "http.h"
#include "log.h"
#include "retention.h"
#include "server.h"
#include "store-fleet.h"
#include "time-util.h"

struct PendingReply {
        struct evhttp_request *req;
        int code;
        struct evbuffer *body;
};

struct ServerJob {
        ServerJobFn fn;
        ServerSettleFn settle; /* NULL: fn does everything, and its batch does not run ahead */
        ServerPrefetchFn prefetch;
        const char *key;
        void *userdata;
        void (*free)(void *userdata);
        struct evhttp_request *req;
        bool first; /* the batch's first job with its key: it may prefetch */
};

/* Items a loop turn queues for the workers before it wakes one without waiting for the
 * turn's end: ~200 µs of ES256 verifies. */
#define OFFLOAD_WAKE_QUEUED 3

/* The loop hands verifications off only while the server is busy: its CPU (every thread)
 * over the last window, in percent of one core, at OFFLOAD_CPU_HIGH or more starts the
 * hand-offs, under OFFLOAD_CPU_LOW ends them (offload_policy_update()). 70 % leaves the
 * loop room before it is the bottleneck; the gap is wider than what the hand-offs
 * themselves add (~10 %), so that handing off does not end it at once. */
#define OFFLOAD_WINDOW_USEC (50 * USEC_PER_MSEC)
#define OFFLOAD_CPU_HIGH 70
#define OFFLOAD_CPU_LOW 50

/* How long a stopping server waits for in-flight requests and their replies. */
#define DRAIN_TICK_USEC (20 * USEC_PER_MSEC)

static void job_done(ServerJob *j) {
        if (j->free)
                j->free(j->userdata);
}

/* The commit thread: runs COMMIT (the fsync) while the loop goes on reading, verifying
 * and queueing the next batch; wakes the loop through an eventfd, outside the lock: the
 * loop, woken at once, starts the next batch (commit_start()) and would otherwise wait
 * for the lock. */
static void *commit_thread(void *userdata) {
        Server *s = userdata;
        uint64_t one = 1;

        pthread_mutex_lock(&s->commit_lock);
        for (;;) {
                while (!s->commit_requested && !s->commit_thread_exit)
                        pthread_cond_wait(&s->commit_cond, &s->commit_lock);
                if (s->commit_thread_exit)
                        break;
                s->commit_requested = false;
                pthread_mutex_unlock(&s->commit_lock);
                s->commit_result = store_commit(s->store);
                (void) !write(s->commit_efd, &one, sizeof(one));
                pthread_mutex_lock(&s->commit_lock);
        }
        pthread_mutex_unlock(&s->commit_lock);
        return NULL;
}

static void send_pending(Server *s, int r) {
        size_t n = s->n_pending;

        if (r < 0)
                log_error_errno(r, "Cannot commit %zu request(s): %s", n, store_error(s->store));
        else {
                s->stats.commits++;
                s->stats.committed_requests += n;
        }
        /* Replies leave only now: COMMIT returned, the data is on disk (SQLite
         * synchronous=FULL fsyncs the WAL; PostgreSQL synchronous_commit). */
        s->n_pending = 0;
        for (size_t i = 0; i < n; i++) {
                PendingReply *p = &s->pending[i];
                if (r < 0) {
                        if (p->body)
                                evbuffer_free(p->body);
                        http_send(p->req, 503,
                                  http_error_buffer("storage_unavailable",
                                                    "the database could not commit; retry later"),
                                  false);
                } else
                        http_send(p->req, p->code, p->body, false);
        }
}

static void commit_returned(Server *s);

/* PostgreSQL's answer to the COMMIT sent from the loop (commit_start()); EV_TIMEOUT: it
 * failed at once, commit_result says how. */
static void commit_received(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;

        (void) fd;
        if (what & EV_READ) {
                int r = store_commit_receive(s->store, false);
                if (r == -EAGAIN)
                        return;
                s->commit_result = r;
        }
        (void) event_del(s->commit_wait_event);
        s->commit_waiting = false;
        commit_returned(s);
}

/* The batch's COMMIT. On PostgreSQL it is one more statement whose answer the loop
 * awaits like the others (its socket, watched); SQLite's fsync blocks, and takes the
 * commit thread. */
static void commit_start(Server *s) {
        int fd = -1, r;

        s->committing = true;
        r = store_commit_send(s->store, &fd);
        if (r != 0) {
                s->commit_waiting = true;
                s->commit_result = r;
                if (r > 0 && (event_assign(s->commit_wait_event, s->base, fd, EV_READ | EV_PERSIST,
                                           commit_received, s) < 0 ||
                              event_add(s->commit_wait_event, NULL) < 0))
                        s->commit_result = store_commit_receive(s->store, true);
                if (s->commit_result <= 0) /* done already: next turn, as an answer */
                        event_active(s->commit_wait_event, EV_TIMEOUT, 0);
                return;
        }
        pthread_mutex_lock(&s->commit_lock);
        s->commit_requested = true;
        pthread_cond_signal(&s->commit_cond);
        pthread_mutex_unlock(&s->commit_lock);
}

/* The batch s->batch runs one wait per statement: each job's store work, then the rest of
 * it, then the COMMIT; r: whether its transaction began. */
static void batch_run(Server *s, int r) {
        size_t n = s->n_batch;

        s->n_batch = 0;
        if (r < 0)
                log_error_errno(r, "Cannot start a transaction: %s", store_error(s->store));
        for (size_t i = 0; i < n; i++) {
                ServerJob *j = &s->batch[i];
                if (r < 0 && j->req)
                        http_send(j->req, 503,
                                  http_error_buffer("storage_unavailable", "the database is unavailable; retry later"),
                                  false);
                else if (r >= 0) {
                        (void) j->fn(s, j->userdata, j->req);
                        if (j->settle)
                                j->settle(s, j->userdata, j->req);
                }
                job_done(j);
        }
        if (r >= 0)
                commit_start(s);
}

typedef struct JobKey {
        const char *key;
        size_t index;
} JobKey;

static int job_key_compare(const void *a, const void *b) {
        const JobKey *x = a, *y = b;
        int c = strcmp(x->key, y->key);

        return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

/* Marks the jobs that may prefetch: each the batch's first with its key. Sorted, so that
 * a burst of a thousand jobs costs n log n comparisons. Without memory: none prefetches
 * (each job then reads as it runs). */
static void batch_mark_first(Server *s) {
        _cleanup_free_ JobKey *keys = NULL;
        size_t n = 0;

        for (size_t i = 0; i < s->n_batch; i++) {
                s->batch[i].first = s->batch[i].prefetch != NULL;
                n += s->batch[i].prefetch && s->batch[i].key;
        }
        if (n < 2)
                return;
        keys = malloc(n * sizeof(JobKey));
        if (!keys) {
                for (size_t i = 0; i < s->n_batch; i++)
                        s->batch[i].first = false;
                return;
        }
        n = 0;
        for (size_t i = 0; i < s->n_batch; i++)
                if (s->batch[i].prefetch && s->batch[i].key)
                        keys[n++] = (JobKey) { s->batch[i].key, i };
        qsort(keys, n, sizeof(JobKey), job_key_compare);
        for (size_t k = 1; k < n; k++)
                if (streq(keys[k].key, keys[k - 1].key))
                        s->batch[keys[k].index].first = false;
}

/* A batch run ahead on PostgreSQL begins with one wait: its BEGIN and every first job's
 * reads (ServerJob.prefetch), in the batch's order (the order its row locks are taken in).
 * Only reads went before it: a connection found lost there (the database restarted since
 * the last batch) is reconnected and the batch begun again, once, as store_begin() would. */
static int batch_begin_prefetched(Server *s) {
        bool retried = false;
        int r;

        if (!store_reads_ahead(s->store))
                return store_begin(s->store);
        batch_mark_first(s);
        for (;;) {
                r = store_begin_ahead(s->store);
                for (size_t i = 0; r >= 0 && i < s->n_batch; i++)
                        if (s->batch[i].first)
                                r = s->batch[i].prefetch(s, s->batch[i].userdata);
                if (r >= 0)
                        r = store_flush(s->store);
                if (r >= 0 || s->store->tx_depth == 0)
                        return r;
                (void) store_rollback(s->store);
                if (r != -ECONNRESET || retried)
                        return r;
                retried = true;
        }
}

/* Whether every job of the batch may run ahead (server_submit_ahead()). */
static bool batch_all_ahead(Server *s) {
        for (size_t i = 0; i < s->n_batch; i++)
                if (!s->batch[i].settle)
                        return false;
        return true;
}

/* A batch of jobs that may run ahead (server_submit_ahead()), begun: on PostgreSQL a
 * report's reads arrived with the batch's BEGIN (the first of its device in the batch) or
 * wait once, its writes going with the next wait or the COMMIT; on both backends its
 * reports take no savepoint (docs/internals/store.md, "Units without a savepoint").
 * Returns false when a write sent ahead failed or a report that wrote was undone: the
 * caller then runs it again, one savepoint per report. */
static bool batch_run_ahead(Server *s) {
        if (store_run_ahead(s->store) <= 0)
                return false;
        for (size_t i = 0; i < s->n_batch && !store_ahead_failed(s->store); i++)
                (void) s->batch[i].fn(s, s->batch[i].userdata, s->batch[i].req);
        if (store_ahead_failed(s->store))
                return false;
        commit_start(s); /* the jobs settle once it returns (commit_finished()) */
        return true;
}

/* A write sent ahead failed, or a report that wrote was undone without a savepoint, in
 * some job of the batch (it cannot be told which): undo the batch and begin it again.
 * Nothing but the store was touched: jobs settle after. */
static int batch_restart(Server *s) {
        log_info("A report of the batch failed after writing (%s): running the batch's %zu job(s) again, "
                 "one savepoint per report.",
                 store_error(s->store), s->n_batch);
        if (s->store->tx_depth > 0)
                (void) store_rollback(s->store);
        return store_begin(s->store);
}

/* Runs every queued job in one transaction, then hands the COMMIT to the thread. */
static void run_batch(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;
        ServerJob *jobs = s->jobs;
        size_t alloc = s->n_jobs_alloc;
        int r;

        (void) fd, (void) what;
        if (s->committing || s->n_jobs == 0)
                return;
        /* This batch's jobs apart (empty since the last COMMIT): what is submitted meanwhile
         * makes the next one. */
        s->jobs = s->batch, s->n_jobs_alloc = s->n_batch_alloc;
        s->batch = jobs, s->n_batch_alloc = alloc, s->n_batch = s->n_jobs;
        s->n_jobs = 0;
        if (batch_all_ahead(s)) {
                r = batch_begin_prefetched(s);
                if (r >= 0 && batch_run_ahead(s))
                        return;
        } else
                r = store_begin(s->store);
        if (r >= 0 && store_ahead_failed(s->store))
                r = batch_restart(s);
        batch_run(s, r);
}

/* Back from the commit thread. A batch run ahead settles its jobs now, or runs again if a
 * write sent ahead failed (the COMMIT was its first wait after it). */
static void commit_finished(Server *s) {
        int r = s->commit_result;

        s->committing = false;
        if (s->n_batch > 0 && r < 0 && store_ahead_failed(s->store)) {
                batch_run(s, batch_restart(s));
                return;
        }
        for (size_t i = 0; i < s->n_batch; i++) {
                s->batch[i].settle(s, s->batch[i].userdata, s->batch[i].req);
                job_done(&s->batch[i]);
        }
        s->n_batch = 0;
        send_pending(s, r);
}

static void commit_returned(Server *s) {
        commit_finished(s);
        /* What queued up during the fsync is the next batch. */
        run_batch(-1, 0, s);
}

static void commit_done(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;
        uint64_t n;

        (void) what;
        if (read(fd, &n, sizeof(n)) != sizeof(n) || !s->committing)
                return;
        commit_returned(s);
}

static int submit(Server *s, struct evhttp_request *req, ServerJobFn fn, ServerSettleFn settle,
                  ServerPrefetchFn prefetch, const char *key, void *userdata, void (*free_fn)(void *userdata)) {
        if (s->n_jobs == s->n_jobs_alloc) {
                size_t n = MAX(s->n_jobs_alloc * 2, (size_t) 64);
                ServerJob *j = realloc(s->jobs, n * sizeof(ServerJob));
                if (!j) {
                        if (free_fn)
                                free_fn(userdata);
                        if (req)
                                http_send(req, 503, http_error_buffer("out_of_memory", "retry later"), true);
                        return -ENOMEM;
                }
                s->jobs = j;
                s->n_jobs_alloc = n;
        }
        s->jobs[s->n_jobs++] = (ServerJob) { .fn = fn, .settle = settle, .prefetch = prefetch, .key = key,
                                             .userdata = userdata, .free = free_fn, .req = req };
        if (!s->committing)
                event_active(s->batch_event, EV_TIMEOUT, 0);
        return 0;
}

int server_submit(Server *s, struct evhttp_request *req, ServerJobFn fn, void *userdata,
                  void (*free_fn)(void *userdata)) {
        return submit(s, req, fn, NULL, NULL, NULL, userdata, free_fn);
}

int server_submit_ahead(Server *s, struct evhttp_request *req, ServerJobFn fn, ServerSettleFn settle,
                        ServerPrefetchFn prefetch, const char *key, void *userdata,
                        void (*free_fn)(void *userdata)) {
        return submit(s, req, fn, settle, prefetch, key, userdata, free_fn);
}

int server_tx_begin(Server *s) {
        return store_begin(s->store);
}

int server_tx_end(Server *s, bool ok) {
        return ok ? store_commit(s->store) : store_rollback(s->store);
}

int server_reply_after_commit(Server *s, struct evhttp_request *req, int code, struct evbuffer *body) {
        if (s->n_pending == s->n_pending_alloc) {
                size_t n = MAX(s->n_pending_alloc * 2, (size_t) 64);
                PendingReply *p = realloc(s->pending, n * sizeof(PendingReply));
                if (!p) {
                        if (body)
                                evbuffer_free(body);
                        http_send(req, 503, NULL, true);
                        return -ENOMEM;
                }
                s->pending = p;
                s->n_pending_alloc = n;
        }
        s->pending[s->n_pending++] = (PendingReply) { req, code, body };
        return 0;
}

/* Under work_lock: whether to wake a worker (then signal after the unlock, so that it
 * does not wait for the lock at once): one sleeps, none is being woken already, and at
 * least min items wait. */
static bool worker_wake_locked(Server *s, size_t min) {
        if (s->n_queued < MAX(min, (size_t) 1) || s->n_idle == 0 || s->wake_pending)
                return false;
        s->wake_pending = true;
        return true;
}

static void *worker_thread(void *userdata) {
        Server *s = userdata;
        uint64_t one = 1;

        pthread_mutex_lock(&s->work_lock);
        for (;;) {
                Offload *o;
                bool wake;

                while (!s->work_head && !s->workers_exit) {
                        s->n_idle++;
                        pthread_cond_wait(&s->work_cond, &s->work_lock);
                        s->n_idle--;
                        s->wake_pending = false;
                }
                if (!s->work_head)
                        break; /* exiting, and the queue is empty */
                o = s->work_head;
                s->work_head = o->next;
                if (!s->work_head)
                        s->work_tail = NULL;
                s->n_queued--;
                /* More queued and a worker asleep: this one wakes it, not the loop. */
                wake = worker_wake_locked(s, 1);
                pthread_mutex_unlock(&s->work_lock);
                if (wake)
                        pthread_cond_signal(&s->work_cond);
                o->work(o->userdata);
                o->next = NULL;
                pthread_mutex_lock(&s->work_lock);
                /* A list that was not empty has its wake-up pending already: the loop
                 * takes the whole list at once (offload_done()); nor does it need one
                 * while it holds an item, at whose end it takes the list too
                 * (offload_held()). The write goes outside the lock, which the loop may
                 * be waiting for. */
                if (s->done_tail)
                        s->done_tail->next = o;
                else
                        s->done_head = o;
                s->done_tail = o;
                if (s->done_head == o && !s->held_takes_done) {
                        pthread_mutex_unlock(&s->work_lock);
                        (void) !write(s->done_efd, &one, sizeof(one));
                        pthread_mutex_lock(&s->work_lock);
                }
        }
        pthread_mutex_unlock(&s->work_lock);
        return NULL;
}

/* Back on the loop: hand each finished item to its done callback, in order. held_end:
 * called at the held item's end, which the workers count on to take the list (no eventfd
 * written meanwhile); the flag is cleared with the list taken, under the lock, so that an
 * item finishing after that writes the eventfd again. */
static void offload_deliver(Server *s, bool held_end) {
        Offload *list;

        pthread_mutex_lock(&s->work_lock);
        if (held_end)
                s->held_takes_done = false;
        list = s->done_head;
        s->done_head = s->done_tail = NULL;
        pthread_mutex_unlock(&s->work_lock);
        while (list) {
                Offload *o = list;
                list = o->next;
                s->n_offloaded--;
                o->done(s, o->userdata);
        }
}

static void offload_done(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;
        uint64_t n;

        (void) what;
        if (fd >= 0)
                (void) !read(fd, &n, sizeof(n));
        offload_deliver(s, false);
}

static void offload_run_here(Server *s, Offload *o) {
        s->metrics.verified_on_loop++;
        o->work(o->userdata);
        o->done(s, o->userdata);
}

/* The loop has handled everything readable (this event has the lowest priority): what
 * the turn queued goes to the workers with one wake-up, and the item the loop held, the
 * turn's first, is run by the loop itself, sparing its hand-off (a worker's wake-up, the
 * eventfd back). Then what the workers finished meanwhile, without their eventfd. */
static void offload_held(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;
        Offload *o = s->held;
        bool wake;

        (void) fd, (void) what;
        if (!o)
                return;
        pthread_mutex_lock(&s->work_lock);
        wake = worker_wake_locked(s, 1);
        pthread_mutex_unlock(&s->work_lock);
        if (wake)
                pthread_cond_signal(&s->work_cond);
        s->held = NULL;
        s->n_offloaded--;
        offload_run_here(s, o);
        offload_deliver(s, true);
}

/* Once a window: whether the loop hands off (busy) or verifies everything itself. A
 * hand-off costs the server ~10–15 µs a report (the worker's wake-up and sleep, the eventfd
 * back, the loop's extra turn: docs/internals/ingest.md), worth it only when the loop would
 * otherwise fall behind. The process's CPU counts the workers' too, so the figure means
 * the same in both modes: the share of a core the work takes. */
static void offload_policy_update(Server *s) {
        usec_t now = now_monotonic(), cpu, pct;

        if (now - s->busy_since < OFFLOAD_WINDOW_USEC)
                return;
        cpu = now_process_cpu();
        pct = (cpu - s->busy_cpu) * 100 / (now - s->busy_since);
        if (pct >= s->offload_cpu_high)
                s->offload_busy = true;
        else if (pct < s->offload_cpu_low)
                s->offload_busy = false;
        s->busy_since = now;
        s->busy_cpu = cpu;
}

void server_offload(Server *s, Offload *o, OffloadWorkFn work, OffloadDoneFn done, void *userdata) {
        bool wake;

        *o = (Offload) { work, done, userdata, NULL };
        if (s->n_workers > 0)
                offload_policy_update(s);
        if (!s->offload_busy) {
                offload_run_here(s, o);
                return;
        }
        s->n_offloaded++;
        /* The first item of a turn waits for the turn's end, to run on the loop; the
         * others would wait behind it, and go to the workers. */
        if (!s->held) {
                s->held = o;
                pthread_mutex_lock(&s->work_lock);
                s->held_takes_done = true;
                pthread_mutex_unlock(&s->work_lock);
                event_active(s->held_event, EV_TIMEOUT, 0);
                return;
        }
        s->metrics.verified_on_workers++;
        pthread_mutex_lock(&s->work_lock);
        if (s->work_tail)
                s->work_tail->next = o;
        else
                s->work_head = o;
        s->work_tail = o;
        s->n_queued++;
        /* One wake-up for the turn's items, at its end (offload_held()); a turn bringing
         * many (a burst) starts the workers before, not to leave them idle meanwhile. A
         * worker awake takes them without a signal. */
        wake = worker_wake_locked(s, OFFLOAD_WAKE_QUEUED);
        pthread_mutex_unlock(&s->work_lock);
        if (wake)
                pthread_cond_signal(&s->work_cond);
}

static int workers_start(Server *s) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        size_t n = s->config->verify_threads >= 0 ? (size_t) s->config->verify_threads
                                                  : (size_t) MAX(cpus - 1, 1L);
        int r;

        if (n == 0)
                return 0;
        s->offload_cpu_low = OFFLOAD_CPU_LOW;
        s->offload_cpu_high = OFFLOAD_CPU_HIGH;
#ifdef VIGIE_TEST_HOOKS
        /* Test builds only: VIGIE_OFFLOAD_CPU=LOW,HIGH (percent of one core) puts a server
         * "under pressure" without loading the machine ("0,0": always). */
        const char *e = getenv("VIGIE_OFFLOAD_CPU");
        char junk;
        if (e && sscanf(e, "%u,%u%c", &s->offload_cpu_low, &s->offload_cpu_high, &junk) != 2)
                return log_error_errno(-EINVAL, "VIGIE_OFFLOAD_CPU=\"%s\": expected LOW,HIGH, "
                                       "percents of one core", e);
#endif
        s->busy_since = now_monotonic();
        s->busy_cpu = now_process_cpu();
        s->done_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->done_efd < 0)
                return -errno;
        s->done_event = event_new(s->base, s->done_efd, EV_READ | EV_PERSIST, offload_done, s);
        s->held_event = event_new(s->base, -1, 0, offload_held, s);
        s->workers = calloc(n, sizeof(pthread_t));
        if (!s->done_event || !s->held_event || !s->workers || event_add(s->done_event, NULL) < 0 ||
            event_priority_set(s->held_event, 2) < 0)
                return -ENOMEM;
        for (; s->n_workers < n; s->n_workers++) {
                r = -pthread_create(&s->workers[s->n_workers], NULL, worker_thread, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Workers finish what is queued, then exit; their results are delivered, and the item
 * the loop held is run. */
static void workers_stop(Server *s) {
        offload_held(-1, 0, s);
        if (s->n_workers == 0)
                return;
        pthread_mutex_lock(&s->work_lock);
        s->workers_exit = true;
        pthread_cond_broadcast(&s->work_cond);
        pthread_mutex_unlock(&s->work_lock);
        for (size_t i = 0; i < s->n_workers; i++)
                pthread_join(s->workers[i], NULL);
        s->n_workers = 0;
        offload_done(-1, 0, s);
}

/* At exit: the last batch, synchronously. */
static void flush_sync(Server *s) {
        while (s->committing) {
                uint64_t n;
                if (s->commit_waiting) {
                        (void) event_del(s->commit_wait_event);
                        s->commit_waiting = false;
                        if (s->commit_result > 0)
                                s->commit_result = store_commit_receive(s->store, true);
                        commit_finished(s);
                } else if (read(s->commit_efd, &n, sizeof(n)) == sizeof(n))
                        commit_finished(s);
        }
        if (s->n_jobs > 0) {
                run_batch(-1, 0, s);
                flush_sync(s);
        }
}

static void drain_tick(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;
        static const struct timeval tick = { 0, DRAIN_TICK_USEC };

        (void) fd, (void) what;
        if ((s->n_offloaded == 0 && s->n_jobs == 0 && !s->committing && !http_connections_busy(s)) ||
            now_monotonic() >= s->stop_deadline) {
                event_base_loopexit(s->base, NULL);
                return;
        }
        evtimer_add(s->stop_timer, &tick);
}

/* SIGTERM/SIGINT: stop accepting, let in-flight requests finish and their batch commit,
 * flush the replies, then leave the loop. */
static void on_signal(evutil_socket_t sig, short what, void *userdata) {
        Server *s = userdata;

        (void) what;
        if (s->stopping)
                return;
        log_info("Received %s, stopping: finishing in-flight requests.", strsignal((int) sig));
        (void) sd_notify(0, "STOPPING=1");
        s->stopping = true;
        if (s->listener) {
                evhttp_del_accept_socket(s->http, s->listener);
                s->listener = NULL;
        }
        s->stop_deadline = now_monotonic() + s->config->request_timeout;
        drain_tick(-1, 0, s);
}

/* "ADDRESS:PORT" or "[IPV6]:PORT"; numeric only, port 0 picks a free one. */
static int parse_listen(const char *listen_address, struct sockaddr_storage *ret, int *ret_len) {
        _cleanup_free_ char *host = NULL;
        const char *colon = strrchr(listen_address, ':'), *h = listen_address;
        struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                                  .ai_socktype = SOCK_STREAM }, *ai = NULL;
        size_t hl;

        if (!colon || !colon[1])
                return -EINVAL;
        hl = colon - listen_address;
        if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
                h++, hl -= 2;
        host = strndup(h, hl);
        if (!host)
                return -ENOMEM;
        if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
                return -EINVAL;
        memcpy(ret, ai->ai_addr, ai->ai_addrlen);
        *ret_len = (int) ai->ai_addrlen;
        freeaddrinfo(ai);
        return 0;
}

static int bind_listener(Server *s, const char *address) {
        struct sockaddr_storage sa;
        int len, r;
        _cleanup_close_ int fd = -1;
        struct evhttp_bound_socket *b;

        r = parse_listen(address, &sa, &len);
        if (r < 0)
                return log_error_errno(r, "Invalid listen address \"%s\": use ADDRESS:PORT, e.g. 0.0.0.0:8443 or [::1]:8443.", address);
        fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(errno, "Cannot create socket: %m");
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int) { 1 }, sizeof(int)) < 0)
                return log_error_errno(errno, "Cannot set SO_REUSEADDR: %m");
        /* Accepted sockets inherit it: replies leave as whole TLS records without waiting
         * for the client's delayed ACK (Nagle), which otherwise costs ~40 ms a request. */
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof(int)) < 0)
                return log_error_errno(errno, "Cannot set TCP_NODELAY: %m");
        if (bind(fd, (struct sockaddr *) &sa, len) < 0)
                return log_error_errno(errno, "Cannot listen on %s: %m", address);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Cannot listen on %s: %m", address);
        b = evhttp_accept_socket_with_handle(s->http, fd);
        if (!b)
                return log_error_errno(ENOMEM, "Cannot accept on %s.", address);
        TAKE_FD(fd);
        s->listener = b;
        len = sizeof(sa);
        if (getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *) &sa, (socklen_t *) &len) == 0)
                s->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &sa)->sin6_port
                                                         : ((struct sockaddr_in *) &sa)->sin_port);
        return 0;
}

/* With epoll, changes to one fd within a loop turn go to the kernel as one epoll_ctl() at
 * its end: evhttp enables a reply's write and read one after the other, and a reply written
 * in the turn it was queued (http_send()) adds and removes its write interest in the same
 * turn, which then costs nothing. Safe here: no fd the loop watches is ever dup()ed. */
static int server_loop_new(struct event_base **ret) {
        struct event_config *cfg = event_config_new();
        struct event_base *base;

        if (!cfg)
                return -ENOMEM;
        (void) event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
        base = event_base_new_with_config(cfg);
        event_config_free(cfg);
        if (!base)
                return -ENOMEM;
        *ret = base;
        return 0;
}

int server_new(const char *dir, const char *listen, const char *db, Server **ret) {
        _cleanup_(server_freep) Server *s = calloc(1, sizeof(Server));
        _cleanup_free_ char *error = NULL;
        int r;

        if (!s || !(s->dir = strdup(dir)))
                return log_oom();
        s->commit_efd = s->done_efd = -1;
        pthread_mutex_init(&s->work_lock, NULL);
        pthread_cond_init(&s->work_cond, NULL);
        pthread_mutex_init(&s->commit_lock, NULL);
        pthread_cond_init(&s->commit_cond, NULL);
        r = server_config_load(dir, &s->config, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot load the configuration: %s", strnull(error));
        s->report_budget = budget_new((unsigned) s->config->device_report_burst, s->config->device_report_interval);
        if (!s->report_budget)
                return log_oom();
        /* Two connections: one writes (batches, committed by the commit thread), one
         * reads on the loop (per-request revocation, policy) while a COMMIT runs. */
        r = store_open(db ?: s->config->database, &s->store, &error);
        if (r >= 0)
                r = store_open(db ?: s->config->database, &s->store_ro, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot open the database: %s", strnull(error));
        if (store_fleet_trigram_index(s->store) < 0)
                log_warning("Cannot create the hostname trigram index (%s): fleet searches by hostname "
                            "(?q=) will walk the device list. Run \"CREATE EXTENSION pg_trgm;\" in the "
                            "database as its owner or a superuser, then restart vigie-server.",
                            store_error(s->store));
        r = ca_load(dir, &s->ca);
        if (r < 0)
                return log_error_errno(r, "Cannot load the CA from \"%s\": %m — run \"vigie-server init --dir %s\" first.", dir, dir);
        s->ca_pem = pem_from_cert(s->ca->cert);
        if (!s->ca_pem)
                return log_oom();
        r = enroll_attest_new(s->config->tpm_root_cas, &s->attest, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot set up TPM attestation: %s", strnull(error));
        r = tls_context_new(dir, s->config->tls_sessions, s->config->tls_session_lifetime, &s->ssl_ctx, &error);
        if (r < 0)
                return log_error_errno(r, "TLS setup failed: %s", strnull(error));
        /* A client that hangs up while we write must cost an EPIPE, not the process. */
        if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
                return log_error_errno(errno, "Cannot ignore SIGPIPE: %m");
        r = server_loop_new(&s->base);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        /* Three priorities, everything at the default (1) but the batch runner (2, last):
         * it runs once every request already readable has joined the batch. */
        if (event_base_priority_init(s->base, 3) < 0)
                return log_oom();
        r = http_setup(s);
        if (r < 0)
                return log_error_errno(r, "Cannot set up HTTP: %m");
        s->batch_event = event_new(s->base, -1, 0, run_batch, s);
        if (!s->batch_event || event_priority_set(s->batch_event, 2) < 0)
                return log_oom();
        s->commit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->commit_efd < 0)
                return log_error_errno(errno, "Cannot create an eventfd: %m");
        s->commit_event = event_new(s->base, s->commit_efd, EV_READ | EV_PERSIST, commit_done, s);
        s->commit_wait_event = event_new(s->base, -1, 0, commit_received, s);
        if (!s->commit_event || !s->commit_wait_event || event_add(s->commit_event, NULL) < 0)
                return log_oom();
        r = -pthread_create(&s->commit_thread, NULL, commit_thread, s);
        if (r < 0)
                return log_error_errno(r, "Cannot start the commit thread: %m");
        s->commit_thread_started = true;
        r = workers_start(s);
        if (r < 0)
                return log_error_errno(r, "Cannot start the verification threads: %m");
        s->stop_timer = evtimer_new(s->base, drain_tick, s);
        s->sigterm = evsignal_new(s->base, SIGTERM, on_signal, s);
        s->sigint = evsignal_new(s->base, SIGINT, on_signal, s);
        if (!s->commit_event || !s->stop_timer || !s->sigterm || !s->sigint ||
            evsignal_add(s->sigterm, NULL) < 0 || evsignal_add(s->sigint, NULL) < 0)
                return log_oom();
        r = retention_start(s);
        if (r < 0)
                return log_oom();
        r = history_start(s);
        if (r < 0)
                return log_oom();
        r = alerts_start(s->config, db ?: s->config->database, &s->alerts);
        if (r < 0)
                return log_error_errno(r, "Cannot start alert delivery: %m");
        r = bind_listener(s, listen ?: s->config->listen);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

Server *server_free(Server *s) {
        if (!s)
                return NULL;
        workers_stop(s);
        free(s->workers);
        verdict_cache_free(s->verdicts);
        budget_free(s->report_budget);
        s->alerts = alerts_stop(s->alerts);
        if (s->commit_thread_started) {
                pthread_mutex_lock(&s->commit_lock);
                s->commit_thread_exit = true;
                pthread_cond_signal(&s->commit_cond);
                pthread_mutex_unlock(&s->commit_lock);
                pthread_join(s->commit_thread, NULL);
        }
        if (s->http)
                evhttp_free(s->http); /* frees the connections, and their Conn */
        if (s->commit_event)
                event_free(s->commit_event);
        if (s->commit_wait_event)
                event_free(s->commit_wait_event);
        if (s->batch_event)
                event_free(s->batch_event);
        if (s->done_event)
                event_free(s->done_event);
        if (s->held_event)
                event_free(s->held_event);
        if (s->done_efd >= 0)
                close(s->done_efd);
        if (s->commit_efd >= 0)
                close(s->commit_efd);
        for (size_t i = 0; i < s->n_jobs; i++)
                job_done(&s->jobs[i]);
        free(s->jobs);
        for (size_t i = 0; i < s->n_batch; i++)
                job_done(&s->batch[i]);
        free(s->batch);
        retention_stop(s);
        if (s->stop_timer)
                event_free(s->stop_timer);
        if (s->history_timer)
                event_free(s->history_timer);
        if (s->sigterm)
                event_free(s->sigterm);
        if (s->sigint)
                event_free(s->sigint);
        for (size_t i = 0; i < s->n_pending; i++)
                if (s->pending[i].body)
                        evbuffer_free(s->pending[i].body);
        free(s->pending);
        if (s->base)
                event_base_free(s->base);
        SSL_CTX_free(s->ssl_ctx);
        free(s->ca_pem);
        enroll_attest_free(s->attest);
        ca_free(s->ca);
        store_free(s->store);
        store_free(s->store_ro);
        server_config_free(s->config);
        free(s->dir);
        free(s);
        return NULL;
}

int server_run(Server *s) {
        log_info("Listening on port %u (database: %s).", s->port, s->store->backend->scheme);
        (void) sd_notifyf(0, "READY=1\nSTATUS=Listening on port %u", s->port);
        if (event_base_dispatch(s->base) < 0)
                return log_error_errno(EIO, "Event loop failed.");
        /* Anything still queued (the drain deadline passed) is verified and committed now. */
        workers_stop(s);
        flush_sync(s);
        log_info("Stopped after %" PRIu64 " requests: %" PRIu64 " reports accepted, %" PRIu64
                 " duplicates, %" PRIu64 " refused; %" PRIu64 " requests in %" PRIu64 " commits.",
                 s->stats.requests, s->stats.reports_accepted, s->stats.reports_duplicate,
                 s->stats.reports_refused, s->stats.committed_requests, s->stats.commits);
        log_info("Report bodies verified: %" PRIu64 " on the event loop, %" PRIu64 " on verification threads.",
                 s->metrics.verified_on_loop, s->metrics.verified_on_workers);
        log_info("SQL statements: %" PRIu64 " on the write connection (%" PRIu64 " round trips), %" PRIu64
                 " on the read connection (%" PRIu64 " round trips).",
                 s->store->statements, s->store->round_trips, s->store_ro ? s->store_ro->statements : 0,
                 s->store_ro ? s->store_ro->round_trips : 0);
        return 0;
}
