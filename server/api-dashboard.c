/* SPDX-License-Identifier: MIT */
/* GET /: a one-page dashboard for a browser holding an admin certificate. Plain HTML and a
 * little JavaScript that calls the same JSON API as vigiectl; no external resources, so a
 * strict Content-Security-Policy can forbid everything else. Text is inserted with
 * textContent only, never as HTML. */
#include <string.h>

#include <event2/http.h>

#include "api-fleet.h"

static const char dashboard_html[] =
        "<!doctype html>\n"
        "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<title>Vigie fleet</title>\n"
        "<style>\n"
        "body{font:14px system-ui,sans-serif;margin:2em;color:#222}\n"
        "table{border-collapse:collapse;margin:1em 0}\n"
        "td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}\n"
        "th{background:#f4f4f4}.noncompliant,.stale,.revoked{color:#b00}.compliant{color:#070}\n"
        "nav button{margin-right:.5em}\n"
        "</style></head><body>\n"
        "<h1>Vigie fleet</h1>\n"
        "<p id=\"generated\"></p>\n"
        "<h2>Devices</h2><table id=\"totals\"></table>\n"
        "<h2>Checks</h2><table id=\"checks\"></table>\n"
        "<h2>Device list</h2>\n"
        "<nav><button data-status=\"\">all</button><button data-status=\"noncompliant\">non-compliant</button>"
        "<button data-status=\"stale\">stale</button><button data-status=\"flagged\">flagged</button>"
        "<input id=\"q\" placeholder=\"hostname contains\"></nav>\n"
        "<table id=\"devices\"></table><button id=\"more\" hidden>more</button>\n"
        "<script>\n"
        "'use strict';\n"
        "let filter = {status: '', q: ''}, cursor = null;\n"
        "function row(table, cells, header, cls) {\n"
        "  const tr = table.insertRow();\n"
        "  cells.forEach((c, i) => {\n"
        "    const td = document.createElement(header ? 'th' : 'td');\n"
        "    td.textContent = c === null || c === undefined ? '-' : String(c);\n"
        "    if (cls && i === cls[0]) td.className = cls[1];\n"
        "    tr.appendChild(td);\n"
        "  });\n"
        "}\n"
        "async function get(path) {\n"
        "  const r = await fetch(path, {headers: {Accept: 'application/json'}});\n"
        "  const j = await r.json();\n"
        "  if (!r.ok) throw new Error(j.error + ': ' + j.detail);\n"
        "  return j;\n"
        "}\n"
        "async function summary() {\n"
        "  const s = await get('/v1/fleet/summary');\n"
        "  document.getElementById('generated').textContent = 'As of ' + s.generated_at +\n"
        "    ' (stale after ' + s.stale_after_s / 3600 + ' h)';\n"
        "  const t = document.getElementById('totals'); t.replaceChildren();\n"
        "  for (const [k, v] of Object.entries(s.devices)) row(t, [k, v]);\n"
        "  const c = document.getElementById('checks'); c.replaceChildren();\n"
        "  const st = ['pass', 'warn', 'fail', 'unknown', 'error'];\n"
        "  row(c, ['check', ...st], true);\n"
        "  for (const [k, v] of Object.entries(s.checks)) row(c, [k, ...st.map(x => v[x])]);\n"
        "}\n"
        "async function devices(append) {\n"
        "  const p = new URLSearchParams();\n"
        "  if (filter.status) p.set('status', filter.status);\n"
        "  if (filter.q) p.set('q', filter.q);\n"
        "  if (append && cursor) p.set('cursor', cursor);\n"
        "  const d = await get('/v1/fleet/devices?' + p);\n"
        "  const t = document.getElementById('devices');\n"
        "  if (!append) {\n"
        "    t.replaceChildren();\n"
        "    row(t, ['device', 'hostname', 'OS', 'last report', 'verdict', 'failing', 'non-compliant since'], true);\n"
        "  }\n"
        "  for (const x of d.devices)\n"
        "    row(t, [x.device_id, x.hostname, x.os ? x.os.id + ' ' + x.os.version_id : null, x.last_report,\n"
        "            x.verdict + (x.flagged ? ' (flagged)' : ''), x.failing_checks.join(' '),\n"
        "            x.noncompliant_since], false, [4, x.verdict]);\n"
        "  cursor = d.next_cursor;\n"
        "  document.getElementById('more').hidden = !cursor;\n"
        "}\n"
        "function fail(e) { document.getElementById('generated').textContent = String(e); }\n"
        "document.querySelectorAll('nav button').forEach(b => b.onclick = () => {\n"
        "  filter.status = b.dataset.status; devices(false).catch(fail);\n"
        "});\n"
        "document.getElementById('q').onchange = e => { filter.q = e.target.value; devices(false).catch(fail); };\n"
        "document.getElementById('more').onclick = () => devices(true).catch(fail);\n"
        "summary().then(() => devices(false)).catch(fail);\n"
        "</script></body></html>\n";

int route_dashboard(Request *r) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

        evhttp_add_header(h, "Content-Security-Policy",
                          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                          "connect-src 'self'");
        evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
        return http_reply_text(r, 200, "text/html; charset=utf-8", dashboard_html,
                               sizeof(dashboard_html) - 1);
}
