/* SPDX-License-Identifier: MIT */
/* GET / and GET /ui/NAME: the security team's console (docs/console.md), files compiled into
 * the binary, so a deployment cannot serve a stale or altered copy. The CSP allows our own
 * scripts and styles only (no inline code, no other origin, no framing); the script fills
 * the page with textContent, never HTML. */
#include <string.h>

#include <event2/http.h>

#include "api-fleet.h"
#include "macro.h"
#include "web-assets.h"

#define CONSOLE_CSP                                                                          \
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "         \
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const WebAsset *asset_find(const char *name) {
        for (const WebAsset *a = web_assets; a->name; a++)
                if (streq(a->name, name))
                        return a;
        return NULL;
}

static int send_asset(Request *r, const WebAsset *a) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

        evhttp_add_header(h, "Content-Security-Policy", CONSOLE_CSP);
        evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
        evhttp_add_header(h, "X-Frame-Options", "DENY");
        evhttp_add_header(h, "Referrer-Policy", "no-referrer");
        evhttp_add_header(h, "Cache-Control", "no-cache");
        return http_reply_text(r, 200, a->content_type, (const char *) a->data, a->size);
}

int route_console(Request *r) {
        const WebAsset *a = asset_find("index.html");
        if (!a)
                return http_error(r, 404, "not_found", "this server was built without its console");
        return send_asset(r, a);
}

int route_console_asset(Request *r) {
        const char *name = r->path + strlen("/ui/");
        const WebAsset *a = streq(name, "index.html") ? NULL : asset_find(name);

        if (!a)
                return http_error(r, 404, "not_found", "no console file \"%s\"", name);
        return send_asset(r, a);
}
