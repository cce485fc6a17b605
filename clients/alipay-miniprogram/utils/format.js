/**
 * ECS小助手 shared view logic: the instance-ID rule, field labels, value formatting, status text, URL
 * building and error-message mapping.
 *
 * ONE file for two clients. The Alipay mini program `require`s it; the web page at /app/ loads this exact
 * file (src/ecs_assistant/api/web/format.js is a git symlink to it) as a classic script after a two-line
 * `module`/`exports` shim. That is why it:
 *   - is plain CommonJS with a single `module.exports` at the end;
 *   - touches no `window`, `document`, `globalThis`, `fetch`, `my`, `eval`;
 *   - avoids syntax newer than ES2017 (no `?.` / `??`), which older mini program runtimes reject;
 *   - does no I/O: the network call stays in each client (my.request vs fetch).
 */

/** Same rule as the service (checked before any upstream call): trim, then this pattern. */
const INSTANCE_ID_PATTERN = /^i-[0-9a-z]{8,32}$/;

/** Statuses DescribeInstances reports, in the order a person would filter by them. */
const STATUSES = ['Running', 'Stopped', 'Starting', 'Stopping', 'Pending'];

/** @typedef {'zh' | 'en'} Lang */

/** @type {Record<string, {zh: string, en: string}>} */
const STATUS_TEXT = {
  Running: { zh: '运行中', en: 'Running' },
  Stopped: { zh: '已停止', en: 'Stopped' },
  Starting: { zh: '启动中', en: 'Starting' },
  Stopping: { zh: '停止中', en: 'Stopping' },
  Pending: { zh: '创建中', en: 'Creating' },
};

/** Field labels for every value either client shows. @type {Record<string, {zh: string, en: string}>} */
const FIELD_LABELS = {
  instanceId: { zh: '实例 ID', en: 'Instance ID' },
  instanceName: { zh: '实例名称', en: 'Name' },
  hostName: { zh: '主机名', en: 'Host name' },
  regionId: { zh: '地域', en: 'Region' },
  zoneId: { zh: '可用区', en: 'Zone' },
  status: { zh: '状态', en: 'Status' },
  cpu: { zh: 'CPU', en: 'CPU' },
  memory: { zh: '内存', en: 'Memory' },
  osName: { zh: '操作系统', en: 'Operating system' },
  instanceType: { zh: '实例规格', en: 'Instance type' },
  publicIp: { zh: '公网 IP', en: 'Public IP' },
  bandwidth: { zh: '公网带宽', en: 'Outbound bandwidth' },
  privateIp: { zh: '私网 IP', en: 'Private IP' },
  network: { zh: '网络类型', en: 'Network' },
  vpcId: { zh: '专有网络', en: 'VPC' },
  vSwitchId: { zh: '交换机', en: 'vSwitch' },
  chargeType: { zh: '付费方式', en: 'Billing' },
  creationTime: { zh: '创建时间', en: 'Created' },
  expiredTime: { zh: '到期时间', en: 'Expires' },
  tags: { zh: '标签', en: 'Tags' },
};

/** User-interface text shared by both clients. @type {Record<string, {zh: string, en: string}>} */
const MESSAGES = {
  appName: { zh: 'ECS小助手', en: 'ECS Assistant' },
  searchTab: { zh: '查询', en: 'Look up' },
  listTab: { zh: '实例列表', en: 'Instances' },
  searchLabel: { zh: '实例 ID', en: 'Instance ID' },
  searchPlaceholder: { zh: '例如 i-bp1abcdefghijklm', en: 'e.g. i-bp1abcdefghijklm' },
  searchButton: { zh: '查询', en: 'Look up' },
  searchHint: { zh: '输入实例 ID 后按回车，或从最近查询 / 实例列表中选择', en: 'Type an instance ID and press Enter, or pick one from recent lookups or the list' },
  loading: { zh: '正在查询…', en: 'Looking up…' },
  loadingList: { zh: '正在加载…', en: 'Loading…' },
  recent: { zh: '最近查询', en: 'Recent' },
  clearRecent: { zh: '清除', en: 'Clear' },
  viewDetail: { zh: '查看详情', en: 'Details' },
  back: { zh: '返回', en: 'Back' },
  retry: { zh: '重试', en: 'Retry' },
  region: { zh: '地域', en: 'Region' },
  status: { zh: '状态', en: 'Status' },
  allStatuses: { zh: '全部状态', en: 'All statuses' },
  prevPage: { zh: '上一页', en: 'Previous' },
  nextPage: { zh: '下一页', en: 'Next' },
  loadMore: { zh: '加载更多', en: 'Load more' },
  noMore: { zh: '没有更多了', en: 'No more instances' },
  emptyList: { zh: '没有符合条件的实例', en: 'No instances match these filters' },
  detailTitle: { zh: '实例详情', en: 'Instance details' },
  resultTitle: { zh: '查询结果', en: 'Result' },
  none: { zh: '无', en: 'None' },
  noPublicIp: { zh: '无公网 IP', en: 'No public IP' },
  noBandwidth: { zh: '未开通公网', en: 'No public bandwidth' },
  invalidId: {
    zh: '实例 ID 格式不正确：应以 i- 开头，后跟 8–32 位小写字母或数字',
    en: 'Malformed instance ID: it starts with i- followed by 8–32 lowercase letters or digits',
  },
  emptyId: { zh: '请输入实例 ID', en: 'Please enter an instance ID' },
  networkError: { zh: '网络错误，请检查网络后重试', en: 'Network error: check the connection and try again' },
  timeoutError: { zh: '请求超时，请稍后重试', en: 'The request timed out; try again shortly' },
  serverError: { zh: '服务暂时不可用，请稍后重试', en: 'The service is unavailable; try again shortly' },
  domainNotAllowed: {
    zh: '服务器域名未加入小程序的服务器域名白名单',
    en: "The API domain is not on the mini program's server-domain allowlist",
  },
  badResponse: { zh: '服务返回了无法识别的数据', en: 'The service sent a response this page cannot read' },
  pageOf: { zh: '第 {page} / {pages} 页，共 {total} 台', en: 'Page {page} of {pages}, {total} instances' },
  found: { zh: '已找到 {id}', en: 'Found {id}' },
  language: { zh: 'English', en: '中文' },
  languageLabel: { zh: 'Switch to English', en: '切换到中文' },
  skipLink: { zh: '跳到主要内容', en: 'Skip to main content' },
  searchHeading: { zh: '查询实例', en: 'Look up an instance' },
  mainNav: { zh: '主导航', en: 'Main' },
  pager: { zh: '分页', en: 'Pages' },
  defaultRegion: { zh: '默认地域', en: 'Default region' },
  openDetail: { zh: '打开 {id} 的详情', en: 'Open details of {id}' },
  lookupFailed: { zh: '查询失败', en: 'Lookup failed' },
  loadFailed: { zh: '加载失败', en: 'Loading failed' },
};

/**
 * @param {string} key
 * @param {string} [lang]
 * @param {Record<string, string | number>} [vars] values for `{name}` placeholders
 * @returns {string}
 */
function t(key, lang, vars) {
  const entry = MESSAGES[key] || FIELD_LABELS[key];
  let text = entry ? (lang === 'en' ? entry.en : entry.zh) : key;
  if (vars) {
    Object.keys(vars).forEach(function (name) {
      text = text.split('{' + name + '}').join(String(vars[name]));
    });
  }
  return text;
}

/** @param {string} key @param {string} [lang] */
function label(key, lang) {
  const entry = FIELD_LABELS[key];
  if (!entry) return key;
  return lang === 'en' ? entry.en : entry.zh;
}

/** Trim whitespace (including full-width spaces pasted from chat apps). @param {unknown} raw */
function normalizeInstanceId(raw) {
  return typeof raw === 'string' ? raw.replace(/^[\s\u3000]+|[\s\u3000]+$/g, '') : '';
}

/** @param {unknown} raw */
function isValidInstanceId(raw) {
  return INSTANCE_ID_PATTERN.test(normalizeInstanceId(raw));
}

/**
 * Check an ID before any request, so a typo costs no round trip.
 * @param {unknown} raw
 * @param {string} [lang]
 * @returns {{ok: true, id: string} | {ok: false, id: string, message: string}}
 */
function checkInstanceId(raw, lang) {
  const id = normalizeInstanceId(raw);
  if (id === '') return { ok: false, id: id, message: t('emptyId', lang) };
  if (!INSTANCE_ID_PATTERN.test(id)) return { ok: false, id: id, message: t('invalidId', lang) };
  return { ok: true, id: id };
}

/** @param {unknown} status @param {string} [lang] */
function statusText(status, lang) {
  const key = typeof status === 'string' ? status : '';
  const entry = STATUS_TEXT[key];
  if (!entry) return key || '-';
  return lang === 'en' ? entry.en : entry.zh;
}

/**
 * Colour family of a status badge: steady states get their own colour, transitions share one.
 * @param {unknown} status
 * @returns {'running' | 'stopped' | 'transition' | 'unknown'}
 */
function statusTone(status) {
  if (status === 'Running') return 'running';
  if (status === 'Stopped') return 'stopped';
  if (status === 'Starting' || status === 'Stopping' || status === 'Pending') return 'transition';
  return 'unknown';
}

/** Numbers arrive as JSON numbers; tolerate numeric strings, reject everything else. @param {unknown} value */
function toNumber(value) {
  if (typeof value === 'number' && isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && isFinite(Number(value))) return Number(value);
  return null;
}

/** 4096 -> "4 GiB", 512 -> "0.5 GiB", 1536 -> "1.5 GiB". The API reports MiB. @param {unknown} mib */
function formatMemory(mib) {
  const n = toNumber(mib);
  if (n === null || n < 0) return '-';
  // Two decimals at most: 512 -> 0.5, 1536 -> 1.5, 3840 -> 3.75; String() drops trailing zeros.
  return String(Math.round((n / 1024) * 100) / 100) + ' GiB';
}

/** @param {unknown} cpu @param {string} [lang] */
function formatCpu(cpu, lang) {
  const n = toNumber(cpu);
  if (n === null) return '-';
  return lang === 'en' ? n + ' vCPU' : n + ' 核';
}

/** Outbound bandwidth in Mbps; 0 means no public bandwidth at all. @param {unknown} mbps @param {string} [lang] */
function formatBandwidth(mbps, lang) {
  const n = toNumber(mbps);
  if (n === null) return '-';
  if (n <= 0) return t('noBandwidth', lang);
  return n + ' Mbps';
}

/** @param {unknown} ip @param {string} [lang] */
function formatIp(ip, lang) {
  return typeof ip === 'string' && ip !== '' ? ip : t('noPublicIp', lang);
}

/** @param {unknown} value */
function text(value) {
  if (value === null || value === undefined || value === '') return '-';
  return String(value);
}

/** "2026-01-02T03:04Z" -> "2026-01-02 03:04" (the API's UTC time, marked as such). @param {unknown} iso */
function formatTime(iso) {
  if (typeof iso !== 'string' || iso === '') return '-';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? m[1] + ' ' + m[2] + ' UTC' : iso;
}

/**
 * @typedef {{key: string, label: string, value: string, tone?: string}} Field
 * @typedef {{id: string, statusKey: string, statusText: string, statusTone: string, fields: Field[]}} Card
 */

/**
 * The seven-field card from GET /ecs/getServerInfo. Every value becomes a display string here, so no
 * template ever sees a raw boolean-ish server value, and a missing value shows "-" instead of a blank.
 * @param {string} id
 * @param {any} info the JSON body
 * @param {string} [lang]
 * @returns {Card}
 */
function serverInfoCard(id, info, lang) {
  const body = info && typeof info === 'object' ? info : {};
  const status = body.instanceStatus;
  return {
    id: id,
    statusKey: typeof status === 'string' ? status : '',
    statusText: statusText(status, lang),
    statusTone: statusTone(status),
    fields: [
      { key: 'cpu', label: label('cpu', lang), value: formatCpu(body.Cpu, lang) },
      { key: 'memory', label: label('memory', lang), value: formatMemory(body.Memory) },
      { key: 'osName', label: label('osName', lang), value: text(body.OSName) },
      { key: 'instanceType', label: label('instanceType', lang), value: text(body.InstanceType) },
      { key: 'publicIp', label: label('publicIp', lang), value: formatIp(body.IpAddress, lang) },
      { key: 'bandwidth', label: label('bandwidth', lang), value: formatBandwidth(body.InternetMaxBandwidthOut, lang) },
      { key: 'status', label: label('status', lang), value: statusText(status, lang) },
    ],
  };
}

/** @param {any} tags */
function formatTags(tags) {
  if (!tags || typeof tags !== 'object') return '-';
  const keys = Object.keys(tags);
  if (keys.length === 0) return '-';
  return keys.map(function (k) { return tags[k] ? k + ': ' + tags[k] : k; }).join(', ');
}

/**
 * The full detail card from GET /api/v1/instances/{id}.
 * @param {any} doc
 * @param {string} [lang]
 * @returns {Card & {name: string, regionId: string}}
 */
function instanceDetailCard(doc, lang) {
  const d = doc && typeof doc === 'object' ? doc : {};
  const ip = typeof d.publicIpAddress === 'string' && d.publicIpAddress !== ''
    ? d.publicIpAddress + (d.publicIpSource === 'eip' ? ' (EIP)' : '')
    : t('noPublicIp', lang);
  const privateIps = Array.isArray(d.privateIpAddresses) && d.privateIpAddresses.length
    ? d.privateIpAddresses.join(', ')
    : '-';
  return {
    id: text(d.instanceId),
    name: text(d.instanceName),
    regionId: typeof d.regionId === 'string' ? d.regionId : '',
    statusKey: typeof d.status === 'string' ? d.status : '',
    statusText: statusText(d.status, lang),
    statusTone: statusTone(d.status),
    fields: [
      { key: 'instanceId', label: label('instanceId', lang), value: text(d.instanceId) },
      { key: 'instanceName', label: label('instanceName', lang), value: text(d.instanceName) },
      { key: 'status', label: label('status', lang), value: statusText(d.status, lang) },
      { key: 'cpu', label: label('cpu', lang), value: formatCpu(d.cpu, lang) },
      { key: 'memory', label: label('memory', lang), value: formatMemory(d.memoryMiB) },
      { key: 'osName', label: label('osName', lang), value: text(d.osName) },
      { key: 'instanceType', label: label('instanceType', lang), value: text(d.instanceType) },
      { key: 'publicIp', label: label('publicIp', lang), value: ip },
      { key: 'bandwidth', label: label('bandwidth', lang), value: formatBandwidth(d.internetMaxBandwidthOut, lang) },
      { key: 'privateIp', label: label('privateIp', lang), value: privateIps },
      { key: 'regionId', label: label('regionId', lang), value: text(d.regionId) },
      { key: 'zoneId', label: label('zoneId', lang), value: text(d.zoneId) },
      { key: 'network', label: label('network', lang), value: d.networkType === 'classic' ? 'Classic' : text(d.networkType === 'vpc' ? 'VPC' : d.networkType) },
      { key: 'vpcId', label: label('vpcId', lang), value: text(d.vpcId) },
      { key: 'vSwitchId', label: label('vSwitchId', lang), value: text(d.vSwitchId) },
      { key: 'hostName', label: label('hostName', lang), value: text(d.hostName) },
      { key: 'chargeType', label: label('chargeType', lang), value: text(d.instanceChargeType) },
      { key: 'creationTime', label: label('creationTime', lang), value: formatTime(d.creationTime) },
      { key: 'expiredTime', label: label('expiredTime', lang), value: formatTime(d.expiredTime) },
      { key: 'tags', label: label('tags', lang), value: formatTags(d.tags) },
    ],
  };
}

/**
 * One row of the instance list.
 * @param {any} doc
 * @param {string} [lang]
 */
function instanceListItem(doc, lang) {
  const d = doc && typeof doc === 'object' ? doc : {};
  return {
    id: text(d.instanceId),
    name: text(d.instanceName),
    regionId: typeof d.regionId === 'string' ? d.regionId : '',
    statusKey: typeof d.status === 'string' ? d.status : '',
    statusText: statusText(d.status, lang),
    statusTone: statusTone(d.status),
    summary: [text(d.instanceType), formatCpu(d.cpu, lang), formatMemory(d.memoryMiB)].join(' · '),
    publicIp: typeof d.publicIpAddress === 'string' && d.publicIpAddress !== '' ? d.publicIpAddress : '',
  };
}

/**
 * `?a=1&b=2` from the non-empty entries, percent-encoded (no URLSearchParams in the mini program runtime).
 * @param {Record<string, unknown>} params
 */
function queryString(params) {
  const parts = [];
  const keys = Object.keys(params);
  for (let i = 0; i < keys.length; i++) {
    const v = params[keys[i]];
    if (v === undefined || v === null || v === '') continue;
    parts.push(encodeURIComponent(keys[i]) + '=' + encodeURIComponent(String(v)));
  }
  return parts.length ? '?' + parts.join('&') : '';
}

/** @param {string} id @param {string} [regionId] */
function serverInfoPath(id, regionId) {
  return '/ecs/getServerInfo' + queryString({ instanceId: id, regionId: regionId });
}

/** @param {string} id @param {string} [regionId] */
function instancePath(id, regionId) {
  return '/api/v1/instances/' + encodeURIComponent(id) + queryString({ regionId: regionId });
}

/**
 * @param {{regionId?: string, status?: string, pageNumber?: number, pageSize?: number, name?: string}} filters
 */
function listPath(filters) {
  return '/api/v1/instances' + queryString({
    regionId: filters.regionId,
    status: filters.status,
    name: filters.name,
    pageNumber: filters.pageNumber,
    pageSize: filters.pageSize,
  });
}

const REGIONS_PATH = '/api/v1/regions';

/**
 * The retry rule, shared by both clients: a GET lookup is idempotent, so ONE retry is safe when the
 * request may never have reached a healthy node: a network-level failure (connection reset when a node
 * behind the load balancer dies mid-request), 502 (bad gateway) or 504 (gateway timeout). Never on 4xx
 * (the answer will not change) nor 503/429 (the service is asking us to back off).
 * @param {{networkError?: boolean, status?: number}} outcome
 */
function shouldRetry(outcome) {
  if (outcome.networkError) return true;
  return outcome.status === 502 || outcome.status === 504;
}

/** Upper bound of 1 retry; a constant so tests and docs can name it. */
const MAX_RETRIES = 1;

/**
 * What to show for a failed call. The API's own message wins (it names the problem precisely); the
 * generic text is only for bodies without the error envelope (a proxy's HTML 502, a dropped connection).
 * @param {{networkError?: boolean, timeout?: boolean, status?: number, body?: any}} outcome
 * @param {string} [lang]
 * @returns {{code: string, message: string, status: number}}
 */
function errorFromResponse(outcome, lang) {
  const status = typeof outcome.status === 'number' ? outcome.status : 0;
  if (outcome.timeout) return { code: 'Timeout', message: t('timeoutError', lang), status: status };
  if (outcome.networkError) return { code: 'NetworkError', message: t('networkError', lang), status: status };
  let body = outcome.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch (e) {
      body = null;
    }
  }
  const err = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
  if (err && typeof err.message === 'string' && err.message !== '') {
    return { code: typeof err.code === 'string' ? err.code : 'Error', message: err.message, status: status };
  }
  if (status === 504) return { code: 'UpstreamTimeout', message: t('timeoutError', lang), status: status };
  if (status >= 500) return { code: 'ServerError', message: t('serverError', lang), status: status };
  return { code: 'BadResponse', message: t('badResponse', lang), status: status };
}

/**
 * Most-recent-first list of looked-up IDs without duplicates, capped.
 * @param {unknown} list
 * @param {string} id
 * @param {number} [max]
 * @returns {string[]}
 */
function addRecentId(list, id, max) {
  const cap = max || 8;
  const old = Array.isArray(list) ? list.filter(function (x) { return typeof x === 'string' && isValidInstanceId(x); }) : [];
  return [id].concat(old.filter(function (x) { return x !== id; })).slice(0, cap);
}

/** @param {unknown} total @param {unknown} pageSize */
function pageCount(total, pageSize) {
  const n = toNumber(total) || 0;
  const size = toNumber(pageSize) || 1;
  return Math.max(1, Math.ceil(n / size));
}

module.exports = {
  INSTANCE_ID_PATTERN: INSTANCE_ID_PATTERN,
  STATUSES: STATUSES,
  STATUS_TEXT: STATUS_TEXT,
  FIELD_LABELS: FIELD_LABELS,
  MESSAGES: MESSAGES,
  REGIONS_PATH: REGIONS_PATH,
  MAX_RETRIES: MAX_RETRIES,
  t: t,
  label: label,
  normalizeInstanceId: normalizeInstanceId,
  isValidInstanceId: isValidInstanceId,
  checkInstanceId: checkInstanceId,
  statusText: statusText,
  statusTone: statusTone,
  formatMemory: formatMemory,
  formatCpu: formatCpu,
  formatBandwidth: formatBandwidth,
  formatIp: formatIp,
  formatTime: formatTime,
  serverInfoCard: serverInfoCard,
  instanceDetailCard: instanceDetailCard,
  instanceListItem: instanceListItem,
  queryString: queryString,
  serverInfoPath: serverInfoPath,
  instancePath: instancePath,
  listPath: listPath,
  shouldRetry: shouldRetry,
  errorFromResponse: errorFromResponse,
  addRecentId: addRecentId,
  pageCount: pageCount,
};
