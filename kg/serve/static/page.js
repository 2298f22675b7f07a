// The researchers' page: tabs, the canned questions with their parameter forms, answers as tables.
import { el, getJSON, link } from "./dom.js";
import { showEvidence } from "./evidence.js";

const ENTITY_PARAMS = new Set(["actor", "entity", "speaker", "addressee", "place", "issue", "occasion"]);
const CLAIM_VARS = ["act", "claim", "other"];
const tabs = {};

export function openTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== name;
  if (tabs[name]) { const init = tabs[name]; tabs[name] = null; init(); }
}
window.addEventListener("hrkg:evidence", () => openTab("evidence"));

// ------------------------------------------------------------------ entity suggestions

let suggestTimer;
function suggest(input) {
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(async () => {
    const list = document.getElementById("entity-suggestions");
    const found = await getJSON(`entities?q=${encodeURIComponent(input.value)}`).catch(() => []);
    list.replaceChildren(...found.map((e) => {
      const o = el("option", { value: e.id });
      o.label = e.aliases.length ? `${e.label} (${e.aliases.join(", ")})` : e.label;
      return o;
    }));
  }, 120);
}

// ------------------------------------------------------------------ questions

function cell(binding) {
  if (!binding) return el("td");
  if (binding.type === "uri") return el("td", {}, link(binding.value));
  return el("td", { text: binding.value });
}

export function resultsTable(doc) {
  const vars = doc.head.vars.filter((v) => !v.startsWith("_"));
  const claimVar = CLAIM_VARS.find((v) => vars.includes(v));
  const head = el("tr", {}, claimVar ? el("th", { text: "evidence" }) : null, vars.map((v) => el("th", { text: v })));
  const rows = doc.results.bindings.map((b) => {
    const claim = claimVar && b[claimVar]?.type === "uri" ? b[claimVar].value : null;
    const ev = claimVar ? el("td", {}, claim ? el("button", { class: "evidence", type: "button", text: "evidence",
      onclick: () => showEvidence(claim) }) : null) : null;
    return el("tr", {}, ev, vars.map((v) => cell(b[v])));
  });
  return el("table", { class: "results" }, el("thead", {}, head), el("tbody", {}, rows));
}

// answers come a page at a time (limit= and offset= of /queries/SLUG): a listing query has rows in
// proportion to the corpus, tens of thousands on a large store.  200 rows a page, or `#rows=N` in the address.
const askedRows = Number(new URLSearchParams(location.hash.slice(1)).get("rows"));
export const PAGE_ROWS = Number.isInteger(askedRows) && askedRows > 0 ? Math.min(askedRows, 10000) : 200;

async function run(cq, form, out, offset = 0) {
  const params = new URLSearchParams({ format: "json" });
  for (const input of form.querySelectorAll("input")) if (input.value.trim()) params.set(input.name, input.value.trim());
  params.set("limit", String(PAGE_ROWS));
  if (offset) params.set("offset", String(offset));
  out.replaceChildren(el("p", { class: "status", text: "running…" }));
  const t0 = performance.now();
  try {
    const doc = await getJSON(`queries/${encodeURIComponent(cq.slug)}?${params}`);
    const n = doc.results.bindings.length;
    const rows = n && (offset || n === PAGE_ROWS) ? `rows ${offset + 1}–${offset + n}` : `${n} row${n === 1 ? "" : "s"}`;
    const pager = el("p", { class: "pager" },
      offset ? el("button", { class: "previous-page", type: "button", text: "previous page",
        onclick: () => run(cq, form, out, Math.max(0, offset - PAGE_ROWS)) }) : null,
      n === PAGE_ROWS ? el("button", { class: "next-page", type: "button", text: "next page",
        onclick: () => run(cq, form, out, offset + PAGE_ROWS) }) : null);
    out.replaceChildren(el("p", { class: "status", text: `${rows} in ${Math.round(performance.now() - t0)} ms` }),
      resultsTable(doc), pager);
  } catch (err) {
    out.replaceChildren(el("p", { class: "error", text: err.message }));
  }
}

function showQuestion(cq, item) {
  for (const li of document.querySelectorAll("#question-list li")) li.classList.toggle("current", li === item);
  const out = el("div", { class: "answer" });
  const form = el("form", { class: "params" },
    cq.parameters.map((p) => el("label", {}, p, el("input", {
      name: p, value: cq.defaults[p] ?? "", placeholder: cq.defaults[p] ?? "", autocomplete: "off",
      list: ENTITY_PARAMS.has(p) ? "entity-suggestions" : null,
      oninput: ENTITY_PARAMS.has(p) ? (e) => suggest(e.target) : null,
      onfocus: ENTITY_PARAMS.has(p) ? (e) => suggest(e.target) : null }))),
    el("button", { class: "run", type: "submit", text: "Answer" }));
  form.addEventListener("submit", (e) => { e.preventDefault(); run(cq, form, out); });
  document.getElementById("question").replaceChildren(
    el("h2", { text: cq.slug }), el("p", { text: cq.summary }), el("p", { class: "hint", text: cq.description }), form, out);
  history.replaceState(null, "", `#q=${encodeURIComponent(cq.slug)}`);
  return { form, out };
}

async function loadQuestions() {
  const list = document.getElementById("question-list");
  let queries;
  try {
    queries = await getJSON("queries?format=json");
  } catch (err) {
    list.replaceChildren(el("li", { class: "error", text: err.message }));
    return;
  }
  // headline questions first, then by name (the catalogue's order)
  queries.sort((a, b) => (b.tags.includes("headline") - a.tags.includes("headline")) || a.slug.localeCompare(b.slug));
  list.replaceChildren(...queries.map((cq) => {
    const item = el("li", { dataset: { slug: cq.slug } });
    item.append(el("button", { type: "button", onclick: () => showQuestion(cq, item) }, cq.slug,
      cq.tags.includes("headline") ? el("span", { class: "tag-headline", text: "headline" }) : null,
      el("span", { class: "summary", text: cq.summary })));
    return item;
  }));
  const wanted = new URLSearchParams(location.hash.slice(1)).get("q");
  const start = queries.find((q) => q.slug === wanted) ?? queries.find((q) => q.slug === "who-raised-the-issue-with") ?? queries[0];
  if (start) showQuestion(start, list.querySelector(`li[data-slug="${CSS.escape(start.slug)}"]`));
}

// ------------------------------------------------------------------ start

for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => openTab(b.dataset.tab));
tabs.editor = () => import("./editor.js").then((m) => m.start());
tabs.timeline = () => import("./pictures.js").then((m) => m.timeline());
tabs.network = () => import("./pictures.js").then((m) => m.network());
loadQuestions();
