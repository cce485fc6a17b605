/**
 * ECS小助手 web page: the mini program's search, list and detail, for phones and desktops.
 *
 * Plain ES module, no build step. Formatting, labels, the ID rule and the retry rule come from format.js,
 * the very file the mini program requires (loaded before this module through cjs-shim.js), so the two
 * clients cannot drift apart. The API is same-origin: this page is served by the service at /app/.
 *
 * Views are chosen by the URL hash (#/search, #/list?regionId=&status=&page=, #/instance/<id>?regionId=)
 * so the browser's back button, reloads and shared links all work.
 */

const F = /** @type {any} */ (window).module.exports;

const LANG_KEY = 'ecsAssistant.lang';
const RECENT_KEY = 'ecsAssistant.recentIds';
const RECENT_MAX = 8;
const PAGE_SIZE = 20;
const TIMEOUT_MS = 10000;

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  lang: readLang(),
  /** Last search outcome, kept so a language switch can re-render it. */
  search: /** @type {null | {id: string, data?: any, error?: any}} */ (null),
  searchSeq: 0,
  regions: /** @type {{regionId: string, localName: string}[]} */ ([]),
  regionsLoaded: false,
  list: /** @type {null | {data?: any, error?: any, query: {regionId: string, status: string, page: number, pageSize: number}}} */ (null),
  listSeq: 0,
  detail: /** @type {null | {id: string, data?: any, error?: any}} */ (null),
  detailSeq: 0,
  /** Whether the next route change came from the person (move focus) or from page load (leave it). */
  userNavigated: false,
  /** The view shown before the current one ('' at page load). */
  lastView: '',
};

// ---------------------------------------------------------------------------------------------- utilities

function readLang() {
  try {
    return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

/** @param {string} key @param {Record<string, string|number>} [vars] */
const t = (key, vars) => F.t(key, state.lang, vars);

/**
 * Build an element: el('div', {class: 'x', text: 'hi'}, child1, child2).
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...(Node|string|null|undefined)} children
 */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'class') node.className = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/**
 * GET a same-origin API path. One retry on a network error, 502 or 504 (F.shouldRetry); resolves to
 * {ok: true, data} or {ok: false, error: {code, message}} and never throws.
 * @param {string} path
 */
async function apiGet(path) {
  let outcome = await attempt(path);
  for (let retry = 0; retry < F.MAX_RETRIES && F.shouldRetry(outcome); retry++) outcome = await attempt(path);
  if (outcome.status >= 200 && outcome.status < 300 && outcome.body && typeof outcome.body === 'object') {
    return { ok: true, data: outcome.body };
  }
  return { ok: false, error: F.errorFromResponse(outcome, state.lang) };
}

/** @param {string} path */
async function attempt(path) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(path, { headers: { Accept: 'application/json' }, signal: controller.signal, cache: 'no-store' });
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text; // an HTML error page from a proxy: keep the status, drop the body
    }
    return { status: res.status, body, networkError: false, timeout: false };
  } catch (e) {
    const timeout = e instanceof DOMException && e.name === 'AbortError';
    return { status: 0, body: null, networkError: true, timeout };
  } finally {
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------------------------------------- i18n

function applyStaticText() {
  document.documentElement.lang = state.lang === 'en' ? 'en' : 'zh-CN';
  document.title = t('appName');
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t(/** @type {string} */ (node.getAttribute('data-i18n')));
  }
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    node.setAttribute('placeholder', t(/** @type {string} */ (node.getAttribute('data-i18n-placeholder'))));
  }
  for (const node of document.querySelectorAll('[data-i18n-aria-label]')) {
    node.setAttribute('aria-label', t(/** @type {string} */ (node.getAttribute('data-i18n-aria-label'))));
  }
  $('tabs').setAttribute('aria-label', t('mainNav'));
  const toggle = $('lang-toggle');
  toggle.textContent = t('language');
  toggle.setAttribute('lang', state.lang === 'en' ? 'zh-CN' : 'en');
  toggle.setAttribute('aria-label', t('languageLabel'));
}

function toggleLanguage() {
  state.lang = state.lang === 'en' ? 'zh' : 'en';
  try {
    localStorage.setItem(LANG_KEY, state.lang);
  } catch {
    // private mode: the choice just lasts for this visit
  }
  applyStaticText();
  fillStatusFilter();
  fillRegionFilter();
  renderRecent();
  renderSearch();
  renderList();
  renderDetail();
}

// ---------------------------------------------------------------------------------------- shared render

/** A status badge. @param {{statusTone: string, statusText: string}} card */
function badge(card) {
  return el('span', { class: `badge badge-${card.statusTone}`, text: card.statusText });
}

/** <dl> of label/value pairs. @param {{key: string, label: string, value: string}[]} fields */
function fieldList(fields) {
  const dl = el('dl', { class: 'fields' });
  for (const f of fields) {
    dl.append(el('div', { class: 'field', 'data-field': f.key }, el('dt', { text: f.label }), el('dd', { text: f.value })));
  }
  return dl;
}

/**
 * Put text in a polite live region. Progress ("loading…") is shown; a completion notice only repeats what
 * the card already shows, so it is for screen readers alone.
 * @param {string} id @param {string} text @param {boolean} visible
 */
function announce(id, text, visible) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle('visually-hidden', !visible);
}

/** Show an error in a live region ('' clears it). @param {string} id @param {string} title @param {string} message */
function showError(id, title, message) {
  const box = $(id);
  box.replaceChildren();
  if (message) box.append(el('strong', { class: 'error-title', text: title }), el('span', { class: 'error-text', text: message }));
}

// ----------------------------------------------------------------------------------------------- search

function readRecent() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) || '[]');
    return Array.isArray(list) ? list.filter(F.isValidInstanceId).slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

/** @param {string[]} list */
function writeRecent(list) {
  try {
    if (list.length) localStorage.setItem(RECENT_KEY, JSON.stringify(list));
    else localStorage.removeItem(RECENT_KEY);
  } catch {
    // storage unavailable: recent IDs simply are not kept
  }
}

function renderRecent() {
  const recent = readRecent();
  const box = $('recent');
  box.hidden = recent.length === 0;
  const list = $('recent-list');
  list.replaceChildren(
    ...recent.map((id) =>
      el('li', null, el('button', { type: 'button', class: 'chip', 'data-id': id, text: id })),
    ),
  );
}

/** @param {string} raw */
async function runSearch(raw) {
  const input = /** @type {HTMLInputElement} */ ($('instance-id'));
  const checked = F.checkInstanceId(raw, state.lang);
  const seq = ++state.searchSeq;
  if (!checked.ok) {
    setSearchBusy(false); // also drops the look of an older search still in flight: its answer is ignored
    state.search = { id: checked.id, error: { code: 'InvalidInstanceId', message: checked.message, local: true } };
    renderSearch();
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  input.value = checked.id;
  input.removeAttribute('aria-invalid');
  announce('search-status', t('loading'), true);
  setSearchBusy(true);
  const res = await apiGet(F.serverInfoPath(checked.id));
  if (seq !== state.searchSeq) return; // a newer search started: its answer wins
  setSearchBusy(false);
  state.search = res.ok ? { id: checked.id, data: res.data } : { id: checked.id, error: res.error };
  if (res.ok) writeRecent(F.addRecentId(readRecent(), checked.id, RECENT_MAX));
  renderRecent();
  renderSearch();
}

/** @param {boolean} busy */
function setSearchBusy(busy) {
  if (busy) $('search-button').setAttribute('aria-busy', 'true');
  else $('search-button').removeAttribute('aria-busy');
  $('search-form').classList.toggle('busy', busy);
}

function renderSearch() {
  const card = $('search-result');
  const s = state.search;
  $('search-status').textContent = '';
  card.replaceChildren();
  card.hidden = true;
  showError('search-error', '', '');
  if (!s) return;
  if (s.error) {
    // A locally-detected syntax error is re-translated; an API message is shown as the API wrote it.
    const message = s.error.local ? F.checkInstanceId(s.id, state.lang).message : s.error.message;
    showError('search-error', t('lookupFailed'), message);
    return;
  }
  const view = F.serverInfoCard(s.id, s.data, state.lang);
  card.append(
    el('header', { class: 'card-head' }, el('h3', { id: 'result-id', class: 'card-id', text: view.id }), badge(view)),
    fieldList(view.fields),
    el('a', { class: 'button detail-link', href: `#/instance/${encodeURIComponent(view.id)}`, text: t('viewDetail') }),
  );
  card.hidden = false;
  announce('search-status', t('found', { id: view.id }), false);
}

// ------------------------------------------------------------------------------------------------- list

function fillStatusFilter() {
  const select = /** @type {HTMLSelectElement} */ ($('filter-status'));
  const current = select.value;
  select.replaceChildren(
    el('option', { value: '', text: t('allStatuses') }),
    ...F.STATUSES.map((/** @type {string} */ s) => el('option', { value: s, text: F.statusText(s, state.lang) })),
  );
  select.value = current;
}

function fillRegionFilter() {
  const select = /** @type {HTMLSelectElement} */ ($('filter-region'));
  const current = select.value;
  const options = state.regions.length
    ? state.regions.map((r) => el('option', { value: r.regionId, text: state.lang === 'en' || !r.localName ? r.regionId : `${r.localName} ${r.regionId}` }))
    : [el('option', { value: '', text: t('defaultRegion') })];
  select.replaceChildren(...options);
  if (current) select.value = current;
}

async function ensureRegions() {
  if (state.regionsLoaded) return;
  const res = await apiGet(F.REGIONS_PATH);
  state.regionsLoaded = true;
  if (res.ok && Array.isArray(res.data.regions)) {
    state.regions = res.data.regions.filter((/** @type {any} */ r) => r && typeof r.regionId === 'string');
  }
  fillRegionFilter();
}

/** @param {URLSearchParams} params */
async function showList(params) {
  await ensureRegions();
  const query = {
    regionId: params.get('regionId') || (state.regions[0] ? state.regions[0].regionId : ''),
    status: F.STATUSES.includes(params.get('status')) ? /** @type {string} */ (params.get('status')) : '',
    page: Math.max(1, Number.parseInt(params.get('page') || '1', 10) || 1),
    // Optional #/list?pageSize=N (5..100) for people who want longer pages on a desktop.
    pageSize: Math.min(100, Math.max(5, Number.parseInt(params.get('pageSize') || '', 10) || PAGE_SIZE)),
  };
  /** @type {HTMLSelectElement} */ ($('filter-region')).value = query.regionId;
  /** @type {HTMLSelectElement} */ ($('filter-status')).value = query.status;
  const seq = ++state.listSeq;
  $('list-summary').textContent = t('loadingList');
  $('list-items').setAttribute('aria-busy', 'true');
  const res = await apiGet(
    F.listPath({ regionId: query.regionId, status: query.status, pageNumber: query.page, pageSize: query.pageSize }),
  );
  if (seq !== state.listSeq) return;
  $('list-items').removeAttribute('aria-busy');
  state.list = res.ok ? { data: res.data, query } : { error: res.error, query };
  renderList();
}

function renderList() {
  const l = state.list;
  if (!l) return;
  const items = $('list-items');
  items.replaceChildren();
  showError('list-error', '', '');
  $('pager').hidden = true;
  if (l.error) {
    $('list-summary').textContent = '';
    showError('list-error', t('loadFailed'), l.error.message);
    return;
  }
  const docs = Array.isArray(l.data.instances) ? l.data.instances : [];
  const total = Number(l.data.totalCount) || 0;
  const pages = F.pageCount(total, l.query.pageSize);
  for (const doc of docs) {
    const item = F.instanceListItem(doc, state.lang);
    const href = `#/instance/${encodeURIComponent(item.id)}${F.queryString({ regionId: item.regionId })}`;
    items.append(
      el(
        'li',
        null,
        el(
          'a',
          { class: 'item', href, 'data-id': item.id },
          el('span', { class: 'item-head' }, el('span', { class: 'item-name', text: item.name }), badge(item)),
          el('span', { class: 'item-id', text: item.id }),
          el('span', { class: 'item-summary', text: item.publicIp ? `${item.summary} · ${item.publicIp}` : item.summary }),
        ),
      ),
    );
  }
  $('list-summary').textContent = docs.length ? t('pageOf', { page: l.query.page, pages, total }) : t('emptyList');
  if (total > l.query.pageSize) {
    $('pager').hidden = false;
    $('page-info').textContent = `${l.query.page} / ${pages}`;
    /** @type {HTMLButtonElement} */ ($('prev-page')).disabled = l.query.page <= 1;
    /** @type {HTMLButtonElement} */ ($('next-page')).disabled = l.query.page >= pages;
  }
}

/**
 * Navigate the list. Filters are read from the controls themselves, not from the last loaded list, so two
 * quick changes (status, then region) combine even while the first answer is still on its way.
 * @param {{page: number}} change
 */
function goList(change) {
  const regionId = /** @type {HTMLSelectElement} */ ($('filter-region')).value;
  const status = /** @type {HTMLSelectElement} */ ($('filter-status')).value;
  state.userNavigated = true;
  const pageSize = state.list && state.list.query.pageSize !== PAGE_SIZE ? state.list.query.pageSize : '';
  location.hash = `#/list${F.queryString({ regionId, status, page: change.page > 1 ? change.page : '', pageSize })}`;
}

// ----------------------------------------------------------------------------------------------- detail

/** @param {string} id @param {string} regionId */
async function showDetail(id, regionId) {
  const checked = F.checkInstanceId(id, state.lang);
  const seq = ++state.detailSeq;
  state.detail = null;
  $('detail-heading').textContent = id || t('detailTitle'); // not the previous instance's name while loading
  $('detail-card').hidden = true;
  showError('detail-error', '', '');
  if (!checked.ok) {
    state.detail = { id, error: { message: checked.message } };
    renderDetail();
    return;
  }
  announce('detail-status', t('loadingList'), true);
  const res = await apiGet(F.instancePath(checked.id, regionId));
  if (seq !== state.detailSeq) return;
  state.detail = res.ok ? { id: checked.id, data: res.data } : { id: checked.id, error: res.error };
  renderDetail();
}

function renderDetail() {
  const d = state.detail;
  if (!d) return;
  const card = $('detail-card');
  card.replaceChildren();
  card.hidden = true;
  $('detail-status').textContent = '';
  showError('detail-error', '', '');
  const heading = $('detail-heading');
  if (d.error) {
    heading.textContent = d.id || t('detailTitle');
    showError('detail-error', t('loadFailed'), d.error.message);
    return;
  }
  const view = F.instanceDetailCard(d.data, state.lang);
  heading.textContent = view.name !== '-' ? view.name : view.id;
  card.append(el('header', { class: 'card-head' }, el('span', { class: 'card-id', text: view.id }), badge(view)), fieldList(view.fields));
  card.hidden = false;
  announce('detail-status', `${t('detailTitle')}: ${view.id}`, false);
}

// ---------------------------------------------------------------------------------------------- routing

function route() {
  const hash = location.hash || '#/search';
  const [pathPart, queryPart] = hash.slice(1).split('?');
  const params = new URLSearchParams(queryPart || '');
  let view = 'search';
  if (pathPart === '/list') view = 'list';
  else if (pathPart.startsWith('/instance/')) view = 'detail';

  for (const name of ['search', 'list', 'detail']) $(`view-${name}`).hidden = name !== view;
  setCurrent($('tab-search'), view === 'search' ? 'page' : '');
  // The detail page sits under the list tab: mark the tab current, but it is not that exact page.
  setCurrent($('tab-list'), view === 'list' ? 'page' : view === 'detail' ? 'true' : '');

  const moveFocus = state.userNavigated;
  state.userNavigated = false;
  const cameFrom = state.lastView;
  state.lastView = view;
  if (view === 'list') {
    showList(params);
    if (moveFocus) $('list-heading').focus();
  } else if (view === 'detail') {
    const id = decodeURIComponent(pathPart.slice('/instance/'.length));
    // Back goes where the person came from: the search card or the (filtered) list.
    if (cameFrom !== 'detail') {
      $('detail-back').setAttribute('href', cameFrom === 'search' ? '#/search' : goListHref());
    }
    showDetail(id, params.get('regionId') || '');
    if (moveFocus) $('detail-heading').focus();
  } else if (moveFocus) {
    $('instance-id').focus();
  }
}

/** @param {HTMLElement} node @param {string} value '' removes aria-current */
function setCurrent(node, value) {
  if (value) node.setAttribute('aria-current', value);
  else node.removeAttribute('aria-current');
}

function goListHref() {
  const q = state.list ? state.list.query : { regionId: '', status: '', page: 1, pageSize: PAGE_SIZE };
  const pageSize = q.pageSize !== PAGE_SIZE ? q.pageSize : '';
  return `#/list${F.queryString({ regionId: q.regionId, status: q.status, page: q.page > 1 ? q.page : '', pageSize })}`;
}

// ------------------------------------------------------------------------------------------------ wiring

function wire() {
  $('lang-toggle').addEventListener('click', toggleLanguage);
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    runSearch(/** @type {HTMLInputElement} */ ($('instance-id')).value);
  });
  $('instance-id').addEventListener('input', () => $('instance-id').removeAttribute('aria-invalid'));
  $('recent-list').addEventListener('click', (e) => {
    const chip = /** @type {HTMLElement} */ (e.target).closest('[data-id]');
    if (!chip) return;
    const id = /** @type {string} */ (chip.getAttribute('data-id'));
    /** @type {HTMLInputElement} */ ($('instance-id')).value = id;
    runSearch(id);
  });
  $('clear-recent').addEventListener('click', () => {
    writeRecent([]);
    renderRecent();
    $('instance-id').focus();
  });
  $('filter-region').addEventListener('change', () => goList({ page: 1 }));
  $('filter-status').addEventListener('change', () => goList({ page: 1 }));
  $('list-filters').addEventListener('submit', (e) => e.preventDefault());
  $('prev-page').addEventListener('click', () => goList({ page: Math.max(1, (state.list ? state.list.query.page : 1) - 1) }));
  $('next-page').addEventListener('click', () => goList({ page: (state.list ? state.list.query.page : 1) + 1 }));
  // Links (tabs, list items, back, detail button) are person-initiated navigation: move focus afterwards.
  document.addEventListener('click', (e) => {
    const a = /** @type {HTMLElement} */ (e.target).closest('a[href^="#/"]');
    if (a) state.userNavigated = true;
  });
  window.addEventListener('hashchange', route);
}

applyStaticText();
fillStatusFilter();
fillRegionFilter();
renderRecent();
wire();
route();
document.body.classList.add('ready');
