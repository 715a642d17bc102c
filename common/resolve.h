/* SPDX-License-Identifier: MIT */
#pragma once

/* getaddrinfo() that gives up at a deadline. glibc's resolver waits timeout × attempts per
 * nameserver (5 s × 2 by default, for A and AAAA, and again per search domain): a laptop
 * on a captive or dead network would wait far past the caller's connect timeout. */

#include <netdb.h>

#include "macro.h"

/* Resolves host (an address literal at once, a name in glibc's getaddrinfo_a() thread)
 * until deadline (CLOCK_MONOTONIC µs). Returns 0 with *ret (freeaddrinfo() it),
 * -ETIMEDOUT, -ENOMEM, or -EHOSTUNREACH with *ret_gai_error: the EAI_* code, for
 * gai_strerror() (EAI_SYSTEM: errno's). */
int resolve_host(const char *host, const char *port, const struct addrinfo *hints, usec_t deadline,
                 struct addrinfo **ret, int *ret_gai_error);
