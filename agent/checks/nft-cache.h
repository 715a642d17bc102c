/* SPDX-License-Identifier: MIT */
#pragma once

/* The nftables ruleset's JSON, kept between runs in STATE_DIRECTORY/cache/nft-ruleset:
 * listing it loads libnftables and the five libraries it pulls in, and asks the kernel for
 * every table, chain, rule and set, while a laptop's ruleset changes a few times a day at
 * most. The kernel counts its changes: every committed nftables transaction moves the
 * network namespace's ruleset generation (nfnetlink's NFT_MSG_GETGEN, the number nft
 * itself checks to see a ruleset move under its listing), which starts again at boot. The
 * key is that generation with the boot's id and the network namespace's identity (its
 * inode, and its cookie, which unlike the inode no later namespace gets), so a run whose
 * key matches reads the file instead of listing. What `list ruleset` shows that
 * no transaction moves (counters, elements a rule adds to a named set) the firewall check
 * does not read. A listing is kept only when the generation is the same before and after
 * it; a file that is damaged, of another format or of another key is never used. */

#include <stddef.h>
#include <stdint.h>

#define NFT_CACHE_FILE "nft-ruleset" /* under STATE_DIRECTORY/cache */

/* The key of the ruleset the kernel holds now, as text. -errno when the generation cannot
 * be read (no netlink socket, no CAP_NET_ADMIN) or the boot or namespace has no identity:
 * then nothing is kept nor read. */
int nft_cache_key(char **ret_key);

/* The JSON in a cache file's bytes, in place (*ret_json, *ret_size), when the file is ours
 * and of this key (key NULL: any, for fuzzing). -EBADMSG damaged or foreign, -ESTALE of
 * another key. */
int nft_cache_parse(const char *data, size_t size, const char *key, const char **ret_json, size_t *ret_size);

/* The cached JSON of key, NUL-terminated: 1; 0 when there is none usable (-ENOMEM only). */
int nft_cache_load(const char *cache_dir, const char *key, char **ret_json);
/* Keeps json under key; failures are only logged: the next run lists again. */
void nft_cache_save(const char *cache_dir, const char *key, const char *json);
