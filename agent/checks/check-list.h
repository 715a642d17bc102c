/* SPDX-License-Identifier: MIT */
/* The checks, one line each, in report order: CHECK(id) names the module's descriptor
 * `const Check check_<id>` (checks.h). Included by registry.c only; no include guard. */
CHECK(disk_encryption)
CHECK(patch_level)
CHECK(backup)
CHECK(screen_lock)
CHECK(secure_boot)
CHECK(firewall)
