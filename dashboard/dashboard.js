// @ts-check
/**
 * Portico's dashboard: one page that reads the JSON API beside it (`../api/…`,
 * relative, so it works behind a router that adds a path prefix) and renders
 * it. Pages are hash routes (`#/http/routers`); the current page re-reads its
 * data every few seconds while the tab is visible (`?refresh=<seconds>`, 1–60,
 * default 5) and redraws only when the data changed, keeping keyboard focus.
 *
 * Everything from the configuration is inserted as text (textContent), never
 * as markup: rules and names come from files and Kubernetes objects that other
 * people write. Type-checked with `tsc -p dashboard/tsconfig.json`.
 */

/** @typedef {Record<string, any>} Json */
/** @typedef {{ title: string, load: (q: URLSearchParams) => Promise<any>, render: (data: any) => Node, filters?: 'objects' | 'certificates' }} Page */

const API = '../api';
const params = new URLSearchParams(location.search);
const REFRESH_MS = Math.min(Math.max(Number(params.get('refresh')) || 5, 1), 60) * 1000;
/** Lists are read whole: pages of this size, at most this many (bounded however large the configuration). */
const PER_PAGE = 500;
const MAX_PAGES = 20;

// ---------------------------------------------------------------------------
// Fetching

/** @param {string} path @returns {Promise<any>} */
async function getJson(path) {
  const res = await fetch(`${API}${path}`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText} from /api${path}`);
  return res.json();
}

/**
 * Every item of a list endpoint, following X-Next-Page.
 * @param {string} path @param {URLSearchParams} [q] @returns {Promise<Json[]>}
 */
async function getList(path, q) {
  /** @type {Json[]} */
  const out = [];
  for (let page = 1, n = 0; n < MAX_PAGES; n++) {
    const query = new URLSearchParams(q);
    query.set('per_page', String(PER_PAGE));
    query.set('page', String(page));
    const res = await fetch(`${API}${path}?${query}`, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`${res.status} ${res.statusText} from /api${path}`);
    out.push(...(await res.json()));
    const next = Number(res.headers.get('x-next-page') ?? '1');
    if (next <= page) break;
    page = next;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Building DOM (text only)

/**
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined | null>} [attrs]
 * @param {...(Node | string | number | null | undefined | false | Array<Node | string | null | undefined | false>)} children
 * @returns {HTMLElement}
 */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** @param {string} status @param {string} [label] */
const badge = (status, label = status) => h('span', { class: `status status-${status}` }, label);

const dash = () => h('span', { class: 'muted', 'aria-label': 'none' }, '—');

/** @param {unknown[] | undefined} items @param {(item: any) => Node | string} [each] */
function list(items, each = (x) => String(x)) {
  if (!items || items.length === 0) return dash();
  return h(
    'ul',
    {},
    items.map((x) => h('li', {}, each(x))),
  );
}

/** API URL of one object: its raw configuration as the API returns it. @param {string} path @param {string} name */
const rawLink = (path, name) => h('a', { href: `${API}${path}/${encodeURIComponent(name)}`, title: 'raw configuration (JSON)' }, name);

/**
 * @typedef {{ title: string, cell: (row: any) => Node | string, when?: (rows: any[]) => boolean, wide?: boolean }} Column
 * @param {string} caption @param {Column[]} columns @param {any[]} rows @param {string} [empty]
 * @param {(row: any) => Node | null} [detail] a full-width line under a row (its errors), so the table stays narrow
 */
function table(caption, columns, rows, empty = 'Nothing here.', detail) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  const shown = columns.filter((c) => !c.when || c.when(rows));
  const body = rows.flatMap((r) => {
    const line = h(
      'tr',
      {},
      shown.map((c) => h('td', { class: c.wide ? 'wide' : undefined, 'data-label': c.title }, c.cell(r))),
    );
    const more = detail?.(r);
    return more ? [line, h('tr', { class: 'detail' }, h('td', { colspan: shown.length, 'data-label': 'Error' }, more))] : [line];
  });
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          shown.map((c) => h('th', { scope: 'col' }, c.title)),
        ),
      ),
      h('tbody', {}, body),
    ),
  );
}

/** @param {string} field @returns {(rows: any[]) => boolean} */
const anyHas = (field) => (rows) => rows.some((r) => r[field] !== undefined && r[field] !== '');

/** A disabled or warned object's problems, under its row. @param {any} r */
const errorDetail = (r) =>
  r.error?.length
    ? h(
        'ul',
        { class: 'error-text' },
        r.error.map((/** @type {string} */ e) => h('li', {}, e)),
      )
    : null;

/** @param {any} value */
function summary(value) {
  if (value === undefined) return dash();
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return h('code', {}, text.length > 160 ? `${text.slice(0, 157)}…` : text);
}

/** `pool@file` → how many days until `iso`. @param {string} iso */
function daysLeft(iso) {
  const days = Math.floor((Date.parse(iso) - Date.now()) / 86_400_000);
  return days < 0 ? `expired ${-days} days ago` : days === 0 ? 'expires today' : `in ${days} days`;
}

// ---------------------------------------------------------------------------
// Pages

/** @param {'http' | 'tcp' | 'udp'} protocol @returns {Page} */
function routersPage(protocol) {
  const path = `/${protocol}/routers`;
  return {
    title: `${protocol.toUpperCase()} routers`,
    filters: 'objects',
    load: (q) => getList(path, q),
    render: (rows) =>
      table(
        `${protocol.toUpperCase()} routers (${rows.length}); names link to their raw configuration`,
        [
          { title: 'Status', cell: (r) => badge(r.status) },
          { title: 'Name', cell: (r) => rawLink(path, r.name) },
          { title: 'Rule', cell: (r) => (r.rule ? h('code', {}, r.rule) : dash()), when: anyHas('rule'), wide: true },
          { title: 'Entrypoints', cell: (r) => list(r.entryPoints) },
          { title: 'TLS', cell: (r) => tlsCell(r.tls), when: anyHas('tls') },
          { title: 'Middlewares', cell: (r) => list(r.middlewares, (m) => rawLink(`/${protocol}/middlewares`, m)), when: anyHas('middlewares') },
          { title: 'Service', cell: (r) => (r.service ? rawLink(`/${protocol}/services`, r.service) : dash()) },
          { title: 'Priority', cell: priorityCell, when: anyHas('priority') },
        ],
        rows,
        `No ${protocol.toUpperCase()} routers.`,
        errorDetail,
      ),
  };
}

/** Portico's own routers sit above every user priority: say so rather than print 16 digits. @param {any} r */
function priorityCell(r) {
  // Unset, a router's priority is its rule's length (Traefik's default, and Portico's).
  if (r.priority === undefined)
    return typeof r.rule === 'string' ? h('span', { class: 'muted', title: 'the rule length (default)' }, String(r.rule.length)) : dash();
  return r.priority >= 2 ** 52 ? h('span', { class: 'muted', title: 'above every user router' }, 'internal') : String(r.priority);
}

/** @param {any} tls */
function tlsCell(tls) {
  if (!tls) return dash();
  const parts = Object.entries(tls).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? list(parts) : 'yes';
}

/** Each server (URL or address) with its health, and the services a weighted/mirroring/failover service reaches. @param {any} s */
function serversCell(s) {
  const lb = s.loadBalancer;
  /** @type {Record<string, string>} */
  const health = s.serverStatus ?? {};
  if (lb?.servers) {
    /** @type {string[]} */
    const addrs = lb.servers.map((/** @type {any} */ x) => x.url ?? x.address).filter(Boolean);
    for (const u of Object.keys(health)) if (!addrs.includes(u)) addrs.push(u);
    return list(addrs, (a) => h('span', {}, health[a] ? badge(health[a]) : badge('unknown', 'no check'), ' ', h('span', { class: 'mono' }, a)));
  }
  if (s.weighted?.services) return list(s.weighted.services, (x) => `${x.name} (weight ${x.weight ?? 1})`);
  if (s.mirroring)
    return list([`${s.mirroring.service} (main)`, ...(s.mirroring.mirrors ?? []).map((/** @type {any} */ m) => `${m.name} (${m.percent ?? 0}%)`)]);
  if (s.failover) return list([`${s.failover.service} (main)`, `${s.failover.fallback} (fallback)`]);
  return dash();
}

/** @param {'http' | 'tcp' | 'udp'} protocol @returns {Page} */
function servicesPage(protocol) {
  const path = `/${protocol}/services`;
  return {
    title: `${protocol.toUpperCase()} services`,
    filters: 'objects',
    load: (q) => getList(path, q),
    render: (rows) =>
      table(
        `${protocol.toUpperCase()} services (${rows.length}); servers show their health check`,
        [
          { title: 'Status', cell: (r) => badge(r.status) },
          { title: 'Name', cell: (r) => rawLink(path, r.name) },
          { title: 'Type', cell: (r) => r.type ?? (r.provider === 'internal' ? 'internal' : dash()) },
          { title: 'Servers', cell: serversCell },
          { title: 'Used by', cell: (r) => list(r.usedBy, (u) => rawLink(`/${protocol}/routers`, u)) },
        ],
        rows,
        `No ${protocol.toUpperCase()} services.`,
        errorDetail,
      ),
  };
}

/** @param {'http' | 'tcp'} protocol @returns {Page} */
function middlewaresPage(protocol) {
  const path = `/${protocol}/middlewares`;
  const own = new Set(['name', 'provider', 'type', 'status', 'usedBy', 'error']);
  return {
    title: `${protocol.toUpperCase()} middlewares`,
    filters: 'objects',
    load: (q) => getList(path, q),
    render: (rows) =>
      table(
        `${protocol.toUpperCase()} middlewares (${rows.length})`,
        [
          { title: 'Status', cell: (r) => badge(r.status) },
          { title: 'Name', cell: (r) => rawLink(path, r.name) },
          { title: 'Type', cell: (r) => r.type ?? dash() },
          { title: 'Configuration', cell: (r) => summary(Object.fromEntries(Object.entries(r).filter(([k]) => !own.has(k)))), wide: true },
          { title: 'Used by', cell: (r) => list(r.usedBy, (u) => rawLink(`/${protocol}/routers`, u)) },
        ],
        rows,
        `No ${protocol.toUpperCase()} middlewares.`,
        errorDetail,
      ),
  };
}

/** @type {Page} */
const entryPointsPage = {
  title: 'Entrypoints',
  load: () => getList('/entrypoints'),
  render: (rows) =>
    table(
      `Entrypoints (${rows.length})`,
      [
        { title: 'Name', cell: (r) => rawLink('/entrypoints', r.name) },
        { title: 'Address', cell: (r) => h('code', {}, r.address) },
        { title: 'TLS', cell: (r) => (r.http?.tls ? `yes${r.http.tls.options ? ` (options: ${r.http.tls.options})` : ''}` : 'no') },
        { title: 'HTTP/3', cell: (r) => (r.http3?.enabled ? 'yes' : 'no') },
        { title: 'Redirects to', cell: (r) => r.http?.redirections?.entryPoint?.to ?? dash() },
        { title: 'Middlewares', cell: (r) => list(r.http?.middlewares) },
      ],
      rows,
    ),
};

/** @type {Page} */
const certificatesPage = {
  title: 'Certificates',
  filters: 'certificates',
  load: (q) => getList('/certificates', q),
  render: (rows) =>
    table(
      `Certificates served (${rows.length}), soonest expiry first`,
      [
        { title: 'Status', cell: (r) => badge(r.status) },
        { title: 'Name', cell: (r) => h('a', { href: `${API}/certificates?search=${encodeURIComponent(r.name)}`, title: 'as JSON' }, r.name) },
        { title: 'Covers', cell: (r) => list(r.sans) },
        {
          title: 'Expires',
          cell: (r) =>
            h('span', {}, h('time', { datetime: r.notAfter }, r.notAfter.slice(0, 10)), h('br'), h('span', { class: 'muted' }, daysLeft(r.notAfter))),
        },
        { title: 'Issuer', cell: (r) => r.issuer },
        { title: 'Source', cell: (r) => h('span', {}, r.source, r.default ? h('span', { class: 'muted' }, ' (default certificate)') : null) },
        { title: 'Key', cell: (r) => r.keyType },
      ],
      rows,
      'No certificate matches.',
    ),
};

/** `http.middlewares.bad@file.ipAllowList…` → the object's API path, when the error belongs to one. @param {string} path */
function objectOf(path) {
  const m = /^(http|tcp|udp)\.(routers|services|middlewares)\.([^.]+@[^.]+)/.exec(path);
  return m ? { api: `/${m[1]}/${m[2]}`, name: /** @type {string} */ (m[3]) } : undefined;
}

/** @type {Page} */
const errorsPage = {
  title: 'Configuration errors',
  load: () => getJson('/errors'),
  render: (rows) =>
    table(
      `Configuration errors (${rows.length}): Portico serves the rest and keeps the last good version of what failed to load`,
      [
        { title: 'Where', cell: (r) => h('span', { class: 'mono' }, r.line ? `${r.source}:${r.line}` : r.source) },
        { title: 'Provider', cell: (r) => r.provider },
        {
          title: 'Field',
          cell: (r) => {
            const o = objectOf(r.path);
            return o
              ? h('span', {}, rawLink(o.api, o.name), h('code', {}, r.path.slice(r.path.indexOf(o.name) + o.name.length)))
              : h('code', {}, r.path || '—');
          },
        },
        { title: 'Problem', cell: (r) => h('span', { class: 'error-text' }, r.message), wide: true },
      ],
      rows,
      'No configuration errors.',
    ),
};

/** @param {string} title @param {string} href @param {{ total: number, warnings: number, errors: number } | undefined} c */
function countCard(title, href, c) {
  const counts = c ?? { total: 0, warnings: 0, errors: 0 };
  const ok = counts.total - counts.warnings - counts.errors;
  return h(
    'div',
    { class: 'card' },
    h('h3', {}, h('a', { href }, title)),
    h('p', { class: 'big' }, String(counts.total)),
    h(
      'p',
      { class: 'tally' },
      badge('enabled', `${ok} enabled`),
      counts.warnings ? badge('warning', `${counts.warnings} warnings`) : null,
      counts.errors ? badge('disabled', `${counts.errors} disabled`) : null,
    ),
  );
}

/** @type {Page} */
const overviewPage = {
  title: 'Overview',
  load: async () => {
    const [overview, entryPoints, version, errors, certificates] = await Promise.all([
      getJson('/overview'),
      getList('/entrypoints'),
      getJson('/version'),
      getJson('/errors'),
      getList('/certificates'),
    ]);
    return { overview, entryPoints, version, errors: errors.length, certificates };
  },
  render: ({ overview, entryPoints, version, errors, certificates }) => {
    /** @param {'http' | 'tcp' | 'udp'} p */
    const protocol = (p) => {
      const o = overview[p] ?? {};
      const kinds = p === 'udp' ? ['routers', 'services'] : ['routers', 'services', 'middlewares'];
      return [
        h('h2', {}, p.toUpperCase()),
        h(
          'div',
          { class: 'cards' },
          kinds.map((k) => countCard(`${p.toUpperCase()} ${k}`, `#/${p}/${k}`, o[k])),
        ),
      ];
    };
    const expiring = certificates.filter((/** @type {any} */ c) => c.status !== 'valid');
    const features = overview.features ?? {};
    return h(
      'div',
      {},
      h(
        'div',
        { class: 'cards' },
        h(
          'div',
          { class: 'card' },
          h('h3', {}, h('a', { href: '#/errors' }, 'Configuration errors')),
          h('p', { class: 'big' }, String(errors)),
          errors ? badge('error', 'see the list') : badge('enabled', 'none'),
        ),
        h(
          'div',
          { class: 'card' },
          h('h3', {}, h('a', { href: '#/certificates' }, 'Certificates')),
          h('p', { class: 'big' }, String(certificates.length)),
          expiring.length ? badge('expiring', `${expiring.length} expiring or expired`) : badge('valid', 'all valid'),
        ),
        h(
          'div',
          { class: 'card' },
          h('h3', {}, 'Portico'),
          h(
            'dl',
            {},
            h('dt', {}, 'Version'),
            h('dd', {}, version.Version),
            h('dt', {}, 'Started'),
            h('dd', {}, h('time', { datetime: version.startDate }, new Date(version.startDate).toLocaleString())),
            h('dt', {}, 'Providers'),
            h('dd', {}, (overview.providers ?? []).join(', ') || '—'),
            h('dt', {}, 'Metrics'),
            h('dd', {}, features.metrics || 'off'),
            h('dt', {}, 'Access log'),
            h('dd', {}, features.accessLog ? 'on' : 'off'),
            h('dt', {}, 'Tracing'),
            h('dd', {}, features.tracing || 'off'),
          ),
        ),
      ),
      h('h2', {}, h('a', { href: '#/entrypoints' }, 'Entrypoints')),
      h(
        'div',
        { class: 'cards' },
        entryPoints.map((/** @type {any} */ e) =>
          h(
            'div',
            { class: 'card' },
            h('h3', {}, e.name),
            h('p', {}, h('code', {}, e.address)),
            h(
              'p',
              { class: 'muted' },
              [
                e.http?.tls ? 'TLS' : 'no TLS by default',
                e.http3?.enabled ? 'HTTP/3' : null,
                e.http?.redirections ? `→ ${e.http.redirections.entryPoint?.to}` : null,
              ]
                .filter(Boolean)
                .join(' · '),
            ),
          ),
        ),
      ),
      protocol('http'),
      protocol('tcp'),
      protocol('udp'),
    );
  },
};

/** @type {Record<string, Page>} */
const PAGES = {
  '/': overviewPage,
  '/entrypoints': entryPointsPage,
  '/http/routers': routersPage('http'),
  '/http/services': servicesPage('http'),
  '/http/middlewares': middlewaresPage('http'),
  '/tcp/routers': routersPage('tcp'),
  '/tcp/services': servicesPage('tcp'),
  '/tcp/middlewares': middlewaresPage('tcp'),
  '/udp/routers': routersPage('udp'),
  '/udp/services': servicesPage('udp'),
  '/certificates': certificatesPage,
  '/errors': errorsPage,
};

// ---------------------------------------------------------------------------
// The shell: navigation, filters, refresh

const title = /** @type {HTMLElement} */ (document.getElementById('title'));
const toolbar = /** @type {HTMLElement} */ (document.getElementById('toolbar'));
const content = /** @type {HTMLElement} */ (document.getElementById('content'));
const refresh = /** @type {HTMLElement} */ (document.getElementById('refresh'));
const errorCount = /** @type {HTMLElement} */ (document.getElementById('error-count'));
const main = /** @type {HTMLElement} */ (document.getElementById('main'));

const state = {
  /** @type {string} */ route: '',
  /** @type {string | undefined} */ shown: undefined,
  /** @type {URLSearchParams} */ filters: new URLSearchParams(),
  /** @type {ReturnType<typeof setTimeout> | undefined} */ timer: undefined,
  generation: 0,
};

/** The page the hash names; a hash that is no route (the skip link's `#main`) keeps the page shown. */
function currentRoute() {
  const r = location.hash.replace(/^#/, '') || '/';
  if (PAGES[r]) return r;
  return r.startsWith('/') || !state.route ? '/' : state.route;
}

/** @param {Page} page */
function buildToolbar(page) {
  toolbar.replaceChildren();
  state.filters = new URLSearchParams();
  if (!page.filters) return;
  const statuses = page.filters === 'certificates' ? ['valid', 'expiring', 'expired'] : ['enabled', 'warning', 'disabled'];
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let debounce;
  const search = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'search',
      id: 'search',
      autocomplete: 'off',
      placeholder: page.filters === 'certificates' ? 'name, issuer or file' : state.route.endsWith('/routers') ? 'name or rule' : 'name',
    })
  );
  const status = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'status' },
      h('option', { value: '' }, 'any'),
      statuses.map((s) => h('option', { value: s }, s)),
    )
  );
  const apply = () => {
    state.filters = new URLSearchParams();
    if (search.value) state.filters.set('search', search.value);
    if (status.value) state.filters.set('status', status.value);
    void update();
  };
  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(apply, 200);
  });
  status.addEventListener('change', apply);
  toolbar.append(h('label', {}, 'Search', search), h('label', {}, 'Status', status));
}

function navigate() {
  const route = currentRoute();
  const page = /** @type {Page} */ (PAGES[route]);
  const changed = route !== state.route;
  state.route = route;
  state.shown = undefined;
  title.textContent = page.title;
  document.title = `${page.title} · Portico`;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#${route}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (changed) {
    buildToolbar(page);
    content.replaceChildren(h('p', {}, 'Loading…'));
  }
  void update();
}

/** Read the page's data; redraw only when it changed; schedule the next read. */
async function update() {
  clearTimeout(state.timer);
  const generation = ++state.generation;
  const page = /** @type {Page} */ (PAGES[state.route]);
  try {
    const [data, errors] = await Promise.all([page.load(state.filters), state.route === '/errors' ? undefined : getJson('/errors')]);
    // A newer read (navigation, a filter) started meanwhile: its answer wins.
    if (generation !== state.generation) return;
    const errorsNow = errors ?? data;
    errorCount.textContent = errorsNow.length ? String(errorsNow.length) : '';
    errorCount.setAttribute('aria-label', errorsNow.length ? `${errorsNow.length} errors` : '');
    const serialized = JSON.stringify(data);
    if (serialized !== state.shown) {
      state.shown = serialized;
      redraw(page.render(data));
    }
    refresh.classList.remove('offline');
    refresh.removeAttribute('role');
    refresh.textContent = `Updated ${new Date().toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
  } catch (err) {
    if (generation !== state.generation) return;
    refresh.classList.add('offline');
    // Announced once when the API stops answering; the routine "Updated …" line is not (it changes every few seconds).
    refresh.setAttribute('role', 'alert');
    refresh.textContent = `Cannot reach the API (${err instanceof Error ? err.message : String(err)}); retrying`;
  }
  if (generation === state.generation && !document.hidden) state.timer = setTimeout(() => void update(), REFRESH_MS);
}

/** Replace the page's content, putting focus back on the same link or field if it was inside. @param {Node} node */
function redraw(node) {
  const active = document.activeElement;
  const key = active && content.contains(active) ? active.getAttribute('href') : null;
  content.replaceChildren(node);
  if (key) for (const a of content.querySelectorAll('a')) if (a.getAttribute('href') === key) return a.focus();
}

document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => {
  if (currentRoute() === state.route) return;
  navigate();
  // Keyboard and screen-reader users land on the new page's heading, not back at the top of the navigation.
  main.focus();
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void update();
  else clearTimeout(state.timer);
});
navigate();
