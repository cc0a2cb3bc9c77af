/* Safe DOM building, shared by the chat widget and the admin console.
 *
 * Text only ever goes in as text nodes (textContent), never as HTML; attributes are set one by
 * one; links are made only to absolute http(s) URLs and always show the host they go to. */

/** An element with text, attributes, listeners and children; text always goes in as text.
 * `props.text` is the element's text, `on<event>` a listener, other keys attributes (true: the
 * attribute without value; null, undefined, false: left out). Children may be nodes, strings
 * (added as text) or null (skipped). */
export function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children || []) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes and children; `text` goes in as text. */
export function svg(tag, attrs, children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children || []) if (child) node.append(child);
  return node;
}

/** The URL if it is absolute http(s), else null: no javascript:, data: or relative links. */
export function safeUrl(raw) {
  try {
    const url = new URL(String(raw));
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (e) {
    return null;
  }
}

/** The host a link really goes to, shown beside its text so the text cannot pose as another site. */
export function hostOf(href) {
  return new URL(href).host;
}

/** A link that opens in a new tab without giving that tab a handle on this page. */
export function link(href, text) {
  return el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow", text });
}
