"""The course file, ``course.toml`` at the course's root: what every command needs to know about
the course rather than about one assignment.

    name = "Deep learning with PyTorch"
    github = "https://github.com/OWNER/REPO/blob/BRANCH"   # where the notebooks are, for Colab badges
    timezone = "America/Toronto"                            # deadlines and submission times
    jobs = "auto"                                           # grade's workers: "auto" (two per core) or N

    [late_policy]                                           # the gradebook's policy (gradebook/policy.py)
    grace_days = 7
    ...

    [feedback]                                              # what students see, and when (disclosure.py)
    daily_submissions = 5                                   # Gradescope: hidden-case results for 5 a day

The CLI finds the course by walking up from the working directory to the first folder that
holds course.toml (``find_root``), loads it once (``load_course``) and hands the ``Course`` to the
command it runs: its ``layout`` says where every file of the course is. A mistake is a one-line
KitError naming the file, the line and the key, and saying what to write.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .disclosure import DEFAULT_FEEDBACK, Feedback, feedback_from_table
from .errors import KitError
from .gradebook.policy import (DEFAULT_POLICY, KEYS as POLICY_KEYS, Policy, check_value as check_policy_value,
                               policy_from_table)
from .layout import COURSE_FILE_NAME, Layout
from .tomlfile import did_you_mean, line_of, read_toml, toml_value

COURSE_KEYS = ("name", "github", "timezone", "jobs", "late_policy", "feedback")
LATE_POLICY_KEYS = tuple(k for k in POLICY_KEYS if k != "timezone")  # the zone is the course's
_GITHUB = re.compile(r"^https://github\.com/([\w.-]+)/([\w.-]+)/blob/([\w./-]+?)/?$")
GITHUB_EXAMPLE = "https://github.com/OWNER/REPO/blob/BRANCH"

WORKERS_PER_CORE = 2


@dataclass(frozen=True)
class Course:
    layout: Layout           # where the course's files are (its root: the folder with course.toml)
    name: str
    github: str              # https://github.com/OWNER/REPO/blob/BRANCH, the committed notebooks' home
    timezone: str
    jobs: int | None         # grade's default --jobs; None: two per core
    late_policy: Policy      # with the course's time zone
    feedback: Feedback = DEFAULT_FEEDBACK  # [feedback]: Gradescope's daily budget of hidden-case results

    @property
    def assignment_ids(self) -> tuple[str, ...]:
        """The course's assignments, in due order (Layout.assignment_ids: discovered, never listed)."""
        return self.layout.assignment_ids()

    @property
    def github_base(self) -> str:
        """``OWNER/REPO/blob/BRANCH``, the part of the GitHub location a Colab URL carries."""
        return self.github.removeprefix("https://github.com/").strip("/")

    @property
    def default_jobs(self) -> int:
        # Two per core: a sandboxed child spends part of each submission waiting in the kernel (its
        # namespaces and mounts), and a second slot per core fills that time (measured: docs/scale.md).
        return self.jobs or WORKERS_PER_CORE * (os.cpu_count() or 1)


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds course.toml."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / COURSE_FILE_NAME).is_file():
            return folder
    raise KitError(f"not inside a course: no {COURSE_FILE_NAME} in {start} or any folder above it "
                   "(run the command inside the course's folder, the one with course.toml)")


def load_course(layout: Layout) -> Course:
    """The course whose files ``layout`` says where to find (its course.toml read and checked)."""
    shown = layout.shown(layout.course_file)
    raw, text = read_toml(layout.course_file, shown)

    def fail(message: str, table: str = "", key: str | None = None) -> KitError:
        return KitError(message, path=shown, line=line_of(text, table, key))

    for key in raw:
        if key not in COURSE_KEYS:
            raise fail(f"unknown key {key!r}{did_you_mean(key, COURSE_KEYS)} "
                       f"(course.toml's keys: {', '.join(COURSE_KEYS)})", "", key)
    github = raw.get("github")
    if github is None:
        raise fail(f'missing key \'github\': write github = "{GITHUB_EXAMPLE}", where the notebooks/ '
                   "folder is on GitHub (the notebooks' Open in Colab badges point there)")
    if not isinstance(github, str) or not _GITHUB.match(github):
        raise fail(f'github = {toml_value(github)} is not a GitHub location: write github = "{GITHUB_EXAMPLE}"',
                   "", "github")
    name = raw.get("name", layout.root.name)
    if not isinstance(name, str) or not name.strip():
        raise fail(f'name = {toml_value(name)} is not the course\'s name: write name = "..."', "", "name")
    timezone = raw.get("timezone", DEFAULT_POLICY.timezone)
    problem = check_policy_value("timezone", timezone)
    if problem:
        raise fail(f"timezone = {toml_value(timezone)} {problem}", "", "timezone")
    jobs = raw.get("jobs", "auto")
    if jobs != "auto" and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise fail(f'jobs = {toml_value(jobs)} is not allowed: write jobs = "auto" (two workers per core) '
                   "or a whole number of workers, 1 or more", "", "jobs")
    table = raw.get("late_policy", {})
    if not isinstance(table, dict):
        raise fail("late_policy must be a table: write [late_policy] with keys such as grace_days = 7",
                   "", "late_policy")
    policy = _late_policy(table, text, shown, timezone)
    feedback = feedback_from_table(raw.get("feedback", {}), text, shown)
    return Course(layout=layout, name=name.strip(), github=github.rstrip("/"), timezone=timezone,
                  jobs=None if jobs == "auto" else jobs, late_policy=policy, feedback=feedback)


def _late_policy(table: dict[str, Any], text: str, shown: str, timezone: str) -> Policy:
    base = Policy(**{**DEFAULT_POLICY.__dict__, "timezone": timezone})
    return policy_from_table(table, text, shown, assignments=None, base=base, keys=LATE_POLICY_KEYS,
                             where="[late_policy]")
