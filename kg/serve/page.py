"""The researchers' web page at ``/``: the page itself, its vendored assets, and the JSON it reads.

The page is static HTML plus plain JavaScript modules under ``static/`` (no
build step, no CDN); its data comes from small JSON routes that run fixed
SPARQL in a query worker (``pagedata``) with the request's values bound.
Every response carries a Content-Security-Policy that allows only this
origin and no inline script; nothing sets a cookie.
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import iris


STATIC = Path(__file__).parent / "static"

# inline style attributes are allowed (CodeMirror, vis-timeline and cytoscape position their elements with them);
# inline script, eval and every other origin are not
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer")]


class SecurityHeaders:
    """ASGI middleware: the CSP and friends on every HTTP response (pages, assets, JSON, errors)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def sending(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in SECURITY_HEADERS if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, sending)


def _json(status: int, doc) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False) + "\n", status,
                    headers={"content-type": "application/json; charset=utf-8"})


class Page:
    def __init__(self, server):
        self.server = server

    async def index(self, request: Request) -> Response:
        return self.server.html("page.html", title="hrkg", dataset=self.server.served_root(),
                                base=self.server.dataset_base(), ontology=iris.ONTOLOGY)

    async def view(self, request: Request, view: str, allowed: tuple[str, ...]) -> Response:
        params = {k: request.query_params[k] for k in allowed if k in request.query_params}
        unknown = sorted(set(request.query_params) - set(allowed))
        if unknown:
            return _json(400, {"error": f"/{view} has no parameter {', '.join(unknown)} "
                                        f"(parameters: {', '.join(allowed) or 'none'})"})
        answer = await self.server.ask({"kind": "page", "view": view, "params": params})
        if isinstance(answer, Response):
            return answer
        return self.server.respond(answer)

    async def entities(self, request: Request) -> Response:
        return await self.view(request, "entities", ("q",))

    async def evidence(self, request: Request) -> Response:
        if not request.query_params.get("claim"):
            return _json(400, {"error": "/evidence needs claim=IRI (a claim's full IRI, e.g. "
                                        f"claim={self.server.dataset_base()}article/000/claim/merkel-raised-issue)"})
        return await self.view(request, "evidence", ("claim",))

    async def timeline(self, request: Request) -> Response:
        return await self.view(request, "timeline", ("from", "to"))

    async def timeline_extent(self, request: Request) -> Response:
        return await self.view(request, "timeline-extent", ())

    async def network(self, request: Request) -> Response:
        return await self.view(request, "network", ())

    def routes(self) -> list:
        """Routes to put before the linked-data catch-all (``/`` replaces the server's plain index)."""
        return [Route("/", self.index, methods=["GET"]),
                Route("/entities", self.entities, methods=["GET"]),
                Route("/evidence", self.evidence, methods=["GET"]),
                Route("/timeline", self.timeline, methods=["GET"]),
                Route("/timeline-extent", self.timeline_extent, methods=["GET"]),
                Route("/network", self.network, methods=["GET"]),
                Mount("/static", app=StaticFiles(directory=STATIC), name="static")]
