/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"
#include "time-util.h"

/* A lookup outlives its caller when the deadline passes while glibc's thread still runs
 * it (gai_cancel() only takes back lookups not started): whichever of the caller and
 * the lookup's end comes last frees it. */
typedef struct Lookup {
        struct gaicb cb;
        struct addrinfo hints;
        atomic_int state;
        char names[]; /* host, NUL, port, NUL */
} Lookup;

enum { LOOKUP_RUNNING, LOOKUP_ENDED, LOOKUP_LEFT };

static void lookup_free(Lookup *l) {
        if (l->cb.ar_result)
                freeaddrinfo(l->cb.ar_result);
        free(l);
}

/* glibc's notification, in a thread of its own, once the lookup has ended. */
static void lookup_ended(union sigval v) {
        Lookup *l = v.sival_ptr;

        if (atomic_exchange(&l->state, LOOKUP_ENDED) == LOOKUP_LEFT)
                lookup_free(l);
}

/* The caller is done with l; started: glibc knows it and will notify its end. */
static void lookup_leave(Lookup *l, bool started) {
        if (!started || atomic_exchange(&l->state, LOOKUP_LEFT) == LOOKUP_ENDED)
                lookup_free(l);
}

static int lookup_error(int e, int *ret_gai_error) {
        if (e == EAI_MEMORY)
                return -ENOMEM;
        *ret_gai_error = e;
        return -EHOSTUNREACH;
}

int resolve_host(const char *host, const char *port, const struct addrinfo *hints, usec_t deadline,
                 struct addrinfo **ret, int *ret_gai_error) {
        struct addrinfo numeric = *hints;
        size_t host_len = strlen(host), port_len = port ? strlen(port) : 0;
        struct sigevent ended = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = lookup_ended };
        struct gaicb *list[1];
        Lookup *l;
        int e;

        /* An address literal needs no lookup, nor a thread. */
        numeric.ai_flags |= AI_NUMERICHOST;
        e = getaddrinfo(host, port, &numeric, ret);
        if (e != EAI_NONAME)
                return e == 0 ? 0 : lookup_error(e, ret_gai_error);

        l = calloc(1, sizeof(Lookup) + host_len + 1 + port_len + 1);
        if (!l)
                return -ENOMEM;
        memcpy(l->names, host, host_len);
        if (port)
                memcpy(l->names + host_len + 1, port, port_len);
        l->hints = *hints;
        l->cb = (struct gaicb) { .ar_name = l->names, .ar_service = port ? l->names + host_len + 1 : NULL,
                                 .ar_request = &l->hints };
        ended.sigev_value.sival_ptr = l;
        list[0] = &l->cb;
        e = getaddrinfo_a(GAI_NOWAIT, list, 1, &ended);
        if (e != 0) {
                lookup_leave(l, false);
                return lookup_error(e, ret_gai_error);
        }
        while ((e = gai_error(&l->cb)) == EAI_INPROGRESS) {
                usec_t now = now_monotonic();
                struct timespec left;

                if (now >= deadline)
                        break;
                left = (struct timespec) { .tv_sec = (time_t) ((deadline - now) / USEC_PER_SEC),
                                           .tv_nsec = (long) ((deadline - now) % USEC_PER_SEC * 1000) };
                (void) gai_suspend((const struct gaicb *const *) list, 1, &left);
        }
        if (e == EAI_INPROGRESS) {
                bool canceled = gai_cancel(&l->cb) == EAI_CANCELED;
                lookup_leave(l, !canceled);
                return -ETIMEDOUT;
        }
        if (e == 0) {
                *ret = l->cb.ar_result;
                l->cb.ar_result = NULL;
        }
        lookup_leave(l, true);
        return e == 0 ? 0 : lookup_error(e, ret_gai_error);
}
