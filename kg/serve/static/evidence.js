// The evidence viewer: the article's full text with the claim's quoted spans highlighted where they stand.
import { el, factualityClass, getJSON, link } from "./dom.js";

/** The text split at the spans' offsets (Unicode code points, as oa:TextPositionSelector counts them;
 *  a JS string counts UTF-16 units, so the text is cut as an array of code points). */
export function highlighted(text, spans) {
  const chars = Array.from(text);
  const cuts = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts = [];
  let at = 0;
  for (const s of cuts) {
    const start = Math.max(s.start, at), end = Math.min(s.end, chars.length);
    if (end <= start) continue;  // inside (or the same as) the span before
    if (start > at) parts.push(document.createTextNode(chars.slice(at, start).join("")));
    parts.push(el("mark", { class: "quote", text: chars.slice(start, end).join(""), title: s.exact }));
    at = end;
  }
  if (at < chars.length) parts.push(document.createTextNode(chars.slice(at).join("")));
  return parts;
}

function inferredMark(basis, note) {
  if (!basis || !/curator/i.test(basis)) return null;
  return el("span", { class: "inferred-mark", title: note || "a curator's inference, not stated in the text", text: "curator inference" });
}

function account(a) {
  return el("div", { class: "account" },
    el("p", {}, el("strong", { text: `Article ${a.article}` }), " ", a.title ? el("em", { text: a.title }) : null),
    a.description ? el("p", { text: a.description }) : null,
    a.quote ? el("blockquote", { text: a.quote }) : null,
    el("p", {}, el("span", { class: `factuality ${factualityClass(a.factuality)}`, text: a.factuality || "factuality unknown" }), " ",
      el("button", { type: "button", class: "evidence", text: "show in its article", onclick: () => showEvidence(a.other) })));
}

export async function showEvidence(claim) {
  const section = document.getElementById("evidence");
  window.dispatchEvent(new CustomEvent("hrkg:evidence"));
  section.replaceChildren(el("p", { class: "status", text: "loading the evidence…" }));
  let ev;
  try {
    ev = await getJSON(`evidence?claim=${encodeURIComponent(claim)}`);
  } catch (err) {
    section.replaceChildren(el("p", { class: "error", text: err.message }));
    return;
  }
  const art = ev.article;
  const text = el("div", { class: "article-text", lang: "en" }, highlighted(art.text || "", ev.spans));
  const occasions = [...new Map(ev.accounts.map((a) => [a.occasion, a.occasionLabel || a.occasion])).entries()];
  section.replaceChildren(el("div", { class: "evidence-view" },
    el("div", {},
      el("div", { class: "claim-box" },
        el("p", {}, el("strong", { text: ev.description || ev.claim })),
        el("p", {}, el("span", { class: `factuality ${factualityClass(ev.factuality)}`, text: ev.factuality || "factuality unknown" }),
          ev.class ? ` · ${ev.class}` : "", " · ", link(ev.claim, "the claim's page")),
        ev.accordingTo.length ? el("p", {}, "According to ", ev.accordingTo.flatMap((a, i) => [i ? ", " : "", link(a.iri, a.label)])) :
          el("p", { class: "hint", text: "The text states it in its own voice (no hrr:accordingTo)." }),
        el("p", { class: "hint", text: `${ev.spans.length} quoted passage${ev.spans.length === 1 ? "" : "s"}, highlighted below.` })),
      el("div", { class: "article-meta" },
        el("h2", {}, art.title || `Article ${art.id}`, inferredMark(art.titleBasis, art.titleNote)),
        el("p", { class: "hint" }, `Article ${art.id} · `,
          art.publisher ? link(art.publisher, art.publisherLabel) : "publisher unknown", inferredMark(art.publisherBasis, art.publisherNote),
          " · ", art.date || "undated", inferredMark(art.dateBasis, art.dateNote), " · ", link(art.iri, "the article's page"))),
      text),
    el("aside", { class: "accounts" },
      el("h3", { text: "Other articles' accounts of the same occasion" }),
      occasions.length ? occasions.map(([iri, label]) => el("p", {}, link(iri, label))) :
        el("p", { class: "hint", text: "No other article gives an account of this occasion." }),
      ev.accounts.map(account))));
  const first = text.querySelector("mark.quote");
  if (first) first.scrollIntoView({ block: "center" });
}
