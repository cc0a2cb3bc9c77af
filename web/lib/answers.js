/* The admin console's approved-answers page: the secretariat's reviewed replies to recurring
 * questions. List and search them, write, edit and retire them, export and import them (JSON,
 * CSV); "Approve as answer" on the gaps and brief pages opens the form pre-filled (`prefill`).
 * Each answer shows what keeps it right: its review-by date passed, sources the index no longer
 * holds, and how the answers that served it were rated.
 *
 * `kit` is what the console shares with its pages: the admin client, the strings, the helpers
 * that build fields and messages, and the number and date formats. */

import { ApiError, query } from "./api.js";
import { el } from "./dom.js";
import { format } from "./i18n.js";

const PATH = "/api/admin/answers";
const URL_AT_END = /^(.*?)\s+(https?:\/\/\S+)$/;
const DRAFT_KEYS = ["question", "variants", "answer", "language", "sources", "approved_by", "approved_at", "review_by", "active"];

/** The sources textarea's lines as sources: a doc_id, a URL, or a doc_id then a URL. Titles of
 * the answer being edited are kept for the sources it still names. */
export function parseSources(text, earlier) {
  const titles = new Map((earlier || []).map((s) => [(s.doc_id || "") + " " + (s.url || ""), s.title]));
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean).map((line) => {
    const both = URL_AT_END.exec(line);
    const source = both ? { doc_id: both[1], url: both[2] } : /^https?:\/\//.test(line) ? { url: line } : { doc_id: line };
    const title = titles.get((source.doc_id || "") + " " + (source.url || ""));
    return title ? Object.assign(source, { title }) : source;
  });
}

/** Sources as the lines parseSources reads. */
export function sourceLines(sources) {
  return (sources || []).map((s) => [s.doc_id, s.url].filter(Boolean).join(" ")).join("\n");
}

/** A brief (its JSON) as a draft: the summary with only the sources it cites, renumbered. */
export function draftFromBrief(brief) {
  const cited = [];
  const renumber = new Map();
  const answer = String(brief.summary || "").replace(/\[(\d{1,3})\]/g, (whole, n) => {
    const source = (brief.sources || []).find((s) => s.number === Number(n));
    if (!source) return whole;
    if (!renumber.has(source.number)) {
      cited.push(source);
      renumber.set(source.number, cited.length);
    }
    return "[" + renumber.get(source.number) + "]";
  });
  const sources = cited.map((s) => Object.assign({ doc_id: s.doc_id, title: s.title }, s.url ? { url: s.url } : {}));
  return { question: brief.enquiry, language: brief.language, answer, sources };
}

export function answersPage(kit) {
  const { api, T, field, message, setMessage, problem, count, day, announce, languages } = kit;
  const search = el("input", { type: "search", maxlength: "200", dir: "auto" });
  const state = el("select", {}, [
    el("option", { value: "", text: T.answersAll }),
    el("option", { value: "true", text: T.answersActive }),
    el("option", { value: "false", text: T.answersRetired })
  ]);
  const summary = el("p", { class: "summary", role: "status", tabindex: "-1" });
  const list = el("ul", { class: "docs answers" });
  const error = message("error");
  const note = message("status");
  const importInput = el("input", { type: "file", accept: ".json,.csv,application/json,text/csv", hidden: true, onchange: () => importFile() });
  const form = answerForm();
  let shown = [];

  const panel = [
    el("h2", { id: "answers-title", text: T.answers }),
    el("p", { text: T.answersHelp }),
    el("form", { class: "card", role: "search", onsubmit: (event) => { event.preventDefault(); load(); } }, [
      el("div", { class: "fields" }, [field("answers-q", T.answersSearch, search), field("answers-state", T.answersState, state)]),
      el("div", { class: "row" }, [
        el("button", { type: "submit", class: "primary", text: T.apply }),
        el("button", { type: "button", text: T.answersNew, onclick: () => form.open(null, {}) }),
        el("button", { type: "button", text: T.downloadJson, onclick: () => download("json") }),
        el("button", { type: "button", text: T.downloadCsv, onclick: () => download("csv") }),
        el("button", { type: "button", text: T.answersImport, onclick: () => importInput.click() }),
        importInput
      ])
    ]),
    error, note, form.section, summary, list
  ];

  const refused = (e) => e instanceof ApiError && (e.status === 401 || e.status === 403);

  async function load() {
    setMessage(error, "");
    try {
      const body = await api.json(PATH + query({ q: search.value.trim(), active: state.value }));
      shown = Array.isArray(body.answers) ? body.answers : [];
      summary.textContent = format(T.answersCount, { n: count(shown.length), total: count(body.total) });
      list.replaceChildren(...shown.map(item));
    } catch (e) {
      if (!refused(e)) setMessage(error, problem(e));
    }
  }

  function item(answer) {
    return el("li", { class: "doc answer" + (answer.active ? "" : " retired"), "data-answer-id": answer.id }, [
      el("div", { class: "doc-main" }, [
        el("p", { class: "doc-title", dir: "auto", lang: answer.language, text: answer.question }),
        el("p", { class: "meta", text: describe(answer) }),
        flags(answer),
        el("p", { class: "excerpt", dir: "auto", lang: answer.language, text: excerpt(answer.answer) }),
        el("p", { class: "meta ratings", text: format(T.answersRatings, { served: count(answer.served), up: count(answer.ratings.up), down: count(answer.ratings.down) }) })
      ]),
      el("div", { class: "row actions" }, [
        el("button", { type: "button", text: T.answersEdit, "aria-label": format(T.answersEditNamed, { question: answer.question }), onclick: () => form.open(answer, answer) }),
        el("button", {
          type: "button", class: answer.active ? "danger-quiet" : null,
          text: answer.active ? T.answersRetire : T.answersRestore,
          "aria-label": format(answer.active ? T.answersRetireNamed : T.answersRestoreNamed, { question: answer.question }),
          onclick: () => setActive(answer, !answer.active)
        })
      ])
    ]);
  }

  function describe(answer) {
    const parts = [(answer.language || "").toUpperCase(), format(T.answersApproved, { by: answer.approved_by, date: day(answer.approved_at) })];
    if (answer.review_by) parts.push(format(T.answersReviewBy, { date: day(answer.review_by) }));
    if (answer.variants.length) parts.push(format(T.answersVariants, { n: count(answer.variants.length) }));
    return parts.join(" · ");
  }

  function flags(answer) {
    const badges = [];
    if (!answer.active) badges.push(el("span", { class: "badge", text: T.answersRetiredBadge }));
    if (answer.overdue) badges.push(el("span", { class: "badge interrupted", text: format(T.answersOverdue, { date: day(answer.review_by) }) }));
    if (answer.missing_sources.length) {
      badges.push(el("span", { class: "badge failed", text: format(T.answersMissing, { ids: answer.missing_sources.join(", ") }) }));
    }
    return badges.length ? el("p", { class: "flags" }, badges) : null;
  }

  function excerpt(text) {
    const flat = String(text).replace(/\s+/g, " ").trim();
    return flat.length > 280 ? flat.slice(0, 279) + "…" : flat;
  }

  async function setActive(answer, active) {
    setMessage(error, "");
    setMessage(note, "");
    try {
      await api.json(PATH + "/" + encodeURIComponent(answer.id), { method: "PUT", json: Object.assign(draftOf(answer), { active }) });
      await load();
      announce(format(active ? T.answersRestored : T.answersRetiredDone, { question: answer.question }));
    } catch (e) {
      if (!refused(e)) setMessage(error, problem(e));
    }
  }

  async function download(kind) {
    setMessage(error, "");
    try {
      const name = await api.download(PATH + query({ format: kind, q: search.value.trim(), active: state.value }), {}, "approved-answers." + kind);
      setMessage(note, format(T.saved, { name }));
    } catch (e) {
      if (!refused(e)) setMessage(error, problem(e));
    }
  }

  async function importFile() {
    const file = importInput.files && importInput.files[0];
    if (!file) return;
    setMessage(error, "");
    setMessage(note, "");
    const csv = /\.csv$/i.test(file.name) || file.type === "text/csv";
    try {
      const body = await file.text();
      const result = await api.json(PATH + "/import", { method: "POST", headers: { "Content-Type": csv ? "text/csv" : "application/json" }, body });
      setMessage(note, format(T.answersImported, { name: file.name, created: count(result.created), updated: count(result.updated) }));
      await load();
    } catch (e) {
      if (!refused(e)) setMessage(error, problem(e));
    } finally {
      importInput.value = "";
    }
  }

  /** The create and edit form: one at a time, opened empty, from an answer, or pre-filled. */
  function answerForm() {
    const question = el("textarea", { rows: "2", required: true, maxlength: "2000", dir: "auto" });
    const variants = el("textarea", { rows: "3", dir: "auto" });
    const text = el("textarea", { rows: "7", required: true, maxlength: "20000", dir: "auto" });
    const sources = el("textarea", { rows: "3", dir: "ltr", spellcheck: "false" });
    const language = el("select", { required: true }, languages.map(([code, name]) => el("option", { value: code, lang: code, text: name })));
    const approvedBy = el("input", { type: "text", required: true, maxlength: "100" });
    const approvedAt = el("input", { type: "date" });
    const reviewBy = el("input", { type: "date" });
    const active = el("input", { type: "checkbox", id: "answer-active" });
    const title = el("h3", { id: "answer-form-title", tabindex: "-1" });
    const origin = el("p", { class: "meta" });
    const saveButton = el("button", { type: "submit", class: "primary", text: T.answersSave });
    const formError = message("error");
    let editing = null;

    const section = el("section", { class: "card answer-form", hidden: true, "aria-labelledby": "answer-form-title" }, [
      title, origin,
      el("form", { onsubmit: (event) => { event.preventDefault(); save(); } }, [
        el("div", { class: "fields wide" }, [
          field("answer-question", T.question, question),
          field("answer-variants", T.answersVariantsLabel, variants, T.answersVariantsHelp)
        ]),
        el("div", { class: "fields wide" }, [field("answer-text", T.answersText, text, T.answersTextHelp)]),
        el("div", { class: "fields wide" }, [field("answer-sources", T.answersSources, sources, T.answersSourcesHelp)]),
        el("div", { class: "fields" }, [
          field("answer-language", T.answersLanguage, language),
          field("answer-by", T.answersBy, approvedBy, T.answersByHelp),
          field("answer-at", T.answersAt, approvedAt),
          field("answer-review", T.answersReview, reviewBy, T.answersReviewHelp)
        ]),
        el("div", { class: "checks" }, [el("label", { for: "answer-active" }, [active, " ", T.answersActiveLabel])]),
        el("div", { class: "row" }, [saveButton, el("button", { type: "button", text: T.cancel, onclick: close })])
      ]),
      formError
    ]);

    /** Open the form: `answer` is the stored answer edited (null: a new one), `values` fill it. */
    function open(answer, values, from) {
      editing = answer;
      setMessage(note, "");
      title.textContent = answer ? T.answersEditTitle : T.answersNewTitle;
      origin.textContent = from || "";
      origin.hidden = !from;
      question.value = values.question || "";
      variants.value = (values.variants || []).join("\n");
      text.value = values.answer || "";
      sources.value = sourceLines(values.sources);
      language.value = offer(values.language) ? values.language : kit.lang;
      approvedBy.value = values.approved_by || T.answersDefaultBy;
      approvedAt.value = values.approved_at || "";
      reviewBy.value = values.review_by || "";
      active.checked = values.active !== false;
      setMessage(formError, "");
      section.hidden = false;
      title.focus();
    }

    /** Whether the language menu has `code`, adding an ISO 639-1 code outside the interface's
     * languages (a gap or a note can be in any of the 41 languages answers are framed in). */
    function offer(code) {
      if (!code) return false;
      if (Array.from(language.options).some((option) => option.value === code)) return true;
      if (!/^[a-z]{2}$/.test(code)) return false;
      language.append(el("option", { value: code, lang: code, text: code }));
      return true;
    }

    function close() {
      editing = null;
      section.hidden = true;
      summary.focus();
    }

    function body() {
      const draft = {
        question: question.value.trim(),
        variants: variants.value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean),
        answer: text.value.trim(),
        language: language.value,
        sources: parseSources(sources.value, editing ? editing.sources : []),
        approved_by: approvedBy.value.trim(),
        active: active.checked
      };
      if (approvedAt.value) draft.approved_at = approvedAt.value;
      if (reviewBy.value) draft.review_by = reviewBy.value;
      return draft;
    }

    async function save() {
      setMessage(formError, "");
      saveButton.disabled = true;
      try {
        const path = editing ? PATH + "/" + encodeURIComponent(editing.id) : PATH;
        const saved = await api.json(path, { method: editing ? "PUT" : "POST", json: body() });
        section.hidden = true;
        editing = null;
        await load();
        setMessage(note, format(T.answersSaved, { question: saved.question }));
        const row = list.querySelector('[data-answer-id="' + CSS.escape(saved.id) + '"] button');
        if (row) row.focus();
      } catch (e) {
        if (!refused(e)) setMessage(formError, problem(e));
      } finally {
        saveButton.disabled = false;
      }
    }

    return { section, open, close() { if (!section.hidden) close(); } };
  }

  return {
    id: "answers",
    label: T.answers,
    panel,
    enter() { load(); },
    leave() {},
    /** Open the form pre-filled (from a gap or a brief); `from` says where it came from. */
    prefill(values, from) { form.open(null, values, from); }
  };
}

/** An answer as the API takes it back (PUT): its draft's fields only. */
function draftOf(answer) {
  const draft = {};
  for (const key of DRAFT_KEYS) if (answer[key] !== null && answer[key] !== undefined) draft[key] = answer[key];
  return draft;
}
