"""A real headless Chromium driving the grading room's page (tests, benchmarks/room_keyboard.py,
scripts/room_screenshots.py).

- ``start_browser()``: a chromedriver session with its own fresh profile (two calls: two graders who share
  nothing, not even localStorage); ``browser_or_skip()`` is the same for a test: skipped with the reason when
  Chromium, chromedriver or selenium is missing, failed instead under KIT_CI=1 (.ci/run installs them).
- ``write_results()``: a RESULTS_DIR as ``grade --out`` leaves it for the room (answers.json per student).
- ``serve_room()``: the room's real server (autograder/room/server.py) over that folder, in a thread.
- ``open_room_page()``, ``wait_js()``: load the page as a named grader and wait for what it shows.

Importable without pytest (the benchmark and the screenshot script use it); pytest is imported only to skip.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

KIT_CI = os.environ.get("KIT_CI") == "1"
# Headless flags that work as root in a container (no sandbox, no /dev/shm, no GPU, no update checks).
CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking")
WIDTH, HEIGHT = 1280, 800
GRADER_KEY = "gradingRoom.grader"   # room.js keeps the grader's name under this localStorage key


def missing() -> str | None:
    """Why no browser test can run here (None when Chromium, chromedriver and selenium are all present)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements.txt)"
    if _chromium() is None:
        return "no Chromium (apt-get install chromium; .ci/run does)"
    if shutil.which("chromedriver") is None:
        return "no chromedriver (apt-get install chromium-driver; .ci/run does)"
    return None


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def start_browser(width: int = WIDTH, height: int = HEIGHT) -> Any:
    """A new headless Chromium session (its own temporary profile) with the browser's console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _chromium() or "chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver named explicitly: selenium's own driver manager would go to the network to look for one.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    # The page's viewport itself width x height (a window of that size has less room inside).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    return driver


def browser_or_skip(width: int = WIDTH, height: int = HEIGHT) -> Any:
    """start_browser() for a test: skip (fail under KIT_CI=1) when this machine has no browser to drive."""
    import pytest

    reason = missing()
    if reason is not None:
        if KIT_CI:
            pytest.fail(f"KIT_CI=1 and the grading room's browser tests cannot run: {reason}", pytrace=False)
        raise pytest.skip.Exception(reason, _use_item_location=True)
    return start_browser(width, height)


# --- the room's input and server ------------------------------------------------------------------

def write_results(results_dir: Path, answers: Mapping[str, Mapping[str, str]],
                  titles: Mapping[str, str]) -> None:
    """One folder with answers.json per student, as ``grade --out`` writes it (the contract's format 1).

    answers: student -> question id -> the student's Markdown ("" for no answer written);
    titles: question id -> its title ("Question 1 (q1)"), in the notebook's order.
    """
    for student, by_question in answers.items():
        folder = results_dir / student
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for n, (qid, title) in enumerate(titles.items()):
            text = by_question.get(qid, "")
            entries.append({"question": qid, "title": title, "where": f"answer cell {3 + 2 * n}",
                            "cells": [3 + 2 * n], "text": text,
                            "empty": None if text.strip() else "(no answer written)"})
        (folder / "answers.json").write_text(json.dumps(
            {"format": 1, "student": student, "submission": f"{student}.ipynb", "note": None, "answers": entries},
            indent=1), encoding="utf-8")


def room_setup(assignment: str, title: str, questions: Sequence[tuple[str, str, float]]) -> Any:
    """The room's view of an assignment: (id, Markdown text, points) for each written question, in order."""
    from autograder.release.questions import Question
    from autograder.room.api import RoomSetup

    found = tuple(Question(number=n, id=qid, text=text, line=0) for n, (qid, text, _) in enumerate(questions, 1))
    return RoomSetup(assignment, title, found, {qid: Decimal(str(points)) for qid, _, points in questions})


@contextmanager
def serve_room(setup: Any, results_dir: Path, graders: tuple[str, ...] = ()) -> Iterator[Any]:
    """The real room server over RESULTS_DIR on 127.0.0.1, an ephemeral port, in a thread: its ``url`` has the
    token (graders: a link each, ``grader_urls``). Shut down (requests in flight finished, store closed) on
    leaving."""
    from autograder.room.server import RoomServer

    server = RoomServer.open(setup, results_dir, graders=graders)
    thread = threading.Thread(target=server.serve_forever, name="grading-room", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=15)


# --- driving the page ------------------------------------------------------------------------------

def wait_js(driver: Any, condition: str, timeout: float = 10.0, what: str = "") -> Any:
    """Poll ``return (condition)`` in the page until truthy; its value. AssertionError naming what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return ({condition});")
        if value:
            return value
        if time.monotonic() > deadline:
            status = driver.execute_script("return document.getElementById('status').textContent")
            raise AssertionError(f"waited {timeout:.0f} s for {what or condition}; the page says: {status!r}")
        time.sleep(0.03)


def open_room_page(driver: Any, url: str, grader: str) -> None:
    """Load the room as ``grader`` (their name already kept, as after their first visit) and wait for the cards."""
    origin = url.split("/?", 1)[0]
    driver.get(f"{origin}/static/room.css")  # same origin, so the name can be put into its localStorage first
    driver.execute_script("localStorage.setItem(arguments[0], arguments[1]);", GRADER_KEY, grader)
    driver.get(url)
    wait_js(driver, "document.querySelectorAll('#answers .card.focused').length === 1", what="the answer cards")


def keys(driver: Any, text: str) -> None:
    """Type ``text`` at whatever has focus in the page (the keys a grader presses)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(text).perform()
