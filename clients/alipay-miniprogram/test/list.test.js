const { test, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { createEnv } = require('./mp-env.js');

const REGIONS = {
  regions: [
    { regionId: 'cn-hangzhou', localName: '华东1（杭州）' },
    { regionId: 'cn-beijing', localName: '华北2（北京）' },
  ],
};

/** @param {number} n @param {string} region */
function doc(n, region) {
  return {
    instanceId: `i-${region.replace('cn-', '').slice(0, 2)}${String(n).padStart(10, '0')}`,
    instanceName: `web-${n}`,
    regionId: region,
    status: n % 2 ? 'Running' : 'Stopped',
    instanceType: 'ecs.g7.large',
    cpu: 2,
    memoryMiB: 8192,
    publicIpAddress: n % 3 ? `47.96.0.${n}` : null,
  };
}

/**
 * A fake /api/v1/instances with `total` instances per region, honouring region, status and paging.
 * @param {number} total
 */
function fakeService(total) {
  /** @param {{url: string}} req */
  return (req) => {
    const url = new URL(req.url);
    if (url.pathname === '/api/v1/regions') return { status: 200, body: REGIONS };
    if (url.pathname !== '/api/v1/instances') return { status: 404, body: { error: { code: 'NotFound', message: 'no route' } } };
    const region = url.searchParams.get('regionId') || 'cn-hangzhou';
    const status = url.searchParams.get('status');
    const page = Number(url.searchParams.get('pageNumber') || 1);
    const size = Number(url.searchParams.get('pageSize') || 10);
    let all = Array.from({ length: total }, (_, i) => doc(i + 1, region));
    if (status) all = all.filter((d) => d.status === status);
    return {
      status: 200,
      body: { instances: all.slice((page - 1) * size, page * size), totalCount: all.length, pageNumber: page, pageSize: size, regionId: region },
    };
  };
}

/** @type {ReturnType<typeof createEnv>} */
let env;
beforeEach(() => {
  env = createEnv();
});
afterEach(() => env.dispose());

/** @param {ReturnType<typeof createEnv>} e */
function listRequests(e) {
  return e.requests.map((r) => new URL(r.url)).filter((u) => u.pathname === '/api/v1/instances');
}

test('on load: regions become the picker, then page 1 of the first region', async () => {
  env.serve(fakeService(45));
  const page = env.loadPage('pages/list/list');
  await page.onLoad();
  assert.deepEqual(page.data.regionNames, ['华东1（杭州） cn-hangzhou', '华北2（北京） cn-beijing']);
  const [first] = listRequests(env);
  assert.equal(first.searchParams.get('regionId'), 'cn-hangzhou');
  assert.equal(first.searchParams.get('pageNumber'), '1');
  assert.equal(first.searchParams.get('pageSize'), '20');
  assert.equal(first.searchParams.has('status'), false, 'no status filter by default');
  assert.equal(page.data.items.length, 20);
  assert.equal(page.data.totalCount, 45);
  assert.equal(page.data.hasMore, true);
  assert.equal(page.data.loading, false);
  assert.equal(page.data.items[0].statusText, '运行中');
  assert.equal(page.data.items[0].summary, 'ecs.g7.large · 2 核 · 8 GiB');
});

test('paging: reaching the bottom appends pages until the total, then stops asking', async () => {
  env.serve(fakeService(45));
  const page = env.loadPage('pages/list/list');
  await page.onLoad();
  await page.onReachBottom();
  assert.equal(page.data.items.length, 40);
  assert.equal(page.data.pageNumber, 2);
  await page.onLoadMoreTap();
  assert.equal(page.data.items.length, 45);
  assert.equal(page.data.hasMore, false);
  const before = listRequests(env).length;
  await page.onReachBottom();
  assert.equal(listRequests(env).length, before, 'no request past the last page');
  const ids = page.data.items.map((/** @type {any} */ i) => i.id);
  assert.equal(new Set(ids).size, 45, 'no duplicates across pages');
  assert.deepEqual(listRequests(env).map((u) => u.searchParams.get('pageNumber')), ['1', '2', '3']);
});

test('a bottom reach while a page is loading does not fire a second request', async () => {
  env.serve(fakeService(45));
  const page = env.loadPage('pages/list/list');
  await page.onLoad();
  const one = page.onReachBottom();
  const two = page.onReachBottom();
  await Promise.all([one, two]);
  assert.equal(listRequests(env).length, 2);
  assert.equal(page.data.items.length, 40);
});

test('filters: changing region or status reloads page 1 with the filter', async () => {
  env.serve(fakeService(45));
  const page = env.loadPage('pages/list/list');
  await page.onLoad();
  await page.onReachBottom();
  await page.onRegionChange({ detail: { value: 1 } });
  let last = listRequests(env).at(-1);
  assert.equal(last?.searchParams.get('regionId'), 'cn-beijing');
  assert.equal(last?.searchParams.get('pageNumber'), '1');
  assert.equal(page.data.items.length, 20, 'the list was replaced, not appended');
  assert.ok(page.data.items.every((/** @type {any} */ i) => i.regionId === 'cn-beijing'));

  const stoppedIndex = page.data.statusNames.indexOf('已停止');
  assert.ok(stoppedIndex > 0);
  await page.onStatusChange({ detail: { value: String(stoppedIndex) } });
  last = listRequests(env).at(-1);
  assert.equal(last?.searchParams.get('status'), 'Stopped');
  assert.equal(page.data.totalCount, 22);
  assert.ok(page.data.items.every((/** @type {any} */ i) => i.statusKey === 'Stopped'));
});

test('pull-to-refresh reloads page 1 and stops the refresh indicator', async () => {
  env.serve(fakeService(45));
  const page = env.loadPage('pages/list/list');
  await page.onLoad();
  await page.onReachBottom();
  await page.onPullDownRefresh();
  assert.equal(page.data.items.length, 20);
  assert.equal(page.data.pageNumber, 1);
  assert.equal(env.callsTo('stopPullDownRefresh').length, 1);
});

test('tap on an item opens its detail page with the region', async () => {
  env.serve(fakeService(3));
  const page = env.loadPage('pages/list/list');
  await page.onLoad();
  const item = page.data.items[1];
  page.onItemTap({ currentTarget: { dataset: { id: item.id, region: item.regionId } } });
  const nav = env.callsTo('navigateTo');
  assert.equal(nav.length, 1);
  assert.equal(nav[0].args.url, `/pages/detail/detail?id=${item.id}&regionId=cn-hangzhou`);
});

test('an error shows the message; retry loads again; an empty result is not an error', async () => {
  env.reply({ status: 200, body: REGIONS }, { status: 503, body: { error: { code: 'UpstreamUnavailable', message: 'ECS is unavailable right now.' } } });
  const page = env.loadPage('pages/list/list');
  await page.onLoad();
  assert.equal(page.data.error, 'ECS is unavailable right now.');
  assert.equal(page.data.loading, false);
  env.serve(fakeService(0));
  await page.onRetryTap();
  assert.equal(page.data.error, '');
  assert.equal(page.data.items.length, 0);
  assert.equal(page.data.loaded, true);
  assert.equal(page.data.hasMore, false);
});

test('the list still loads (service default region) when /regions fails', async () => {
  const svc = fakeService(5);
  env.serve((req) => (req.url.endsWith('/api/v1/regions') ? { status: 500, body: 'oops' } : svc(req)));
  const page = env.loadPage('pages/list/list');
  await page.onLoad();
  const [first] = listRequests(env);
  assert.equal(first.searchParams.has('regionId'), false);
  assert.equal(page.data.items.length, 5);
});
