/* Safe markdown rendering, shared by the widget (answers) and the console (documents, briefs).
 *
 * Paragraphs, headings, lists, quotes, tables, bold, italics, code, links and [n] citations become
 * elements and text nodes only: HTML in the text stays text, and links go only to http(s)
 * URLs, with the host they go to shown beside them. */

import { el, hostOf, link, safeUrl } from "./dom.js";

const INLINE = new RegExp([
  /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/.source, // 1,2 [text](http link)
  /\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]/.source, // 3 citations [1] [1, 2]
  /\*\*(\S(?:[^\n]*?\S)?)\*\*/.source, // 4 bold
  /__(\S(?:[^\n]*?\S)?)__/.source, // 5 bold
  /\*([^\s*](?:[^*\n]*[^\s*])?)\*/.source, // 6 italic
  /_([^\s_](?:[^_\n]*[^\s_])?)_/.source, // 7 italic (checked for word boundaries below)
  /`([^`\n]+)`/.source, // 8 code
  /(https?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]])/.source, // 9 bare link
  /\[([^\]\n]+)\]\(<(https?:\/\/[^>\s]+)>\)/.source, // 10,11 [text](<http link>), as briefs write
  /\\([!-\/:-@[-`{-~])/.source // 12 a backslash-escaped mark, shown as itself
].join("|"), "g");

/** A citation as plain text, for readers with nothing to open: "[n]". */
export const plainCite = (n) => "[" + n + "]";

/** Append `text` with inline markdown to `parent`, as elements and text nodes only; `cite(n)`
 * makes the node for citation n; inside a link (`inLink`) no further link is made. */
export function renderInline(text, parent, cite, inLink) {
  const pattern = new RegExp(INLINE.source, "g");
  let last = 0;
  let m;
  while ((m = pattern.exec(text)) !== null) {
    if (m[7] !== undefined && (/\w/.test(text.charAt(m.index - 1)) || /\w/.test(text.charAt(pattern.lastIndex)))) {
      pattern.lastIndex = m.index + 1;
      continue;
    }
    if (m.index > last) parent.append(text.slice(last, m.index));
    last = pattern.lastIndex;
    if (m[12] !== undefined) {
      parent.append(m[12]);
    } else if (inLink && (m[1] !== undefined || m[3] !== undefined || m[9] !== undefined || m[10] !== undefined)) {
      parent.append(m[0]);
    } else if (m[1] !== undefined || m[10] !== undefined) {
      const href = safeUrl(m[1] !== undefined ? m[2] : m[11]);
      const a = href ? link(href, "") : el("span");
      renderInline(m[1] !== undefined ? m[1] : m[10], a, cite, Boolean(href));
      if (href) a.append(el("span", { class: "host", text: " (" + hostOf(href) + ")" }));
      parent.append(a);
    } else if (m[3] !== undefined) {
      for (const n of m[3].split(/\s*[,;]\s*/)) parent.append((cite || plainCite)(Number(n)));
    } else if (m[4] !== undefined || m[5] !== undefined) {
      const strong = el("strong");
      renderInline(m[4] !== undefined ? m[4] : m[5], strong, cite, inLink);
      parent.append(strong);
    } else if (m[6] !== undefined || m[7] !== undefined) {
      const em = el("em");
      renderInline(m[6] !== undefined ? m[6] : m[7], em, cite, inLink);
      parent.append(em);
    } else if (m[8] !== undefined) {
      parent.append(el("code", { text: m[8] }));
    } else {
      const href = safeUrl(m[9]);
      parent.append(href ? link(href, m[9]) : m[9]);
    }
  }
  if (last < text.length) parent.append(text.slice(last));
}

const TABLE_ROW = /^\s*\|(.*)\|\s*$/;
const TABLE_RULE = /^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*$/;

/** The cells of a Markdown table row ("| a | b |"). */
const cellsOf = (row) => TABLE_ROW.exec(row)[1].split("|").map((cell) => cell.trim());

/** A Markdown table's start as a real <table>: its first row the column headers (th
 * scope=col), by which screen readers announce each cell; rows go into its tbody. The
 * headers are in the reader's language, so the table takes its direction from them (dir=auto
 * on the table, none on the headers): an Arabic table's columns run right to left. */
function startTable(header, cite) {
  const row = el("tr");
  for (const cell of cellsOf(header)) {
    const th = el("th", { scope: "col" });
    renderInline(cell, th, cite);
    row.append(th);
  }
  return el("table", { class: "figures", dir: "auto" }, [el("thead", {}, [row]), el("tbody")]);
}

/** A row of `table`. Each cell carries its column's header as data-label, which narrow
 * layouts show beside it when rows become cards (the header itself stays the cell's header
 * for screen readers); its content sits in a dir=auto span, so that the cell keeps the
 * table's direction while a Latin name in an Arabic table reads left to right. */
function addTableRow(table, line, cite) {
  const heads = Array.from(table.tHead.rows[0].cells, (th) => th.textContent.trim());
  const row = el("tr");
  cellsOf(line).forEach((cell, i) => {
    const content = el("span", { dir: "auto" });
    renderInline(cell, content, cite);
    row.append(el("td", { "data-label": heads[i] || null }, [content]));
  });
  table.tBodies[0].append(row);
}

/** Render markdown `text` into `target`, replacing what was there. */
export function renderMarkdown(text, target, cite) {
  const out = document.createDocumentFragment();
  let block = null; // the open paragraph, quote or list
  let item = null; // the open list item
  for (const raw of String(text).replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.replace(/\s+$/, "");
    let m;
    if (!line) {
      block = item = null;
    } else if (TABLE_ROW.test(line) && block && block.tagName === "TABLE") {
      if (!TABLE_RULE.test(line)) addTableRow(block, line, cite);
    } else if (TABLE_ROW.test(line) && !TABLE_RULE.test(line)) {
      item = null;
      block = startTable(line, cite);
      out.append(block);
    } else if ((m = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line))) {
      block = item = null;
      const heading = el("p", { class: "h", dir: "auto" });
      renderInline(m[1].replace(/\s#+$/, ""), heading, cite);
      out.append(heading);
    } else if ((m = /^\s*(?:([-*+•])|(\d{1,4})[.)])\s+(.*)$/.exec(line))) {
      const tag = m[1] ? "UL" : "OL";
      if (!block || block.tagName !== tag) {
        block = el(tag.toLowerCase(), { start: m[2] && m[2] !== "1" ? m[2] : null });
        out.append(block);
      }
      item = el("li", { dir: "auto" });
      renderInline(m[3], item, cite);
      block.append(item);
    } else if ((m = /^\s*>\s?(.*)$/.exec(line))) {
      if (!block || block.tagName !== "BLOCKQUOTE") {
        block = el("blockquote", { dir: "auto" });
        item = null;
        out.append(block);
      } else {
        block.append(el("br"));
      }
      renderInline(m[1], block, cite);
    } else if (item && /^\s/.test(line)) {
      item.append(" ");
      renderInline(line.trim(), item, cite);
    } else if (block && block.tagName === "P") {
      block.append(el("br"));
      renderInline(line, block, cite);
    } else {
      item = null;
      block = el("p", { dir: "auto" });
      renderInline(line, block, cite);
      out.append(block);
    }
  }
  target.replaceChildren(out);
}
