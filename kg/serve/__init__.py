"""``kg serve``: a read-only SPARQL 1.1 endpoint and linked-data server (Starlette on uvicorn).

``app`` builds the ASGI application, ``negotiate`` the formats, ``workers`` the
query processes, ``describe`` the linked-data descriptions.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from ..errors import UsageError

__all__ = ["Config", "Server", "serve"]


def __getattr__(name: str):
    # lazily, so that a worker process (which imports kg.serve.workers) does not load the web stack
    if name in ("Config", "Server"):
        from . import app
        return getattr(app, name)
    raise AttributeError(name)


def serve(cfg, announce: Callable[[str], None]) -> None:
    """Listen on ``cfg.host:cfg.port`` (0: a free port) and serve until interrupted."""
    import uvicorn

    from .. import oxstore

    if not oxstore.exists(cfg.out):
        raise UsageError(f"{cfg.out}/store: no built store here — run `kg build --out {cfg.out}` first")
    family = socket.AF_INET6 if ":" in cfg.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((cfg.host, cfg.port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"--host {cfg.host} --port {cfg.port}: cannot listen there ({exc.strerror}) — "
                         "pick another --port (0 picks a free one)") from None
    from .app import Server

    cfg.port = sock.getsockname()[1]
    server = Server(cfg)
    config = uvicorn.Config(server.app(), log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=2)
    announce(f"serving {cfg.out}/ on http://{cfg.host}:{cfg.port}/ (SPARQL at {cfg.base()}sparql; "
             f"{cfg.workers} query workers, {cfg.timeout:g} s per query, {cfg.max_rows} rows) — Ctrl-C stops")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down gracefully, then re-raises the Ctrl-C it caught
        pass
