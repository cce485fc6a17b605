/** The retry rule of utils/api.js, request by request. */
const { test, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { createEnv, ROOT } = require('./mp-env.js');

/** @type {ReturnType<typeof createEnv>} */
let env;
/** @type {any} */
let api;
beforeEach(() => {
  env = createEnv();
  api = require(path.join(ROOT, 'utils/api.js'));
});
afterEach(() => env.dispose());

const OK = { status: 200, body: { ok: 1 } };
/** @param {number} status @param {string} code */
const err = (status, code) => ({ status, body: { error: { code, message: `${code} message` } } });

const cases = [
  // [name, replies, expected attempts, expected ok]
  ['network error then success', [{ fail: { error: 12 } }, OK], 2, true],
  ['timeout then success', [{ fail: { error: 13 } }, OK], 2, true],
  ['502 then success', [err(502, 'UpstreamError'), OK], 2, true],
  ['504 then success', [err(504, 'UpstreamTimeout'), OK], 2, true],
  ['502 twice: gives up after one retry', [err(502, 'UpstreamError'), err(502, 'UpstreamError'), OK], 2, false],
  ['network error twice', [{ fail: { error: 12 } }, { fail: { error: 12 } }, OK], 2, false],
  ['503 is not retried (the service asks us to back off)', [err(503, 'UpstreamUnavailable'), OK], 1, false],
  ['429 is not retried', [err(429, 'UpstreamThrottled'), OK], 1, false],
  ['500 is not retried', [err(500, 'InternalError'), OK], 1, false],
  ['404 is not retried', [err(404, 'InstanceNotFound'), OK], 1, false],
  ['400 is not retried', [err(400, 'InvalidInstanceId'), OK], 1, false],
  ['fail 19 with a 502 status is retried', [{ fail: { error: 19, errorMessage: 'http status error', status: 502 } }, OK], 2, true],
  ['fail 11 (allowlist) is not retried', [{ fail: { error: 11 } }, OK], 1, false],
];

for (const [name, replies, attempts, ok] of cases) {
  test(`retry rule: ${name}`, async () => {
    env.reply(.../** @type {any[]} */ (replies));
    const res = await api.get('/api/v1/instances/i-bp1abcdefghijklmn0');
    assert.equal(env.requests.length, attempts);
    assert.equal(res.ok, ok);
    assert.ok(env.requests.every((r) => r.method === 'GET'));
  });
}

test('the failure after a retry carries the API error code and message', async () => {
  env.reply(err(504, 'UpstreamTimeout'), err(504, 'UpstreamTimeout'));
  const res = await api.get('/x');
  assert.equal(res.ok, false);
  assert.equal(res.status, 504);
  assert.deepEqual(res.error, { code: 'UpstreamTimeout', message: 'UpstreamTimeout message', status: 504 });
});

test('a 200 whose body is not JSON is an error, not an empty success', async () => {
  env.reply({ status: 200, body: '<html>captive portal</html>' });
  const res = await api.get('/x');
  assert.equal(res.ok, false);
  assert.equal(res.error.code, 'BadResponse');
});

test('requests carry only string headers and a timeout', async () => {
  env.reply(OK);
  await api.get('/x');
  const o = env.requests[0].options;
  assert.equal(typeof o.timeout, 'number');
  assert.ok(o.timeout > 0 && o.timeout <= 60000);
  for (const v of Object.values(o.headers)) assert.equal(typeof v, 'string');
});
