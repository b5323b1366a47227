"""How quickly does the grading room grade by keyboard? 200 answers to one question, a rubric of 3 items,
graded in a real headless Chromium by pressing the item's digit then j, answer after answer, with no page load.

Timed in the page (performance.now()): for each answer, from the digit's keydown to the page showing the state
the server saved (room.js's "room:saved" event, sent once the card shows it); the figures are the median and
95th percentile of those, and the total from the first key to the last saved state. Also counted: page loads
(performance.getEntriesByType('navigation') and a marker set on window, which a reload would clear), and,
after the server stopped, the answers the room's database holds as graded.

    python benchmarks/room_keyboard.py [--answers 200] [--items 3] [--hostile N] [--check]

--check exits 1 unless every answer is graded in the database and the page loaded once (the times are figures
to read, not a pass mark: they depend on the machine and its load).
Needs Chromium, chromedriver and selenium (tests/browser.py; .ci/run installs them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from browser import keys, missing, open_room_page, room_setup, serve_room, start_browser, wait_js  # noqa: E402

QUESTION = ("q1", "Why does gradient descent need a smaller learning rate when the features are not scaled?", 2)
ITEMS = [(1, "Names the largest curvature / eigenvalue"), (0.5, "Mentions divergence"), (-0.5, "Wrong direction")]
# Runs in the page before the first key: the digit's keydown (capture phase, before room.js) starts the clock
# for the answer focused then; room.js's room:saved for that answer stops it.
MEASURE = """
window.__started = new Map();
window.__took = [];
window.__first = null;
window.__last = null;
window.__sameLoad = true;
document.addEventListener('keydown', (event) => {
  if (!/^Digit[1-9]$/.test(event.code)) return;
  const card = document.querySelector('#answers .card.focused');
  const now = performance.now();
  if (window.__first === null) window.__first = now;
  if (card) window.__started.set(card.dataset.key, now);
}, true);
document.addEventListener('room:saved', (event) => {
  const began = window.__started.get(event.detail.key);
  if (began === undefined || event.detail.status !== 200) return;
  window.__started.delete(event.detail.key);
  window.__last = performance.now();
  window.__took.push(window.__last - began);
});
"""


HEAVY = "$x$ " * 5_000  # the most math an answer can hold once grade kept its first 20,000 characters


def answer_text(n: int) -> str:
    """A plausible written answer, with math, of a few kinds."""
    kinds = [
        "Unscaled features stretch the cost's level sets, so $\\lambda_{\\max}$ of $X^T X / m$ is large and "
        "$\\alpha < 2 / \\lambda_{\\max}$ forces a small step.",
        "If one feature is in the thousands its gradient dominates; a large $\\alpha$ overshoots and **diverges**.",
        "The steps oscillate across the narrow valley of $J(w)$.",
        "Because the loss is bigger.",
    ]
    return f"{kinds[n % len(kinds)]} (student {n})"


def post(origin: str, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(f"{origin}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"X-Room-Token": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--items", type=int, default=3, choices=range(1, 4))
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--hostile", type=int, default=0, metavar="N",
                        help="make N of the answers (spread evenly) the heaviest grade keeps: 20,000 characters of "
                             "$x$, 650 KB of MathML when rendered whole")
    args = parser.parse_args()
    reason = missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2

    from autograder.room.store import open_room
    from browser import write_results

    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        heavy = {round(i * args.answers / args.hostile) for i in range(args.hostile)} if args.hostile else set()
        write_results(results, {f"student{n:03}": {"q1": HEAVY if n in heavy else answer_text(n)}
                                for n in range(args.answers)}, {"q1": "Question 1 (q1)"})
        with serve_room(room_setup("toy", "Toy Regression", [QUESTION]), results) as server:
            origin = server.url.split("/?", 1)[0]
            for points, description in ITEMS[:args.items]:
                post(origin, server.token, "/api/questions/q1/rubric",
                     {"grader": "Bench", "points": points, "description": description})
            driver = start_browser()
            try:
                open_room_page(driver, server.url, "Bench")
                driver.execute_script(MEASURE)
                started = time.perf_counter()
                for n in range(args.answers):
                    keys(driver, f"{n % args.items + 1}j")
                wait_js(driver, f"window.__took.length === {args.answers}", 120, "every answer saved")
                wall = time.perf_counter() - started
                took, first, last, loads, same = driver.execute_script(
                    "return [window.__took, window.__first, window.__last, "
                    "performance.getEntriesByType('navigation').length, window.__sameLoad === true]")
                shown = driver.execute_script("return document.getElementById('progress').textContent")
            finally:
                driver.quit()
        store = open_room(results, "toy")
        try:
            rubric = store.rubric("q1")
            states = store.states("q1")
            graded = sum(1 for s in states.values() if s.score(rubric, Decimal(QUESTION[2])) is not None)
        finally:
            store.close()

    print(f"answers:                 {args.answers} (rubric of {args.items} items; digit then j for each; "
          f"{args.hostile} of them 20,000 characters of math)")
    print(f"key to saved state shown: median {statistics.median(took):.1f} ms, p95 {percentile(took, 0.95):.1f} ms, "
          f"max {max(took):.1f} ms")
    print(f"total, first key to last saved: {(last - first) / 1000:.2f} s in the page "
          f"({(last - first) / args.answers:.1f} ms per answer); {wall:.2f} s with the driver's round trips")
    print(f"page loads:              {loads} (marker kept: {'yes' if same else 'NO'})")
    print(f"page says:               {shown}")
    print(f"graded in the database:  {graded} of {args.answers}")
    ok = graded == args.answers and loads == 1 and same
    if args.check and not ok:
        print("CHECK FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
