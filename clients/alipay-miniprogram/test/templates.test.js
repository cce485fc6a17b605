const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createEnv, ROOT } = require('./mp-env.js');
const { checkAxml } = require('./axml-check.js');

const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));

test('app.json lists pages that each have .js, .axml, .acss and .json', () => {
  assert.ok(Array.isArray(app.pages) && app.pages.length >= 3);
  for (const page of app.pages) {
    for (const ext of ['.js', '.axml', '.acss', '.json']) {
      assert.ok(fs.existsSync(path.join(ROOT, page + ext)), `${page}${ext} exists`);
    }
    JSON.parse(fs.readFileSync(path.join(ROOT, page + '.json'), 'utf8'));
  }
  for (const item of app.tabBar.items) assert.ok(app.pages.includes(item.pagePath), `tab ${item.pagePath} is a page`);
});

test('mini.project.json is format 2 and keeps tests and node_modules out of the upload', () => {
  const project = JSON.parse(fs.readFileSync(path.join(ROOT, 'mini.project.json'), 'utf8'));
  assert.equal(project.format, 2);
  assert.ok(project.uploadExclude.includes('test/**'));
  assert.ok(project.uploadExclude.includes('node_modules/**'));
});

test('pages with pull-to-refresh allow vertical bounce (required for it to work)', () => {
  for (const page of app.pages) {
    const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, page + '.json'), 'utf8'));
    if (cfg.pullRefresh === true) assert.equal(cfg.allowsBounceVertical, 'YES', page);
    if ('pullRefresh' in cfg) assert.equal(typeof cfg.pullRefresh, 'boolean', `${page} pullRefresh is a JSON boolean`);
  }
});

for (const page of app.pages) {
  test(`${page}.axml parses, every handler exists on the page, no string booleans`, () => {
    const env = createEnv();
    try {
      const options = env.loadPage(page).options;
      const { problems, handlers } = checkAxml(fs.readFileSync(path.join(ROOT, page + '.axml'), 'utf8'), options);
      assert.deepEqual(problems, []);
      assert.ok(handlers.length > 0, 'the checker saw the handlers');
    } finally {
      env.dispose();
    }
  });
}

test('no JS calls my.httpRequest or uses a plain-HTTP IP outside the develop entry of config.js', () => {
  /** @param {string} dir @returns {string[]} */
  const files = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      if (d.name === 'node_modules' || d.name === 'test') return [];
      const p = path.join(dir, d.name);
      return d.isDirectory() ? files(p) : p.endsWith('.js') ? [p] : [];
    });
  for (const file of files(ROOT)) {
    const src = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(src, /my\.httpRequest\s*\(/, file);
    const ips = src.split('\n').filter((l) => /http:\/\/\d/.test(l) && !/^\s*develop:/.test(l));
    assert.deepEqual(ips, [], file);
  }
  const config = require(path.join(ROOT, 'config.js'));
  assert.match(config.API_BASE.release, /^https:\/\/[a-z0-9-]+(\.[a-z0-9-]+)+$/);
  assert.match(config.API_BASE.trial, /^https:\/\//);
});

// The checker must itself catch what it claims to, or the test above proves nothing.
test('the AXML checker reports a syntax error, a missing handler and hidden="false"', () => {
  const page = { onTap() {} };
  assert.equal(checkAxml('<view onTap="onTap">{{ a </view>', page).problems.length > 0, true);
  const missing = checkAxml('<view onTap="onMissing">x</view>', page).problems;
  assert.match(missing.join('\n'), /onMissing.*no such handler/);
  const stringly = checkAxml('<view hidden="false" onTap="onTap">x</view><button disabled="true">b</button>', page).problems;
  assert.equal(stringly.length, 2);
  assert.match(stringly[0], /hidden="false"/);
  assert.deepEqual(checkAxml('<view hidden="{{false}}" onTap="onTap"><input disabled/></view>', page).problems, []);
});
