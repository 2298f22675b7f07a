// The pictures: a timeline of dated claims (vis-timeline) and a network of who said what to whom (cytoscape).
import { el, factualityClass, getJSON, loadScript, loadStyle } from "./dom.js";
import { showEvidence } from "./evidence.js";

const TIMELINE_CAP = 2000;  // the /timeline route's LIMIT (kg/serve/pagedata.py)
const NETWORK_CAP = 5000;  // the /network route's LIMIT
const pad = (n) => String(n).padStart(2, "0");

/** A date of year, month or day precision as the span it covers (a year is not its 1 January). */
export function span(date, precision) {
  const [y, m, d] = date.split("-").map(Number);
  if (precision === "Year" || m === undefined) return { start: `${y}-01-01`, end: `${y + 1}-01-01`, type: "range" };
  if (precision === "Month" || d === undefined) {
    const [ny, nm] = m === 12 ? [y + 1, 1] : [y, m + 1];
    return { start: `${y}-${pad(m)}-01`, end: `${ny}-${pad(nm)}-01`, type: "range" };
  }
  return { start: `${y}-${pad(m)}-${pad(d)}`, type: "point" };
}

/** A picture's drawing, with its failure (a timeout, a server error) shown instead of a blank box. */
async function drawing(view, draw) {
  try {
    await draw();
  } catch (err) {
    view.before(el("p", { class: "error", text: err.message }));
  }
}

export const timeline = () => drawing(document.getElementById("timeline-view"), drawTimeline);
export const network = () => drawing(document.getElementById("network-view"), drawNetwork);

const day = (t) => new Date(t).toISOString().slice(0, 10);

/** The timeline: the page asks for the dated claims of the visible range only (/timeline?from=…&to=…), and asks
 * again, debounced, when the range is panned or zoomed.  It opens on the whole extent when that holds at most
 * TIMELINE_CAP claims, else on the last three months. */
async function drawTimeline() {
  const view = document.getElementById("timeline-view");
  loadStyle("static/vendor/vis-timeline/vis-timeline-graph2d.min.css");
  const [extent] = await Promise.all([getJSON("timeline-extent"),
    loadScript("static/vendor/vis-timeline/vis-timeline-graph2d.min.js")]);
  const items = new window.vis.DataSet();
  if (!extent.claims) {
    view.dataset.items = "0";
    view.before(el("p", { class: "hint", text: "No dated claims." }));
    return;
  }
  const first = new Date(span(extent.first).start);
  const lastSpan = span(extent.last);
  const last = new Date(lastSpan.end || lastSpan.start);
  last.setUTCDate(last.getUTCDate() + 1);
  const start = extent.claims <= TIMELINE_CAP ? first : new Date(Math.max(+first, +last - 92 * 86400e3));
  const tl = new window.vis.Timeline(view, items, { stack: true, zoomKey: "ctrlKey", maxHeight: "70vh",
    orientation: "top", tooltip: { followMouse: false }, start, end: last });
  tl.on("select", ({ items: sel }) => { if (sel.length) showEvidence(items.get(sel[0]).claim); });
  window.hrkgTimeline = tl;  // for tests and the console
  const hint = el("p", { class: "hint" });
  view.before(hint);
  let asked = 0;
  const load = async (from, to) => {
    const mine = ++asked;
    const rows = await getJSON(`timeline?from=${from}&to=${to}`);
    if (mine !== asked) return;  // a later range was asked for meanwhile
    // the data-* marks are set once vis-timeline has drawn the items (it draws on its next frame)
    const drawn = new Promise((resolve) => {
      const done = () => { tl.off("changed", done); resolve(); };
      tl.on("changed", done);
      setTimeout(done, 1000);
    });
    items.clear();
    items.add(rows.map((r, i) => {
      const inferred = r.basis === "CuratorInference";
      const content = el("span", { text: r.description || r.claim,
        title: `${r.date} (${(r.precision || "?").toLowerCase()}; ${inferred ? "curator inference" : "stated in the text"})` +
               `${r.note ? " — " + r.note : ""}\n${r.class || ""} · ${r.factuality || ""} · article ${r.article}` });
      return { id: i, content, className: inferred ? "inferred" : "stated", claim: r.claim, ...span(r.date, r.precision) };
    }));
    await drawn;
    view.dataset.items = String(rows.length);
    view.dataset.from = from;
    view.dataset.to = to;
    hint.textContent = rows.length >= TIMELINE_CAP
      ? `Only the first ${TIMELINE_CAP.toLocaleString("en")} dated claims from ${from}, in date order, are drawn: zoom in for the rest.`
      : `${rows.length.toLocaleString("en")} of ${extent.claims.toLocaleString("en")} dated claims, ${from} to ${to}.`;
  };
  let timer;
  tl.on("rangechanged", ({ start: s, end: e }) => {
    if (day(s) === view.dataset.from && day(e) === view.dataset.to) return;
    clearTimeout(timer);
    timer = setTimeout(() => load(day(s), day(e)).catch((err) => { hint.textContent = err.message; }), 300);
  });
  await load(day(start), day(last));
}

const COLOURS = { "f-occurred": "#1b8a3a", "f-requested": "#d07a00", "f-planned": "#2a6fb5", "f-not-occurred": "#c0262d",
                  "f-unknown": "#888888" };

async function drawNetwork() {
  const view = document.getElementById("network-view");
  const [data] = await Promise.all([getJSON("network"), loadScript("static/vendor/cytoscape/cytoscape.min.js")]);
  const elements = [
    ...data.nodes.map((n) => ({ data: { id: n.iri, label: n.label } })),
    ...data.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.speaker, target: e.addressee, label: e.kind, act: e.act,
      colour: COLOURS[factualityClass(e.factuality)] ?? COLOURS["f-unknown"] } })),
  ];
  const cy = window.cytoscape({
    container: view, elements,
    // deterministic: the most connected actors in the middle, rings outwards
    layout: { name: "concentric", animate: false, minNodeSpacing: 28, concentric: (n) => n.degree(), levelWidth: () => 2 },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 11, "background-color": "#556", width: 18, height: 18,
        "text-valign": "bottom", "text-margin-y": 3 } },
      { selector: "edge", style: { width: 2, "line-color": "data(colour)", "target-arrow-color": "data(colour)",
        "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#555",
        "text-rotation": "autorotate" } },
    ],
  });
  cy.on("tap", "edge", (evt) => showEvidence(evt.target.data("act")));
  window.hrkgNetwork = cy;  // for tests and the console
  view.dataset.nodes = String(cy.nodes().length);
  view.dataset.edges = String(cy.edges().length);
  if (data.edges.length >= NETWORK_CAP) {
    view.before(el("p", { class: "hint", text: `Only ${NETWORK_CAP.toLocaleString("en")} speech acts are drawn (the first the store ` +
      "holds, not the most important): ask the SPARQL editor for the rest." }));
  }
}
