/* Interface language, shared by the widget and the console. */

/** Languages written right to left. */
export const RTL = ["ar", "he", "fa", "ur"];

/** The first of `wanted` (language tags, most wanted first) that `table` has strings for,
 * by its primary subtag ("fr-BE" -> "fr"); else "en". */
export function pickLanguage(wanted, table) {
  for (const code of wanted) {
    const base = String(code || "").toLowerCase().split(/[-_]/)[0];
    if (base && Object.prototype.hasOwnProperty.call(table, base)) return base;
  }
  return "en";
}

/** The browser's languages, most wanted first. */
export function browserLanguages() {
  return Array.from(navigator.languages || [navigator.language || "en"]);
}

/** "rtl" or "ltr" for a language code. */
export function direction(lang) {
  return RTL.includes(lang) ? "rtl" : "ltr";
}

/** `template` with each {name} replaced by String(values[name]); the result is text, not HTML. */
export function format(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(values || {}, name) ? String(values[name]) : whole);
}
