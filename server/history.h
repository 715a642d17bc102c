/* SPDX-License-Identifier: MIT */
#pragma once

/* The fleet history recorder (docs/internals/fleet-history.md): when the server starts and
 * then every minute, the current hour's and the current UTC day's snapshots of the fleet
 * summary are recorded if no instance recorded them yet, and snapshots past their
 * retention are deleted. */

#include "server.h"

/* Records the missing snapshots now (synchronously) and arms the minute timer. */
int history_start(Server *s);
