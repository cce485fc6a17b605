const { test, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { createEnv } = require('./mp-env.js');

const ID = 'i-bp1abcdefghijklmn0';
const INFO = {
  Cpu: 2,
  Memory: 4096,
  OSName: 'Alibaba Cloud Linux 3.2104 LTS 64位',
  InstanceType: 'ecs.g7.large',
  IpAddress: '47.96.1.180',
  InternetMaxBandwidthOut: 5,
  instanceStatus: 'Running',
};

/** @param {number} status @param {string} code @param {string} message */
function apiError(status, code, message) {
  return { status, body: { error: { code, message, requestId: 'req-1' } } };
}

/** @type {ReturnType<typeof createEnv>} */
let env;
beforeEach(() => {
  env = createEnv();
});
afterEach(() => env.dispose());

/** @param {any} page */
function fieldMap(page) {
  return Object.fromEntries(page.data.result.fields.map((/** @type {any} */ f) => [f.key, f.value]));
}

test('a valid ID on confirm sends one GET to getServerInfo and renders all seven fields', async () => {
  env.reply({ status: 200, body: INFO });
  const page = env.loadPage('pages/search/search');
  page.onLoad();
  const pending = page.onConfirm({ detail: { value: `  ${ID} ` } });
  assert.equal(page.data.loading, true, 'loading shows while the request is in flight');
  await pending;

  assert.equal(env.requests.length, 1);
  assert.equal(env.requests[0].method, 'GET');
  assert.equal(env.requests[0].url, `http://127.0.0.1:8080/ecs/getServerInfo?instanceId=${ID}`);
  assert.equal(env.callsTo('httpRequest').length, 0, 'the unmaintained my.httpRequest is never used');
  assert.equal(page.data.loading, false);
  assert.equal(typeof page.data.loading, 'boolean');
  assert.equal(page.data.error, '');
  assert.equal(page.data.result.id, ID);
  assert.equal(page.data.result.statusText, '运行中');
  assert.equal(page.data.result.statusTone, 'running');
  assert.deepEqual(fieldMap(page), {
    cpu: '2 核',
    memory: '4 GiB',
    osName: INFO.OSName,
    instanceType: 'ecs.g7.large',
    publicIp: '47.96.1.180',
    bandwidth: '5 Mbps',
    status: '运行中',
  });
  assert.ok(page.data.result.fields.every((/** @type {any} */ f) => f.value !== ''), 'no blank field');
});

test('release builds use the HTTPS domain from config.js', async () => {
  env.dispose();
  env = createEnv({ envVersion: 'release' });
  env.reply({ status: 200, body: INFO });
  const page = env.loadPage('pages/search/search');
  await page.onConfirm({ detail: { value: ID } });
  assert.match(env.requests[0].url, /^https:\/\/[a-z0-9.-]+\/ecs\/getServerInfo\?instanceId=/);
});

test('hidden-state regression: two searches in a row both show the result', async () => {
  const other = 'i-bp1zzzzzzzzzzzzzzz9';
  env.serve((req) => ({ status: 200, body: { ...INFO, InstanceType: req.url.includes(other) ? 'ecs.c7.xlarge' : 'ecs.g7.large' } }));
  const page = env.loadPage('pages/search/search');
  await page.onConfirm({ detail: { value: ID } });
  assert.ok(page.data.result, 'first search shows the card');
  await page.onConfirm({ detail: { value: other } });
  assert.ok(page.data.result, 'second search shows the card too');
  assert.equal(page.data.result.id, other);
  assert.equal(fieldMap(page).instanceType, 'ecs.c7.xlarge');
  await page.onConfirm({ detail: { value: ID } });
  assert.ok(page.data.result, 'and the third');
  assert.equal(page.data.result.id, ID);
  for (const patch of page.patches) {
    for (const [key, value] of Object.entries(patch)) {
      assert.notEqual(value, 'false', `${key} was set to the string "false"`);
      assert.notEqual(value, 'true', `${key} was set to the string "true"`);
    }
  }
});

test('the search button and the recent chips search too', async () => {
  env.serve(() => ({ status: 200, body: INFO }));
  const page = env.loadPage('pages/search/search');
  page.onInput({ detail: { value: ID } });
  await page.onSearchTap();
  assert.equal(env.requests.length, 1);
  await page.onRecentTap({ currentTarget: { dataset: { id: ID } } });
  assert.equal(env.requests.length, 2, 'an explicit tap searches again even for the same ID');
});

test('blur searches, but not a second time right after confirm, and not when empty', async () => {
  env.serve(() => ({ status: 200, body: INFO }));
  const page = env.loadPage('pages/search/search');
  await page.onBlur({ detail: { value: '' } });
  assert.equal(env.requests.length, 0);
  assert.equal(page.data.error, '', 'leaving an empty field is not an error');

  const confirm = page.onConfirm({ detail: { value: ID } });
  await page.onBlur({ detail: { value: ID } }); // keyboard closes while the request is in flight
  await confirm;
  assert.equal(env.requests.length, 1);
  await page.onBlur({ detail: { value: ID } }); // later blur with the same, already shown ID
  assert.equal(env.requests.length, 1);

  await page.onBlur({ detail: { value: 'i-bp1zzzzzzzzzzzzzzz9' } });
  assert.equal(env.requests.length, 2, 'blur with a new ID searches');
});

test('a malformed ID shows the syntax message and sends nothing', async () => {
  const page = env.loadPage('pages/search/search');
  for (const bad of ['i-short', 'I-BP1ABCDEFGHIJ', 'bp1abcdefghijklmn', 'i-bp1abcdefgh!jklmn', '']) {
    await page.onConfirm({ detail: { value: bad } });
    assert.equal(page.data.result, null);
    assert.ok(page.data.error.length > 0, `error shown for ${JSON.stringify(bad)}`);
  }
  assert.equal(env.requests.length, 0);
  assert.match(page.data.error, /请输入实例 ID/);
});

for (const [status, code, message] of [
  [400, 'InvalidInstanceId', 'The instance ID i-xx is malformed.'],
  [404, 'InstanceNotFound', 'No instance i-bp1abcdefghijklmn0 in region cn-hangzhou.'],
  [503, 'UpstreamPermissionDenied', "The node's RAM role may not call DescribeInstances."],
]) {
  test(`HTTP ${status} shows the API's message and no card, without retrying`, async () => {
    env.serve(() => apiError(Number(status), String(code), String(message)));
    const page = env.loadPage('pages/search/search');
    await page.onConfirm({ detail: { value: ID } });
    assert.equal(env.requests.length, 1, 'no retry on this status');
    assert.equal(page.data.result, null, 'never a blank card');
    assert.equal(page.data.error, message);
    assert.equal(page.data.errorCode, code);
    assert.equal(page.data.loading, false);
  });
}

test('an error after a success clears the old card; a success after an error clears the message', async () => {
  env.reply({ status: 200, body: INFO }, apiError(404, 'InstanceNotFound', 'not found'), { status: 200, body: INFO });
  const page = env.loadPage('pages/search/search');
  await page.onConfirm({ detail: { value: ID } });
  await page.onConfirm({ detail: { value: 'i-bp1zzzzzzzzzzzzzzz9' } });
  assert.equal(page.data.result, null);
  assert.equal(page.data.error, 'not found');
  await page.onConfirm({ detail: { value: ID } });
  assert.ok(page.data.result);
  assert.equal(page.data.error, '');
});

test('a network error is retried once, then shows a network message', async () => {
  env.serve(() => ({ fail: { error: 12, errorMessage: 'network error' } }));
  const page = env.loadPage('pages/search/search');
  await page.onConfirm({ detail: { value: ID } });
  assert.equal(env.requests.length, 2, 'exactly one retry');
  assert.equal(page.data.result, null);
  assert.match(page.data.error, /网络错误/);
  assert.equal(page.data.loading, false);
});

test('an HTML 502 from a proxy is read (dataType text) and retried; success on the retry shows the card', async () => {
  env.reply({ status: 502, body: '<html><body>502 Bad Gateway</body></html>', headers: { 'content-type': 'text/html' } });
  env.reply({ status: 200, body: INFO });
  const page = env.loadPage('pages/search/search');
  await page.onConfirm({ detail: { value: ID } });
  assert.equal(env.requests.length, 2);
  assert.equal(env.requests[0].dataType, 'text');
  assert.ok(page.data.result);
  assert.equal(page.data.error, '');
});

test('a domain missing from the allowlist (fail 11) is explained and not retried', async () => {
  env.serve(() => ({ fail: { error: 11, errorMessage: 'no permission' } }));
  const page = env.loadPage('pages/search/search');
  await page.onConfirm({ detail: { value: ID } });
  assert.equal(env.requests.length, 1);
  assert.match(page.data.error, /白名单/);
});

test('a late answer to an older search does not overwrite a newer one', async () => {
  env.serve(() => 'hold');
  const page = env.loadPage('pages/search/search');
  const other = 'i-bp1zzzzzzzzzzzzzzz9';
  const first = page.onConfirm({ detail: { value: ID } });
  const second = page.onConfirm({ detail: { value: other } });
  env.requests[1].respond?.({ status: 200, body: { ...INFO, InstanceType: 'second' } });
  await second;
  env.requests[0].respond?.({ status: 200, body: { ...INFO, InstanceType: 'first' } });
  await first;
  assert.equal(page.data.result.id, other);
  assert.equal(fieldMap(page).instanceType, 'second');
  assert.equal(page.data.loading, false);
});

test('recent IDs: kept newest first without duplicates, stored with my.setStorage, restored on load', async () => {
  env.serve(() => ({ status: 200, body: INFO }));
  const ids = ['i-aaaaaaaaaaaa1', 'i-bbbbbbbbbbbb2', 'i-aaaaaaaaaaaa1', 'i-cccccccccccc3'];
  const page = env.loadPage('pages/search/search');
  page.onLoad();
  await env.settle();
  for (const id of ids) await page.onConfirm({ detail: { value: id } });
  assert.deepEqual(page.data.recent, ['i-cccccccccccc3', 'i-aaaaaaaaaaaa1', 'i-bbbbbbbbbbbb2']);
  const stores = env.callsTo('setStorage');
  assert.ok(stores.length >= 1);
  assert.deepEqual(stores[stores.length - 1].args.data, page.data.recent);

  // A failed lookup is not remembered.
  env.serve(() => apiError(404, 'InstanceNotFound', 'nope'));
  await page.onConfirm({ detail: { value: 'i-dddddddddddd4' } });
  assert.equal(page.data.recent[0], 'i-cccccccccccc3');

  // A new page instance (next launch) restores them.
  const again = env.loadPage('pages/search/search');
  again.onLoad();
  await env.settle();
  assert.deepEqual(again.data.recent, ['i-cccccccccccc3', 'i-aaaaaaaaaaaa1', 'i-bbbbbbbbbbbb2']);

  again.onClearRecent();
  assert.deepEqual(again.data.recent, []);
  assert.equal(env.storage.has('ecsAssistant.recentIds'), false);
});

test('recent IDs are capped at 8 and junk in storage is ignored', async () => {
  env.dispose();
  env = createEnv({ storage: { 'ecsAssistant.recentIds': ['i-aaaaaaaaaaaa1', 42, 'not-an-id', 'i-bbbbbbbbbbbb2'] } });
  env.serve(() => ({ status: 200, body: INFO }));
  const page = env.loadPage('pages/search/search');
  page.onLoad();
  await env.settle();
  assert.deepEqual(page.data.recent, ['i-aaaaaaaaaaaa1', 'i-bbbbbbbbbbbb2']);
  for (let i = 0; i < 10; i++) await page.onConfirm({ detail: { value: `i-eeeeeeeeeee${i}x` } });
  assert.equal(page.data.recent.length, 8);
  assert.equal(page.data.recent[0], 'i-eeeeeeeeeee9x');
});

test('the detail button opens the detail page for the shown instance', async () => {
  env.serve(() => ({ status: 200, body: INFO }));
  const page = env.loadPage('pages/search/search');
  await page.onConfirm({ detail: { value: ID } });
  page.onDetailTap();
  const nav = env.callsTo('navigateTo');
  assert.equal(nav.length, 1);
  assert.equal(nav[0].args.url, `/pages/detail/detail?id=${ID}`);
});
