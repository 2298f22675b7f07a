"""Query vetting (kg/guard.py): keywords are found where they are keywords, and only there."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from kg import guard

from conftest import ROOT

SELECT = "SELECT * WHERE { ?s ?p ?o }"


@pytest.mark.parametrize("text", [
    'SELECT * WHERE { ?s ?p "SERVICE <http://x/> { }" }',
    "SELECT * WHERE { ?s ?p '''multi\nline SERVICE\n''' }",
    'SELECT * WHERE { ?s ?p "escaped \\" SERVICE" }',
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
    "# SERVICE <http://x/> {}\nSELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } # trailing SERVICE",
    "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:SERVICE ?service }",
    "SELECT * WHERE { ?s ?p $service . ?s ?p ?o FILTER(?o < ?service) }",
    'SELECT * WHERE { ?s ?p "x"@service }',
])
def test_keywords_in_strings_iris_comments_names_are_not_keywords(text):
    v = guard.vet(text)
    assert not v.service and v.form == "SELECT"


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { OPTIONAL { SERVICE SILENT <http://127.0.0.1:1/> { ?s ?p ?o } } }",
    "select * where { service ?endpoint { ?s ?p ?o } }",
    'SELECT * WHERE { ?s ?p "a string" . SeRvIcE <http://x/> { ?s ?p ?o } }',
    "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3) SERVICE <http://x/> {} }",
])
def test_service_anywhere_is_refused_with_its_position(text):
    with pytest.raises(guard.ServiceRefused) as err:
        guard.vet(text, "my.rq")
    line, col = err.value.pos.line, err.value.pos.col
    assert text.splitlines()[line - 1][col - 1:].upper().startswith("SERVICE")
    assert "my.rq:" in str(err.value) and "never open network connections" in str(err.value)
    assert guard.vet(text, allow_service=True).service


@pytest.mark.parametrize("text", [
    "INSERT DATA { <a:b> <a:c> <a:d> }",
    "PREFIX ex: <http://e/>\nDELETE WHERE { ?s ?p ?o }",
    "BASE <http://e/> PREFIX : <http://e/> LOAD <http://127.0.0.1:1/x>",
    "CLEAR ALL", "drop graph <a:b>", "CREATE GRAPH <a:b>", "ADD DEFAULT TO <a:b>",
    "MOVE <a:b> TO <a:c>", "COPY <a:b> TO <a:c>", "WITH <a:b> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_updates_are_refused(text):
    with pytest.raises(guard.UpdateRefused, match="read-only"):
        guard.vet(text)


@pytest.mark.parametrize("text,form", [
    ("PREFIX : <http://e/> SELECT * { ?s :p ?o }", "SELECT"),
    ("PREFIX insert: <http://e/> ASK { ?s insert:x ?o }", "ASK"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("describe <http://e/x>", "DESCRIBE"),
])
def test_query_form(text, form):
    assert guard.vet(text).form == form


def test_depth_is_capped_before_the_parser_sees_it():
    deep = "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000
    with pytest.raises(guard.TooDeep) as err:
        guard.vet(deep, "deep.rq")
    assert (err.value.pos.line, err.value.pos.col) == (1, 16 + guard.MAX_DEPTH)
    assert "129 levels deep" in str(err.value)
    ok = "SELECT * WHERE " + "{" * 100 + " ?s ?p ?o " + "}" * 100
    assert guard.vet(ok).depth == 100
    parens = "SELECT * WHERE { FILTER(" + "(" * 200 + "1" + ")" * 200 + ") }"
    with pytest.raises(guard.TooDeep):
        guard.vet(parens)
    # brackets inside strings do not count
    assert guard.vet('SELECT * { ?s ?p "' + "{" * 500 + '" }').depth == 1


def test_size_is_capped():
    with pytest.raises(guard.TooLarge, match="over the limit"):
        guard.vet(SELECT + " #" + "x" * guard.MAX_BYTES)


def test_dataset_clauses_are_reported():
    v = guard.vet("SELECT * FROM <http://a/> FROM NAMED <http://b/> WHERE { ?s ?p ?o }")
    assert v.dataset == [("FROM", "<http://a/>"), ("FROM NAMED", "<http://b/>")]
    assert guard.vet('SELECT * WHERE { ?s ?p "FROM <http://a/>" }').dataset == []


class Listener:
    """A loopback TCP listener that records every connection it is offered."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop = True
        self._thread.join()
        self.sock.close()


def _kg_query(tmp_path, text, *extra):
    rq = tmp_path / "q.rq"
    rq.write_text("#+ summary: test\n" + text, encoding="utf-8")
    data = tmp_path / "tiny.nq"
    data.write_text('<http://example.org/s> <http://example.org/p> "o" .\n', encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "kg.cli", "query", "--file", str(rq), "--data", str(data), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("silent", ["", "SILENT "])
def test_kg_query_refuses_service_and_nothing_connects(tmp_path, silent):
    listener = Listener()
    try:
        text = f"SELECT * WHERE {{ OPTIONAL {{ SERVICE {silent}<http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }} }}\n"
        done = _kg_query(tmp_path, text)
        assert done.returncode == 2, done.stderr
        assert "q.rq:2:" in done.stderr and "SERVICE" in done.stderr and "--allow-service" in done.stderr
        assert "Traceback" not in done.stderr
        assert listener.connections == 0
        # the listener does see the engine's request when federation is asked for on purpose
        _kg_query(tmp_path, text, "--allow-service")
        assert listener.connections >= 1
    finally:
        listener.close()


def test_kg_query_vets_the_key_query_and_rows_beside_a_file(tmp_path):
    """A key query beside a --file (pages/NAME.rq) and the text its pages' rows come from run too: each is
    vetted as the file is, and refused naming its own path:line:col; nothing connects."""
    listener = Listener()
    try:
        service = f"SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }}"
        (tmp_path / "pages").mkdir()
        (tmp_path / "reference").mkdir()
        (tmp_path / "pages" / "q.rq").write_text(f"SELECT ?s WHERE {{\n  {service} }} ORDER BY ?s\n")
        (tmp_path / "reference" / "q.rq").write_text("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n")
        done = _kg_query(tmp_path, "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n", "--limit", "1")
        assert done.returncode == 2 and f"{tmp_path / 'pages' / 'q.rq'}:2:" in done.stderr, done.stderr
        (tmp_path / "pages" / "q.rq").write_text("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n")
        (tmp_path / "reference" / "q.rq").write_text(f"SELECT ?s WHERE {{ {service} }} ORDER BY ?s\n")
        done = _kg_query(tmp_path, "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n", "--limit", "1")
        assert done.returncode == 2 and f"{tmp_path / 'reference' / 'q.rq'}:1:" in done.stderr, done.stderr
        assert listener.connections == 0
        (tmp_path / "reference" / "q.rq").write_text("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n")
        done = _kg_query(tmp_path, "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n", "--limit", "1")
        assert done.returncode == 0 and "example.org/s" in done.stdout, done.stderr
    finally:
        listener.close()


def test_kg_query_refuses_deep_nesting_and_updates(tmp_path):
    deep = _kg_query(tmp_path, "SELECT * WHERE " + "{" * 3000 + "}" * 3000 + "\n")
    assert deep.returncode == 2 and "levels deep" in deep.stderr and "Traceback" not in deep.stderr
    upd = _kg_query(tmp_path, "DROP ALL\n")
    assert upd.returncode == 2 and "read-only" in upd.stderr


def _nothing_connects_cases(port: int, tmp_path) -> dict[str, list[str]]:
    """Each way an input could name a remote resource, as the kg command a user would run."""
    url = f"http://127.0.0.1:{port}"
    (tmp_path / "from.rq").write_text(f"#+ summary: t\nSELECT * FROM <{url}/g> WHERE {{ ?s ?p ?o }}\n", encoding="utf-8")
    (tmp_path / "named.rq").write_text(f"#+ summary: t\nSELECT * FROM NAMED <{url}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}\n",
                                       encoding="utf-8")
    (tmp_path / "load.rq").write_text(f"#+ summary: t\nLOAD <{url}/data.ttl>\n", encoding="utf-8")
    (tmp_path / "ctx.jsonld").write_text(json.dumps({"@context": f"{url}/context.jsonld", "@id": "http://example.org/s",
                                                     "name": "x"}), encoding="utf-8")
    (tmp_path / "dtd.rdf").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ext SYSTEM "{url}/entity.txt">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
        '<rdf:Description rdf:about="http://example.org/s"><ex:p>&ext;</ex:p></rdf:Description>\n</rdf:RDF>\n',
        encoding="utf-8")
    (tmp_path / "imports.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        f"<https://hrkg.example.org/chechnya-2017/entity/putin> owl:imports <{url}/onto.ttl> .\n", encoding="utf-8")
    data = tmp_path / "tiny.nq"
    data.write_text('<http://example.org/s> <http://example.org/p> "o" .\n', encoding="utf-8")
    q = ["query", "--file"]
    return {
        "remote FROM": q + [str(tmp_path / "from.rq"), "--data", str(data)],
        "remote FROM NAMED": q + [str(tmp_path / "named.rq"), "--data", str(data)],
        "LOAD": q + [str(tmp_path / "load.rq"), "--data", str(data)],
        "JSON-LD remote @context": ["query", "attributions", "--data", str(tmp_path / "ctx.jsonld")],
        "RDF/XML external DTD entity": ["query", "attributions", "--data", str(tmp_path / "dtd.rdf")],
        "owl:imports in curator Turtle": ["validate", str(tmp_path / "imports.ttl")],
    }


@pytest.mark.parametrize("case", ["remote FROM", "remote FROM NAMED", "LOAD", "JSON-LD remote @context",
                                  "RDF/XML external DTD entity", "owl:imports in curator Turtle"])
def test_no_input_makes_kg_connect_anywhere(tmp_path, case):
    """Issue 12, item 2: a loopback listener sees no connection, whatever the input names."""
    listener = Listener()
    try:
        argv = _nothing_connects_cases(listener.port, tmp_path)[case]
        done = subprocess.run([sys.executable, "-m", "kg", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 1, 2), done.stderr
        assert "Traceback" not in done.stderr
        time.sleep(0.3)   # a connection attempt, had there been one, reaches the listener by now
        assert listener.connections == 0, done.stderr
    finally:
        listener.close()
