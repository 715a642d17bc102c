/* SPDX-License-Identifier: MIT */
#pragma once

/* One entry to journald in its native protocol (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/),
 * as sd_journal_sendv() sends it, without linking libsystemd (and the five libraries it
 * brings) into every program for the sake of its log lines. */

#include <stddef.h>
#include <sys/uio.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Sends the n "NAME=value" fields of iov (value may hold any byte, newlines included) as
 * one entry to the datagram socket at path: in one datagram, or, when it is too large for
 * one, in a sealed memfd passed over the socket. Thread-safe. Returns 0 or -errno
 * (-EINVAL for a field that is not NAME=value, -ENOENT when nothing listens at path). */
int journal_sendv(const char *path, const struct iovec *iov, size_t n);
