/**
 * The mini program's page logic against a RUNNING local stack, with my.request answered over real HTTP.
 *
 * Skipped unless ECS_ASSISTANT_LIVE_API (the balancer URL) and ECS_ASSISTANT_LIVE_EMULATOR (the emulator's
 * control plane) are set; tests/e2e/test_miniprogram_live.py starts the stack and runs this file.
 * Instance IDs come from the emulator's control plane, expected values from the API itself.
 */
const { test, before, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { createEnv } = require('../mp-env.js');

const API = process.env.ECS_ASSISTANT_LIVE_API || '';
const EMULATOR = process.env.ECS_ASSISTANT_LIVE_EMULATOR || '';
const skip = API && EMULATOR ? false : 'ECS_ASSISTANT_LIVE_API / ECS_ASSISTANT_LIVE_EMULATOR not set';

/** @type {{InstanceId: string, RegionId: string, Status: string}[]} */
let world = [];
/** @type {ReturnType<typeof createEnv> | null} */
let env = null;

/** @param {string} url */
async function getJson(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

before(async () => {
  if (skip) return;
  world = (await getJson(`${EMULATOR}/__emulator/instances`)).body;
});
afterEach(() => {
  if (env) env.dispose();
  env = null;
});

test('search: a default-world instance shows the API\'s values', { skip }, async () => {
  const running = world.filter((i) => i.RegionId === 'cn-hangzhou' && i.Status === 'Running');
  assert.ok(running.length >= 2);
  env = createEnv({ liveApiBase: API });
  const page = env.loadPage('pages/search/search');
  for (const { InstanceId: id } of running.slice(0, 2)) {
    const truth = (await getJson(`${API}/ecs/getServerInfo?instanceId=${id}`)).body;
    await page.onConfirm({ detail: { value: id } });
    assert.equal(page.data.error, '');
    assert.ok(page.data.result, `card shown for ${id}`);
    const fields = Object.fromEntries(page.data.result.fields.map((/** @type {any} */ f) => [f.key, f.value]));
    assert.equal(fields.instanceType, truth.InstanceType);
    assert.equal(fields.osName, truth.OSName);
    assert.equal(fields.memory, `${Math.round((truth.Memory / 1024) * 100) / 100} GiB`);
    assert.equal(page.data.result.statusText, '运行中');
  }
  assert.equal(page.data.recent.length, 2);
});

test('search: an unknown ID shows the API\'s 404 message and no card', { skip }, async () => {
  const unknown = 'i-zzzzzzzzzzzzzzzzzzzz';
  const truth = await getJson(`${API}/ecs/getServerInfo?instanceId=${unknown}`);
  assert.equal(truth.status, 404);
  env = createEnv({ liveApiBase: API });
  const page = env.loadPage('pages/search/search');
  await page.onConfirm({ detail: { value: unknown } });
  assert.equal(page.data.result, null);
  assert.equal(page.data.error, truth.body.error.message);
  assert.equal(page.data.errorCode, 'InstanceNotFound');
  assert.equal(env.requests.length, 1, '404 is not retried');
});

test('list: regions, filters and every page of a region, then the detail page', { skip }, async () => {
  env = createEnv({ liveApiBase: API });
  const page = env.loadPage('pages/list/list');
  await page.onLoad();
  const regionIds = page.data.regions.map((/** @type {any} */ r) => r.regionId);
  assert.ok(regionIds.includes('cn-beijing'));

  await page.onRegionChange({ detail: { value: regionIds.indexOf('cn-beijing') } });
  const beijing = world.filter((i) => i.RegionId === 'cn-beijing');
  while (page.data.hasMore) await page.onReachBottom();
  assert.equal(page.data.totalCount, beijing.length);
  assert.deepEqual(
    page.data.items.map((/** @type {any} */ i) => i.id).sort(),
    beijing.map((i) => i.InstanceId).sort(),
  );

  const stoppedIndex = page.data.statusNames.indexOf('已停止');
  await page.onStatusChange({ detail: { value: stoppedIndex } });
  assert.equal(page.data.totalCount, beijing.filter((i) => i.Status === 'Stopped').length);
  assert.ok(page.data.items.every((/** @type {any} */ i) => i.statusKey === 'Stopped'));

  const item = page.data.items[0];
  page.onItemTap({ currentTarget: { dataset: { id: item.id, region: item.regionId } } });
  const url = env.callsTo('navigateTo')[0].args.url;
  const query = Object.fromEntries(new URL(url, 'http://x').searchParams);
  const detail = env.loadPage('pages/detail/detail');
  await detail.onLoad(query);
  assert.equal(detail.data.error, '');
  assert.equal(detail.data.card.id, item.id);
  assert.equal(detail.data.card.statusText, '已停止');
});
