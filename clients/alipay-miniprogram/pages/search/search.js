/**
 * Search page: type (or pick) an instance ID, see the seven-field card.
 *
 * Fixes the classic tutorial's bugs on purpose:
 *  - state is real booleans/objects: `result` is a card or null and the template shows it with a:if, so
 *    there is no `hidden` flag to toggle (the tutorial stored the string "false" and flipped it, hiding
 *    every second result);
 *  - it searches on confirm (keyboard search key), on blur and on the button, not only on blur;
 *  - the ID is checked before any request and every failure shows the API's message, never a blank card;
 *  - the network goes through utils/api.js (my.request over HTTPS), not my.httpRequest to an IP.
 */
const format = require('../../utils/format.js');
const api = require('../../utils/api.js');

const RECENT_KEY = 'ecsAssistant.recentIds';
const RECENT_MAX = 8;

/** @typedef {{key: string, label: string, value: string}} Field */
/** @typedef {{id: string, statusKey: string, statusText: string, statusTone: string, fields: Field[]}} Card */

Page({
  data: {
    query: '',
    loading: false,
    /** The card being shown, or null. */
    result: /** @type {Card | null} */ (null),
    /** Human message of the last failure, '' when none. */
    error: '',
    /** Stable error code for styling/tests ('' when none). */
    errorCode: '',
    recent: /** @type {string[]} */ ([]),
    placeholder: format.t('searchPlaceholder'),
  },

  /** Sequence number of the newest search; an older response that arrives late is dropped. */
  seq: 0,
  /** ID of the request in flight, so a blur right after confirm does not fire a duplicate. */
  inFlightId: '',

  onLoad() {
    const page = this;
    my.getStorage({
      key: RECENT_KEY,
      success(res) {
        const list = Array.isArray(res.data) ? res.data.filter(format.isValidInstanceId) : [];
        page.setData({ recent: list.slice(0, RECENT_MAX) });
      },
    });
  },

  /** @param {{detail: {value: string}}} e */
  onInput(e) {
    this.setData({ query: e.detail.value });
  },

  /** Keyboard "search" key. @param {{detail: {value: string}}} e @returns {Promise<void>} */
  onConfirm(e) {
    return this.search(e.detail.value, 'confirm');
  },

  /** Leaving the field: search unless it is empty or already being / been looked up. @param {{detail: {value: string}}} e @returns {Promise<void>} */
  onBlur(e) {
    return this.search(e.detail.value, 'blur');
  },

  /** @returns {Promise<void>} */
  onSearchTap() {
    return this.search(this.data.query, 'tap');
  },

  /** @param {{currentTarget: {dataset: {id?: string}}}} e @returns {Promise<void>} */
  onRecentTap(e) {
    const id = e.currentTarget.dataset.id || '';
    this.setData({ query: id });
    return this.search(id, 'tap');
  },

  onClearRecent() {
    this.setData({ recent: [] });
    my.removeStorage({ key: RECENT_KEY });
  },

  onDetailTap() {
    const card = this.data.result;
    if (!card) return;
    my.navigateTo({ url: '/pages/detail/detail?id=' + encodeURIComponent(card.id) });
  },

  onListTap() {
    my.switchTab({ url: '/pages/list/list' });
  },

  /**
   * @param {unknown} raw
   * @param {'confirm' | 'blur' | 'tap'} trigger
   * @returns {Promise<void>}
   */
  search(raw, trigger) {
    const checked = format.checkInstanceId(raw);
    if (trigger === 'blur') {
      // Blur fires after confirm closes the keyboard, and when the person taps elsewhere.
      if (checked.id === '') return Promise.resolve();
      if (checked.id === this.inFlightId) return Promise.resolve();
      if (this.data.result && this.data.result.id === checked.id && !this.data.error) return Promise.resolve();
    }
    if (!checked.ok) {
      this.seq += 1;
      this.inFlightId = '';
      this.setData({ loading: false, result: null, error: checked.message, errorCode: 'InvalidInstanceId' });
      return Promise.resolve();
    }
    const id = checked.id;
    const seq = (this.seq += 1);
    this.inFlightId = id;
    this.setData({ query: id, loading: true, error: '', errorCode: '' });
    const page = this;
    return api.get(format.serverInfoPath(id)).then(function (res) {
      if (seq !== page.seq) return; // a newer search has started; its answer wins
      page.inFlightId = '';
      if (res.ok) {
        page.setData({ loading: false, result: format.serverInfoCard(id, res.data), error: '', errorCode: '' });
        page.remember(id);
      } else {
        page.setData({ loading: false, result: null, error: res.error.message, errorCode: res.error.code });
      }
    });
  },

  /** @param {string} id */
  remember(id) {
    const recent = format.addRecentId(this.data.recent, id, RECENT_MAX);
    this.setData({ recent: recent });
    my.setStorage({ key: RECENT_KEY, data: recent });
  },
});
