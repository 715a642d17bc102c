/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error-util.h"
#include "json-util.h"
#include "macro.h"
#include "nft-ruleset.h"
#include "parse-util.h"

static void rule_done(NftRule *r) {
        free(r->target);
        strv_free(r->ports);
}

NftRuleset *nft_ruleset_free(NftRuleset *rs) {
        if (!rs)
                return NULL;
        for (size_t i = 0; i < rs->n_chains; i++) {
                NftChain *c = &rs->chains[i];
                free(c->family);
                free(c->table);
                free(c->name);
                free(c->hook);
                free(c->policy);
                for (size_t k = 0; k < c->n_rules; k++)
                        rule_done(&c->rules[k]);
                free(c->rules);
        }
        free(rs->chains);
        free(rs);
        return NULL;
}

static const char *str(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

const NftChain *nft_ruleset_find_chain(const NftRuleset *rs, const char *family, const char *table,
                                       const char *name) {
        for (size_t i = 0; i < rs->n_chains; i++)
                if (streq(rs->chains[i].family, family) && streq(rs->chains[i].table, table) &&
                    streq(rs->chains[i].name, name))
                        return &rs->chains[i];
        return NULL;
}

/* A port value: a number, {"range":[a,b]}; anything else (named sets, maps) is -EINVAL. */
static int port_text(json_object *v, const char *proto, char **ret) {
        json_object *range, *a, *b;

        if (json_object_is_type(v, json_type_int)) {
                int64_t p = json_object_get_int64(v);
                return p < 0 || p > 65535 || asprintf(ret, "%lld/%s", (long long) p, proto) < 0 ? -EINVAL : 0;
        }
        if (json_object_is_type(v, json_type_object) && json_object_object_get_ex(v, "range", &range) &&
            json_object_is_type(range, json_type_array) && json_object_array_length(range) == 2 &&
            json_object_is_type(a = json_object_array_get_idx(range, 0), json_type_int) &&
            json_object_is_type(b = json_object_array_get_idx(range, 1), json_type_int)) {
                int64_t x = json_object_get_int64(a), y = json_object_get_int64(b);
                if (x < 0 || y > 65535 || x > y || asprintf(ret, "%lld-%lld/%s", (long long) x, (long long) y, proto) < 0)
                        return -EINVAL;
                return 0;
        }
        return -EINVAL;
}

/* {"match":{"left":{"payload":{"protocol":"tcp","field":"dport"}},"right":…}} → ports. */
static int match_ports(json_object *match, char ***ports) {
        json_object *left, *payload, *right, *set;
        const char *proto, *field, *op = str(match, "op");

        if (!json_object_object_get_ex(match, "left", &left) || !json_object_object_get_ex(left, "payload", &payload) ||
            !(proto = str(payload, "protocol")) || !(field = str(payload, "field")) || !streq(field, "dport") ||
            !json_object_object_get_ex(match, "right", &right) || (op && !streq(op, "==") && !streq(op, "in")))
                return 0;
        if (streq(proto, "th"))
                proto = "any";
        if (json_object_is_type(right, json_type_object) && json_object_object_get_ex(right, "set", &set) &&
            json_object_is_type(set, json_type_array)) {
                size_t n = json_object_array_length(set);
                if (n > NFT_PORTS_MAX)
                        return -E2BIG;
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *p = NULL;
                        if (port_text(json_object_array_get_idx(set, i), proto, &p) >= 0 &&
                            strv_extend(ports, p) < 0)
                                return -ENOMEM;
                }
                return 0;
        }
        _cleanup_free_ char *p = NULL;
        if (port_text(right, proto, &p) >= 0 && strv_extend(ports, p) < 0)
                return -ENOMEM;
        return 0;
}

static int parse_rule(json_object *expr, NftRule *r) {
        _cleanup_strv_free_ char **ports = NULL;
        size_t n;

        if (!json_object_is_type(expr, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(expr);
        for (size_t i = 0; i < n && r->verdict == NFT_NONE; i++) {
                json_object *st = json_object_array_get_idx(expr, i), *v;

                if (!json_object_is_type(st, json_type_object) || json_object_object_length(st) != 1)
                        return -EBADMSG;
                json_object_object_foreach(st, key, val) {
                        if (streq(key, "match")) {
                                r->conditional = true;
                                if (match_ports(val, &ports) < 0)
                                        return -E2BIG;
                        } else if (streq(key, "accept"))
                                r->verdict = NFT_ACCEPT;
                        else if (streq(key, "drop") || streq(key, "reject"))
                                r->verdict = NFT_DROP;
                        else if (streq(key, "return"))
                                r->verdict = NFT_RETURN;
                        else if (streq(key, "jump") || streq(key, "goto")) {
                                const char *t = json_object_object_get_ex(st, key, &v) ? str(v, "target") : NULL;
                                if (!t)
                                        return -EBADMSG;
                                r->verdict = NFT_JUMP;
                                if (!(r->target = strdup(t)))
                                        return -ENOMEM;
                        } else if (!streq(key, "counter") && !streq(key, "log") && !streq(key, "comment"))
                                r->conditional = true; /* limit, xt, set lookups…: may not match all */
                }
        }
        if (r->verdict == NFT_ACCEPT)
                r->ports = TAKE_PTR(ports);
        return 0;
}

static int add_chain(NftRuleset *rs, json_object *c) {
        const char *family = str(c, "family"), *table = str(c, "table"), *name = str(c, "name");
        NftChain *nc, *ch;

        if (!family || !table || !name)
                return -EBADMSG;
        if (rs->n_chains >= NFT_CHAINS_MAX)
                return -E2BIG;
        nc = realloc(rs->chains, sizeof(NftChain) * (rs->n_chains + 1));
        if (!nc)
                return -ENOMEM;
        rs->chains = nc;
        ch = &rs->chains[rs->n_chains++];
        *ch = (NftChain) { .family = strdup(family), .table = strdup(table), .name = strdup(name) };
        if (!ch->family || !ch->table || !ch->name)
                return -ENOMEM;
        if (str(c, "hook") && !(ch->hook = strdup(str(c, "hook"))))
                return -ENOMEM;
        if (str(c, "policy") && !(ch->policy = strdup(str(c, "policy"))))
                return -ENOMEM;
        return 0;
}

static int add_rule(NftRuleset *rs, json_object *o, size_t *n_rules) {
        const char *family = str(o, "family"), *table = str(o, "table"), *chain = str(o, "chain");
        NftChain *c;
        NftRule *nr;
        json_object *expr;

        if (!family || !table || !chain || !json_object_object_get_ex(o, "expr", &expr))
                return -EBADMSG;
        c = (NftChain *) nft_ruleset_find_chain(rs, family, table, chain);
        if (!c)
                return -EBADMSG; /* nft prints a chain before its rules */
        if (++*n_rules > NFT_RULES_MAX)
                return -E2BIG;
        nr = realloc(c->rules, sizeof(NftRule) * (c->n_rules + 1));
        if (!nr)
                return -ENOMEM;
        c->rules = nr;
        c->rules[c->n_rules] = (NftRule) {};
        return parse_rule(expr, &c->rules[c->n_rules++]);
}

int nft_ruleset_parse(const char *json, size_t size, NftRuleset **ret, char **ret_error) {
        _cleanup_(nft_ruleset_freep) NftRuleset *rs = calloc(1, sizeof(NftRuleset));
        _cleanup_json_ json_object *j = NULL;
        json_object *list;
        size_t n_rules = 0;
        int r;

        if (!rs)
                return -ENOMEM;
        if (size > NFT_RULESET_MAX)
                return error_set(ret_error, -E2BIG, "ruleset larger than %u bytes", NFT_RULESET_MAX);
        if (json_parse(json, size, &j, ret_error) < 0)
                return -EBADMSG;
        if (!json_object_object_get_ex(j, "nftables", &list) || !json_object_is_type(list, json_type_array))
                return error_set(ret_error, -EBADMSG, "not an nftables ruleset: no \"nftables\" array");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i), *v;

                if (json_object_object_get_ex(o, "chain", &v))
                        r = add_chain(rs, v);
                else if (json_object_object_get_ex(o, "rule", &v))
                        r = add_rule(rs, v, &n_rules);
                else
                        continue; /* metainfo, table, set, map, element, flowtable… */
                if (r == -E2BIG)
                        return error_set(ret_error, r, "ruleset past %u chains or %u rules", NFT_CHAINS_MAX,
                                         NFT_RULES_MAX);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return error_set(ret_error, r, "nftables[%zu]: unexpected %s", i,
                                         json_object_object_get_ex(o, "chain", NULL) ? "chain" : "rule");
        }
        *ret = TAKE_PTR(rs);
        return 0;
}
