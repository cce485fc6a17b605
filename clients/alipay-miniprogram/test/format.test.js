const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { ROOT } = require('./mp-env.js');

const FORMAT = path.join(ROOT, 'utils/format.js');
const f = require(FORMAT);
// The web page's copy: a git symlink, so the web page loads these exact bytes.
const WEB_COPY = path.resolve(ROOT, '../../src/ecs_assistant/api/web/format.js');

test('instance ID rule: trim, then ^i-[0-9a-z]{8,32}$', () => {
  for (const ok of ['i-12345678', 'i-bp1abcdefghijklmn0', ' i-bp1abcdefghijk \n', '\u3000i-bp1abcdefghijk', 'i-' + 'a'.repeat(32)]) {
    assert.equal(f.isValidInstanceId(ok), true, JSON.stringify(ok));
  }
  for (const bad of ['i-1234567', 'i-' + 'a'.repeat(33), 'I-bp1abcdefghijk', 'i-BP1ABCDEFGHIJK', 'i_bp1abcdefghijk', 'bp1abcdefghijk', 'i-bp1abc def', 'i-bp1abcdefgh!', '', null, 42]) {
    assert.equal(f.isValidInstanceId(bad), false, JSON.stringify(bad));
  }
  assert.deepEqual(f.checkInstanceId('  i-bp1abcdefghijk '), { ok: true, id: 'i-bp1abcdefghijk' });
  assert.equal(f.checkInstanceId('i-x').ok, false);
});

test('status text in Chinese and English, transitional states share a tone', () => {
  assert.deepEqual(
    ['Running', 'Stopped', 'Starting', 'Stopping', 'Pending'].map((s) => f.statusText(s)),
    ['运行中', '已停止', '启动中', '停止中', '创建中'],
  );
  assert.equal(f.statusText('Running', 'en'), 'Running');
  assert.equal(f.statusText('Pending', 'en'), 'Creating');
  assert.equal(f.statusText('Weird'), 'Weird');
  assert.equal(f.statusText(undefined), '-');
  assert.deepEqual(['Running', 'Stopped', 'Starting', 'Pending', 'x'].map(f.statusTone), ['running', 'stopped', 'transition', 'transition', 'unknown']);
});

test('memory in GiB from MiB, bandwidth, CPU, IP', () => {
  assert.equal(f.formatMemory(4096), '4 GiB');
  assert.equal(f.formatMemory(512), '0.5 GiB');
  assert.equal(f.formatMemory(1536), '1.5 GiB');
  assert.equal(f.formatMemory(3840), '3.75 GiB');
  assert.equal(f.formatMemory(786432), '768 GiB');
  assert.equal(f.formatMemory('2048'), '2 GiB');
  assert.equal(f.formatMemory(null), '-');
  assert.equal(f.formatBandwidth(5), '5 Mbps');
  assert.equal(f.formatBandwidth(0), '未开通公网');
  assert.equal(f.formatBandwidth(0, 'en'), 'No public bandwidth');
  assert.equal(f.formatCpu(4), '4 核');
  assert.equal(f.formatCpu(4, 'en'), '4 vCPU');
  assert.equal(f.formatIp(''), '无公网 IP');
  assert.equal(f.formatIp('1.2.3.4'), '1.2.3.4');
});

test('the getServerInfo card has exactly the seven fields, never blank', () => {
  const card = f.serverInfoCard('i-bp1abcdefghijk', {});
  assert.deepEqual(card.fields.map((x) => x.key), ['cpu', 'memory', 'osName', 'instanceType', 'publicIp', 'bandwidth', 'status']);
  assert.ok(card.fields.every((x) => typeof x.value === 'string' && x.value !== ''));
  const en = f.serverInfoCard('i-bp1abcdefghijk', { Cpu: 1, Memory: 1024, instanceStatus: 'Stopped' }, 'en');
  assert.equal(en.fields[0].label, 'CPU');
  assert.equal(en.fields[1].label, 'Memory');
  assert.equal(en.statusText, 'Stopped');
});

test('URLs are percent-encoded and skip empty filters', () => {
  assert.equal(f.serverInfoPath('i-bp1abcdefghijk'), '/ecs/getServerInfo?instanceId=i-bp1abcdefghijk');
  assert.equal(f.instancePath('i-a b', 'cn-hangzhou'), '/api/v1/instances/i-a%20b?regionId=cn-hangzhou');
  assert.equal(f.listPath({ regionId: 'cn-beijing', status: '', pageNumber: 2, pageSize: 20 }), '/api/v1/instances?regionId=cn-beijing&pageNumber=2&pageSize=20');
  assert.equal(f.listPath({ name: 'web*&x' }), '/api/v1/instances?name=web*%26x');
});

test('error mapping prefers the API message, falls back by status', () => {
  const api = { status: 404, body: { error: { code: 'InstanceNotFound', message: 'gone', requestId: 'r' } } };
  assert.deepEqual(f.errorFromResponse(api), { code: 'InstanceNotFound', message: 'gone', status: 404 });
  assert.equal(f.errorFromResponse({ status: 503, body: JSON.stringify(api.body) }).message, 'gone', 'a JSON string body is parsed');
  assert.equal(f.errorFromResponse({ status: 502, body: '<html>' }).code, 'ServerError');
  assert.equal(f.errorFromResponse({ status: 504, body: null }).code, 'UpstreamTimeout');
  assert.equal(f.errorFromResponse({ networkError: true }).code, 'NetworkError');
  assert.equal(f.errorFromResponse({ networkError: true }, 'en').message, 'Network error: check the connection and try again');
});

test('retry rule: network error, 502 and 504 only', () => {
  assert.equal(f.MAX_RETRIES, 1);
  assert.equal(f.shouldRetry({ networkError: true }), true);
  for (const s of [502, 504]) assert.equal(f.shouldRetry({ status: s }), true, String(s));
  for (const s of [200, 400, 401, 403, 404, 429, 500, 503]) assert.equal(f.shouldRetry({ status: s }), false, String(s));
});

test('every message and label has both languages', () => {
  for (const table of [f.MESSAGES, f.FIELD_LABELS, f.STATUS_TEXT]) {
    for (const [key, entry] of Object.entries(table)) {
      assert.ok(entry.zh && entry.en, key);
    }
  }
  assert.equal(f.t('pageOf', 'en', { page: 2, pages: 3, total: 45 }), 'Page 2 of 3, 45 instances');
});

test('the module loads in a browser-like context with only the module/exports shim (no require, window or my)', () => {
  const source = fs.readFileSync(FORMAT, 'utf8');
  const code = source.replace(/\/\*[^]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  assert.doesNotMatch(code, /\b(require|window|document|globalThis|fetch|eval|my)\s*[.(]/);
  assert.doesNotMatch(code, /\?\.|\?\?/, 'no optional chaining / nullish coalescing for old runtimes');
  const context = vm.createContext({});
  vm.runInContext('var module = { exports: {} }; var exports = module.exports;', context);
  vm.runInContext(source, context, { filename: 'format.js' });
  const loaded = vm.runInContext('module.exports', context);
  assert.equal(loaded.statusText('Running'), '运行中');
  assert.equal(loaded.formatMemory(4096), '4 GiB');
});

test('the web page serves the very same file (git symlink), so the two clients cannot diverge', () => {
  const stat = fs.lstatSync(WEB_COPY);
  assert.ok(stat.isSymbolicLink(), `${WEB_COPY} is a symlink`);
  assert.equal(fs.realpathSync(WEB_COPY), fs.realpathSync(FORMAT));
  assert.equal(fs.readFileSync(WEB_COPY, 'utf8'), fs.readFileSync(FORMAT, 'utf8'));
});
