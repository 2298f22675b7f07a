// Building the DOM from data: text only (textContent, properties), never innerHTML with data.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
export const ROOT = meta("hrkg-root");        // where the linked-data pages are (--base-url)
export const DATASET = meta("hrkg-dataset");  // the scheme and host of the IRIs the dataset mints
export const BASE = meta("hrkg-base");        // the dataset's base (seeds/dataset.yaml `base:`)
export const ONTOLOGY = meta("hrkg-ontology"); // the ontology's namespace (hrr:)

/** A dataset IRI as its linked-data page on this server (others unchanged). */
export function local(iri) {
  return iri.startsWith(DATASET) ? ROOT + iri.slice(DATASET.length) : iri;
}

/** A short name for an IRI: the part after the dataset's base (else after its host), else the IRI. */
export function short(iri) {
  if (iri.startsWith(BASE)) return iri.slice(BASE.length);
  return iri.startsWith(DATASET) ? iri.slice(DATASET.length) : iri;
}

/** Only http(s) links are made clickable (a data value like javascript:… stays text). */
export function link(iri, text) {
  const href = local(iri);
  return /^https?:\/\//i.test(href) ? el("a", { href }, text ?? short(iri)) : document.createTextNode(text ?? iri);
}

export async function getJSON(url) {
  const resp = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  const body = await resp.text();
  if (!resp.ok) {
    let message = body;
    try { message = JSON.parse(body).error ?? body; } catch { /* a text/plain error */ }
    throw new Error(`${resp.status}: ${message.trim()}`);
  }
  return JSON.parse(body);
}

const loaded = new Map();
/** A vendored script (same origin), loaded once, when a tab first needs it. */
export function loadScript(src) {
  if (!loaded.has(src)) {
    loaded.set(src, new Promise((resolve, reject) => {
      const s = el("script", { src });
      s.addEventListener("load", resolve);
      s.addEventListener("error", () => reject(new Error(`${src} did not load`)));
      document.head.append(s);
    }));
  }
  return loaded.get(src);
}

export function loadStyle(href) {
  if (!document.querySelector(`link[href="${href}"]`)) document.head.append(el("link", { rel: "stylesheet", href }));
}

export function factualityClass(f) {
  return "f-" + (f || "unknown").toLowerCase().replace(/\s+/g, "-");
}
