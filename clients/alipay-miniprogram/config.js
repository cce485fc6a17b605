/**
 * The ONE place the API base URL lives.
 *
 * Alipay's rules (see docs/clients.md): `my.request` in trial and release builds only reaches HTTPS URLs
 * whose domain is on the mini program's server-domain allowlist (服务器域名白名单); IP addresses and plain
 * HTTP are refused. Only the developer tool's simulator / preview, with "忽略 request 域名合法性检查"
 * ticked, may talk to the local stack over plain HTTP.
 *
 * Before uploading: replace the HTTPS domain below with yours and add it to the allowlist.
 */
const API_BASE = {
  /** Release (正式版) and gray builds. */
  release: 'https://ecs-assistant.example.com',
  /** Trial (体验版) builds enforce the allowlist too. */
  trial: 'https://ecs-assistant.example.com',
  /** The developer tool (开发版): the local stack's load balancer (`ecs-assistant stack up`). */
  develop: 'http://127.0.0.1:8080',
};

/** How long one attempt may take; one retry is allowed (see utils/format.js shouldRetry). */
const REQUEST_TIMEOUT_MS = 10000;

/**
 * @param {string} [envVersion] from my.getAccountInfoSync().miniProgram.envVersion
 * @returns {string}
 */
function apiBaseFor(envVersion) {
  if (envVersion === 'develop') return API_BASE.develop;
  if (envVersion === 'trial') return API_BASE.trial;
  return API_BASE.release;
}

module.exports = {
  API_BASE: API_BASE,
  REQUEST_TIMEOUT_MS: REQUEST_TIMEOUT_MS,
  apiBaseFor: apiBaseFor,
};
