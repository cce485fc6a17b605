/**
 * Offline AXML checks on top of @wxml/parser (AXML shares WXML's tag and {{ }} grammar; `a:if` and `onTap`
 * are plain attributes to it). Alipay's real compiler cannot run offline (it downloads itself first), so
 * this catches what it can: syntax errors, handlers named in a template but missing from the page, and
 * literal string booleans such as hidden="false" (a non-empty string is truthy, so that hides the element).
 */
const { parse } = require('@wxml/parser');

/** Attributes the Alipay components treat as booleans. */
const BOOLEAN_ATTRIBUTES = new Set([
  'hidden', 'disabled', 'checked', 'focus', 'password', 'loading', 'controlled', 'selected',
  'auto-focus', 'auto-height', 'enableNative', 'always-system', 'scroll-x', 'scroll-y', 'indicator-dots',
  'autoplay', 'circular', 'vertical', 'plain', 'readonly', 'show-count', 'enable-native',
]);

/** Event attributes: onTap, catchTap, onConfirm … */
const HANDLER_ATTRIBUTE = /^(on|catch)[A-Z]/;

/**
 * @param {string} source AXML text
 * @param {Record<string, unknown>} pageOptions the object passed to Page()
 * @returns {{problems: string[], handlers: string[]}}
 */
function checkAxml(source, pageOptions) {
  const ast = parse(source);
  /** @type {string[]} */
  const problems = [];
  /** @type {string[]} */
  const handlers = [];
  for (const e of ast.errors || []) {
    const where = e.loc && e.loc.start ? `${e.loc.start.line}:${e.loc.start.column}` : '?';
    problems.push(`syntax error at ${where}: ${e.value}`);
  }
  /** @param {any[]} nodes */
  function walk(nodes) {
    for (const node of nodes || []) {
      if (node.type !== 'WXElement') continue;
      for (const attr of (node.startTag && node.startTag.attributes) || []) {
        const line = attr.loc && attr.loc.start ? attr.loc.start.line : '?';
        const value = attr.value === null || attr.value === undefined ? null : String(attr.value);
        if (HANDLER_ATTRIBUTE.test(attr.key)) {
          handlers.push(String(value));
          if (!value || /\{\{/.test(value)) {
            problems.push(`line ${line}: <${node.name} ${attr.key}> must name a handler, got ${JSON.stringify(value)}`);
          } else if (typeof pageOptions[value] !== 'function') {
            problems.push(`line ${line}: <${node.name} ${attr.key}="${value}"> has no such handler on the page`);
          }
        }
        if (BOOLEAN_ATTRIBUTES.has(attr.key) && value !== null && !/^\s*\{\{[^]*\}\}\s*$/.test(value)) {
          problems.push(`line ${line}: <${node.name} ${attr.key}="${value}"> is a string; write ${attr.key}="{{${value || 'true'}}}"`);
        }
      }
      walk(node.children);
    }
  }
  walk(ast.body);
  return { problems, handlers };
}

module.exports = { checkAxml, BOOLEAN_ATTRIBUTES };
