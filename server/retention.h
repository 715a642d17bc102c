/* SPDX-License-Identifier: MIT */
#pragma once

/* [Retention]: a timer that queues one pruning batch (store-prune.h) into the group commit
 * every PruneInterval, and the next one at once after a full batch, so pruning never holds
 * the database for long and still catches up after a long stop. */

#include "server.h"

/* Arms the timer (nothing to do when both limits are 0). */
int retention_start(Server *s);
void retention_stop(Server *s);
