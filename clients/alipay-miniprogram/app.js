/**
 * ECS小助手 mini program entry. It only decides which API base URL this build talks to; pages fetch
 * through utils/api.js.
 */
const config = require('./config.js');

App({
  globalData: {
    apiBase: config.API_BASE.release,
  },
  onLaunch() {
    let envVersion = 'release';
    try {
      envVersion = my.getAccountInfoSync().miniProgram.envVersion;
    } catch (e) {
      // Very old clients lack getAccountInfoSync: stay on the release (HTTPS) URL, the safe choice.
    }
    this.globalData.apiBase = config.apiBaseFor(envVersion);
  },
});
