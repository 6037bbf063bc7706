"""Serve this folder on http://127.0.0.1:8000 with the headers that enable wasm threads.

Browsers give SharedArrayBuffer (which onnxruntime-web's threads need) only to pages that are
cross-origin isolated, i.e. served with
``Cross-Origin-Opener-Policy: same-origin`` and ``Cross-Origin-Embedder-Policy: require-corp``.
Any static server works without them; the page then runs on one thread.

Usage: ``python serve.py [--port 8000] [--bind 127.0.0.1] [--no-isolation]``
"""

import argparse
import functools
import http.server
from pathlib import Path


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".onnx": "application/octet-stream",
    }
    isolate = True

    def end_headers(self) -> None:
        if self.isolate:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--no-isolation", action="store_true", help="omit COOP/COEP (one thread)")
    args = parser.parse_args()
    Handler.isolate = not args.no_isolation
    handler = functools.partial(Handler, directory=str(Path(__file__).resolve().parent))
    with http.server.ThreadingHTTPServer((args.bind, args.port), handler) as server:
        print(f"serving on http://{args.bind}:{args.port}/ (Ctrl-C to stop)")
        server.serve_forever()


if __name__ == "__main__":
    main()
