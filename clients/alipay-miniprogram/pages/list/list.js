/**
 * Instance list: typing a 20-character ID on a phone is painful, so people pick from here instead.
 * Region and status filters, pages of PAGE_SIZE appended on scroll ("load more"), pull-to-refresh,
 * tap -> detail page.
 */
const format = require('../../utils/format.js');
const api = require('../../utils/api.js');

const PAGE_SIZE = 20;

/** @typedef {{regionId: string, localName: string}} Region */
/** @typedef {{id: string, name: string, regionId: string, statusKey: string, statusText: string, statusTone: string, summary: string, publicIp: string}} Item */

/** Status filter choices: index 0 = all, then format.STATUSES in order. */
const STATUS_VALUES = [''].concat(format.STATUSES);

Page({
  data: {
    regions: /** @type {Region[]} */ ([]),
    regionNames: /** @type {string[]} */ ([]),
    regionIndex: 0,
    statusNames: STATUS_VALUES.map(function (s) {
      return s === '' ? format.t('allStatuses') : format.statusText(s);
    }),
    statusIndex: 0,
    items: /** @type {Item[]} */ ([]),
    pageNumber: 0,
    totalCount: 0,
    loading: false,
    hasMore: false,
    loaded: false,
    error: '',
  },

  /** Sequence of the newest load; late answers for old filters are dropped. */
  seq: 0,

  /** @returns {Promise<void>} */
  onLoad() {
    return this.loadRegions().then(() => this.loadPage(1));
  },

  /** @returns {Promise<void>} */
  onPullDownRefresh() {
    return this.loadPage(1).then(function () {
      my.stopPullDownRefresh();
    });
  },

  /** @returns {Promise<void>} */
  onReachBottom() {
    return this.loadMore();
  },

  /** @returns {Promise<void>} */
  onLoadMoreTap() {
    return this.loadMore();
  },

  /** @returns {Promise<void>} */
  onRetryTap() {
    return this.loadPage(this.data.pageNumber > 0 && this.data.items.length > 0 ? this.data.pageNumber + 1 : 1);
  },

  /** @param {{detail: {value: number | string}}} e @returns {Promise<void>} */
  onRegionChange(e) {
    this.setData({ regionIndex: Number(e.detail.value) || 0 });
    return this.loadPage(1);
  },

  /** @param {{detail: {value: number | string}}} e @returns {Promise<void>} */
  onStatusChange(e) {
    this.setData({ statusIndex: Number(e.detail.value) || 0 });
    return this.loadPage(1);
  },

  /** @param {{currentTarget: {dataset: {id?: string, region?: string}}}} e */
  onItemTap(e) {
    const id = e.currentTarget.dataset.id || '';
    const region = e.currentTarget.dataset.region || '';
    if (!format.isValidInstanceId(id)) return;
    my.navigateTo({
      url: '/pages/detail/detail?id=' + encodeURIComponent(id) + (region ? '&regionId=' + encodeURIComponent(region) : ''),
    });
  },

  /** @returns {Promise<void>} */
  loadMore() {
    if (!this.data.hasMore || this.data.loading) return Promise.resolve();
    return this.loadPage(this.data.pageNumber + 1);
  },

  /** The configured regions; on failure the list still loads the service's default region. @returns {Promise<void>} */
  loadRegions() {
    return api.get(format.REGIONS_PATH).then((res) => {
      if (!res.ok || !Array.isArray(res.data.regions)) return;
      /** @type {Region[]} */
      const regions = res.data.regions.filter(function (/** @type {any} */ r) {
        return r && typeof r.regionId === 'string';
      });
      this.setData({
        regions: regions,
        regionNames: regions.map(function (r) {
          return r.localName ? r.localName + ' ' + r.regionId : r.regionId;
        }),
        regionIndex: 0,
      });
    });
  },

  /**
   * Page 1 replaces the list; later pages are appended.
   * @param {number} pageNumber
   * @returns {Promise<void>}
   */
  loadPage(pageNumber) {
    const seq = (this.seq += 1);
    const region = this.data.regions[this.data.regionIndex];
    const path = format.listPath({
      regionId: region ? region.regionId : '',
      status: STATUS_VALUES[this.data.statusIndex] || '',
      pageNumber: pageNumber,
      pageSize: PAGE_SIZE,
    });
    this.setData(pageNumber === 1 ? { loading: true, error: '', items: [], hasMore: false } : { loading: true, error: '' });
    return api.get(path).then((res) => {
      if (seq !== this.seq) return;
      if (!res.ok) {
        this.setData({ loading: false, loaded: true, error: res.error.message });
        return;
      }
      const incoming = Array.isArray(res.data.instances) ? res.data.instances : [];
      const mapped = incoming.map(function (/** @type {any} */ doc) {
        return format.instanceListItem(doc);
      });
      const items = pageNumber === 1 ? mapped : this.data.items.concat(mapped);
      const total = Number(res.data.totalCount) || 0;
      this.setData({
        items: items,
        pageNumber: pageNumber,
        totalCount: total,
        // An empty page also ends paging, so a miscounting server cannot make us loop forever.
        hasMore: mapped.length > 0 && items.length < total,
        loading: false,
        loaded: true,
        error: '',
      });
    });
  },
});
