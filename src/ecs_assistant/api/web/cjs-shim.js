// format.js is a CommonJS module shared with the Alipay mini program. A browser has no `module`, so give it
// one; app.js then reads module.exports. (A two-line shim instead of a bundler: no build chain to maintain.)
var module = { exports: {} };
var exports = module.exports;
