/**
 * The mini program's only door to the network: GET lookups over `my.request` (never the unmaintained
 * `my.httpRequest`), against the base URL from config.js, with ONE retry when a node may have died
 * mid-request (network error, 502, 504; the rule itself lives in format.js so the web page shares it).
 *
 * Resolves (never rejects) to either {ok: true, status, data} or {ok: false, status, error: {code, message}}
 * so a page has exactly two shapes to render and can never end up with a blank card.
 */
const config = require('../config.js');
const format = require('./format.js');

/**
 * @typedef {{ok: true, status: number, data: any}} ApiSuccess
 * @typedef {{ok: false, status: number, error: {code: string, message: string, status: number}}} ApiFailure
 * @typedef {ApiSuccess | ApiFailure} ApiResult
 * @typedef {{status: number, body: any, networkError: boolean, timeout: boolean, errorCode: number}} Outcome
 */

/** Alipay fail codes (DOC): 4/11 domain not on the allowlist, 12 network error, 13 timeout, 19 HTTP error. */
const FAIL_NO_PERMISSION = [4, 11];
const FAIL_NETWORK = 12;
const FAIL_TIMEOUT = 13;
const FAIL_HTTP = 19;

/** @returns {string} */
function apiBase() {
  const app = getApp();
  const base = app && app.globalData && app.globalData.apiBase;
  return base || config.API_BASE.release;
}

/**
 * One attempt. `dataType: 'text'` on purpose: with 'json' a proxy's HTML error page fails as "decode
 * error 14" and the HTTP status is lost, so the 502/504 retry rule could not see it. We parse JSON
 * ourselves instead.
 * @param {string} url
 * @returns {Promise<Outcome>}
 */
function attempt(url) {
  return new Promise(function (resolve) {
    my.request({
      url: url,
      method: 'GET',
      dataType: 'text',
      timeout: config.REQUEST_TIMEOUT_MS,
      headers: { Accept: 'application/json' },
      success: function (res) {
        resolve({
          status: res.status || res.statusCode || 0,
          body: parseBody(res.data),
          networkError: false,
          timeout: false,
          errorCode: 0,
        });
      },
      fail: function (err) {
        // Some client versions report HTTP >= 400 through fail with error 19; the status and body may or
        // may not be attached, so read them defensively.
        const e = /** @type {any} */ (err) || {};
        const code = typeof e.error === 'number' ? e.error : 0;
        if (code === FAIL_HTTP) {
          resolve({
            status: e.status || e.statusCode || 0,
            body: parseBody(e.data),
            networkError: false,
            timeout: false,
            errorCode: code,
          });
          return;
        }
        resolve({
          status: 0,
          body: null,
          networkError: FAIL_NO_PERMISSION.indexOf(code) < 0,
          timeout: code === FAIL_TIMEOUT,
          errorCode: code,
        });
      },
    });
  });
}

/** @param {unknown} data */
function parseBody(data) {
  if (typeof data !== 'string') return data === undefined ? null : data;
  try {
    return JSON.parse(data);
  } catch (e) {
    return data;
  }
}

/**
 * @param {Outcome} outcome
 * @returns {ApiResult}
 */
function toResult(outcome) {
  if (outcome.status >= 200 && outcome.status < 300 && outcome.body && typeof outcome.body === 'object') {
    return { ok: true, status: outcome.status, data: outcome.body };
  }
  if (FAIL_NO_PERMISSION.indexOf(outcome.errorCode) >= 0) {
    return {
      ok: false,
      status: 0,
      error: { code: 'DomainNotAllowed', message: format.t('domainNotAllowed'), status: 0 },
    };
  }
  return { ok: false, status: outcome.status, error: format.errorFromResponse(outcome) };
}

/**
 * GET an API path (e.g. format.serverInfoPath(id)). Idempotent, hence safe to retry once.
 * @param {string} path
 * @returns {Promise<ApiResult>}
 */
function get(path) {
  const url = apiBase() + path;
  /** @param {number} retriesLeft @returns {Promise<ApiResult>} */
  function run(retriesLeft) {
    return attempt(url).then(function (outcome) {
      if (retriesLeft > 0 && format.shouldRetry(outcome)) return run(retriesLeft - 1);
      return toResult(outcome);
    });
  }
  return run(format.MAX_RETRIES);
}

module.exports = {
  get: get,
  apiBase: apiBase,
};
