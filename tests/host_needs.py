"""What a security test needs from the machine, and what happens where the machine lacks it.

Locally such a test is skipped and its reason listed at the end of the run (pytest runs with -rs).
In CI (KIT_CI=1, set by .ci/run) the machine is meant to offer root, cgroups and Landlock: there a
security test that cannot run fails instead, so a CI host that lost one of them cannot turn the
security tests green by skipping them.

Two kinds of skip stay skips in CI because no one machine can run both sides: a test of the other
cgroup version's code path, and a check that has nothing to cover on this host (host_variant).
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

KIT_CI = os.environ.get("KIT_CI") == "1"


def cannot_run(reason: str) -> NoReturn:
    """Inside a test or fixture: skip, or under KIT_CI=1 fail, saying what the machine lacks."""
    if KIT_CI:
        pytest.fail(f"KIT_CI=1 and this security test cannot run on this machine: {reason}", pytrace=False)
    _skip(reason)


def needs(ok: bool, reason: str) -> pytest.MarkDecorator:
    """A marker for a test that runs only where ok (root, cgroups, Landlock); see cannot_run.

    Applied by tests/conftest.py's pytest_runtest_setup, so `-m "not needs_root"` deselects these tests.
    """
    return pytest.mark.needs_root(ok=ok, reason=reason)


def is_root() -> bool:
    return os.geteuid() == 0


def host_variant(reason: str) -> NoReturn:
    """Skip, in CI too: this test covers another kind of host than this one (see the module's docstring)."""
    _skip(reason)


def _skip(reason: str) -> NoReturn:
    # Reported at the test's own location (not this file's line) in the list of skips at the end of a run.
    raise pytest.skip.Exception(reason, _use_item_location=True)
