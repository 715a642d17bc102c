// SPDX-License-Identifier: MIT
// The Vigie console (docs/console.md): one page, three views routed by the URL's fragment
// (#/, #/devices?FILTERS, #/device/ID), each drawn from the fleet API with the browser's
// admin certificate. Everything a device sent is data: it reaches the page through
// textContent and attribute values only, never as HTML.
'use strict';

const I18N = {
  en: {
    skip: 'Skip to content', overview: 'Overview', devices: 'Devices', loading: 'Loading…',
    as_of: 'As of {0}', error: 'Cannot load {0}: {1}',
    enrolled: 'enrolled', compliant: 'compliant', noncompliant: 'non-compliant', stale: 'stale',
    pending: 'never reported', flagged: 'flagged', revoked: 'revoked',
    pass: 'pass', warn: 'warn', fail: 'fail', unknown: 'unknown', error_st: 'error',
    fleet: 'Fleet', compliance_over_time: 'Compliance over time',
    range_48h: 'Last 48 hours', range_30d: 'Last 30 days',
    chart_label: 'Share of enrolled devices that are compliant, {0} points, latest {1}',
    no_history: 'No history recorded yet: the server records a snapshot every hour.',
    checks_over_time: 'Checks over time', check_chart_label: '{0}: pass, warn and fail over time',
    deadlines: 'Deadlines in the next 7 days', no_deadlines: 'No device has a deadline in the next 7 days.',
    deadlines_more: 'Only the first {0} devices with a warning were looked at.',
    device: 'Device', hostname: 'Hostname', os: 'OS', verdict: 'Verdict', failing: 'Failing',
    last_report: 'Last report', noncompliant_since: 'Non-compliant since', check: 'Check',
    deadline: 'Deadline', status: 'Status', any: 'any', search: 'Hostname contains',
    sort: 'Sort', sort_device: 'device id', sort_hostname: 'hostname',
    'sort_-last_report': 'latest report first', sort_last_report: 'oldest report first',
    'sort_-noncompliant_since': 'non-compliant longest', check_status: 'Check status',
    apply: 'Apply', next_page: 'Next page', first_page: 'First page', no_devices: 'No device matches.',
    identity: 'Identity', device_id: 'Device id', certificate: 'Certificate serial',
    fingerprint: 'Fingerprint (report kid)', key_kind: 'Key', valid_until: 'Certificate valid until',
    key_file: 'a key file (its root can copy it)', key_provider: 'an OpenSSL provider (not verified)',
    key_tpm: 'in the TPM (verified by attestation)', key_tpm_unverified: 'in a TPM, says the agent (not verified)',
    key_unknown: 'not recorded (enrolled before key kinds)',
    keyshort_file: 'file', keyshort_provider: 'provider', keyshort_tpm: 'TPM',
    keyshort_tpm_unverified: 'TPM (unverified)', keyshort_unknown: 'unknown',
    enrolled_at: 'Enrolled', flagged_at: 'Flagged', revoked_at: 'Revoked', received: 'Received',
    checks: 'Checks', no_report: 'This device has not reported yet.', to_fix: 'To fix: {0}',
    deadline_at: 'Deadline: {0}', mount: 'Mount', chain: 'Device chain', encryption: 'Encryption',
    problems: 'Problems', not_encrypted: 'not encrypted', security_updates: 'Pending security updates',
    package: 'Package', installed: 'Installed', available: 'Available', suite: 'Suite',
    first_seen: 'First seen', none: 'none', upgradable: 'Upgradable packages',
    last_refresh: 'Package lists refreshed', reboot: 'Reboot required', yes: 'yes', no: 'no',
    source: 'Source', type: 'Type', newest: 'Newest backup', age: 'Age', hours: '{0} h',
    timeline: 'Status timeline', since: 'Since', seq: 'Report', reports: 'Stored reports',
    reports_note: 'Signed reports of the last 30 days. Verify them here, or independently with:',
    verify: 'Verify signatures in this browser', verified: 'signature and chain valid',
    invalid: 'invalid: {0}', issued: 'Issued', size: 'Size', check_result: 'Verification',
    bytes: '{0} bytes', back: 'Back to the device list', summary: 'Summary',
    policy_outdated: 'on an older policy', policy: 'Policy', policy_version: '{0} version {1}',
    policy_outdated_note: 'Its last report predates the current policy: the verdict judges those checks by the current policy until the device reports again.',
  },
  fr: {
    skip: 'Aller au contenu', overview: 'Vue d’ensemble', devices: 'Appareils', loading: 'Chargement…',
    as_of: 'Au {0}', error: 'Impossible de charger {0} : {1}',
    enrolled: 'inscrits', compliant: 'conformes', noncompliant: 'non conformes', stale: 'muets',
    pending: 'jamais remontés', flagged: 'signalés', revoked: 'révoqués',
    pass: 'ok', warn: 'alerte', fail: 'échec', unknown: 'inconnu', error_st: 'erreur',
    fleet: 'Parc', compliance_over_time: 'Conformité dans le temps',
    range_48h: '48 dernières heures', range_30d: '30 derniers jours',
    chart_label: 'Part des appareils inscrits qui sont conformes, {0} points, dernier {1}',
    no_history: 'Pas encore d’historique : le serveur enregistre un instantané chaque heure.',
    checks_over_time: 'Contrôles dans le temps', check_chart_label: '{0} : ok, alerte et échec dans le temps',
    deadlines: 'Échéances dans les 7 prochains jours', no_deadlines: 'Aucun appareil n’a d’échéance dans les 7 prochains jours.',
    deadlines_more: 'Seuls les {0} premiers appareils en alerte ont été examinés.',
    device: 'Appareil', hostname: 'Nom d’hôte', os: 'Système', verdict: 'Verdict', failing: 'En échec',
    last_report: 'Dernier rapport', noncompliant_since: 'Non conforme depuis', check: 'Contrôle',
    deadline: 'Échéance', status: 'État', any: 'tous', search: 'Nom d’hôte contient',
    sort: 'Tri', sort_device: 'identifiant', sort_hostname: 'nom d’hôte',
    'sort_-last_report': 'rapport le plus récent', sort_last_report: 'rapport le plus ancien',
    'sort_-noncompliant_since': 'non conforme depuis le plus longtemps', check_status: 'État du contrôle',
    apply: 'Appliquer', next_page: 'Page suivante', first_page: 'Première page', no_devices: 'Aucun appareil ne correspond.',
    identity: 'Identité', device_id: 'Identifiant', certificate: 'Numéro de certificat',
    fingerprint: 'Empreinte (kid des rapports)', key_kind: 'Clé', valid_until: 'Certificat valable jusqu’au',
    key_file: 'un fichier de clé (son root peut le copier)', key_provider: 'un fournisseur OpenSSL (non vérifié)',
    key_tpm: 'dans le TPM (vérifié par attestation)', key_tpm_unverified: 'dans un TPM, selon l’agent (non vérifié)',
    key_unknown: 'non enregistrée (inscrit avant les types de clé)',
    keyshort_file: 'fichier', keyshort_provider: 'fournisseur', keyshort_tpm: 'TPM',
    keyshort_tpm_unverified: 'TPM (non vérifié)', keyshort_unknown: 'inconnue',
    enrolled_at: 'Inscrit le', flagged_at: 'Signalé le', revoked_at: 'Révoqué le', received: 'Reçu',
    checks: 'Contrôles', no_report: 'Cet appareil n’a encore envoyé aucun rapport.', to_fix: 'Pour corriger : {0}',
    deadline_at: 'Échéance : {0}', mount: 'Montage', chain: 'Chaîne de périphériques', encryption: 'Chiffrement',
    problems: 'Problèmes', not_encrypted: 'non chiffré', security_updates: 'Mises à jour de sécurité en attente',
    package: 'Paquet', installed: 'Installé', available: 'Disponible', suite: 'Suite',
    first_seen: 'Vue le', none: 'aucune', upgradable: 'Paquets à mettre à jour',
    last_refresh: 'Listes de paquets rafraîchies', reboot: 'Redémarrage nécessaire', yes: 'oui', no: 'non',
    source: 'Source', type: 'Type', newest: 'Dernière sauvegarde', age: 'Âge', hours: '{0} h',
    timeline: 'Historique des états', since: 'Depuis', seq: 'Rapport', reports: 'Rapports enregistrés',
    reports_note: 'Rapports signés des 30 derniers jours. Vérifiez-les ici, ou de façon indépendante avec :',
    verify: 'Vérifier les signatures dans ce navigateur', verified: 'signature et chaîne valides',
    invalid: 'invalide : {0}', issued: 'Émis', size: 'Taille', check_result: 'Vérification',
    bytes: '{0} octets', back: 'Retour à la liste des appareils', summary: 'Résumé',
    policy_outdated: 'sur une politique dépassée', policy: 'Politique', policy_version: '{0} version {1}',
    policy_outdated_note: 'Son dernier rapport précède la politique en vigueur : le verdict juge ces contrôles selon la politique en vigueur jusqu’au prochain rapport de l’appareil.',
  },
};

const LANG = (() => {
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (base in I18N) return base;
  }
  return 'en';
})();

/* How the server recorded the device key (docs/server.md, "Key kind"), and why not proven. */
function keyKind(idn) {
  if (!idn.key_kind) return null;
  const last = (idn.events || []).filter(e => e.detail).slice(-1)[0];
  const why = idn.key_kind === 'tpm_unverified' && last && last.detail.startsWith('tpm_unverified: ')
    ? ' — ' + last.detail.slice('tpm_unverified: '.length) : '';
  return t('key_' + idn.key_kind) + why;
}

function t(key, ...args) {
  let s = I18N[LANG][key] ?? I18N.en[key] ?? key;
  args.forEach((a, i) => { s = s.replace('{' + i + '}', String(a)); });
  return s;
}

// Status names are also CSS classes; 'error' needs its own key (the error message's).
const statusText = st => t(st === 'error' ? 'error_st' : st);

// ---- DOM: elements built from parts, text always as text ----
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {}))
    if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  for (const c of children.flat(Infinity))
    if (c !== null && c !== undefined && c !== false)
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const SVGNS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  for (const c of children.flat(Infinity))
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const badge = st => el('span', { class: 'st st-' + st }, statusText(st));
const dash = v => (v === null || v === undefined || v === '' ? '–' : v);

const dateFmt = new Intl.DateTimeFormat(LANG, { dateStyle: 'medium', timeStyle: 'short' });
const dayFmt = new Intl.DateTimeFormat(LANG, { month: 'short', day: 'numeric' });
const hourFmt = new Intl.DateTimeFormat(LANG, { hour: '2-digit', minute: '2-digit' });
const when = iso => (iso ? dateFmt.format(new Date(iso)) : '–');

function table(headers, rows) {
  return el('table', {},
    el('thead', {}, el('tr', {}, headers.map(h => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map(r => el('tr', {}, r.map(c => el('td', {}, c === null || c === undefined ? '–' : c))))));
}

function kv(pairs) {
  return el('dl', { class: 'kv' }, pairs.filter(p => p).map(([k, v]) => [el('dt', {}, k), el('dd', {}, dash(v))]));
}

// ---- API ----
async function get(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  let j = null;
  try { j = await r.json(); } catch (e) { /* not JSON: reported below */ }
  if (!r.ok || !j) throw new Error(j && j.detail ? j.detail : 'HTTP ' + r.status);
  return j;
}

function showError(what, e) {
  const p = document.getElementById('error');
  p.textContent = t('error', what, e.message || String(e));
  p.hidden = false;
}

// ---- routing ----
const main = () => document.getElementById('main');

function parseHash() {
  const h = location.hash.replace(/^#/, '') || '/';
  const q = h.indexOf('?');
  return { path: q < 0 ? h : h.slice(0, q), params: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)) };
}

function setView(name, title, nodes, focus) {
  const m = main();
  m.dataset.view = name;
  m.replaceChildren(el('h1', {}, title), ...nodes.flat(Infinity).filter(n => n !== null && n !== undefined));
  document.title = title + ' — Vigie';
  for (const [id, v] of [['nav-overview', 'overview'], ['nav-devices', 'devices']])
    document.getElementById(id).toggleAttribute('aria-current', v === name && name !== 'device');
  document.querySelectorAll('[aria-current]').forEach(a => a.setAttribute('aria-current', 'page'));
  if (focus) m.focus();
}

let firstRoute = true;
async function route() {
  const { path, params } = parseHash();
  document.getElementById('error').hidden = true;
  const focus = !firstRoute;
  firstRoute = false;
  try {
    if (path === '/' || path === '') await overview(focus);
    else if (path === '/devices') await devicesView(params, focus);
    else if (path.startsWith('/device/')) await deviceView(decodeURIComponent(path.slice(8)), focus);
    else location.hash = '#/';
  } catch (e) {
    showError(path, e);
  }
}

// ---- overview ----
const COUNTS = ['compliant', 'noncompliant', 'stale', 'pending', 'flagged', 'revoked', 'policy_outdated', 'enrolled'];
const LISTABLE = new Set(['compliant', 'noncompliant', 'stale', 'flagged', 'revoked']);
const KEY_KINDS = ['tpm', 'tpm_unverified', 'file', 'provider', 'unknown'];

function countHref(k) {
  if (LISTABLE.has(k)) return '#/devices?status=' + k;
  return k === 'policy_outdated' ? '#/devices?policy=outdated' : '#/devices';
}

function cards(devices) {
  return el('ul', { class: 'cards', id: 'counts' }, COUNTS.map(k =>
    el('li', {}, el('a', { href: countHref(k), 'data-count': k },
      el('span', { class: 'n' }, devices[k] ?? 0), t(k)))));
}

const rate = p => (p.devices.enrolled > 0 ? p.devices.compliant / p.devices.enrolled : null);

// Points more than 1.5 steps apart are not joined: an hour no server ran is a gap.
function segments(points, stepS) {
  const out = [];
  let cur = [];
  for (const p of points) {
    if (cur.length && Date.parse(p.at) - Date.parse(cur[cur.length - 1].at) > 1500 * stepS) {
      out.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length) out.push(cur);
  return out;
}

function timeAxis(points, x0, x1) {
  const t0 = Date.parse(points[0].at), t1 = Date.parse(points[points.length - 1].at);
  return t => (t1 === t0 ? (x0 + x1) / 2 : x0 + (x1 - x0) * (t - t0) / (t1 - t0));
}

function rateChart(points, step) {
  const W = 640, H = 220, L = 44, R = 12, T = 12, B = 28;
  const pts = points.filter(p => rate(p) !== null);
  const last = pts.length ? Math.round(100 * rate(pts[pts.length - 1])) + ' %' : '–';
  const root = svg('svg', { class: 'chart', id: 'rate-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
                            'aria-label': t('chart_label', pts.length, last) });
  const y = r => T + (H - T - B) * (1 - r);
  for (const r of [0, 0.5, 1]) {
    root.append(svg('line', { class: 'axis', x1: L, x2: W - R, y1: y(r), y2: y(r) }));
    root.append(svg('text', { x: L - 6, y: y(r) + 4, 'text-anchor': 'end' }, Math.round(r * 100) + ' %'));
  }
  if (!pts.length) return root;
  const x = timeAxis(pts, L + 8, W - R - 8);
  const fmt = step === 'hour' ? hourFmt : dayFmt;
  const stepS = step === 'hour' ? 3600 : 86400;
  for (const seg of segments(pts, stepS))
    root.append(svg('polyline', { class: 'rate', points: seg.map(p => `${x(Date.parse(p.at)).toFixed(1)},${y(rate(p)).toFixed(1)}`).join(' ') }));
  for (const p of pts)
    root.append(svg('circle', { class: 'dot', r: 3, cx: x(Date.parse(p.at)).toFixed(1), cy: y(rate(p)).toFixed(1) },
      svg('title', {}, `${when(p.at)}: ${Math.round(100 * rate(p))} % (${p.devices.compliant}/${p.devices.enrolled})`)));
  const ticks = Math.min(pts.length, 6);
  for (let i = 0; i < ticks; i++) {
    const p = pts[Math.round(i * (pts.length - 1) / Math.max(ticks - 1, 1))];
    const anchor = ticks === 1 ? 'middle' : i === 0 ? 'start' : i === ticks - 1 ? 'end' : 'middle';
    root.append(svg('text', { x: x(Date.parse(p.at)), y: H - 8, 'text-anchor': anchor }, fmt.format(new Date(p.at))));
  }
  return root;
}

// Stacked pass / warn / fail (fail + unknown + error) shares per point, for one check.
function checkChart(id, points) {
  const W = 300, H = 120, T = 6, B = 6;
  const pts = points.filter(p => p.checks[id]);
  const root = svg('svg', { class: 'chart check-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
                            'aria-label': t('check_chart_label', id) });
  const bw = pts.length ? W / pts.length : W;
  pts.forEach((p, i) => {
    const c = p.checks[id];
    const parts = [['pass', c.pass], ['warn', c.warn], ['fail', c.fail + c.unknown + c.error]];
    const total = parts.reduce((a, [, n]) => a + n, 0);
    let y0 = H - B;
    for (const [cls, n] of parts) {
      if (!total || !n) continue;
      const hgt = (H - T - B) * n / total;
      y0 -= hgt;
      root.append(svg('rect', { class: cls, x: (i * bw + 0.5).toFixed(1), y: y0.toFixed(1),
                                width: Math.max(bw - 1, 0.5).toFixed(1), height: hgt.toFixed(1) },
        svg('title', {}, `${when(p.at)}: ${statusText(cls)} ${n}`)));
    }
  });
  return root;
}

async function deadlines(summary) {
  const MAX = 50, horizon = Date.now() + 7 * 86400e3;
  const ids = new Map();
  for (const [check, n] of Object.entries(summary.checks)) {
    if (!n.warn || ids.size >= MAX) continue;
    const d = await get('/v1/fleet/devices?' + new URLSearchParams({ check, check_status: 'warn', limit: MAX }));
    for (const x of d.devices) if (ids.size < MAX) ids.set(x.device_id, x);
  }
  const rows = [];
  const details = await Promise.all([...ids.keys()].map(id => get('/v1/fleet/devices/' + encodeURIComponent(id))));
  for (const d of details)
    for (const c of (d.latest && d.latest.claims && d.latest.claims.checks) || []) {
      const due = c.deadline ? Date.parse(c.deadline) : NaN;
      if (c.status === 'warn' && due <= horizon)
        rows.push({ due, d, c });
    }
  rows.sort((a, b) => a.due - b.due);
  const out = [el('h2', {}, t('deadlines'))];
  out.push(rows.length
    ? table([t('hostname'), t('check'), t('deadline'), t('summary')],
      rows.map(({ d, c }) => [el('a', { href: '#/device/' + encodeURIComponent(d.device_id) }, d.hostname || d.device_id),
                              c.title || c.id, when(c.deadline), c.summary]))
    : el('p', { class: 'muted' }, t('no_deadlines')));
  if (ids.size >= MAX) out.push(el('p', { class: 'muted' }, t('deadlines_more', MAX)));
  return out;
}

async function overview(focus) {
  const [summary, hours, days] = await Promise.all([
    get('/v1/fleet/summary'), get('/v1/fleet/history?step=hour'), get('/v1/fleet/history?step=day&from=30d')]);
  document.getElementById('asof').textContent = t('as_of', when(summary.generated_at));
  const chartBox = el('div', { id: 'chart-box' });
  const checkBox = el('div', { class: 'charts', id: 'check-charts' });
  const ranges = [['hour', hours, 'range_48h'], ['day', days, 'range_30d']];
  const buttons = ranges.map(([step, data, label]) => {
    const b = el('button', { type: 'button', 'aria-pressed': 'false', 'data-step': step }, t(label));
    b.addEventListener('click', () => draw(step, data, b));
    return b;
  });
  function draw(step, data, button) {
    buttons.forEach(b => b.setAttribute('aria-pressed', String(b === button)));
    chartBox.replaceChildren(data.points.length ? rateChart(data.points, step) : el('p', { class: 'muted' }, t('no_history')));
    checkBox.replaceChildren(...Object.keys(summary.checks).map(id =>
      el('figure', {}, el('figcaption', {}, id), checkChart(id, data.points))));
  }
  draw('hour', hours, buttons[0]);
  const dl = el('section', { id: 'deadlines' }, el('p', {}, t('loading')));
  setView('overview', t('fleet'), [
    cards({ ...summary.devices, policy_outdated: summary.policy_outdated }),
    el('div', { class: 'grid' },
      el('section', {}, el('h2', {}, t('compliance_over_time')), el('p', {}, buttons), chartBox),
      dl),
    el('h2', {}, t('checks_over_time')),
    el('p', { class: 'legend' }, ['pass', 'warn', 'fail'].map(st => el('span', { class: 'key key-' + st }, statusText(st)))),
    checkBox,
  ], focus);
  dl.replaceChildren(...await deadlines(summary));
}

// ---- device list ----
const FILTERS = ['status', 'check', 'check_status', 'os', 'q', 'key', 'policy', 'sort'];

function select(name, label, options, value) {
  const s = el('select', { name }, options.map(([v, text]) => el('option', { value: v, selected: v === value }, text)));
  return el('label', {}, label, s);
}

function listHash(params) {
  const p = new URLSearchParams();
  for (const k of [...FILTERS, 'cursor']) if (params.get(k)) p.set(k, params.get(k));
  const s = p.toString();
  return '#/devices' + (s ? '?' + s : '');
}

function filterForm(params, checks) {
  const form = el('form', { class: 'filters', id: 'filters', role: 'search' },
    select('status', t('status'), [['', t('any')], ...[...LISTABLE].map(s => [s, t(s)])], params.get('status') || ''),
    select('check', t('check'), [['', t('any')], ...checks.map(c => [c, c])], params.get('check') || ''),
    select('check_status', t('check_status'), [['', t('any')], ...['pass', 'warn', 'fail', 'unknown', 'error'].map(s => [s, statusText(s)])],
      params.get('check_status') || ''),
    el('label', {}, t('os'), el('input', { name: 'os', size: 10, value: params.get('os') || '', placeholder: 'debian:12' })),
    el('label', {}, t('search'), el('input', { name: 'q', type: 'search', value: params.get('q') || '' })),
    select('key', t('key_kind'), [['', t('any')], ...KEY_KINDS.map(k => [k, t('keyshort_' + k)])], params.get('key') || ''),
    select('policy', t('policy'), [['', t('any')], ['outdated', t('policy_outdated')]], params.get('policy') || ''),
    select('sort', t('sort'), ['device', 'hostname', '-last_report', 'last_report', '-noncompliant_since'].map(s => [s, t('sort_' + s)]),
      params.get('sort') || 'device'),
    el('button', { type: 'submit' }, t('apply')));
  const apply = () => {
    const p = new URLSearchParams();
    for (const k of FILTERS) {
      const v = form.elements[k].value.trim();
      if (v && !(k === 'sort' && v === 'device')) p.set(k, v);
    }
    location.hash = listHash(p);
  };
  form.addEventListener('submit', e => { e.preventDefault(); apply(); });
  form.querySelectorAll('select').forEach(s => s.addEventListener('change', apply));
  return form;
}

async function deviceTable(params) {
  const p = new URLSearchParams();
  for (const k of [...FILTERS, 'cursor']) if (params.get(k)) p.set(k, params.get(k));
  p.set('limit', '50');
  const d = await get('/v1/fleet/devices?' + p);
  const nodes = [];
  nodes.push(d.devices.length
    ? table([t('hostname'), t('os'), t('verdict'), t('failing'), t('last_report'), t('noncompliant_since'), t('key_kind')],
      d.devices.map(x => [
        el('a', { href: '#/device/' + encodeURIComponent(x.device_id), 'data-device': x.device_id }, x.hostname || x.device_id),
        x.os ? [x.os.id, x.os.version_id].filter(v => v).join(' ') : null,
        el('span', {}, badge(x.verdict), x.flagged ? [' ', badge('flagged')] : null,
          x.policy_current === false ? [' ', badge('policy_outdated')] : null),
        x.failing_checks.length ? x.failing_checks.join(', ') : null,
        when(x.last_report), x.noncompliant_since ? when(x.noncompliant_since) : null,
        el('span', { title: t('key_' + x.key_kind), 'data-key': x.key_kind }, t('keyshort_' + x.key_kind))]))
    : el('p', {}, t('no_devices')));
  const pager = el('p', { class: 'pager' });
  if (params.get('cursor')) {
    const first = new URLSearchParams(params);
    first.delete('cursor');
    pager.append(el('a', { href: listHash(first) }, t('first_page')));
  }
  if (d.next_cursor) {
    const next = new URLSearchParams(params);
    next.set('cursor', d.next_cursor);
    pager.append(el('a', { href: listHash(next), rel: 'next' }, t('next_page')));
  }
  nodes.push(pager);
  return el('div', { id: 'device-table' }, nodes);
}

// A filter change keeps the form (and the keyboard focus in it) and replaces the table.
async function devicesView(params, focus) {
  const old = document.getElementById('device-table');
  const form = document.getElementById('filters');
  if (main().dataset.view === 'devices' && old && form) {
    for (const k of FILTERS) form.elements[k].value = params.get(k) || (k === 'sort' ? 'device' : '');
    old.replaceWith(await deviceTable(params));
    return;
  }
  const summary = await get('/v1/fleet/summary');
  const tbl = await deviceTable(params);
  setView('devices', t('devices'), [filterForm(params, Object.keys(summary.checks)), tbl], focus);
}

// ---- device page ----
function cryptLayers(node, out) {
  if (!node) return out;
  if (node.crypt && node.crypt !== 'none') out.push(node);
  for (const b of node.below || []) cryptLayers(b, out);
  return out;
}

function luksText(n) {
  const l = n.luks;
  if (!l || typeof l !== 'object') return n.crypt + (n.luks_error ? ' (' + n.luks_error + ')' : '');
  const pbkdf = [...new Set((l.keyslots || []).map(k => k.pbkdf).filter(p => p))].join('/');
  const tokens = (l.tokens || []).map(k => k.type).join(', ');
  return `LUKS${l.version} ${l.cipher || ''} ${l.key_bits ? l.key_bits + '-bit' : ''}` +
    (pbkdf ? ', ' + pbkdf : '') + (tokens ? ', ' + tokens : '');
}

const EVIDENCE = {
  disk_encryption(ev) {
    const mounts = ev.mounts || [];
    const problems = mounts.flatMap(m => [...(m.problems || []), ...(m.status !== 'pass' && m.reason ? [m.reason] : [])]
      .map(p => `${m.mount}: ${p}`));
    return [
      table([t('mount'), t('status'), t('chain'), t('encryption')], mounts.map(m => {
        const layers = cryptLayers(m.stack, []);
        return [m.mount, m.status ? badge(m.status) : null, el('span', { class: 'chain' }, m.chain || ''),
                layers.length ? layers.map(luksText).join('; ') : t('not_encrypted')];
      })),
      problems.length ? [el('p', {}, t('problems')), el('ul', {}, problems.map(p => el('li', {}, p)))] : null,
    ];
  },
  patch_level(ev) {
    const updates = ev.security_updates || [];
    const reboot = ev.reboot_required || {};
    return [
      kv([
        [t('os'), ev.os ? [ev.os.id, ev.os.version_id].filter(v => v).join(' ') : null],
        [t('upgradable'), ev.upgradable],
        [t('last_refresh'), ev.last_refresh ? when(ev.last_refresh) : null],
        [t('reboot'), reboot.required ? t('yes') + (reboot.reason ? ' (' + reboot.reason + ')' : '') : t('no')],
      ]),
      el('h4', {}, t('security_updates'), ` (${updates.length})`),
      updates.length
        ? table([t('package'), t('installed'), t('available'), t('suite'), t('first_seen')],
          updates.map(u => [u.package + (u.arch ? ':' + u.arch : ''), u.installed, u.candidate, u.suite,
                            u.first_seen ? when(u.first_seen) : null]))
        : el('p', { class: 'muted' }, t('none')),
    ];
  },
  backup(ev) {
    return table([t('source'), t('type'), t('status'), t('newest'), t('age'), t('problems')],
      (ev.sources || []).map(s => [s.name, s.type, s.status, s.newest ? when(s.newest) : null,
                                   typeof s.age_hours === 'number' ? t('hours', Math.round(s.age_hours)) : null, s.error]));
  },
};

function checkSection(c) {
  const render = EVIDENCE[c.id];
  return el('section', { class: 'check', 'data-check': c.id },
    el('h3', {}, badge(c.status), ' ', c.title || c.id),
    el('p', {}, c.summary),
    c.remediation ? el('p', {}, t('to_fix', c.remediation)) : null,
    c.deadline ? el('p', {}, t('deadline_at', when(c.deadline))) : null,
    c.evidence ? (render ? render(c.evidence) : el('pre', {}, JSON.stringify(c.evidence, null, 2))) : null);
}

function timeline(history) {
  const byCheck = new Map();
  for (const h of history) {
    if (!byCheck.has(h.check)) byCheck.set(h.check, []);
    byCheck.get(h.check).push(h);
  }
  return [...byCheck.entries()].sort().map(([check, rows]) => [
    el('h4', {}, check),
    table([t('since'), t('status'), t('seq')], rows.map(h => [when(h.since), badge(h.status), '#' + h.seq])),
  ]);
}

// Every page of a device's stored reports: the server sends at most `limit` per answer
// and names the next page by next_cursor.
async function getReportPages(path) {
  const first = await get(path);
  for (let page = first; page.next_cursor;) {
    page = await get(path + '&cursor=' + encodeURIComponent(page.next_cursor));
    first.reports.push(...page.reports);
  }
  return first;
}

async function deviceView(id, focus) {
  const base = '/v1/fleet/devices/' + encodeURIComponent(id);
  const [d, reps] = await Promise.all([get(base), getReportPages(base + '/reports?from=' + new Date(Date.now() - 30 * 86400e3).toISOString())]);
  const idn = d.identity || {};
  const claims = d.latest && d.latest.claims;
  const verdict = d.verdict || 'pending';
  const results = new Map();
  const verifyBtn = el('button', { type: 'button', id: 'verify' }, t('verify'));
  const reports = reps.reports.slice().reverse();
  const rows = reports.map(r => {
    const cell = el('span', { 'data-seq': r.seq });
    results.set(r.seq, cell);
    return ['#' + r.seq, when(r.issued_at), when(r.received_at), t('bytes', r.jws.length), cell];
  });
  verifyBtn.addEventListener('click', async () => {
    verifyBtn.disabled = true;
    for (const [seq, res] of await verifyReports(reps.reports, reps.certificates)) {
      const cell = results.get(seq);
      cell.className = res === true ? 'ok' : 'bad';
      cell.textContent = res === true ? t('verified') : t('invalid', res);
    }
    verifyBtn.disabled = false;
  });
  setView('device', d.hostname || id, [
    el('p', {}, badge(verdict), d.flagged ? [' ', badge('flagged')] : null,
      d.policy_current === false ? [' ', badge('policy_outdated')] : null, ' ',
      el('a', { href: '#/devices' }, t('back'))),
    d.policy_current === false ? el('p', { id: 'policy-outdated' }, t('policy_outdated_note')) : null,
    el('h2', {}, t('identity')),
    kv([
      [t('device_id'), el('code', {}, d.device_id)],
      [t('hostname'), d.hostname],
      [t('os'), d.os ? d.os.pretty || [d.os.id, d.os.version_id].join(' ') : null],
      [t('last_report'), d.last_report ? when(d.last_report) : null],
      [t('noncompliant_since'), d.noncompliant_since ? when(d.noncompliant_since) : null],
      [t('policy'), d.policy ? t('policy_version', d.policy.id, d.policy.version) : null],
      [t('enrolled_at'), when(idn.enrolled_at)],
      [t('certificate'), idn.serial ? el('code', {}, idn.serial) : null],
      [t('fingerprint'), idn.fingerprint ? el('code', {}, idn.fingerprint) : null],
      [t('key_kind'), keyKind(idn)],
      [t('valid_until'), idn.not_after ? when(idn.not_after) : null],
      idn.flagged_at ? [t('flagged_at'), when(idn.flagged_at) + (idn.flag_reason ? ' — ' + idn.flag_reason : '')] : null,
      idn.revoked_at ? [t('revoked_at'), when(idn.revoked_at)] : null,
    ]),
    el('h2', {}, t('checks')),
    claims ? claims.checks.map(checkSection) : el('p', {}, t('no_report')),
    el('h2', {}, t('timeline')),
    timeline(d.history || []),
    el('h2', {}, t('reports')),
    el('p', {}, t('reports_note'), ' ', el('code', { id: 'audit-command' }, 'vigiectl audit ' + d.device_id)),
    el('p', {}, verifyBtn),
    table([t('seq'), t('issued'), t('received'), t('size'), t('check_result')], rows),
  ], focus);
}

// ---- report verification (docs/reports.md): ES256 JWS, kid = sha256 of the certificate's
// DER, prev = sha256 of the previous report's JWS ----
const enc = new TextEncoder();
const hex = buf => [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('');
const sha256 = data => crypto.subtle.digest('SHA-256', data);

function b64url(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, c => c.charCodeAt(0));
}

function pemDer(pem) {
  return b64url(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
}

// One DER element at off: [content start, end]. Throws on anything malformed.
function derAt(buf, off) {
  if (off + 2 > buf.length) throw new Error('truncated certificate');
  let len = buf[off + 1], start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 3 || start + n > buf.length) throw new Error('bad certificate length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated certificate');
  return [start, start + len];
}

// Certificate ::= SEQUENCE { tbs SEQUENCE { [0] version, serial, sigalg, issuer, validity,
// subject, subjectPublicKeyInfo, … } … }: the SPKI bytes WebCrypto imports.
function spkiOf(der) {
  const [tbsStart] = derAt(der, derAt(der, 0)[0]);
  let off = tbsStart;
  if (der[off] === 0xa0) off = derAt(der, off)[1];
  for (let i = 0; i < 5; i++) off = derAt(der, off)[1];
  return der.slice(off, derAt(der, off)[1]);
}

async function verifyReports(reports, pems) {
  const keys = new Map();
  for (const pem of pems) {
    const der = pemDer(pem);
    keys.set(hex(await sha256(der)), await crypto.subtle.importKey('spki', spkiOf(der),
      { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']));
  }
  const out = [];
  let prev = null;
  for (const r of reports) {
    let res = true;
    try {
      const parts = r.jws.split('.');
      if (parts.length !== 3) throw new Error('not a JWS');
      const header = JSON.parse(new TextDecoder().decode(b64url(parts[0])));
      const claims = JSON.parse(new TextDecoder().decode(b64url(parts[1])));
      if (header.alg !== 'ES256' || header.typ !== 'vigie-report+jwt') throw new Error('alg or typ');
      const key = keys.get(header.kid);
      if (!key) throw new Error('unknown kid');
      const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, b64url(parts[2]),
        enc.encode(parts[0] + '.' + parts[1]));
      if (!ok) throw new Error('bad signature');
      if (claims.seq !== r.seq) throw new Error('seq');
      if (prev && prev.seq === r.seq - 1 && claims.prev !== prev.hash) throw new Error('prev');
    } catch (e) {
      res = e.message;
    }
    prev = { seq: r.seq, hash: hex(await sha256(enc.encode(r.jws))) };
    out.push([r.seq, res]);
  }
  return out;
}

// ---- start ----
function start() {
  document.documentElement.lang = LANG;
  document.getElementById('skip').textContent = t('skip');
  document.getElementById('nav-overview').textContent = t('overview');
  document.getElementById('nav-devices').textContent = t('devices');
  window.addEventListener('hashchange', route);
  route();
}

start();
