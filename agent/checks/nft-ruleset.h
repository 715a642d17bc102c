/* SPDX-License-Identifier: MIT */
#pragma once

/* The nftables ruleset as libnftables prints it in JSON (`nft -j list ruleset`, schema
 * version 1), reduced to what the firewall check judges: every chain (base chains with
 * their hook and policy) and, per rule, its verdict, whether it matches only some packets,
 * and the destination ports it accepts. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFT_RULESET_MAX (16u * 1024 * 1024)  /* bytes of JSON we read */
#define NFT_CHAINS_MAX 10000u
#define NFT_RULES_MAX 200000u
#define NFT_PORTS_MAX 1024u                  /* port entries of one rule */

typedef enum NftVerdict {
        NFT_NONE,       /* no verdict: evaluation goes on (counter, log, set updates…) */
        NFT_ACCEPT,
        NFT_DROP,       /* drop or reject */
        NFT_JUMP,       /* jump or goto target */
        NFT_RETURN,
} NftVerdict;

typedef struct NftRule {
        NftVerdict verdict;
        bool conditional;   /* has a match (or anything we cannot tell matches everything) */
        char *target;       /* NFT_JUMP: the chain, in the same table */
        char **ports;       /* NFT_ACCEPT after a dport match: "22/tcp", "60000-61000/udp" */
} NftRule;

typedef struct NftChain {
        char *family, *table, *name;
        char *hook;         /* base chains: "input", "forward"…; NULL for a regular chain */
        char *policy;       /* base chains: "accept" or "drop" */
        NftRule *rules;
        size_t n_rules;
} NftChain;

typedef struct NftRuleset {
        NftChain *chains;
        size_t n_chains;
} NftRuleset;

/* -EBADMSG with a reason in *ret_error for JSON that is not a ruleset; -E2BIG past the
 * limits above. */
int nft_ruleset_parse(const char *json, size_t size, NftRuleset **ret, char **ret_error);
NftRuleset *nft_ruleset_free(NftRuleset *r);
static inline void nft_ruleset_freep(NftRuleset **r) {
        nft_ruleset_free(*r);
}
const NftChain *nft_ruleset_find_chain(const NftRuleset *r, const char *family, const char *table,
                                       const char *name);
