/* Links to the very sentence: a document's URL with a text fragment built from its quotes.
 *
 * The same rules as src/icc_assistant/fragments.py (WICG Text Fragments: `#:~:text=start,end`,
 * one directive per quote joined by `&`, values percent-encoded with the `-`, `,` and `&` of
 * the syntax); tests/data/text_fragments.json holds the cases both must write alike. A quote's
 * first and last EDGE_WORDS words are named, without closing punctuation, since what the quote
 * left out between them (a reference mark) is still on the page. PDF viewers read no text
 * fragments: a PDF's link names its page when it is known, else it stays as it is. */

export const EDGE_WORDS = 4;
export const MOST_QUOTES = 5;
const SPACELESS = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/;
const CLOSING = /[\s.!?。！？…;:,'"”’»)\]」』]+$/u;
const OPENING = /^[\s'"“„«‘(¿¡]+/u;
const PDF_HOSTS = new Set(["rm.coe.int"]); // the Council of Europe's document server

/** Percent-encoded for a directive: everything but letters, digits and `_.~`. */
function encode(text) {
  return encodeURIComponent(text).replace(/[!'()*-]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** `text=start,end` (or `text=whole` for a short sentence or one written without spaces),
 * encoded; null for a sentence with no words. */
export function textDirective(sentence) {
  const text = String(sentence).split(/\s+/).filter(Boolean).join(" ").replace(CLOSING, "").replace(OPENING, "");
  if (!text) return null;
  const words = text.split(" ");
  if (words.length <= 2 * EDGE_WORDS || SPACELESS.test(text)) return "text=" + encode(text);
  return "text=" + encode(words.slice(0, EDGE_WORDS).join(" ")) + "," + encode(words.slice(-EDGE_WORDS).join(" "));
}

/** Whether the link opens a PDF: by its address or file name, or the host of the Council's documents. */
export function isPdf(url, source) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch (e) {
    return false;
  }
  return parsed.pathname.toLowerCase().endsWith(".pdf") || String(source || "").toLowerCase().endsWith(".pdf") || PDF_HOSTS.has(parsed.hostname);
}

/** `url` opened at its quotes (a text fragment each, up to MOST_QUOTES); for a PDF, `#page=N`
 * when the page is known, else `url` as it is. An existing fragment is kept before the directive. */
export function quoteLink(url, quotes, options) {
  const { pdf = false, page = null } = options || {};
  if (pdf) return page ? url.split("#")[0] + "#page=" + page : url;
  const directives = (quotes || []).slice(0, MOST_QUOTES).map(textDirective).filter(Boolean);
  if (!directives.length || url.includes(":~:")) return url;
  return url + (url.includes("#") ? "" : "#") + ":~:" + directives.join("&");
}
