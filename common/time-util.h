/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "macro.h"

/* Wall-clock now in µs. $VIGIE_NOW (seconds since the epoch, or an RFC 3339 time)
 * overrides it so tests can move time instead of sleeping. */
usec_t now_realtime(void);
/* CLOCK_MONOTONIC µs, for durations. */
usec_t now_monotonic(void);
/* The CPU time of the whole process (every thread, user and system) in µs. */
usec_t now_process_cpu(void);

/* RFC 3339 in UTC, "2026-11-29T19:09:58Z"; buf must hold 32 bytes. */
#define RFC3339_MAX 32
char *format_rfc3339(usec_t t, char buf[static RFC3339_MAX]);
/* Parses RFC 3339 / ISO 8601 date-times: "2026-11-29T19:09:58Z", with fractional seconds,
 * with "+01:00" offsets, "2026-11-29 19:09:58", or a date alone. Without an offset the
 * time is taken as UTC unless assume_local is true. */
int parse_rfc3339(const char *s, bool assume_local, usec_t *ret);
