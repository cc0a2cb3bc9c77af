/* An answer for the clipboard, as clean text and as HTML: what a reader pastes into an e-mail
 * or a document looks like the answer on screen, not like its Markdown (`**…**`, `[title](url)`).
 *
 * Both are read off the answer as rendered (renderMarkdown's elements), with the citation
 * buttons as "[n]" and without the hosts shown beside links, then the numbered sources with
 * their links, each opened at the sentences quoted (fragments.js). */

import { el, safeUrl } from "./dom.js";
import { isPdf, quoteLink } from "./fragments.js";

/** The link that opens citation `c` at what the answer quotes of it. */
export function sourceLink(c, evidence) {
  const url = safeUrl(c.url);
  if (!url) return null;
  const group = (Array.isArray(evidence) ? evidence : []).find((g) => g && Number(g.citation) === Number(c.number));
  const quotes = group && Array.isArray(group.items) ? group.items.map((i) => i.text) : String(c.quote || "").split(" … ");
  return quoteLink(url, quotes.filter(Boolean), { pdf: isPdf(url, c.source) });
}

/** The rendered answer `body` as a detached copy fit to paste: buttons become their text,
 * hosts and language badges go, and only href, lang and dir attributes stay. */
function cleanCopy(body) {
  const copy = body.cloneNode(true);
  for (const node of copy.querySelectorAll(".host, .lang")) node.remove();
  for (const button of copy.querySelectorAll("button")) button.replaceWith(button.textContent);
  for (const node of copy.querySelectorAll("*")) {
    for (const name of node.getAttributeNames()) {
      if (!["href", "lang", "dir"].includes(name)) node.removeAttribute(name);
    }
  }
  return copy;
}

/** Lines of plain text for the blocks of `root` (paragraphs, headings, lists, quotes). */
function plainLines(root) {
  const lines = [];
  for (const block of root.children) {
    const text = (node) => node.textContent.replace(/\s+/g, " ").trim();
    if (block.tagName === "UL" || block.tagName === "OL") {
      const start = Number(block.getAttribute("start") || 1);
      [...block.children].forEach((li, i) => lines.push((block.tagName === "OL" ? start + i + ". " : "- ") + text(li)));
    } else if (block.tagName === "BLOCKQUOTE") {
      lines.push("> " + text(block));
    } else {
      if (lines.length) lines.push("");
      lines.push(text(block));
    }
  }
  return lines;
}

/** The rendered answer `body` as plain text: what a screen reader is told once it is complete. */
export function plainText(body) {
  return plainLines(cleanCopy(body)).join("\n");
}

/** {plain, html} of an answer: its rendered `body`, then `citations` as numbered sources
 * headed `label`, each line made by `describe(c)` (place, year, section) and its link. */
export function answerForClipboard(body, citations, evidence, label, describe) {
  const copy = cleanCopy(body);
  const sources = (Array.isArray(citations) ? citations : []).map((c) => ({ c, href: sourceLink(c, evidence) }));
  const plain = plainLines(copy);
  if (sources.length) {
    plain.push("", label + ":");
    for (const { c, href } of sources) {
      plain.push(["[" + c.number + "] " + (c.title || c.source || ""), describe(c), href].filter(Boolean).join(" — "));
    }
  }
  const html = el("div", {}, [...copy.childNodes]);
  if (sources.length) {
    html.append(el("p", {}, [el("strong", { text: label + ":" })]), el("ol", {}, sources.map(({ c, href }) => el("li", { value: String(c.number) }, [
      href ? el("a", { href, text: c.title || c.source || href }) : c.title || c.source || "",
      describe(c) ? " — " + describe(c) : null
    ]))));
  }
  return { plain: plain.join("\n"), html: html.innerHTML };
}

/** Put `plain` and `html` on the clipboard (both types where the browser can, else the text). */
export async function copyBoth({ plain, html }, root) {
  try {
    if (typeof ClipboardItem !== "undefined" && navigator.clipboard && navigator.clipboard.write) {
      const item = new ClipboardItem({
        "text/plain": new Blob([plain], { type: "text/plain" }),
        "text/html": new Blob([html], { type: "text/html" })
      });
      await navigator.clipboard.write([item]);
      return true;
    }
    await navigator.clipboard.writeText(plain);
    return true;
  } catch (e) {
    const area = el("textarea", { class: "sr", readonly: true, "aria-hidden": "true", tabindex: "-1" });
    area.value = plain;
    root.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
