/* SPDX-License-Identifier: MIT */
/* The firewall check: is inbound traffic filtered? The nftables ruleset is read through
 * netlink with libnftables (JSON, parsed by nft-ruleset.c), and every base chain on the
 * input hook is judged: it denies by default when its policy is drop or its last rule drops
 * or rejects everything left, and no unconditional accept comes first. A packet crosses
 * every input chain, so one denying chain per address family is enough; IPv4 needs an ip or
 * inet chain, IPv6 an ip6 or inet one. ufw and firewalld count through the ruleset they
 * load. The ports open are those the denying chains accept (jumps followed).
 * It reads the network namespace the agent runs in, not --root. docs/checks.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>


#include "checks.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "nft-cache.h"
#include "nft-dl.h"
#include "nft-ruleset.h"
#include "parse-util.h"

#define JUMP_DEPTH_MAX 16

typedef struct PolicyFirewall {
        PolicyCheckHead head;
        bool require_inbound_default_deny;
        char **allowed_inbound_ports;  /* "22/tcp", "60000-61000/udp" */
} PolicyFirewall;

/* libnftables exits the whole process when it cannot open its netlink socket (nftables
 * 1.0's netlink_init_error()), as under a RestrictAddressFamilies= without AF_NETLINK:
 * open the same socket first and fail like a library. */
static int netlink_usable(void) {
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        return fd < 0 ? -errno : 0;
}

/* `list ruleset` through libnftables, as JSON. -EAFNOSUPPORT (or another socket error)
 * without AF_NETLINK; -EPERM without CAP_NET_ADMIN: nfnetlink answers no request, not even
 * a listing, from a process without it. */
static int list_ruleset(char **ret, char **ret_error) {
        const NftApi *nft;
        const char *out, *err;
        int r;

        if ((r = netlink_usable()) < 0)
                return r;
        if ((r = nft_api_load(&nft, &err)) < 0) {
                if (ret_error)
                        *ret_error = strdup(err);
                return r;
        }
        struct nft_ctx *c = nft->ctx_new(NFT_CTX_DEFAULT);
        if (!c)
                return -ENOMEM;
        nft->ctx_output_set_flags(c, NFT_CTX_OUTPUT_JSON);
        if (nft->ctx_buffer_output(c) != 0 || nft->ctx_buffer_error(c) != 0)
                r = -ENOMEM;
        else if (nft->run_cmd_from_buffer(c, "list ruleset") != 0) {
                err = nft->ctx_get_error_buffer(c);
                if (ret_error)
                        *ret_error = strndup(strempty(err), strcspn(strempty(err), "\n"));
                r = err && strstr(err, "Operation not permitted") ? -EPERM : -EIO;
        } else {
                out = nft->ctx_get_output_buffer(c);
                *ret = strdup(out && *out ? out : "{\"nftables\":[]}");
                r = *ret ? 0 : -ENOMEM;
        }
        nft->ctx_free(c);
        return r;
}

typedef struct Walk {
        bool accepts_all;
        bool drops_rest;
        char **ports;
} Walk;

static int walk(const NftRuleset *rs, const NftChain *c, unsigned depth, Walk *w) {
        for (size_t i = 0; i < c->n_rules && !w->accepts_all && !w->drops_rest; i++) {
                const NftRule *r = &c->rules[i];
                const NftChain *t;
                int k;

                switch (r->verdict) {
                case NFT_ACCEPT:
                        if (!r->conditional)
                                w->accepts_all = true;
                        for (char **p = r->ports; p && *p; p++)
                                if (!strv_contains(w->ports, *p) && strv_extend(&w->ports, *p) < 0)
                                        return -ENOMEM;
                        break;
                case NFT_DROP:
                        w->drops_rest = !r->conditional;
                        break;
                case NFT_JUMP:
                        t = nft_ruleset_find_chain(rs, c->family, c->table, r->target);
                        if (t && depth < JUMP_DEPTH_MAX && (k = walk(rs, t, depth + 1, w)) < 0)
                                return k;
                        break;
                case NFT_RETURN:
                        if (!r->conditional)
                                return 0;
                        break;
                case NFT_NONE:
                        break;
                }
        }
        return 0;
}

/* "N/proto" or "N-M/proto" → range; false when malformed. */
static bool port_range(const char *s, unsigned *lo, unsigned *hi, const char **proto) {
        char *end;
        unsigned long a = strtoul(s, &end, 10), b = a;

        if (end == s)
                return false;
        if (*end == '-') {
                const char *q = end + 1;
                b = strtoul(q, &end, 10);
                if (end == q)
                        return false;
        }
        if (*end != '/' || a > b || b > 65535)
                return false;
        *lo = (unsigned) a, *hi = (unsigned) b, *proto = end + 1;
        return true;
}

static bool port_allowed(const char *open, char **allowed) {
        unsigned lo, hi, alo, ahi;
        const char *proto, *aproto;

        if (!port_range(open, &lo, &hi, &proto))
                return false;
        for (char **a = allowed; a && *a; a++)
                if (port_range(*a, &alo, &ahi, &aproto) && streq(proto, aproto) && alo <= lo && hi <= ahi)
                        return true;
        return false;
}

static int chain_evidence(json_object *list, const NftChain *c, bool deny) {
        json_object *o = json_object_new_object();
        if (!o || json_object_array_add(list, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        if (json_add_string(o, "family", c->family) < 0 || json_add_string(o, "table", c->table) < 0 ||
            json_add_string(o, "name", c->name) < 0 || json_add_string(o, "policy", c->policy) < 0 ||
            json_add_bool(o, "default_deny", deny) < 0)
                return -ENOMEM;
        return 0;
}

typedef struct Findings {
        bool v4, v6, any_chain;
        char **ports, **managers;
} Findings;

static void findings_done(Findings *f) {
        strv_free(f->ports);
        strv_free(f->managers);
}

static int judge_chains(const NftRuleset *rs, json_object *ev, Findings *f) {
        json_object *chains = json_object_new_array();
        int r;

        if (!chains || json_add(ev, "input_chains", chains) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < rs->n_chains; i++) {
                const NftChain *c = &rs->chains[i];
                const char *m = streq(c->table, "firewalld") ? "firewalld" :
                                startswith_str(c->name, "ufw") ? "ufw" : NULL;
                _cleanup_strv_free_ char **ports = NULL;
                Walk w = {};
                bool deny;

                if (m && !strv_contains(f->managers, m) && strv_extend(&f->managers, m) < 0)
                        return -ENOMEM;
                if (!c->hook || !streq(c->hook, "input") ||
                    (!streq(c->family, "ip") && !streq(c->family, "ip6") && !streq(c->family, "inet")))
                        continue;
                f->any_chain = true;
                r = walk(rs, c, 0, &w);
                ports = w.ports;
                if (r < 0)
                        return r;
                deny = !w.accepts_all && (w.drops_rest || streq_ptr(c->policy, "drop"));
                if ((r = chain_evidence(chains, c, deny)) < 0)
                        return r;
                if (!deny)
                        continue;
                f->v4 = f->v4 || !streq(c->family, "ip6");
                f->v6 = f->v6 || !streq(c->family, "ip");
                for (char **p = ports; p && *p; p++)
                        if (!strv_contains(f->ports, *p) && strv_extend(&f->ports, *p) < 0)
                                return -ENOMEM;
        }
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int verdict(const PolicyFirewall *p, const Findings *f, CheckResult *res) {
        _cleanup_strv_free_ char **bad = NULL;
        _cleanup_free_ char *text = NULL;

        if (p->require_inbound_default_deny && !(f->v4 && f->v6)) {
                check_result_set_remediation(res, "%s", _("Turn the firewall on (\"sudo ufw enable\" on Ubuntu, or "
                                                          "enable firewalld), or ask IT."));
                if (!f->any_chain)
                        return check_result_set(res, CHECK_FAIL, "%s", _("No firewall filters inbound traffic."));
                return check_result_set(res, CHECK_FAIL, "%s",
                                        !f->v4 && !f->v6 ? _("Inbound traffic is accepted unless a rule drops it.") :
                                        !f->v4 ? _("Inbound IPv4 traffic is accepted unless a rule drops it.") :
                                                 _("Inbound IPv6 traffic is accepted unless a rule drops it."));
        }
        for (char **o = f->ports; o && *o; o++)
                if (!port_allowed(*o, p->allowed_inbound_ports) && strv_extend(&bad, *o) < 0)
                        return -ENOMEM;
        if (bad) {
                if (!(text = strv_join(bad, ", ")))
                        return -ENOMEM;
                check_result_set_remediation(res, "%s", _("Close these ports in the firewall, or ask IT to allow "
                                                          "them."));
                return check_result_set(res, CHECK_FAIL, _("Open to inbound connections beyond the policy: %s."), text);
        }
        if (!f->ports)
                return check_result_set(res, CHECK_PASS, "%s", _("Inbound traffic is dropped unless allowed; no port "
                                                                  "is open."));
        if (!(text = strv_join(f->ports, ", ")))
                return -ENOMEM;
        return check_result_set(res, CHECK_PASS, _("Inbound traffic is dropped unless allowed; open: %s."), text);
}

/* Why the ruleset could not be read, so that an operator knows what to grant: the cause in
 * the evidence, in words in the summary (docs/hardening.md). */
static int unreadable(CheckResult *res, int r, const char *err) {
        const char *cause = r == -EPERM     ? "missing_cap_net_admin"
                            : r == -ELIBACC ? "no_libnftables"
                            : err           ? "netlink_error"
                                            : "no_netlink_socket";

        if (json_add_string(res->evidence, "cause", cause) < 0 ||
            json_add_string(res->evidence, "detail", err && *err ? err : strerror(-r)) < 0)
                return -ENOMEM;
        if (r == -EPERM)
                return check_result_set(res, CHECK_UNKNOWN, "%s",
                                        _("Cannot read the nftables ruleset: the agent lacks the CAP_NET_ADMIN "
                                          "capability (netlink lists the ruleset only to it)."));
        if (!err)
                return check_result_set(res, CHECK_UNKNOWN,
                                        _("Cannot read the nftables ruleset: no netlink socket (%s); the agent "
                                          "needs AF_NETLINK."), strerror(-r));
        return check_result_set(res, CHECK_UNKNOWN, _("Cannot read the nftables ruleset: %s."),
                                *err ? err : strerror(-r));
}

/* The ruleset, parsed: the one kept in the state directory while the kernel's ruleset
 * generation has not moved (nft-cache.h), else listed, and kept when the generation did not
 * move during the listing. A listing that fails returns its -errno; a ruleset the parser
 * refuses, its -errno with *ret_not_understood set. Both with *ret_error. */
static int ruleset_get(const CheckContext *ctx, NftRuleset **ret, bool *ret_not_understood, char **ret_error) {
        _cleanup_free_ char *cache_dir = ctx->state_dir ? path_join(ctx->state_dir, "cache") : NULL, *key = NULL,
                            *after = NULL, *json = NULL;
        int r;

        if (ctx->state_dir && !cache_dir)
                return -ENOMEM;
        if (cache_dir && (r = nft_cache_key(&key)) < 0) {
                if (r == -ENOMEM)
                        return r;
                log_debug_errno(r, "Cannot read the ruleset's generation, listing it: %m");
        }
        if (key && (r = nft_cache_load(cache_dir, key, &json)) != 0) {
                if (r < 0)
                        return r;
                r = nft_ruleset_parse(json, strlen(json), ret, NULL);
                if (r >= 0 || r == -ENOMEM)
                        return r;
                /* Damage that kept the file's size: listed over, not reported. */
                free(json);
                json = NULL;
        }
        if ((r = list_ruleset(&json, ret_error)) < 0)
                return r;
        if ((r = nft_ruleset_parse(json, strlen(json), ret, ret_error)) < 0) {
                *ret_not_understood = true;
                return r;
        }
        if (key && nft_cache_key(&after) >= 0 && streq(key, after))
                nft_cache_save(cache_dir, key, json);
        return 0;
}

static int run(const CheckContext *ctx, CheckResult *res) {
        _cleanup_(nft_ruleset_freep) NftRuleset *rs = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_(findings_done) Findings f = {};
        json_object *ev = res->evidence, *dd;
        bool not_understood = false;
        int r;

        r = ruleset_get(ctx, &rs, &not_understood, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && not_understood)
                return check_result_set(res, CHECK_UNKNOWN, _("Cannot understand the nftables ruleset: %s."),
                                        strnull(err));
        if (r < 0)
                return unreadable(res, r, err);
        if ((r = judge_chains(rs, ev, &f)) < 0)
                return r;
        if (f.ports)
                qsort(f.ports, strv_length(f.ports), sizeof(char *), cmp_str);
        if (!(dd = json_object_new_object()) || json_add(ev, "inbound_default_deny", dd) < 0 ||
            json_add_bool(dd, "ipv4", f.v4) < 0 || json_add_bool(dd, "ipv6", f.v6) < 0 ||
            json_add(ev, "open_ports", json_new_strv(f.ports)) < 0 || json_add(ev, "managers", json_new_strv(f.managers)) < 0)
                return -ENOMEM;
        return verdict(ctx->policy, &f, res);
}

#define F(x) offsetof(PolicyFirewall, x)
static const PolicyField policy_fields[] = {
        /* Not required by default: a new check must not turn a fleet non-compliant overnight. */
        { "required", POLICY_BOOL, F(head.required), "false" },
        { "require_inbound_default_deny", POLICY_BOOL, F(require_inbound_default_deny), "true" },
        { "allowed_inbound_ports", POLICY_STRV, F(allowed_inbound_ports), "[]" },
};

const Check check_firewall = {
        .policy = { "firewall", policy_fields, ELEMENTSOF(policy_fields), sizeof(PolicyFirewall) },
        .title = N_("Firewall"),
        .run = run,
};
