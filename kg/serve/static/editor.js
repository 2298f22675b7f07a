// The SPARQL editor: YASGUI (vendored), against this server's /sparql only.
import { BASE, ONTOLOGY, el, loadScript, loadStyle } from "./dom.js";

// the dataset's own namespaces come from the page (its base is configurable), never written out here
const PREFIXES = `PREFIX hrr: <${ONTOLOGY}>
PREFIX entity: <${BASE}entity/>
PREFIX article: <${BASE}article/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
`;

export const EXAMPLES = {
  "Who raised the issue with Putin": `${PREFIXES}
SELECT ?speaker ?description WHERE {
  ?act a hrr:RaisingOfIssue ; hrr:factuality hrr:Occurred ;
       hrr:addressee entity:putin ; hrr:speaker/rdfs:label ?speaker ; hrr:description ?description .
} ORDER BY ?speaker ?description`,
  "Claims by type": `${PREFIXES}
SELECT ?class (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
  ?claim a ?cls . ?cls rdfs:subClassOf hrr:Claim ; rdfs:label ?class .
} GROUP BY ?class ORDER BY DESC(?claims)`,
  "Every quote of a claim, with its offsets": `${PREFIXES}
SELECT ?exact ?start ?end WHERE {
  article:000\\/claim\\/merkel-raised-issue hrr:evidence/oa:hasTarget/oa:hasSelector ?q, ?p .
  ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end .
}`,
  "Articles, publishers and dates": `${PREFIXES}
SELECT ?id ?title ?publisher ?date WHERE {
  ?a a hrr:Article ; dcterms:identifier ?id ; dcterms:title ?title .
  OPTIONAL { ?a schema:publisher/rdfs:label ?publisher } OPTIONAL { ?a schema:datePublished ?date }
} ORDER BY ?id`,
};

let yasgui;
export function current() { return yasgui; }

export async function start() {
  loadStyle("static/vendor/yasgui/yasgui.min.css");
  await loadScript("static/vendor/yasgui/yasgui.min.js");
  const Yasgui = window.Yasgui;
  const endpoint = new URL("sparql", document.baseURI).href;
  const first = Object.values(EXAMPLES)[0];
  Yasgui.Yasqe.defaults.value = first;
  yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint }], keys: [] },
    persistenceId: null,             // nothing kept between visits
    populateFromUrl: false,
    yasqe: { value: first, autocompleters: ["prefixes", "variables"], prefixCcApi: null, showQueryButton: true },
    yasr: { prefixes: Object.fromEntries([...PREFIXES.matchAll(/PREFIX (\w+): <([^>]+)>/g)].map((m) => [m[1], m[2]])) },
  });
  const select = document.getElementById("examples");
  select.replaceChildren(...Object.keys(EXAMPLES).map((k) => el("option", { value: k, text: k })));
  select.addEventListener("change", () => yasgui.getTab().setQuery(EXAMPLES[select.value]));
  document.getElementById("yasgui").dataset.ready = "true";
}
