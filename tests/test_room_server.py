"""The grading room's server (autograder/room/server.py, api.py, anonymity.py), driven over HTTP with urllib
against a server on a free port in a thread: who gets in (token, Host header), every route, the errors (one
line of JSON each), anonymity, and that a student's answer comes back inert (escaped), long ones cut in a list.
The page itself is driven in a browser by tests/test_room_browser.py.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from autograder.release.questions import Question
from autograder.room.answers import RoomAnswers, StudentAnswer
from autograder.room.api import LIST_CHARS, LIST_HTML, Room, RoomSetup
from autograder.room.server import HEADERS, MAX_BODY, RoomServer, grader_links
from autograder.room.store import open_room

STUDENTS = ("alice", "bob", "carol", "dave")
HOSTILE = ('<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3)) '
           '<a href="javascript:alert(4)">raw</a> <iframe src="https://evil.example"></iframe> $x^2$')
QUESTIONS = (Question(1, "q1", "Why does the *loss* fall? Use $\\nabla L$.", 10),
             Question(2, "q2", "Explain <b>momentum</b>.", 20))


def room_answers(texts: dict[tuple[str, str], str]) -> RoomAnswers:
    by_question = {}
    for q in QUESTIONS:
        by_question[q.id] = tuple(
            StudentAnswer(s, q.id, f"Question {q.number} ({q.id})", "answer cell 3", texts.get((s, q.id), ""),
                       None if texts.get((s, q.id)) else "(no answer written)") for s in STUDENTS)
    return RoomAnswers(STUDENTS, by_question)


TEXTS = {("alice", "q1"): "Because the gradient $\\nabla L$ points *uphill*.", ("bob", "q1"): HOSTILE,
         ("carol", "q1"): "x" * 1_000_000, ("alice", "q2"): "It smooths the steps."}


class Client:
    def __init__(self, server: RoomServer) -> None:
        self.server = server
        self.base = f"http://127.0.0.1:{server.port}"

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = "", raw: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        sent = {"X-Room-Token": self.server.token if token == "" else token} if token is not None else {}
        sent.update(headers or {})
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, method: str, path: str, body: Any = None, status: int = 200, **kw: Any) -> Any:
        code, headers, data = self.request(method, path, body, **kw)
        assert code == status, (code, data[:300])
        assert headers["Content-Type"].startswith("application/json")
        return json.loads(data)

    def get(self, path: str, **kw: Any) -> Any:
        return self.json("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self.json("POST", path, body, **kw)


def serve(results: Path, texts: dict[tuple[str, str], str] = TEXTS, graders: tuple[str, ...] = ()) -> RoomServer:
    setup = RoomSetup("toy", "Toy assignment", QUESTIONS, {"q1": Decimal(2), "q2": Decimal("1.5")})
    store = open_room(results, "toy")
    server = RoomServer(Room(setup, room_answers(texts), store), links=grader_links(graders))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def room(tmp_path):
    server = serve(tmp_path)
    yield Client(server)
    server.shutdown()


def key_of(client: Client, student: str, qid: str = "q1") -> str:
    answers = client.get(f"/api/questions/{qid}?names=1")["answers"]
    return next(a["key"] for a in answers if a["name"] == student)


def test_is_the_page_and_the_api_refused_without_the_token(room):
    assert room.server.url == f"http://127.0.0.1:{room.server.port}/?token={room.server.token}"
    assert len(room.server.token) >= 32
    for query in ("", "?token=", "?token=wrong", f"?token={room.server.token[:-1]}"):
        code, headers, body = room.request("GET", "/" + query, token=None)
        assert code == 403 and b"token" in body and b"room.js" not in body, query
    code, _, body = room.request("GET", f"/?token={room.server.token}", token=None)
    assert code == 200 and b'<script src="/static/room.js"' in body
    for token in (None, "wrong", room.server.token + "x"):
        assert room.json("GET", "/api/room", status=403, token=token)["error"]
        assert room.json("POST", "/api/questions/q1/rubric", {"grader": "ta", "points": 1, "description": "d"},
                         status=403, token=token)["error"]
    assert room.get("/api/questions/q1")["rubric"] == []  # nothing was added by the refused POSTs


def test_does_a_graders_own_link_record_their_name_whatever_the_page_sends(tmp_path):
    """--grader ada --grader bob: a link each; the trail's name is the link's, a name sent otherwise is refused."""
    server = serve(tmp_path, graders=("Ada", "Bob"))
    try:
        client = Client(server)
        links = server.grader_urls
        assert [grader for grader, _ in links] == ["Ada", "Bob"]
        ada, bob = (url.split("token=")[1] for _, url in links)
        assert ada != bob and len(ada) >= 32 and server.url == links[0][1]
        for token in (ada, bob):
            code, _, page = client.request("GET", f"/?token={token}", token=None)
            assert code == 200 and b"room.js" in page
        code, _, page = client.request("GET", f"/?token={ada[:-1]}", token=None)
        assert code == 403 and b"room.js" not in page
        assert client.get("/api/room", token=ada)["grader"] == "Ada"
        assert client.get("/api/room", token=bob)["grader"] == "Bob"
        assert client.json("GET", "/api/room", status=403, token="wrong")["error"]

        key = key_of(client, "alice")
        path = f"/api/questions/q1/answers/{key}"
        state = client.post(path, {"version": 0, "comment": "no name sent"}, token=ada)
        assert state["updated_by"] == "Ada"
        refused = client.post(path, {"grader": "Bob", "version": 1, "comment": "as Bob"}, status=403, token=ada)
        assert refused["error"] == "this link is Ada's: it records changes as Ada, not as 'Bob'"
        for sent in ("ada", "Ada.", "", 1, ["Ada"]):  # (" Ada " is Ada: names are trimmed)
            client.post(path, {"grader": sent, "version": 1, "comment": "x"}, status=403, token=ada)
        item = client.post("/api/questions/q1/rubric", {"grader": "Bob", "points": 1, "description": "d"},
                           token=bob)
        client.post("/api/questions/q1/rubric", {"grader": "Ada", "points": 1, "description": "d"}, status=403,
                    token=bob)
        client.post(f"/api/rubric/{item['id']}", {"grader": 7, "points": 2}, status=403, token=bob)
        state = client.post(path, {"grader": "Bob", "version": 1, "item": item["id"], "applied": True}, token=bob)
        assert state["updated_by"] == "Bob" and state["score"] == 1
        trail = [(c["grader"], c["field"]) for c in client.get("/api/changes?since=0", token=ada)["changes"]]
        assert trail == [("Ada", "comment"), ("Bob", "rubric item 1"), ("Bob", "rubric item 1 (+1 d)")]
    finally:
        server.shutdown()


def test_are_bad_grader_links_refused_before_the_room_opens(tmp_path):
    from autograder.errors import KitError
    [(shared, nobody)] = grader_links(()).items()  # the shared token, as before
    assert nobody is None and len(shared) >= 32
    with pytest.raises(KitError, match="'ada' is given twice"):
        grader_links(("Ada", "ada"))
    with pytest.raises(KitError, match="printable"):
        grader_links(("x" * 61,))
    with pytest.raises(KitError, match="missing"):
        grader_links(("  ",))
    # names that read the same are one grader: case, composed or combining accents, full-width forms
    for twins in (("Adá", "Ada\u0301"), ("Ada", "Ａｄａ")):
        with pytest.raises(KitError, match="given twice"):
            grader_links(twins)
    assert sorted(grader_links(("Ada", "\u0410da")).values()) == ["Ada", "\u0410da"]  # Cyrillic А: another name
    with pytest.raises(KitError, match="a letter or digit"):
        grader_links(("\u2800",))  # a blank that counts as printable
    assert list(grader_links(("Ada\u0301",)).values()) == ["Adá"]  # kept composed (NFC), as the trail shows it


def test_is_a_forged_host_header_refused(room):
    """A page on evil.example whose name is rebound to 127.0.0.1 sends Host: evil.example:PORT."""
    port = room.server.port
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", f"localhost.evil.example:{port}"):
        code, _, body = room.request("GET", f"/?token={room.server.token}", token=None, headers={"Host": host})
        assert code == 403 and b"room.js" not in body, host
        assert room.json("GET", "/api/room", status=403, headers={"Host": host})["error"].startswith("the Host")
    assert room.get("/api/room", headers={"Host": f"localhost:{port}"})["assignment"] == "toy"


def test_does_every_response_carry_the_security_headers(room):
    key = key_of(room, "alice")
    requests = [("GET", f"/?token={room.server.token}", None), ("GET", "/", None), ("GET", "/static/room.html", None),
                ("GET", "/api/room", None), ("GET", "/api/questions/q9", None), ("GET", "/nope", None),
                ("POST", f"/api/questions/q1/answers/{key}", {"grader": "ta", "version": 5, "comment": "x"}),
                ("POST", "/api/questions/q1/rubric", {"grader": "ta"}), ("DELETE", "/api/room", None)]
    codes = set()
    for method, path, body in requests:
        code, headers, _ = room.request(method, path, body)
        codes.add(code)
        for name, value in HEADERS.items():
            assert headers.get(name) == value, (method, path, name)
        assert "img-src 'none'" in headers["Content-Security-Policy"]
    assert codes == {200, 403, 404, 409, 400, 501}


def test_does_each_route_do_its_job(room):
    about = room.get("/api/room")
    assert about["assignment"] == "toy" and about["students"] == 4 and about["written_points"] == 3.5
    q1 = about["questions"][0]
    assert (q1["id"], q1["number"], q1["title"], q1["points"]) == ("q1", 1, "Question 1 (q1)", 2)
    assert "<em>loss</em>" in q1["html"] and "<math" in q1["html"]
    assert "<b>" not in about["questions"][1]["html"] and "&lt;b&gt;momentum" in about["questions"][1]["html"]

    listed = room.get("/api/questions/q1")
    assert listed["question"] == q1 and listed["rubric"] == [] and len(listed["answers"]) == 4
    answer = next(a for a in listed["answers"] if "uphill" in a["html"])
    key = answer["key"]
    assert answer["state"] == {"items": [], "comment": "", "override": None, "score": None, "graded": False,
                               "stale": False, "version": 0, "updated_by": None, "updated_at": None}
    assert answer["where"] == "answer cell 3" and answer["empty"] is None
    assert answer["chars"] == len(TEXTS["alice", "q1"])
    empty = [a for a in listed["answers"] if a["empty"]]
    assert [a["empty"] for a in empty] == ["(no answer written)"] and empty[0]["html"] == ""

    right = room.post("/api/questions/q1/rubric", {"grader": "Ann", "points": 1.5, "description": "right idea"})
    wrong = room.post("/api/questions/q1/rubric", {"grader": "Ann", "points": "-0.5", "description": "sign slip"})
    assert right == {"id": right["id"], "position": 1, "points": 1.5, "description": "right idea"}
    assert wrong["position"] == 2 and wrong["points"] == -0.5
    path = f"/api/questions/q1/answers/{key}"
    state = room.post(path, {"grader": "Ann", "version": 0, "item": right["id"], "applied": True})
    assert state["items"] == [right["id"]] and state["score"] == 1.5 and state["graded"] and state["version"] == 1
    assert state["updated_by"] == "Ann" and state["updated_at"]
    state = room.post(path, {"grader": "Ann", "version": 1, "item": wrong["id"], "applied": True})
    assert state["score"] == 1 and state["version"] == 2
    state = room.post(path, {"grader": "Bo", "version": 2, "comment": "Say *why* it falls."})
    assert state["comment"] == "Say *why* it falls." and state["updated_by"] == "Bo"
    state = room.post(path, {"grader": "Bo", "version": 3, "override": 2})
    assert state["override"] == 2 and state["score"] == 2
    state = room.post(path, {"grader": "Bo", "version": 4, "override": None})
    assert state["override"] is None and state["score"] == 1 and state["version"] == 5
    edited = room.post(f"/api/rubric/{right['id']}", {"grader": "Ann", "points": 3})
    assert edited["points"] == 3 and edited["description"] == "right idea"
    one = room.get(path)
    assert one["key"] == key and one["state"]["score"] == 2  # 3 - 0.5 capped by the question's 2 points
    fields = [(c["grader"], c["field"], c["before"], c["after"]) for c in one["history"]]
    assert ("Ann", "rubric item 1 (+1.5 right idea)", "not applied", "applied") in fields
    assert ("Bo", "comment", "", "Say *why* it falls.") in fields and ("Bo", "override", "2", "none") in fields
    assert ("Ann", "rubric item 1", "+1.5 right idea", "+3 right idea") in fields
    assert all(c["key"] in (key, None) for c in one["history"])

    deleted = room.post(f"/api/rubric/{wrong['id']}", {"grader": "Ann", "deleted": True})
    assert deleted["id"] == wrong["id"]
    assert [i["id"] for i in room.get("/api/questions/q1")["rubric"]] == [right["id"]]

    everything = room.get("/api/changes?since=0")
    assert everything["seq"] == everything["changes"][-1]["seq"] and len(everything["changes"]) == 9
    assert {c["key"] for c in everything["changes"]} == {key, None}
    assert "alice" not in json.dumps(everything)
    later = room.get(f"/api/changes?since={everything['seq'] - 1}")
    assert [c["field"] for c in later["changes"]] == ["rubric item 2"] and later["seq"] == everything["seq"]
    assert room.get(f"/api/changes?since={everything['seq']}")["changes"] == []
    code, headers, js = room.request("GET", "/static/room.html", token=None)
    assert code == 404  # only the page's own two files are served from static/, the page at / with its token


def test_is_a_stale_change_refused_with_the_answer_as_it_is_now(room):
    key = key_of(room, "bob")
    item = room.post("/api/questions/q1/rubric", {"grader": "Ann", "points": 1, "description": "ok"})
    path = f"/api/questions/q1/answers/{key}"
    room.post(path, {"grader": "Ann", "version": 0, "item": item["id"], "applied": True})
    refused = room.post(path, {"grader": "Bo", "version": 0, "comment": "mine"}, status=409)
    assert "changed by Ann" in refused["error"]
    assert refused["state"]["version"] == 1 and refused["state"]["items"] == [item["id"]]
    assert refused["state"]["comment"] == "" and refused["state"]["score"] == 1
    assert room.get(path)["state"]["comment"] == ""


@pytest.mark.parametrize("body, said", [
    (b"not json", "the body is not JSON"),
    (b"[1, 2]", "the body must be a JSON object"),
    (b'{"grader": "ta", "version": 0, "override": NaN}', "NaN is not a number"),
    (b'{"grader": "ta", "version": 0, "override": 1e999}', "an override 1E+999 is outside 0 to"),
    (b'{"version": 0, "comment": "x"}', "the grader's name is missing"),
    (b'{"grader": "' + b"x" * 61 + b'", "version": 0, "comment": "x"}', "1 to 60 printable"),
    (b'{"grader": "a\\u0000b", "version": 0, "comment": "x"}', "printable"),
    (b'{"grader": "ta", "version": "0", "comment": "x"}', '"version"'),
    (b'{"grader": "ta", "version": -1, "comment": "x"}', '"version"'),
    (b'{"grader": "ta", "version": 0}', "say one change"),
    (b'{"grader": "ta", "version": 0, "comment": "x", "override": 1}', "say one change"),
    (b'{"grader": "ta", "version": 0, "comment": 5}', '"comment" must be text'),
    (b'{"grader": "ta", "version": 0, "item": true, "applied": true}', '"item"'),
    (b'{"grader": "ta", "version": 0, "item": 1, "applied": 1}', '"applied" must be true or false'),
    (b'{"grader": "ta", "version": 0, "comment": "x", "applied": true}', '"applied" goes with "item" only'),
    (b'{"grader": "ta", "version": 0, "override": 1, "applied": false}', '"applied" goes with "item" only'),
    (b'{"grader": "ta", "version": 0, "keep": true, "applied": true}', '"keep": true keeps the grade'),
    (b'{"grader": "ta", "version": 0, "override": -1}', "outside 0 to"),
    (b'{"grader": "ta", "version": 0, "override": 2.5}', "more than question q1's 2 points"),
    (b'{"grader": "ta", "version": 0, "override": "two"}', "must be a number"),
    (b'{"grader": "ta", "version": 0, "comment": "x", "score": 2}', "unknown field(s) 'score'"),
])
def test_is_a_bad_body_a_400_saying_what_is_wrong(room, body, said):
    key = key_of(room, "alice")
    code, headers, data = room.request("POST", f"/api/questions/q1/answers/{key}", raw=body)
    assert code == 400 and headers["Content-Type"].startswith("application/json")
    error = json.loads(data)["error"]
    assert said in error and "\n" not in error and "Traceback" not in error, error
    assert room.get(f"/api/questions/q1/answers/{key}")["state"]["version"] == 0


@pytest.mark.parametrize("path, body, said", [
    ("/api/questions/q1/rubric", {"grader": "ta", "description": "d"}, 'needs "points"'),
    ("/api/questions/q1/rubric", {"grader": "ta", "points": 1, "description": "  "}, "needs a description"),
    ("/api/questions/q1/rubric", {"grader": "ta", "points": 1, "description": "a\nb"}, "one line"),
    ("/api/questions/q1/rubric", {"points": 1, "description": "d"}, "grader's name is missing"),
    ("/api/questions/q1/rubric", {"grader": "ta", "points": True, "description": "d"}, "must be a number"),
    ("/api/rubric/1", {"grader": "ta"}, "say what changes"),
    ("/api/rubric/1", {"grader": "ta", "deleted": "yes"}, '"deleted" must be true or false'),
])
def test_is_a_bad_rubric_body_a_400(room, path, body, said):
    room.post("/api/questions/q1/rubric", {"grader": "ta", "points": 1, "description": "first"})
    assert said in room.post(path, body, status=400)["error"]


def test_are_unknown_things_404_and_oversized_bodies_413(room):
    key = key_of(room, "alice")
    assert "no question 'q9'" in room.get("/api/questions/q9", status=404)["error"]
    assert room.get(f"/api/questions/q9/answers/{key}", status=404)["error"]
    assert room.get("/api/questions/q1/answers/0123456789abcdef", status=404)["error"]
    assert room.get("/api/questions/q1/answers/alice", status=404)["error"]  # a name is no key
    assert "no rubric item 99" in room.post(f"/api/questions/q1/answers/{key}",
                                            {"grader": "ta", "version": 0, "item": 99, "applied": True},
                                            status=404)["error"]
    assert room.post("/api/rubric/99", {"grader": "ta", "points": 1}, status=404)["error"]
    assert room.post("/api/rubric/abc", {"grader": "ta", "points": 1}, status=404)["error"]
    assert room.get("/api/nothing", status=404)["error"]
    assert room.get("/api/changes?since=x", status=400)["error"].startswith("since=")
    big = {"grader": "ta", "version": 0, "comment": "x" * MAX_BODY}
    code, _, data = room.request("POST", f"/api/questions/q1/answers/{key}", big)
    assert code == 413 and "at most 65536" in json.loads(data)["error"]
    assert room.get(f"/api/questions/q1/answers/{key}")["state"]["comment"] == ""


def test_are_names_hidden_unless_asked_and_labels_stable(tmp_path, room):
    listed = room.get("/api/questions/q1")["answers"]
    text = json.dumps(listed) + json.dumps(room.get(f"/api/questions/q1/answers/{listed[0]['key']}"))
    assert all(a["name"] is None for a in listed) and not any(s in text for s in STUDENTS)
    # Listed in the labels' order, never the names': the k-th card tells nothing of who wrote it.
    assert [a["label"] for a in listed] == [f"Student {n}" for n in range(1, 5)]
    assert all(len(a["key"]) == 16 for a in listed)
    named = room.get("/api/questions/q1?names=1")["answers"]
    assert sorted(a["name"] for a in named) == sorted(STUDENTS)
    by_label = {a["label"]: a["name"] for a in named}
    by_key = {a["key"]: a["name"] for a in named}
    assert [a["label"] for a in sorted(named, key=lambda a: a["key"])] == [f"Student {n}" for n in range(1, 5)]
    assert room.get(f"/api/questions/q1/answers/{named[0]['key']}?names=1")["name"] == named[0]["name"]
    room.server.shutdown()
    again = serve(tmp_path)  # the same room (its secret is in the database): the same keys and labels
    try:
        named_again = Client(again).get("/api/questions/q2?names=1")["answers"]
        assert {a["label"]: a["name"] for a in named_again} == by_label
        assert {a["key"]: a["name"] for a in named_again} == by_key
    finally:
        again.shutdown()
    (tmp_path / "other").mkdir()
    other = serve(tmp_path / "other")
    try:  # another room: other keys
        assert not set(by_key) & {a["key"] for a in Client(other).get("/api/questions/q1")["answers"]}
    finally:
        other.shutdown()


def test_is_a_hostile_answer_inert(room):
    listed = room.get("/api/questions/q1?names=1")["answers"]
    html = next(a for a in listed if a["name"] == "bob")["html"]
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=" in html
    assert 'href="javascript' not in html and "onerror=\"" not in html
    assert "<math" in html  # the math is still typeset
    whole = room.get(f"/api/questions/q1/answers/{key_of(room, 'bob')}")["html"]
    assert whole == html


def test_is_a_1mb_answer_cut_in_the_list_and_whole_alone(room):
    start = time.perf_counter()
    listed = room.get("/api/questions/q1?names=1")["answers"]
    listing = time.perf_counter() - start
    carol = next(a for a in listed if a["name"] == "carol")
    assert carol["truncated"] and carol["chars"] == 1_000_000
    assert LIST_CHARS <= carol["html"].count("x") < LIST_CHARS + 100
    assert not any(a["truncated"] for a in listed if a["name"] != "carol")
    start = time.perf_counter()
    whole = room.get(f"/api/questions/q1/answers/{carol['key']}")
    alone = time.perf_counter() - start
    assert not whole["truncated"] and whole["html"].count("x") == 1_000_000 and whole["chars"] == 1_000_000
    assert listing < 30 and alone < 60, (listing, alone)  # a hang, not a figure: docs/speed.md has those


def test_is_a_math_heavy_answer_listed_by_a_beginning_of_bounded_html(tmp_path):
    """20,000 characters of $x$ (what grade keeps of an answer) render to 650 KB of MathML: the list shows a
    beginning within LIST_HTML, and says it is cut; the answer alone is whole."""
    math = "$x$ " * 5_000
    server = serve(tmp_path, {("alice", "q1"): math, ("bob", "q1"): "short"})
    try:
        client = Client(server)
        listed = {a["name"]: a for a in client.get("/api/questions/q1?names=1")["answers"]}
        assert len(listed["alice"]["html"]) <= LIST_HTML and listed["alice"]["truncated"]
        assert listed["alice"]["html"].count("<math") > 100 and not listed["bob"]["truncated"]
        whole = client.get(f"/api/questions/q1/answers/{listed['alice']['key']}")
        assert whole["html"].count("<math") > 4_900 and not whole["truncated"]
    finally:
        server.shutdown()


def test_does_ctrl_c_stop_the_command_and_close_the_room(toy_course, monkeypatch, capsys):
    from autograder import cli
    results = toy_course / "results"
    for student in STUDENTS:
        (results / student).mkdir(parents=True)
        (results / student / "answers.json").write_text(json.dumps({
            "format": 1, "student": student, "submission": f"{student}.ipynb", "note": None,
            "answers": [{"question": "q1", "title": "Question 1 (q1)", "where": "answer cell 3", "cells": [3],
                         "text": f"answer of {student}", "empty": None}]}))
    served = {}
    serve_forever = RoomServer.serve_forever

    def interrupted(self):  # serves one request, then Ctrl-C as the main thread gets it
        served["server"] = self
        thread = threading.Thread(target=serve_forever, args=(self,))
        thread.start()
        served["page"] = Client(self).get("/api/questions/q1?names=1")
        self._httpd.shutdown()
        thread.join()
        raise KeyboardInterrupt

    monkeypatch.setattr(RoomServer, "serve_forever", interrupted)
    monkeypatch.chdir(toy_course)
    assert cli.main(["grading-room", "toy", str(results)]) == cli.OK
    out, err = capsys.readouterr()
    server = served["server"]
    assert f"open {server.url}" in out and "grading room stopped" in err and "warning" not in err
    assert sorted(a["name"] for a in served["page"]["answers"]) == sorted(STUDENTS)
    assert served["page"]["question"]["points"] == 2
    with pytest.raises(Exception, match="closed"):
        server.room.store.rubric("q1")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/api/room", timeout=5)
    assert (results / "grading-room.sqlite").is_file()
    with pytest.raises(SystemExit) as refused:
        cli.main(["grading-room", "toy", str(results), "--port", "70000"])
    assert refused.value.code == cli.REFUSED and "is not a port" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        cli.main(["grading-room", "toy", str(results), "--grader", "Ada", "--feedback"])
    assert refused.value.code == cli.REFUSED and "serve nothing" in capsys.readouterr().err

    assert cli.main(["grading-room", "toy", str(results), "--grader", "Ada", "--grader", "Bob"]) == cli.OK
    out = capsys.readouterr().out
    server = served["server"]
    for grader, url in server.grader_urls:
        assert f"{grader}: open {url}  (changes are recorded as {grader})" in out
    assert [g for g, _ in server.grader_urls] == ["Ada", "Bob"] and served["page"]["answers"]
    assert cli.main(["grading-room", "toy", str(results), "--grader", "Ada", "--grader", "ADA"]) == cli.REFUSED
    assert "given twice" in capsys.readouterr().err


def test_do_two_graders_racing_on_one_answer_get_one_change_and_409s(room):
    """Eight requests at once, each from the answer's version 0: one is taken, the others are told it changed."""
    key = key_of(room, "dave")
    barrier = threading.Barrier(8)
    codes = []

    def post(n: int) -> None:
        barrier.wait()
        code, _, _ = room.request("POST", f"/api/questions/q2/answers/{key}",
                                  {"grader": f"ta{n}", "version": 0, "comment": f"from ta{n}"})
        codes.append(code)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * 7
    one = room.get(f"/api/questions/q2/answers/{key}")
    assert one["state"]["version"] == 1 and one["state"]["comment"] == f"from {one['state']['updated_by']}"
    assert len(one["history"]) == 1


@pytest.mark.parametrize("bound, header, ok", [
    ("127.0.0.1", "127.0.0.1:8000", True), ("127.0.0.1", "localhost:8000", True), ("127.0.0.1", "[::1]:8000", True),
    ("127.0.0.1", "127.0.0.1:8001", False), ("127.0.0.1", "attacker.example:8000", False),
    ("127.0.0.1", None, False), ("127.0.0.1", "127.0.0.1:8000:1", False),
    ("0.0.0.0", "10.1.2.3:8000", True), ("0.0.0.0", "attacker.example:8000", False),
    ("grader.cs.example.edu", "grader.cs.example.edu:8000", True),
    ("grader.cs.example.edu", "GRADER.cs.example.edu.:8000", True),
    ("grader.cs.example.edu", "other.example.edu:8000", False),
])
def test_does_the_host_check_take_only_the_address_served(bound, header, ok):
    from autograder.room.server import _allowed_hosts, _host_ok
    assert _host_ok(header, _allowed_hosts(bound), 8000) is ok


def test_is_a_bug_a_500_of_one_line_never_a_traceback(room, monkeypatch, capsys):
    def broken(self, grader=None):
        raise ZeroDivisionError("secret detail of ours")

    monkeypatch.setattr(Room, "room", broken)
    code, headers, data = room.request("GET", "/api/room")
    assert code == 500 and headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
    assert json.loads(data) == {"error": "internal error in the grading room (its terminal says more)"}
    err = capsys.readouterr().err
    assert "ZeroDivisionError: secret detail of ours" in err and err.count("\n") == 1 and "Traceback" not in err
    assert room.server.token not in err


@pytest.mark.parametrize("error, said", [(BrokenPipeError(32, "Broken pipe"), ""),
                                         (ConnectionResetError(104, "reset"), ""),
                                         (ValueError("odd"), "grading room: a request failed: ValueError: odd\n")])
def test_is_a_browser_that_left_no_error_and_anything_else_one_line(room, capsys, error, said):
    """A closed tab or a reload mid-answer made socketserver print whole tracebacks on the room's terminal."""
    try:
        raise error
    except Exception:
        room.server._httpd.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == said


def test_is_a_grade_of_an_answer_a_regrade_changed_shown_stale_until_kept(tmp_path):
    """A resubmission graded again keeps its student and question; the room shows the new text with the old
    grade marked stale (not graded), and a grader keeps it or changes it."""
    server = serve(tmp_path)
    try:
        client = Client(server)
        item = client.post("/api/questions/q1/rubric", {"grader": "ana", "points": 2, "description": "right"})
        key = key_of(client, "alice")
        client.post(f"/api/questions/q1/answers/{key}", {"grader": "ana", "version": 0, "item": item["id"],
                                                         "applied": True})
    finally:
        server.shutdown()
    server = serve(tmp_path, {**TEXTS, ("alice", "q1"): "A new answer, after a resubmission."})
    try:
        client = Client(server)
        alice = client.get(f"/api/questions/q1/answers/{key}")
        assert alice["state"]["stale"] and not alice["state"]["graded"] and alice["state"]["score"] == 2
        trail = client.get(f"/api/questions/q1/answers/{key}/history")
        assert set(trail) == {"history", "state"} and trail["state"] == alice["state"]  # no text sent again
        kept = client.post(f"/api/questions/q1/answers/{key}", {"grader": "ben", "version": 1, "keep": True})
        assert not kept["stale"] and kept["graded"] and kept["version"] == 2
        assert client.get(f"/api/questions/q1/answers/{key}/history")["history"][-1]["grader"] == "ben"
        code, _, data = client.request("POST", f"/api/questions/q1/answers/{key}",
                                       {"grader": "ben", "version": 2, "keep": False})
        assert code == 400 and "keep" in json.loads(data)["error"]
    finally:
        server.shutdown()
