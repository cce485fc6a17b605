/**
 * Instance detail: every field of GET /api/v1/instances/{id}. Opened from the list or the search card.
 */
const format = require('../../utils/format.js');
const api = require('../../utils/api.js');

/** @typedef {{key: string, label: string, value: string}} Field */
/** @typedef {{id: string, name: string, regionId: string, statusKey: string, statusText: string, statusTone: string, fields: Field[]}} DetailCard */

Page({
  data: {
    id: '',
    regionId: '',
    loading: false,
    card: /** @type {DetailCard | null} */ (null),
    error: '',
  },

  /** @param {any} query @returns {Promise<void>} */
  onLoad(query) {
    const q = query || {};
    const id = format.normalizeInstanceId(q.id ? decodeURIComponent(String(q.id)) : '');
    const regionId = q.regionId ? decodeURIComponent(String(q.regionId)) : '';
    this.setData({ id: id, regionId: regionId });
    return this.load();
  },

  /** @returns {Promise<void>} */
  onPullDownRefresh() {
    return this.load().then(function () {
      my.stopPullDownRefresh();
    });
  },

  /** @returns {Promise<void>} */
  onRetryTap() {
    return this.load();
  },

  /** @returns {Promise<void>} */
  load() {
    const checked = format.checkInstanceId(this.data.id);
    if (!checked.ok) {
      this.setData({ loading: false, card: null, error: checked.message });
      return Promise.resolve();
    }
    this.setData({ loading: true, error: '' });
    return api.get(format.instancePath(checked.id, this.data.regionId)).then((res) => {
      if (res.ok) {
        const card = format.instanceDetailCard(res.data);
        this.setData({ loading: false, card: card, error: '' });
        my.setNavigationBar({ title: card.name !== '-' ? card.name : card.id });
      } else {
        this.setData({ loading: false, card: null, error: res.error.message });
      }
    });
  },
});
