/* SPDX-License-Identifier: MIT */
#pragma once

/* Questions about other processes, asked through /proc. */

#include <stdbool.h>
#include <stdint.h>

/* Whether PID is still a process named "vigie-agent" (its pid may have been reused). */
bool pid_is_vigie_agent(int64_t pid);
