const { test, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { createEnv } = require('./mp-env.js');

const DOC = {
  instanceId: 'i-bp1abcdefghijklmn0',
  instanceName: 'web-prod-01',
  hostName: 'web-prod-01',
  regionId: 'cn-hangzhou',
  zoneId: 'cn-hangzhou-h',
  status: 'Stopping',
  instanceType: 'ecs.g7.large',
  cpu: 2,
  memoryMiB: 8192,
  osName: 'Ubuntu 22.04 64位',
  osType: 'linux',
  publicIpAddress: '47.96.1.180',
  publicIpSource: 'eip',
  internetMaxBandwidthOut: 100,
  privateIpAddresses: ['172.16.0.10'],
  networkType: 'vpc',
  vpcId: 'vpc-bp1xyz',
  vSwitchId: 'vsw-bp1xyz',
  instanceChargeType: 'PostPaid',
  creationTime: '2025-03-01T08:00Z',
  expiredTime: '2099-12-31T15:59Z',
  tags: { env: 'prod' },
};

/** @type {ReturnType<typeof createEnv>} */
let env;
beforeEach(() => {
  env = createEnv();
});
afterEach(() => env.dispose());

test('detail loads the full document for the ID and region in the page query', async () => {
  env.reply({ status: 200, body: DOC });
  const page = env.loadPage('pages/detail/detail');
  await page.onLoad({ id: DOC.instanceId, regionId: 'cn-hangzhou' });
  assert.equal(env.requests[0].url, `http://127.0.0.1:8080/api/v1/instances/${DOC.instanceId}?regionId=cn-hangzhou`);
  const fields = Object.fromEntries(page.data.card.fields.map((/** @type {any} */ f) => [f.key, f.value]));
  assert.equal(fields.publicIp, '47.96.1.180 (EIP)');
  assert.equal(fields.memory, '8 GiB');
  assert.equal(fields.bandwidth, '100 Mbps');
  assert.equal(fields.tags, 'env: prod');
  assert.equal(fields.creationTime, '2025-03-01 08:00 UTC');
  assert.equal(page.data.card.statusText, '停止中');
  assert.equal(page.data.card.statusTone, 'transition');
  assert.equal(env.callsTo('setNavigationBar')[0].args.title, 'web-prod-01');
});

test('detail 404 shows the message, not an empty card; pull-to-refresh retries and stops the spinner', async () => {
  env.reply({ status: 404, body: { error: { code: 'InstanceNotFound', message: 'Instance not found.' } } });
  env.reply({ status: 200, body: DOC });
  const page = env.loadPage('pages/detail/detail');
  await page.onLoad({ id: DOC.instanceId });
  assert.equal(page.data.card, null);
  assert.equal(page.data.error, 'Instance not found.');
  await page.onPullDownRefresh();
  assert.ok(page.data.card);
  assert.equal(page.data.error, '');
  assert.equal(env.callsTo('stopPullDownRefresh').length, 1);
});

test('a detail page opened with a bad ID says so and sends nothing', async () => {
  const page = env.loadPage('pages/detail/detail');
  await page.onLoad({ id: 'drop table' });
  assert.equal(env.requests.length, 0);
  assert.match(page.data.error, /格式不正确/);
});
