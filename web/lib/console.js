/* The admin console (/admin): documents, sync, feedback, gaps, approved answers and briefing notes.
 *
 * An ES module loaded by web/admin.html under a strict Content-Security-Policy: no inline
 * script or style, nothing from other hosts. The admin key is typed in, kept in this tab's
 * sessionStorage only, and sent as Authorization: Bearer; a refused key (401 or 403 from any
 * admin call) locks the console again. Text from the service reaches the page as text only. */

import { answersPage, draftFromBrief } from "./answers.js";
import { adminClient, ApiError, fileNameOf, query, saveBlob } from "./api.js";
import { barChart, columnChart } from "./chart.js";
import { LANGUAGE_NAMES, STRINGS } from "./console-strings.js";
import { el } from "./dom.js";
import { browserLanguages, direction, format, pickLanguage } from "./i18n.js";
import { plainCite, renderMarkdown } from "./render.js";

const BASE = new URL("..", import.meta.url).href.replace(/\/+$/, "");
const KEY_STORE = "icc-console:key";
const LANG_STORE = "icc-console:lang";
const READ_CHARS = 20000;
const POLL_MS = 1000;

// ---- language ----
const asked = new URLSearchParams(location.search).get("lang");
const LANG = pickLanguage([asked, readStore(LANG_STORE)].concat(browserLanguages()), STRINGS);
const T = Object.assign({}, STRINGS.en, STRINGS[LANG]);
const RTL = direction(LANG) === "rtl";
const numbers = new Intl.NumberFormat(LANG);
const dates = new Intl.DateTimeFormat(LANG, { dateStyle: "medium", timeStyle: "short" });

function readStore(key) {
  try {
    return sessionStorage.getItem(key);
  } catch (e) {
    return null;
  }
}

function writeStore(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch (e) {
    /* storage disabled: the key lives as long as the page */
  }
}

let memoryKey = null; // only while a key is being tried, or where sessionStorage is disabled
const currentKey = () => readStore(KEY_STORE) || memoryKey;
const api = adminClient(BASE, currentKey, (error) => lock(refusalText(error)));

function refusalText(error) {
  if (error.status === 403) return T.refusedNotAdmin;
  return NO_ADMIN_KEY ? T.noAdminKey : T.refusedUnknown + " " + T.setAdminKey;
}

/** What to tell the user about a failed call. */
function problem(error) {
  if (error instanceof ApiError) {
    if (error.status === 0) return T.unreachable;
    if (error.status === 429) return T.busy;
    return format(T.failed, { message: error.message });
  }
  return format(T.failed, { message: String((error && error.message) || error) });
}

const when = (iso) => {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dates.format(date);
};
const count = (n) => numbers.format(Number(n) || 0);
const days = new Intl.DateTimeFormat(LANG, { dateStyle: "medium", timeZone: "UTC" });
/** A day ("2026-03-12") in the interface language. */
const day = (iso) => {
  const date = new Date(String(iso) + "T00:00:00Z");
  return Number.isNaN(date.getTime()) ? String(iso || "—") : days.format(date);
};

// ---- page frame ----
document.documentElement.lang = LANG;
document.documentElement.dir = RTL ? "rtl" : "ltr";
document.title = T.title;

const app = document.getElementById("app") || document.body.appendChild(el("div", { id: "app" }));
const live = el("p", { class: "sr", role: "status", "aria-live": "polite" });

function announce(text) {
  live.textContent = "";
  if (text) setTimeout(() => { live.textContent = text; }, 50);
}

const languageSelect = el("select", { id: "ui-lang", onchange: () => {
  writeStore(LANG_STORE, languageSelect.value);
  const url = new URL(location.href);
  url.searchParams.set("lang", languageSelect.value);
  location.assign(url.href);
} }, Object.keys(STRINGS).map((code) => el("option", { value: code, lang: code, text: LANGUAGE_NAMES[code], selected: code === LANG })));
const signOutButton = el("button", { type: "button", class: "quiet", hidden: true, text: T.signOut, onclick: () => lock(T.signedOut) });

const header = el("header", { class: "top" }, [
  el("h1", { text: T.title }),
  el("div", { class: "top-tools" }, [
    el("label", { for: "ui-lang", text: T.language }), languageSelect, signOutButton
  ])
]);

// ---- sign in ----
const keyInput = el("input", { id: "admin-key", type: "password", autocomplete: "off", spellcheck: "false", required: true, "aria-describedby": "key-help" });
const signInError = el("p", { class: "error", role: "alert", id: "signin-error" });
const signInButton = el("button", { type: "submit", class: "primary", text: T.signIn });
// A service with no admin key marks the page (<meta name="icc-admin-keys" content="none">):
// its first run says how to set one, rather than wait for a key that cannot work.
const NO_ADMIN_KEY = document.querySelector('meta[name="icc-admin-keys"]')?.content === "none";
const signIn = el("section", { class: "signin card", "aria-labelledby": "signin-title" }, [
  el("h2", { id: "signin-title", text: T.signInTitle }),
  NO_ADMIN_KEY ? el("div", { class: "first-run", role: "note" }, [
    el("p", { class: "strong", text: T.noAdminKey }),
    el("p", { text: T.setAdminKey })
  ]) : null,
  el("p", { id: "key-help", text: T.signInHelp }),
  el("form", { onsubmit: (event) => { event.preventDefault(); tryKey(keyInput.value.trim()); } }, [
    el("label", { for: "admin-key", text: T.adminKey }),
    el("div", { class: "row" }, [keyInput, signInButton])
  ]),
  signInError
]);

async function tryKey(key) {
  if (!key) return;
  signInButton.disabled = true;
  signInError.textContent = "";
  memoryKey = key;
  try {
    await api.json("/api/feedback" + query({ limit: 1 })); // any admin route: is the key an admin's?
    writeStore(KEY_STORE, key);
    if (readStore(KEY_STORE) === key) memoryKey = null;
    keyInput.value = "";
    unlock(true);
  } catch (error) {
    memoryKey = null;
    if (!(error instanceof ApiError && (error.status === 401 || error.status === 403))) {
      signInError.textContent = problem(error);
    }
  } finally {
    signInButton.disabled = false;
  }
}

/** Forget the key and show the sign-in form with `message` (a refusal or "signed out"). */
function lock(message) {
  memoryKey = null;
  writeStore(KEY_STORE, null);
  for (const page of PAGES) page.leave();
  consoleBody.hidden = true;
  signOutButton.hidden = true;
  signIn.hidden = false;
  signInError.textContent = message || "";
  keyInput.focus();
}

function unlock(moveFocus) {
  signIn.hidden = true;
  signInError.textContent = "";
  consoleBody.hidden = false;
  signOutButton.hidden = false;
  const name = location.hash.slice(1);
  select(PAGES.find((page) => page.id === name) || PAGES[0], moveFocus);
}

// ---- shared pieces ----
function field(id, label, control, hint) {
  control.id = id;
  if (hint) control.setAttribute("aria-describedby", id + "-hint");
  return el("div", { class: "field" }, [
    el("label", { for: id, text: label }),
    control,
    hint ? el("small", { id: id + "-hint", text: hint }) : null
  ]);
}

function choice(options, anyLabel) {
  return el("select", {}, [el("option", { value: "", text: anyLabel || T.any })].concat(options || []));
}

function fillSelect(control, facets, keep, labelOf) {
  const chosen = keep ? control.value : "";
  control.replaceChildren(control.options[0]);
  for (const facet of Array.isArray(facets) ? facets : []) {
    const name = (labelOf && labelOf(facet.value)) || facet.value;
    control.append(el("option", { value: facet.value, text: name + " (" + count(facet.count) + ")", selected: facet.value === chosen }));
  }
}

/** Filter controls with the names GET /api/search takes; facets fill the lists. */
function filterControls(prefix) {
  const controls = {
    city: choice(),
    country: choice(),
    doc_type: choice(),
    topic: choice(),
    language: choice(),
    year_from: el("input", { type: "number", min: "1900", max: "2100", inputmode: "numeric" }),
    year_to: el("input", { type: "number", min: "1900", max: "2100", inputmode: "numeric" })
  };
  const labels = { city: T.city, country: T.country, doc_type: T.docType, topic: T.topic, language: T.docLanguage, year_from: T.yearFrom, year_to: T.yearTo };
  const fields = Object.keys(controls).map((name) => field(prefix + "-" + name, labels[name], controls[name]));
  return {
    controls,
    fields,
    values() {
      const values = {};
      for (const [name, control] of Object.entries(controls)) {
        const value = control.value.trim();
        if (value) values[name] = name.startsWith("year_") ? Number(value) : value;
      }
      return values;
    },
    clear() {
      for (const control of Object.values(controls)) control.value = "";
    }
  };
}

let facetsRequest = null;
function facets() {
  if (!facetsRequest) {
    facetsRequest = api.json("/api/facets").catch((error) => {
      facetsRequest = null;
      throw error;
    });
  }
  return facetsRequest;
}

async function fillFilters(filters) {
  try {
    const found = await facets();
    fillSelect(filters.controls.city, found.cities, true);
    fillSelect(filters.controls.country, found.countries, true);
    fillSelect(filters.controls.doc_type, found.doc_types, true, (value) => T["type_" + value]);
    fillSelect(filters.controls.topic, found.topics, true);
    fillSelect(filters.controls.language, found.languages, true, (value) => LANGUAGE_NAMES[value]);
  } catch (e) {
    /* the lists stay at "Any": typing is not needed to use the rest */
  }
}

function message(kind) {
  return el("p", { class: "message " + kind, role: kind === "error" ? "alert" : "status" });
}

function setMessage(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

/** Rows as a table that turns into labelled cards on narrow screens. */
function table(caption, columns, rows) {
  return el("table", { class: "grid" }, [
    el("caption", { class: "sr", text: caption }),
    el("thead", {}, [el("tr", {}, columns.map((c) => el("th", { scope: "col", text: c.label })))]),
    el("tbody", {}, rows.map((row) => el("tr", {}, columns.map((c) => {
      const value = c.value(row);
      return el("td", { "data-label": c.label, dir: c.auto ? "auto" : null }, [value instanceof Node ? value : String(value === null || value === undefined || value === "" ? "—" : value)]);
    }))))
  ]);
}

function csvCell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = "'" + text; // a spreadsheet would run it as a formula
  return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

function toCsv(columns, rows) {
  return [columns.join(",")].concat(rows.map((row) => columns.map((c) => csvCell(row[c])).join(","))).join("\n") + "\n";
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

// ---- Documents ----
function documentsPage() {
  const filters = filterControls("doc");
  const summary = el("p", { class: "summary", role: "status" });
  const list = el("ul", { class: "docs" });
  const error = message("error");
  const readerTitle = el("h3", { id: "reader-title", tabindex: "-1", dir: "auto" });
  const readerMeta = el("p", { class: "meta", dir: "auto" });
  const readerText = el("div", { class: "doc-text", dir: "auto" });
  const readerScores = el("div", { class: "doc-scores", hidden: true });
  const readerError = message("error");
  const more = el("button", { type: "button", hidden: true, text: T.loadMore });
  const reader = el("section", { class: "reader card", hidden: true, "aria-labelledby": "reader-title" }, [
    el("div", { class: "reader-head" }, [readerTitle, el("button", { type: "button", class: "quiet", text: T.close, onclick: closeReader })]),
    readerMeta, readerScores, readerText, readerError, more
  ]);
  const fileInput = el("input", { type: "file", accept: ".txt,.md,.markdown,.html,.htm,.pdf", required: true });
  const uploadButton = el("button", { type: "submit", class: "primary", text: T.upload });
  const uploadResult = message("status");
  const uploadError = message("error");
  const confirmText = el("p", { dir: "auto" });
  const confirmButton = el("button", { type: "button", class: "danger", text: T.deleteConfirm });
  const cancelButton = el("button", { type: "button", text: T.cancel });
  const dialog = el("dialog", { class: "confirm", "aria-labelledby": "confirm-title" }, [
    el("h3", { id: "confirm-title", text: T.deleteTitle }),
    confirmText,
    el("p", { text: T.deleteWarning }),
    el("div", { class: "row end" }, [cancelButton, confirmButton])
  ]);
  let documents = [];
  let readingId = null;
  let readFrom = null;
  let pending = null;
  let lastFocus = null;

  const panel = [
    el("h2", { id: "documents-title", text: T.documents }),
    el("form", { class: "filters card", "aria-label": T.filters, onsubmit: (event) => { event.preventDefault(); load(); } }, [
      el("div", { class: "fields" }, filters.fields),
      el("div", { class: "row" }, [
        el("button", { type: "submit", class: "primary", text: T.apply }),
        el("button", { type: "button", text: T.clear, onclick: () => { filters.clear(); load(); } })
      ])
    ]),
    error, summary, list, reader,
    el("section", { class: "upload card", "aria-labelledby": "upload-title" }, [
      el("h3", { id: "upload-title", text: T.uploadTitle }),
      el("form", { onsubmit: (event) => { event.preventDefault(); upload(); } }, [
        field("upload-file", T.file, fileInput, T.uploadHelp),
        el("div", { class: "row" }, [uploadButton])
      ]),
      uploadResult, uploadError
    ]),
    dialog
  ];

  cancelButton.addEventListener("click", () => dialog.close());
  confirmButton.addEventListener("click", () => remove());
  dialog.addEventListener("close", () => {
    pending = null;
    if (lastFocus && lastFocus.isConnected) lastFocus.focus();
  });

  async function load() {
    setMessage(error, "");
    const wanted = filters.values();
    try {
      const body = await api.json("/api/sources" + query(wanted));
      // The server filters (by /api/search's rules: city aliases, year ranges); the page shows
      // what it lists.
      documents = Array.isArray(body.documents) ? body.documents.slice() : [];
      documents.sort((a, b) => String(a.title).localeCompare(String(b.title), LANG));
      show();
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    }
  }

  function describe(doc) {
    const where = [doc.city, doc.country].filter(Boolean).join(", ");
    return [where, doc.year, T["type_" + doc.doc_type] || doc.doc_type, (doc.language || "").toUpperCase(), doc.chunks !== undefined ? format(T.passages, { n: count(doc.chunks) }) : null]
      .filter((part) => part !== null && part !== undefined && part !== "").join(" · ");
  }

  function show() {
    summary.textContent = format(T.documentCount, { n: count(documents.length) });
    list.replaceChildren(...documents.map((doc) => el("li", { class: "doc", "data-doc-id": doc.doc_id }, [
      el("div", { class: "doc-main" }, [
        el("p", { class: "doc-title", dir: "auto", text: doc.title || doc.doc_id }),
        el("p", { class: "meta", dir: "auto", text: describe(doc) }),
        el("p", { class: "id", dir: "ltr", text: doc.doc_id })
      ]),
      el("div", { class: "row actions" }, [
        el("button", { type: "button", text: T.read, "aria-label": format(T.readNamed, { title: doc.title || doc.doc_id }), onclick: () => read(doc, 0) }),
        el("button", { type: "button", class: "danger-quiet", text: T.delete, "aria-label": format(T.deleteNamed, { title: doc.title || doc.doc_id }), onclick: (event) => ask(doc, event.currentTarget) })
      ])
    ])));
  }

  function docPath(id) {
    return "/api/documents/" + String(id).split("/").map(encodeURIComponent).join("/");
  }

  async function read(doc, offset) {
    setMessage(readerError, "");
    if (offset === 0) {
      readingId = doc.doc_id;
      reader.hidden = false;
      readerTitle.textContent = doc.title || doc.doc_id;
      readerMeta.textContent = describe(doc);
      readerText.replaceChildren(el("p", { class: "pending", text: T.loading }));
      readerScores.replaceChildren();
      readerScores.hidden = true;
      more.hidden = true;
      readerTitle.focus();
      if (doc.doc_type === "index_report") showScores(doc);
    }
    try {
      const body = await api.json(docPath(doc.doc_id) + query({ offset, limit: READ_CHARS }));
      if (readingId !== doc.doc_id) return;
      const meta = body.document || body.metadata || {};
      if (meta.title) readerTitle.textContent = meta.title;
      const text = typeof body.text === "string" ? body.text : "";
      const part = el("div", { class: "part" });
      renderMarkdown(text, part, plainCite);
      if (offset === 0) readerText.replaceChildren(part);
      else readerText.append(part);
      const next = body.next_offset;
      readFrom = typeof next === "number" && next > offset ? next : null;
      more.hidden = readFrom === null;
      const total = body.total_chars || body.total || null;
      readerMeta.textContent = describe(Object.assign({}, doc, meta)) + (total ? " · " + format(T.characters, { n: count(total) }) : "");
    } catch (e) {
      if (readingId !== doc.doc_id) return;
      if (offset === 0) readerText.replaceChildren();
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) {
        setMessage(readerError, e instanceof ApiError && (e.status === 404 || e.status === 405) && e.type !== "not_found" ? T.readUnavailable : problem(e));
      }
    }
  }
  /** An Index report's results as the index read them (GET /api/scores?doc_id=), each with
   * the sentence or table row it was read from. */
  async function showScores(doc) {
    try {
      const body = await api.json("/api/scores" + query({ doc_id: doc.doc_id }));
      if (readingId !== doc.doc_id) return;
      const rows = Array.isArray(body.rows) ? body.rows : [];
      readerScores.replaceChildren(rows.length ? scoreTable(rows) : el("p", { class: "meta", text: T.scoresNone }));
      readerScores.hidden = false;
    } catch (e) {
      if (readingId !== doc.doc_id) return;
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(readerError, problem(e));
    }
  }

  function scoreTable(rows) {
    const grid = table(T.scoresTitle, [
      { label: T.scoreIndicator, auto: true, value: (r) => indicatorCell(r) },
      { label: T.scoreValue, value: (r) => figure(r, r.value) },
      { label: T.scoreSample, value: (r) => sampleOf(r) },
      { label: T.scoreYear, value: (r) => r.year || "—" },
      { label: T.scoreQuote, auto: true, value: (r) => el("q", { class: "quote", text: r.quote }) }
    ], rows);
    grid.classList.add("scores");
    grid.caption.className = "scores-caption";
    return grid;
  }

  function indicatorCell(row) {
    const label = row.label || row.indicator;
    return el("span", {}, [label, label !== row.indicator ? el("span", { class: "id", dir: "ltr", text: " (" + row.indicator + ")" }) : null]);
  }

  /** A figure in its unit: "64 %", "81 / 100", "#23 / 93". */
  function figure(row, value) {
    const n = numbers.format(Number(value));
    if (row.unit === "percent") return n + " %";
    if (row.unit === "rank") return "#" + n + (row.out_of ? " / " + count(row.out_of) : "");
    return n + (row.out_of ? " / " + count(row.out_of) : "");
  }

  /** The sample's score beside the city's, or for a rank the number of cities ranked. */
  function sampleOf(row) {
    if (row.sample_value !== null && row.sample_value !== undefined) return figure(row, row.sample_value);
    if (row.unit === "rank" && row.out_of) return format(T.scoreRankSample, { n: count(row.out_of) });
    return "—";
  }

  more.addEventListener("click", () => {
    const doc = documents.find((d) => d.doc_id === readingId);
    if (doc && readFrom !== null) read(doc, readFrom);
  });

  function closeReader() {
    const id = readingId;
    readingId = null;
    reader.hidden = true;
    const row = Array.from(list.children).find((li) => li.getAttribute("data-doc-id") === id);
    if (row) row.querySelector("button").focus();
  }

  function ask(doc, button) {
    pending = doc;
    lastFocus = button;
    confirmText.textContent = format(T.deleteWhich, { title: doc.title || doc.doc_id, id: doc.doc_id });
    dialog.showModal();
    cancelButton.focus();
  }

  async function remove() {
    const doc = pending;
    if (!doc) return;
    confirmButton.disabled = true;
    try {
      await api.request(docPath(doc.doc_id), { method: "DELETE" });
      lastFocus = null;
      dialog.close();
      if (readingId === doc.doc_id) closeReader();
      documents = documents.filter((d) => d.doc_id !== doc.doc_id);
      facetsRequest = null;
      show();
      summary.focus();
      announce(format(T.deleted, { title: doc.title || doc.doc_id }));
    } catch (e) {
      dialog.close();
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    } finally {
      confirmButton.disabled = false;
    }
  }

  async function upload() {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    setMessage(uploadResult, "");
    setMessage(uploadError, "");
    uploadButton.disabled = true;
    uploadButton.textContent = T.uploading;
    try {
      const form = new FormData();
      form.append("file", file, file.name);
      const result = await api.json("/api/documents", { method: "POST", body: form });
      const status = T["status_" + result.status] || result.status;
      const text = format(T.uploaded, { name: result.source || file.name, status, n: count(result.chunks || 0) }) + (result.message ? " " + result.message : "");
      if (result.status === "failed") setMessage(uploadError, text);
      else setMessage(uploadResult, text);
      fileInput.value = "";
      facetsRequest = null;
      await load();
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(uploadError, problem(e));
    } finally {
      uploadButton.disabled = false;
      uploadButton.textContent = T.upload;
    }
  }

  summary.setAttribute("tabindex", "-1");
  return { id: "documents", label: T.documents, panel, enter() { fillFilters(filters); load(); }, leave() { if (dialog.open) dialog.close(); } };
}

// ---- Sync ----
function syncPage() {
  const urls = el("textarea", { rows: "3", dir: "ltr", spellcheck: "false" });
  const allow = el("textarea", { rows: "3", dir: "ltr", spellcheck: "false" });
  const maxPages = el("input", { type: "number", min: "1", max: "1000000", inputmode: "numeric" });
  const delay = el("input", { type: "number", min: "0", max: "3600", step: "any", inputmode: "decimal" });
  const prune = el("input", { type: "checkbox", id: "sync-prune" });
  const dryRun = el("input", { type: "checkbox", id: "sync-dry" });
  const startButton = el("button", { type: "submit", class: "primary", text: T.syncStart });
  const stopButton = el("button", { type: "button", class: "danger", text: T.syncStop, onclick: stop });
  const progress = el("div", { class: "progress card", role: "status", hidden: true });
  const error = message("error");
  const note = message("status");
  const runs = el("div", { class: "runs" });
  let timer = null;
  let active = false;

  const lines = (area) => area.value.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);

  const panel = [
    el("h2", { id: "sync-title", text: T.sync }),
    el("p", { text: T.syncHelp }),
    el("form", { class: "card", onsubmit: (event) => { event.preventDefault(); start(); } }, [
      el("div", { class: "fields wide" }, [
        field("sync-urls", T.syncUrls, urls, T.oneALine),
        field("sync-allow", T.syncAllow, allow, T.oneALine)
      ]),
      el("div", { class: "fields" }, [
        field("sync-max", T.syncMaxPages, maxPages),
        field("sync-delay", T.syncDelay, delay)
      ]),
      el("div", { class: "checks" }, [
        el("label", { for: "sync-prune" }, [prune, " ", T.syncPrune]),
        el("label", { for: "sync-dry" }, [dryRun, " ", T.syncDryRun])
      ]),
      el("div", { class: "row" }, [startButton, stopButton])
    ]),
    error, note, progress,
    el("div", { class: "row spread" }, [
      el("h3", { text: T.syncRuns }),
      el("button", { type: "button", text: T.refresh, onclick: () => refresh() })
    ]),
    runs
  ];

  async function start() {
    setMessage(error, "");
    setMessage(note, "");
    const body = { urls: lines(urls), allow: lines(allow), prune: prune.checked, dry_run: dryRun.checked };
    if (maxPages.value) body.max_pages = Number(maxPages.value);
    if (delay.value) body.delay = Number(delay.value);
    startButton.disabled = true;
    try {
      const started = await api.json("/api/sync", { method: "POST", json: body });
      setMessage(note, format(started.resumed ? T.syncResumed : T.syncStarted, { id: started.run_id }));
      await refresh();
    } catch (e) {
      if (e instanceof ApiError && e.type === "sync_busy") setMessage(error, T.syncBusy);
      else if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    } finally {
      startButton.disabled = false;
    }
  }

  async function stop() {
    setMessage(error, "");
    try {
      const stopping = await api.json("/api/sync", { method: "DELETE" });
      setMessage(note, format(T.syncStopping, { id: stopping.run_id }));
      await refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setMessage(note, T.syncNoneRunning);
      else if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    }
  }

  const COUNTS = ["requests", "fetched", "not_modified", "added", "updated", "unchanged", "removed", "gone", "skipped", "errors"];

  function countsList(counts) {
    return el("dl", { class: "counts" }, COUNTS.flatMap((name) => [
      el("dt", { text: T["count_" + name] }), el("dd", { text: count((counts || {})[name]) })
    ]));
  }

  function runCard(run) {
    const errors = Array.isArray(run.errors) ? run.errors : [];
    const options = run.options || {};
    return el("article", { class: "run card status-" + run.status, "aria-labelledby": "run-" + run.run_id }, [
      el("h4", { id: "run-" + run.run_id }, [
        format(T.runTitle, { id: run.run_id }), " ",
        el("span", { class: "badge " + run.status, text: T["run_" + run.status] || run.status })
      ]),
      el("p", { class: "meta", text: format(T.runTimes, { start: when(run.started_at), end: when(run.finished_at) }) }),
      options.urls && options.urls.length ? el("p", { class: "meta id", dir: "ltr", text: options.urls.join(" · ") }) : null,
      countsList(run.counts),
      run.failure ? el("p", { class: "error", dir: "auto", text: run.failure }) : null,
      errors.length ? el("details", { class: "errors" }, [
        el("summary", { text: format(T.runErrors, { n: count(errors.length) }) }),
        el("ul", {}, errors.map((issue) => el("li", {}, [el("span", { class: "id", dir: "ltr", text: issue.url }), " — ", el("span", { dir: "auto", text: issue.message })])))
      ]) : null
    ]);
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const body = await api.json("/api/sync" + query({ limit: 20 }));
      const list = Array.isArray(body.runs) ? body.runs : [];
      const running = list.find((run) => run.status === "running");
      runs.replaceChildren(...(list.length ? list.map(runCard) : [el("p", { class: "meta", text: T.syncNoRuns })]));
      progress.hidden = !running;
      stopButton.disabled = !running;
      if (running) {
        const c = running.counts || {};
        const max = (running.options && running.options.max_pages) || 0;
        progress.replaceChildren(
          el("p", { text: format(T.syncProgress, { id: running.run_id, requests: count(c.requests), fetched: count(c.fetched), added: count(c.added), updated: count(c.updated), errors: count(c.errors) }) }),
          max ? el("progress", { max: String(max), value: String(Math.min(max, c.requests || 0)), "aria-label": T.sync }) : null
        );
        if (active) timer = setTimeout(refresh, POLL_MS);
      }
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    }
  }

  return { id: "sync", label: T.sync, panel, enter() { active = true; refresh(); }, leave() { active = false; clearTimeout(timer); } };
}

// ---- Feedback ----
function feedbackPage() {
  const error = message("error");
  const note = message("status");
  const holder = el("div");
  const more = el("button", { type: "button", hidden: true, text: T.loadMore, onclick: () => load(true) });
  let items = [];
  let nextBefore = null;

  const panel = [
    el("h2", { id: "feedback-title", text: T.feedback }),
    el("p", { text: T.feedbackHelp }),
    el("div", { class: "row" }, [
      el("button", { type: "button", text: T.downloadJson, onclick: () => exportAll("json") }),
      el("button", { type: "button", text: T.downloadCsv, onclick: () => exportAll("csv") }),
      el("button", { type: "button", text: T.refresh, onclick: () => load(false) })
    ]),
    error, note, holder, more
  ];

  const COLUMNS = [
    { label: T.date, value: (row) => when(row.created_at) },
    { label: T.rating, value: (row) => el("span", { class: "badge " + row.rating, text: row.rating === "up" ? T.ratingUp : T.ratingDown }) },
    { label: T.reason, value: (row) => row.reason, auto: true },
    { label: T.question, value: (row) => row.question, auto: true }
  ];

  async function load(next) {
    setMessage(error, "");
    try {
      const body = await api.json("/api/feedback" + query({ limit: 100, before: next ? nextBefore : null }));
      const page = Array.isArray(body.items) ? body.items : [];
      items = next ? items.concat(page) : page;
      nextBefore = body.next_before || null;
      more.hidden = !nextBefore;
      holder.replaceChildren(items.length ? table(T.feedback, COLUMNS, items) : el("p", { class: "meta", text: T.feedbackNone }));
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    }
  }

  async function exportAll(kind) {
    setMessage(error, "");
    try {
      let all = [];
      let before = null;
      for (let page = 0; page < 1000; page++) {
        const body = await api.json("/api/feedback" + query({ limit: 1000, before }));
        all = all.concat(Array.isArray(body.items) ? body.items : []);
        before = body.next_before || null;
        if (!before) break;
      }
      const name = "feedback-" + today() + "." + kind;
      const blob = kind === "json"
        ? new Blob([JSON.stringify({ items: all }, null, 2) + "\n"], { type: "application/json" })
        : new Blob([toCsv(["id", "created_at", "rating", "reason", "question", "answer_id"], all)], { type: "text/csv;charset=utf-8" });
      saveBlob(blob, name);
      setMessage(note, format(T.saved, { name }));
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    }
  }

  return { id: "feedback", label: T.feedback, panel, enter() { load(false); }, leave() {} };
}

// ---- Gaps ----
function gapsPage() {
  const since = el("input", { type: "date" });
  const until = el("input", { type: "date" });
  const error = message("error");
  const note = message("status");
  const report = el("div", { class: "report" });

  const panel = [
    el("h2", { id: "gaps-title", text: T.gaps }),
    el("p", { text: T.gapsHelp }),
    el("form", { class: "card", onsubmit: (event) => { event.preventDefault(); load(); } }, [
      el("div", { class: "fields" }, [field("gaps-since", T.since, since), field("gaps-until", T.until, until)]),
      el("div", { class: "row" }, [
        el("button", { type: "submit", class: "primary", text: T.apply }),
        el("button", { type: "button", text: T.downloadCsv, onclick: download })
      ])
    ]),
    error, note, report
  ];

  const range = () => ({ since: since.value || null, until: until.value || null });

  /** Every day from the first to the last of `days`, those without gaps at 0. */
  function everyDay(days) {
    if (!days.length) return [];
    const counts = new Map(days.map((d) => [String(d.day), d.count]));
    const out = [];
    const first = new Date(String(days[0].day) + "T00:00:00Z");
    const last = new Date(String(days[days.length - 1].day) + "T00:00:00Z");
    for (let d = first; d <= last && out.length < 400; d = new Date(d.getTime() + 86400000)) {
      const key = d.toISOString().slice(0, 10);
      out.push({ key, count: counts.get(key) || 0 });
    }
    return out;
  }

  function section(title, items, chart) {
    return el("section", { class: "card chart-box" }, [
      el("h3", { text: title }),
      items.length ? chart : el("p", { class: "meta", text: T.gapsNone }),
      items.length ? el("ul", { class: "sr" }, items.map((i) => el("li", { text: i.key + ": " + count(i.count) }))) : null
    ]);
  }

  async function load() {
    setMessage(error, "");
    try {
      const body = await api.json("/api/admin/gaps" + query(range()));
      const kinds = body.by_kind || {};
      const days = everyDay(Array.isArray(body.by_day) ? body.by_day.slice().sort((a, b) => String(a.day).localeCompare(String(b.day))) : []);
      const lists = { topic: body.by_topic || [], city: body.by_city || [], language: body.by_language || [] };
      const examples = Array.isArray(body.examples) ? body.examples : [];
      report.replaceChildren(
        el("p", { class: "summary", text: format(T.gapsTotal, { n: count(body.total), unanswered: count(kinds.no_evidence), down: count(kinds.thumbs_down) }) }),
        section(T.overTime, days, columnChart(days, format(T.chartOverTime, { n: count(body.total) }))),
        el("div", { class: "charts" }, [
          section(T.byTopic, lists.topic, barChart(lists.topic.slice(0, 12), T.byTopic)),
          section(T.byCity, lists.city, barChart(lists.city.slice(0, 12), T.byCity)),
          section(T.byLanguage, lists.language, barChart(lists.language.slice(0, 12), T.byLanguage))
        ]),
        el("section", { class: "card" }, [
          el("h3", { text: T.examples }),
          !body.keeps_text ? el("p", { class: "meta", text: T.examplesOff }) :
            examples.length ? el("ul", { class: "examples" }, examples.map(example)) : el("p", { class: "meta", text: T.gapsNone })
        ])
      );
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    }
  }

  /** An example gap: answered by an approved answer, or a button to write one from it. */
  function example(ex) {
    return el("li", {}, [
      el("span", { class: "meta", text: ex.day + " · " + (ex.kind === "thumbs_down" ? T.ratingDown : T.kindUnanswered) + (ex.language ? " · " + ex.language.toUpperCase() : "") + " — " }),
      el("span", { dir: "auto", lang: ex.language || null, text: ex.text }), " ",
      ex.answered_by ? el("span", { class: "badge finished", text: T.gapAnswered }) : el("button", {
        type: "button", class: "small", text: T.approveAsAnswer, "aria-label": `${T.approveAsAnswer}: ${ex.text}`,
        onclick: () => approve({ question: ex.text, language: ex.language }, T.fromGap)
      })
    ]);
  }

  async function download() {
    setMessage(error, "");
    try {
      const name = await api.download("/api/admin/gaps" + query(Object.assign({ format: "csv" }, range())), {}, "gaps.csv");
      setMessage(note, format(T.saved, { name }));
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    }
  }

  return { id: "gaps", label: T.gaps, panel, enter() { load(); }, leave() {} };
}

// ---- Brief ----
function briefPage() {
  const question = el("textarea", { rows: "3", required: true, maxlength: "2000", dir: "auto" });
  const language = el("select", {}, [el("option", { value: "", text: T.briefLanguageAuto })].concat(
    Object.keys(STRINGS).map((code) => el("option", { value: code, lang: code, text: LANGUAGE_NAMES[code] }))));
  const filters = filterControls("brief");
  const FORMATS = [["md", T.formatMd], ["html", T.formatHtml], ["docx", T.formatDocx], ["json", T.formatJson]];
  const formats = el("fieldset", { class: "formats" }, [el("legend", { text: T.format })].concat(FORMATS.map(([value, label], i) =>
    el("label", { for: "brief-format-" + value }, [el("input", { type: "radio", name: "brief-format", id: "brief-format-" + value, value, checked: i === 0 }), " ", label]))));
  const writeButton = el("button", { type: "submit", class: "primary", text: T.briefWrite });
  const approveButton = el("button", { type: "button", text: T.approveAsAnswer, onclick: () => approveBrief() });
  const error = message("error");
  const note = message("status");
  const preview = el("div", { class: "doc-text preview", dir: "auto" });
  const previewBox = el("section", { class: "card", hidden: true, "aria-labelledby": "brief-preview-title" }, [
    el("h3", { id: "brief-preview-title", text: T.preview }), preview
  ]);

  const panel = [
    el("h2", { id: "brief-title", text: T.brief }),
    el("p", { text: T.briefHelp }),
    el("form", { class: "card", onsubmit: (event) => { event.preventDefault(); write(); } }, [
      el("div", { class: "fields wide" }, [field("brief-question", T.question, question)]),
      el("div", { class: "fields" }, [field("brief-language", T.briefLanguage, language)]),
      el("details", { class: "more-filters" }, [el("summary", { text: T.filters }), el("div", { class: "fields" }, filters.fields)]),
      formats,
      el("div", { class: "row" }, [writeButton, approveButton])
    ]),
    error, note, previewBox
  ];

  function request(kind) {
    const wanted = filters.values();
    const body = { question: question.value.trim(), format: kind, language_hint: LANG };
    if (language.value) body.language = language.value;
    if (Object.keys(wanted).length) body.filters = wanted;
    return body;
  }

  /** The note as data, its summary and cited sources pre-filling an approved answer. */
  async function approveBrief() {
    if (!question.value.trim()) return question.focus();
    setMessage(error, "");
    setMessage(note, T.briefWriting);
    approveButton.disabled = true;
    try {
      const brief = await api.json("/api/brief", { method: "POST", json: request("json") });
      setMessage(note, "");
      approve(draftFromBrief(brief), T.fromBrief);
    } catch (e) {
      setMessage(note, "");
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    } finally {
      approveButton.disabled = false;
    }
  }

  async function write() {
    const text = question.value.trim();
    if (!text) return question.focus();
    const chosen = formats.querySelector("input:checked");
    const kind = chosen ? chosen.value : "md";
    const body = request(kind);
    setMessage(error, "");
    setMessage(note, T.briefWriting);
    previewBox.hidden = true;
    writeButton.disabled = true;
    try {
      const response = await api.request("/api/brief", { method: "POST", json: body });
      const blob = await response.blob();
      const name = fileNameOf(response, "brief." + kind);
      saveBlob(blob, name);
      setMessage(note, format(T.saved, { name }));
      if (kind === "md") {
        renderMarkdown(await blob.text(), preview, plainCite);
        previewBox.hidden = false;
      }
    } catch (e) {
      setMessage(note, "");
      if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) setMessage(error, problem(e));
    } finally {
      writeButton.disabled = false;
    }
  }

  return { id: "brief", label: T.brief, panel, enter() { fillFilters(filters); }, leave() {} };
}

// ---- Approved answers ----
const answers = answersPage({
  api, T, field, message, setMessage, problem, count, day, announce, lang: LANG,
  languages: Object.keys(STRINGS).map((code) => [code, LANGUAGE_NAMES[code]])
});

/** "Approve as answer": the approved-answers page, its form pre-filled with `values`. */
function approve(values, from) {
  select(answers, false);
  answers.prefill(values, from);
}

// ---- tabs ----
const PAGES = [documentsPage(), syncPage(), feedbackPage(), gapsPage(), answers, briefPage()];
let current = null;

const tabs = PAGES.map((page) => el("button", {
  type: "button", role: "tab", id: "tab-" + page.id, "aria-controls": "panel-" + page.id,
  "aria-selected": "false", tabindex: "-1", text: page.label, onclick: () => select(page, false)
}));
const panels = PAGES.map((page) => el("section", {
  role: "tabpanel", id: "panel-" + page.id, "aria-labelledby": "tab-" + page.id, class: "panel", hidden: true
}, page.panel));
const tablist = el("div", { role: "tablist", "aria-label": T.sections, class: "tabs" }, tabs);
tablist.addEventListener("keydown", (event) => {
  const at = tabs.indexOf(document.activeElement);
  if (at < 0) return;
  const step = { ArrowRight: RTL ? -1 : 1, ArrowLeft: RTL ? 1 : -1 }[event.key];
  let to = null;
  if (step) to = (at + step + tabs.length) % tabs.length;
  else if (event.key === "Home") to = 0;
  else if (event.key === "End") to = tabs.length - 1;
  if (to === null) return;
  event.preventDefault();
  select(PAGES[to], false);
  tabs[to].focus();
});

const consoleBody = el("div", { class: "console", hidden: true }, [el("nav", { "aria-label": T.sections }, [tablist])].concat(panels));

function select(page, moveFocus) {
  if (current && current !== page) current.leave();
  PAGES.forEach((p, i) => {
    const on = p === page;
    tabs[i].setAttribute("aria-selected", String(on));
    tabs[i].tabIndex = on ? 0 : -1;
    panels[i].hidden = !on;
  });
  if (current !== page || moveFocus) page.enter();
  current = page;
  history.replaceState(null, "", "#" + page.id);
  if (moveFocus) tabs[PAGES.indexOf(page)].focus();
}

app.replaceChildren(header, el("main", { id: "main" }, [signIn, consoleBody, live]));
if (currentKey()) unlock(false);
else keyInput.focus();
