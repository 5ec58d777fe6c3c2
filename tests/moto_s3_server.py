"""moto's S3 server, with its writes made atomic as S3's are.

moto checks a conditional PutObject's If-Match / If-None-Match and then stores the object in two
steps, so two concurrent writers can both pass the check; real S3 lets exactly one win. perso's S3
state relies on that, and its contract test checks it with eight concurrent writers, which then
failed now and then on moto alone. Serialising moto's writes (PUT, POST, DELETE) restores the
guarantee; reads stay concurrent. Everything else is moto, over real HTTP.

    python tests/moto_s3_server.py -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import argparse
import os
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

WRITES = frozenset({"PUT", "POST", "DELETE"})


class AtomicWrites:
    """WSGI middleware: one write at a time, each answered in full before the next starts."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") not in WRITES:
            return self.app(environ, start_response)
        with self.lock:
            return list(self.app(environ, start_response))  # the body too: moto may store lazily


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto.server does: some responses name it
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, AtomicWrites(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
