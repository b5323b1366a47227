"""The grading room's HTTP server: the page, its two static files and the JSON API (api.py), on 127.0.0.1.

Who may use it: whoever has a token the command printed (in the page's URL, then in every API call's
X-Room-Token header; compared in constant time). With ``graders`` each grader has a link of their own and the
trail records the name the token belongs to, not one the page sends: a TA holding only their link cannot
record a change as another. Without them there is one shared token and each grader types a name (recorded as
typed). The Host header must name the address served, so a web page
on another site cannot reach the room through a DNS name rebound to 127.0.0.1. Every response forbids the
browser to load or run anything but the room's own script and style (CSP), and to cache or refer onward; a
student's answer reaches the page only as HTML rendered and escaped here. Errors are one line of JSON; a bug
of ours is a 500 with one line on stderr, never a traceback sent to the browser. Requests are not logged:
the page's request line carries the token.

Stopping (Ctrl-C, or ``shutdown()`` from a test's thread) waits for the requests in flight, so a change being
written is finished before the store closes (each change is also one SQLite transaction: a process killed
mid-change leaves it whole or not at all).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
import secrets
import socket
import sys
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from ..errors import KitError
from .api import ApiError, Room, RoomSetup, open_room
from .store import RoomError, Stale, check_grader, same_grader

MAX_BODY = 64 * 1024
STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {"room.js": "text/javascript; charset=utf-8", "room.css": "text/css; charset=utf-8"}
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_WILDCARD = {"", "0.0.0.0", "::"}
_QID = r"(?P<qid>[^/]+)"
_FORBIDDEN_PAGE = ("<!doctype html><meta charset=utf-8><title>Grading room</title><p>403: this address needs the "
                   "token that the grading-room command printed: open the whole URL it printed.</p>")


class RoomServer:
    """The room served over HTTP: ``url`` (with its token), ``serve_forever()``, ``shutdown()`` from another thread
    (or ``close()`` after serve_forever was interrupted)."""

    def __init__(self, room: Room, host: str = "127.0.0.1", port: int = 0,
                 links: Mapping[str, str | None] | None = None) -> None:
        """links: token -> the grader it belongs to, from grader_links() (left out: one shared token)."""
        self.room = room
        # token -> the grader it belongs to (None: the shared token, whose graders type their names)
        self.links: dict[str, str | None] = dict(links if links is not None else grader_links(()))
        self.token = next(iter(self.links))
        self.host = host
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
        try:
            self._httpd = server_class((host, port), _Handler)
        except OSError as e:
            raise KitError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None
        self._httpd.room_server = self
        self.port = int(self._httpd.server_address[1])
        self.hosts = _allowed_hosts(host)
        self._busy = 0
        self._idle = threading.Condition()
        self._serving = False
        self._closed = False

    @classmethod
    def open(cls, setup: RoomSetup, results_dir: Path, host: str = "127.0.0.1", port: int = 0,
             graders: Sequence[str] = ()) -> RoomServer:
        """The room of RESULTS_DIR (its answers, its store beside them), ready to serve; graders: a link each."""
        links = grader_links(graders)  # bad names are refused before the store is made
        room = open_room(setup, results_dir)
        try:
            return cls(room, host, port, links)
        except BaseException:
            room.store.close()
            raise

    @property
    def url(self) -> str:
        """The first link's URL (the only one without graders)."""
        return self.url_of(self.token)

    @property
    def grader_urls(self) -> list[tuple[str | None, str]]:
        """(grader, URL) for every link, in the order the graders were given; (None, URL) for a shared token."""
        return [(grader, self.url_of(token)) for token, grader in self.links.items()]

    def url_of(self, token: str) -> str:
        name = socket.gethostname() if self.host in _WILDCARD else self.host
        return f"http://{_bracketed(name)}:{self.port}/?token={quote(token)}"

    def grader_of(self, given: str) -> tuple[bool, str | None]:
        """(whether the token is one of the room's, the grader it belongs to). Every token is compared, each in
        constant time, so the time taken says nothing of which one nearly matched."""
        found: tuple[bool, str | None] = (False, None)
        for token, grader in self.links.items():
            if _token_ok(given, token):
                found = (True, grader)
        return found

    def serve_forever(self) -> None:
        self._serving = True
        threading.Thread(target=self.room.warm, name="room-warm", daemon=True).start()
        self._httpd.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        """Stop serving (from another thread than serve_forever's) and close."""
        if self._serving:
            self._httpd.shutdown()
        self.close()

    def close(self) -> None:
        """Stop taking connections, let the requests in flight finish (10 s at most), close the store."""
        if self._closed:
            return
        self._httpd.server_close()
        with self._idle:
            self._closed = True
            self._idle.wait_for(lambda: self._busy == 0, timeout=10)
            self.room.store.close()

    def __enter__(self) -> RoomServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _begin(self) -> bool:
        """A request starts; False once closed (the store is gone)."""
        with self._idle:
            if self._closed:
                return False
            self._busy += 1
            return True

    def _end(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True   # an idle keep-alive connection does not hold the process at exit
    room_server: RoomServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that left before its answer (a closed tab, a reload) is no error; anything else is one line
        on stderr (socketserver's default prints the whole traceback)."""
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)):
            return
        print(f"grading room: a request failed: {type(error).__name__}: {error}", file=sys.stderr)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _allowed_hosts(host: str) -> set[str]:
    """The names a Host header may give (the port is checked apart). Any IP address is fine too: DNS
    rebinding needs a name."""
    if host in _LOOPBACK:
        return set(_LOOPBACK)
    names = {host.lower()} | _LOOPBACK
    if host in _WILDCARD:
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    return names


def _host_ok(header: str | None, names: set[str], port: int) -> bool:
    if not header:
        return False
    found = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?", header.strip())
    if found is None or int(found[2] or 80) != port:
        return False
    name = found[1].strip("[]").lower().rstrip(".")
    if name in names:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive: a page grading 200 answers opens few connections
    server_version = "grading-room"
    sys_version = ""
    timeout = 60                    # an idle or stalled connection is dropped
    server: _HTTPServer
    _body_read = False              # this request's body was read (else its connection is closed after it)

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the page's request line holds the token: nothing is logged per request

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (a bad request line, a method we lack) as ours: JSON, our headers."""
        self.close_connection = True
        self._send_json(code, {"error": message or HTTPStatus(code).phrase})

    # one request

    def _handle(self) -> None:
        room_server = self.server.room_server
        self._body_read = False
        if not room_server._begin():
            self.close_connection = True
            self._send_json(503, {"error": "the grading room is stopping"})
            return
        try:
            self._route(room_server)
        except ApiError as e:
            self._send_json(e.status, {"error": e.message, **e.extra})
        except Stale as e:
            state = e.state
            who = f" by {state.updated_by} at {state.updated_at}" if state.updated_by else ""
            self._send_json(409, {"error": f"this answer was changed{who} since you saw it: look again, then "
                                           f"redo your change", "state": self._stale_state(room_server.room, e)})
        except RoomError as e:
            self._send_json(e.status, {"error": e.message})
        except KitError as e:
            self._send_json(400, {"error": str(e)})
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the browser left before its answer (a closed tab, a reload): no error
        except Exception as e:  # a bug of ours: one line here, none of it to the browser
            print(f"grading room: internal error on {self.command} {urlsplit(self.path).path}: "
                  f"{type(e).__name__}: {e}", file=sys.stderr)
            self._send_json(500, {"error": "internal error in the grading room (its terminal says more)"})
        finally:
            room_server._end()

    def _route(self, room_server: RoomServer) -> None:
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if not _host_ok(self.headers.get("Host"), room_server.hosts, room_server.port):
            raise ApiError(403, "the Host header is not the address this room serves")
        if path == "/" and self.command == "GET":
            if not room_server.grader_of(query.get("token", [""])[-1])[0]:
                self._send(403, _FORBIDDEN_PAGE.encode(), "text/html; charset=utf-8")
                return
            self._send(200, (STATIC / "room.html").read_bytes(), "text/html; charset=utf-8")
            return
        if path.startswith("/static/") and self.command == "GET":
            name = path[len("/static/"):]
            if name not in _STATIC_TYPES or not (STATIC / name).is_file():
                raise ApiError(404, f"no such file: {path}")
            self._send(200, (STATIC / name).read_bytes(), _STATIC_TYPES[name])
            return
        if not path.startswith("/api/"):
            raise ApiError(404, f"no such page: {path}")
        known, grader = room_server.grader_of(self.headers.get("X-Room-Token", ""))
        if not known:
            raise ApiError(403, "this request needs the room's token (the X-Room-Token header)")
        matched = [(method, found, handler) for method, pattern, handler in _ROUTES
                   if (found := re.fullmatch(pattern, path)) is not None]
        for method, found, handler in matched:
            if method == self.command:
                body = _as_grader(self._body(), grader) if method == "POST" else {}
                self._send_json(200, handler(room_server.room, found.groupdict(), query, body, grader))
                return
        if matched:
            raise ApiError(405, f"{path} takes {' or '.join(m for m, _, _ in matched)}, not {self.command}")
        raise ApiError(404, f"no such API route: {path}")

    def _body(self) -> dict[str, Any]:
        """The request's JSON object (64 KiB at most)."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise ApiError(400, "send the body with a Content-Length, not chunked")
        length_text = self.headers.get("Content-Length", "")
        if not length_text.isdigit():
            self.close_connection = True
            raise ApiError(400, "a POST needs a Content-Length and a JSON body")
        length = int(length_text)
        if length > MAX_BODY:
            self.close_connection = True  # its body is left unread
            raise ApiError(413, f"the body is {length} bytes; the room takes at most {MAX_BODY}")
        raw = self.rfile.read(length)
        self._body_read = True
        try:
            body = json.loads(raw.decode("utf-8"), parse_float=_Number, parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise ApiError(400, f"the body is not JSON: {str(e).splitlines()[0][:200]}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        return body

    def _stale_state(self, room: Room, stale: Stale) -> dict[str, Any]:
        question = room.questions[stale.state.question]
        return room.state_json(stale.state, room.store.rubric(question.id), question)

    # responses

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, separators=(",", ":")).encode(), "application/json; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        if self.command == "POST" and not getattr(self, "_body_read", False):
            self.close_connection = True  # its body, unread, would be taken for the next request
        self.send_response(status)
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _token_ok(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode())


def grader_links(graders: Sequence[str]) -> dict[str, str | None]:
    """A fresh token for each named grader, or (no graders) one shared token whose graders type their names."""
    if not graders:
        return {secrets.token_urlsafe(24): None}
    names: list[str] = []
    for given in graders:
        try:
            name = check_grader(given)
        except RoomError as e:
            raise KitError(f"--grader {given!r}: {e.message}") from None
        twin = next((n for n in names if same_grader(n, name)), None)
        if twin is not None:
            raise KitError(f"--grader {name!r} is given twice ({twin!r} reads the same): each grader gets one "
                           "link")
        names.append(name)
    return {secrets.token_urlsafe(24): name for name in names}


def _as_grader(body: dict[str, Any], grader: str | None) -> dict[str, Any]:
    """The body a named link's change is recorded under: its own grader, whatever the page sent."""
    if grader is None:
        return body
    sent = body.get("grader")
    if sent is not None and (not isinstance(sent, str) or unicodedata.normalize("NFC", sent.strip()) != grader):
        raise ApiError(403, f"this link is {grader}'s: it records changes as {grader}, not as {str(sent)[:60]!r}")
    return {**body, "grader": grader}


class _Number(Decimal):
    """A JSON number with a fraction or exponent, exact (no float rounding), shown in messages as written."""

    def __repr__(self) -> str:
        return str(self)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number the room takes")


def _names(query: dict[str, list[str]]) -> bool:
    return query.get("names", ["0"])[-1] in ("1", "true", "yes")


def _since(query: dict[str, list[str]]) -> int:
    text = query.get("since", ["0"])[-1]
    if not text.isdigit() or len(text) > 18:
        raise ApiError(400, f"since= is a change's number (a whole number), not {text!r}")
    return int(text)


def _item_id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise ApiError(404, f"there is no rubric item {text!r}")
    return int(text)


# (room, the path's groups, the query, the body, the grader a named link belongs to) -> the JSON answer
_Route = Callable[[Room, dict[str, str], dict[str, list[str]], dict[str, Any], str | None], Any]
_ROUTES: list[tuple[str, str, _Route]] = [
    ("GET", r"/api/room", lambda room, m, q, b, who: room.room(who)),
    ("GET", rf"/api/questions/{_QID}", lambda room, m, q, b, who: room.question(m["qid"], _names(q))),
    ("GET", rf"/api/questions/{_QID}/answers/(?P<key>[^/]+)",
     lambda room, m, q, b, who: room.answer(m["qid"], m["key"], _names(q))),
    ("GET", rf"/api/questions/{_QID}/answers/(?P<key>[^/]+)/history",
     lambda room, m, q, b, who: room.history(m["qid"], m["key"])),
    ("POST", rf"/api/questions/{_QID}/answers/(?P<key>[^/]+)",
     lambda room, m, q, b, who: room.change(m["qid"], m["key"], b)),
    ("POST", rf"/api/questions/{_QID}/rubric", lambda room, m, q, b, who: room.add_item(m["qid"], b)),
    ("POST", r"/api/rubric/(?P<id>[^/]+)", lambda room, m, q, b, who: room.edit_item(_item_id(m["id"]), b)),
    ("GET", r"/api/changes", lambda room, m, q, b, who: room.changes(_since(q))),
]
