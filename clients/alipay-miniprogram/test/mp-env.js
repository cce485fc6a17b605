/**
 * A hand-written stand-in for the Alipay runtime, enough to drive page logic under `node --test`.
 *
 * Hand-written because no Alipay counterpart of WeChat's miniprogram-simulate exists (see
 * shared/reference/alipay-miniprogram.md section 3); this follows the same pattern as Ant's own
 * functional-mini tests: stub the globals App/Page/getApp/my, record the options objects, call handlers,
 * and look at the data after setData.
 *
 * What is faithful on purpose:
 *  - `my.request` answers asynchronously, honours `dataType` ('text' -> the body as a string, 'json' ->
 *    parsed, and fail {error: 14} when it cannot be parsed), and reports network failures through `fail`;
 *  - `setData` merges top-level keys only and rejects path keys ('a.b', 'a[0]') because nothing here uses
 *    them, so a page that starts relying on them gets a loud failure instead of silently different data;
 *  - storage round-trips through JSON like the real client does.
 */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** @param {unknown} value */
function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * A scripted answer; 'hold' leaves the request pending until the test calls req.respond(reply).
 * @typedef {{status: number, body?: unknown, headers?: Record<string,string>} | {fail: {error: number, errorMessage?: string}} | 'hold'} Reply
 * @typedef {{url: string, method: string, dataType: string, headers: Record<string,string>, options: any, respond?: (r: Reply) => void}} SentRequest
 */

/**
 * Answer a my.request for real over HTTP (the "live" mode used against the local stack). Loopback only:
 * anything else is refused, so a live test can never leave the machine.
 * @param {any} o my.request options
 * @param {(o: any, result: any) => void} onSuccess
 * @param {(o: any, err: any) => void} onFail
 */
function liveRequest(o, onSuccess, onFail) {
  const url = new URL(o.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    onFail(o, { error: 11, errorMessage: `live mode refuses non-loopback host ${url.hostname}` });
    return;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), o.timeout || 30000);
  fetch(url, { method: o.method || 'GET', headers: o.headers || {}, signal: controller.signal })
    .then(async (res) => {
      const raw = await res.text();
      /** @type {Record<string, string>} */
      const headers = {};
      res.headers.forEach((v, k) => {
        headers[k] = v;
      });
      let data = /** @type {unknown} */ (raw);
      if ((o.dataType || 'json') === 'json') {
        try {
          data = JSON.parse(raw);
        } catch (e) {
          onFail(o, { error: 14, errorMessage: 'JSON parse data error' });
          return;
        }
      }
      onSuccess(o, { data, status: res.status, statusCode: res.status, headers, header: headers });
    })
    .catch((e) => onFail(o, { error: e && e.name === 'AbortError' ? 13 : 12, errorMessage: String(e) }))
    .finally(() => clearTimeout(timer));
}

/**
 * @param {{envVersion?: string, storage?: Record<string, unknown>, liveApiBase?: string}} [settings]
 */
function createEnv(settings) {
  const opts = settings || {};
  /** @type {{api: string, args: any}[]} */
  const calls = [];
  /** @type {SentRequest[]} */
  const requests = [];
  /** @type {Map<string, string>} */
  const storage = new Map();
  Object.entries(opts.storage || {}).forEach(([k, v]) => storage.set(k, JSON.stringify(v)));
  /** @type {(req: SentRequest) => Reply} */
  let server = () => ({ fail: { error: 12, errorMessage: 'no server scripted' } });
  /** @type {Reply[]} */
  let queue = [];

  /** @param {any} o @param {any} result */
  function succeed(o, result) {
    setImmediate(() => {
      if (o && o.success) o.success(result);
      if (o && o.complete) o.complete(result);
    });
    return Promise.resolve(result);
  }

  /** @param {any} o @param {any} err */
  function failWith(o, err) {
    setImmediate(() => {
      if (o && o.fail) o.fail(err);
      if (o && o.complete) o.complete(err);
    });
    return Promise.resolve(err);
  }

  /** Settle one request the way the client would. @param {any} o @param {SentRequest} req @param {Reply} reply */
  function deliver(o, req, reply) {
    if (reply === 'hold') return;
    if ('fail' in reply) {
      failWith(o, reply.fail);
      return;
    }
    const raw = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body === undefined ? null : reply.body);
    /** @type {unknown} */
    let data = raw;
    if (req.dataType === 'json') {
      try {
        data = JSON.parse(raw);
      } catch (e) {
        failWith(o, { error: 14, errorMessage: 'JSON parse data error' });
        return;
      }
    }
    const h = reply.headers || { 'content-type': 'application/json' };
    succeed(o, { data, status: reply.status, statusCode: reply.status, headers: h, header: h });
  }

  const impl = {
    /** @param {any} o */
    request(o) {
      const headers = o.headers || o.header || {};
      for (const [k, v] of Object.entries(headers)) {
        if (typeof v !== 'string') throw new TypeError(`my.request header ${k} must be a string`);
      }
      /** @type {SentRequest} */
      const req = { url: o.url, method: o.method || 'GET', dataType: o.dataType || 'json', headers, options: o };
      requests.push(req);
      if (opts.liveApiBase) {
        liveRequest(o, succeed, failWith);
        return { abort() {} };
      }
      req.respond = (/** @type {Reply} */ reply) => deliver(o, req, reply);
      const reply = queue.length ? queue.shift() : server(req);
      if (!reply) throw new Error('no reply scripted for ' + o.url);
      if (reply !== 'hold') deliver(o, req, reply);
      return { abort() {} };
    },
    /** @param {any} o */
    getStorage(o) {
      if (!storage.has(o.key)) return succeed(o, { data: null });
      return succeed(o, { data: JSON.parse(/** @type {string} */ (storage.get(o.key))) });
    },
    /** @param {any} o */
    setStorage(o) {
      storage.set(o.key, JSON.stringify(o.data));
      return succeed(o, {});
    },
    /** @param {any} o */
    removeStorage(o) {
      storage.delete(o.key);
      return succeed(o, {});
    },
    getAccountInfoSync() {
      return { miniProgram: { appId: '2021000000000000', envVersion: opts.envVersion || 'develop', version: '' } };
    },
  };

  const my = new Proxy(
    {},
    {
      get(_target, name) {
        if (typeof name !== 'string') return undefined;
        return (/** @type {any} */ args) => {
          calls.push({ api: name, args });
          const fn = /** @type {any} */ (impl)[name];
          if (fn) return fn(args);
          return succeed(args, {});
        };
      },
    },
  );

  /** @type {any} */
  let appOptions = null;
  /** @type {any} */
  let lastPageOptions = null;
  const saved = {
    my: /** @type {any} */ (globalThis).my,
    App: /** @type {any} */ (globalThis).App,
    Page: /** @type {any} */ (globalThis).Page,
    getApp: /** @type {any} */ (globalThis).getApp,
  };
  Object.assign(globalThis, {
    my,
    App: (/** @type {any} */ o) => {
      appOptions = o;
    },
    Page: (/** @type {any} */ o) => {
      lastPageOptions = o;
    },
    getApp: () => appOptions,
  });

  /** Forget cached modules under the mini program root so every load sees fresh globals and state. */
  function freshRequire(/** @type {string} */ rel) {
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(ROOT + path.sep) && !key.includes(`${path.sep}node_modules${path.sep}`) && !key.includes(`${path.sep}test${path.sep}`)) {
        delete require.cache[key];
      }
    }
    return require(path.join(ROOT, rel));
  }

  freshRequire('app.js');
  if (!appOptions) throw new Error('app.js did not call App()');
  if (appOptions.onLaunch) appOptions.onLaunch.call(appOptions, {});
  if (opts.liveApiBase) appOptions.globalData.apiBase = opts.liveApiBase;

  return {
    my,
    calls,
    requests,
    storage,
    /** @param {(req: SentRequest) => Reply} fn */
    serve(fn) {
      server = fn;
    },
    /** Replies used in order before falling back to serve(). @param {Reply[]} replies */
    reply(...replies) {
      queue = queue.concat(replies);
    },
    /** @param {string} api */
    callsTo(api) {
      return calls.filter((c) => c.api === api);
    },
    app: appOptions,
    /**
     * Load a page module and build an instance the way the framework would.
     * @param {string} rel e.g. 'pages/search/search'
     */
    loadPage(rel) {
      lastPageOptions = null;
      freshRequire(rel + '.js');
      const options = lastPageOptions;
      if (!options) throw new Error(rel + ' did not call Page()');
      /** @type {any[]} */
      const patches = [];
      /** @type {any} */
      const page = { route: rel, options };
      for (const [k, v] of Object.entries(options)) {
        if (k === 'data') continue;
        page[k] = typeof v === 'function' ? v.bind(page) : clone(v);
      }
      page.data = clone(typeof options.data === 'function' ? options.data() : options.data);
      page.patches = patches;
      page.setData = (/** @type {Record<string, unknown>} */ patch, /** @type {(() => void) | undefined} */ cb) => {
        for (const key of Object.keys(patch)) {
          if (/[.[]/.test(key)) throw new Error(`setData path key ${key} is not supported by this harness`);
        }
        const copy = clone(patch);
        patches.push(copy);
        Object.assign(page.data, copy);
        if (cb) setImmediate(cb);
      };
      return page;
    },
    /** Let queued callbacks and promise chains run. */
    async settle(rounds = 5) {
      for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
    },
    dispose() {
      Object.assign(globalThis, saved);
    },
  };
}

module.exports = { createEnv, ROOT };
