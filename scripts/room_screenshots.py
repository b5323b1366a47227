"""Screenshots of the grading room for the README: a demo results folder of linear_regression (a few
plausible written answers, with math), two graders at work, then the page at 1280x800 in headless Chromium.

    python scripts/room_screenshots.py [--out docs/screenshots]

Writes room-question.png (question 1, its rubric, the answers being graded) and room-history.png (an answer
changed by two graders, its history open). Needs Chromium, chromedriver and selenium (tests/browser.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from browser import keys, missing, open_room_page, serve_room, start_browser, wait_js, write_results  # noqa: E402

TITLES = {"q1": "Question 1 (q1)", "q2": "Question 2 (q2)", "q3": "Question 3 (q3)"}
ANSWERS = {
    "ana.silva": {"q1": "No. $\\frac{1}{2} J(w)$ and $J(w)$ have the same minimiser: scaling by a positive "
                        "constant moves no stationary point, since $\\nabla (cJ) = c \\nabla J = 0$ exactly "
                        "where $\\nabla J = 0$. It only makes the gradient $\\frac{1}{m} X^T (Xw - y)$ tidier.",
                  "q2": "With $\\alpha = 0.3$ the cost grew every step: it diverged."},
    "ben.okafor": {"q1": "It does not change which $w$ is best, only how big the gradient is, so gradient "
                         "descent with the same $\\alpha$ takes steps half as long.",
                   "q2": "The cost oscillated, then blew up."},
    "chen.li": {"q1": "Yes, the $\\frac{1}{2}$ makes the minimum half as big so the weights change.",
                "q2": "Nothing happened."},
    "dara.nguyen": {"q1": "The minimiser is the same:\n\n$$\\mathrm{argmin}_w \\tfrac{1}{2m}\\lVert Xw - y\\rVert^2 = "
                          "\\mathrm{argmin}_w \\tfrac{1}{m}\\lVert Xw - y\\rVert^2$$\n\nbecause multiplying by "
                          "$\\tfrac{1}{2} > 0$ keeps the order of all costs.",
                    "q2": "It overshot."},
    "eli.haddad": {"q1": "Same $w^*$. The $\\frac{1}{2}$ cancels the 2 from differentiating $(\\hat y - y)^2$.",
                   "q2": ""},
    "fatima.zahra": {"q1": "", "q2": "The loss went to `inf` and then `nan`."},
    "gus.moreau": {"q1": "It changes the gradient, so the answer of `fit_direct` changes too.",
                   "q2": "Diverged (cost $> 10^{10}$ after 50 steps)."},
}
# The keys each q1 answer earns (RUBRIC's items), and Maya's comment where it falls short.
FAIR = {"ana.silva": "12", "ben.okafor": "1", "chen.li": "3", "dara.nguyen": "12", "eli.haddad": "1",
        "fatima.zahra": "", "gus.moreau": "3"}
COMMENTS = {"ben.okafor": "Right idea; say why the scaling keeps the minimiser.",
            "eli.haddad": "True, but why is the minimiser the same?",
            "gus.moreau": "fit_direct solves the same normal equations: the 1/2 cancels."}
RUBRIC = [(1, "Same minimiser"), (1, "Says why: positive scaling keeps the order / gradient zero at the same w"),
          (-1, "Claims the weights change")]


def api(origin: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{origin}{path}", data=data, method=method,
                                     headers={"X-Room-Token": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    reason = missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    from autograder.assignment import load_assignment
    from autograder.layout import KIT_LAYOUT
    from autograder.room.api import RoomSetup

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        write_results(results, ANSWERS, TITLES)
        with serve_room(RoomSetup.of(load_assignment(KIT_LAYOUT, "linear_regression")), results) as server:
            origin = server.url.split("/?", 1)[0]
            items = [api(origin, server.token, "POST", "/api/questions/q1/rubric",
                         {"grader": "Maya", "points": p, "description": d})["id"] for p, d in RUBRIC]
            driver = start_browser()
            try:
                open_room_page(driver, server.url, "Maya")
                # Maya grades the first three answers (in the room's anonymous order) by keys, each with the
                # items its text earns, and comments where the answer falls short.
                listed = api(origin, server.token, "GET", "/api/questions/q1?names=1")["answers"]
                for n, answer in enumerate(listed[:3]):
                    keys(driver, ("j" if n else "") + FAIR[answer["name"]])
                    if answer["name"] in COMMENTS:
                        keys(driver, "c")
                        keys(driver, COMMENTS[answer["name"]])
                        keys(driver, "\ue00c")  # Esc: the comment is saved as the box is left
                graded = sum(1 for answer in listed[:3] if FAIR[answer["name"]])
                wait_js(driver, f"document.getElementById('progress').textContent.startsWith('{graded} ')", 10,
                        "the first answers graded")
                # Another grader comments on the second answer meanwhile: Maya's page marks it.
                second = api(origin, server.token, "GET", "/api/questions/q1")["answers"][1]
                api(origin, server.token, "POST", f"/api/questions/q1/answers/{second['key']}",
                    {"grader": "Jonas", "version": second["state"]["version"],
                     "comment": (second["state"]["comment"] + " Agreed. (Jonas)").strip()})
                wait_js(driver, "document.querySelectorAll('.changed:not([hidden])').length === 1", 10,
                        "Jonas's change on Maya's page")
                keys(driver, "j")
                time.sleep(0.5)
                driver.save_screenshot(str(args.out / "room-question.png"))

                keys(driver, "kk")
                wait_js(driver, "document.querySelector('.card.focused .history-list').textContent"
                                ".includes('Jonas')", 10, "the history with Jonas's change")
                driver.execute_script("document.querySelector('.card.focused').scrollIntoView({block: 'center'})")
                time.sleep(0.3)
                driver.save_screenshot(str(args.out / "room-history.png"))
            finally:
                driver.quit()
    for name in ("room-question.png", "room-history.png"):
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
