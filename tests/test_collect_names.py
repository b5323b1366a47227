"""Every submission gets its own stable, readable results folder; links in a submissions folder are not followed."""

from __future__ import annotations

import os
from pathlib import Path

from autograder.grading.collect import find_submissions, safe_name


def put(path: Path, text: str = "def f():\n    pass\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_do_non_ascii_names_keep_their_letters(tmp_path):
    for name in ("Müller", "Mäller", "王小明", "李华", "Ольга"):
        put(tmp_path / f"{name}.py")
    assert sorted(s.name for s in find_submissions([tmp_path])) == sorted(["Müller", "Mäller", "王小明", "李华", "Ольга"])


def test_do_names_without_letters_get_a_short_stable_suffix(tmp_path):
    put(tmp_path / "😀.py")
    put(tmp_path / "😎.py")
    names = sorted(s.name for s in find_submissions([tmp_path]))
    assert names == sorted([safe_name("😀"), safe_name("😎")]) and names[0] != names[1]
    assert safe_name("😀") == "submission-" + __import__("hashlib").sha1("😀".encode()).hexdigest()[:8]
    assert safe_name("a😀b") == safe_name("a😀b") != safe_name("a😎b")


def test_can_no_name_climb_out_or_grow_too_long():
    assert safe_name("../../etc") == "_.._etc"
    assert safe_name("..") == "submission"
    assert len(safe_name("ü" * 300).encode()) < 100
    assert safe_name("Mu\u0308ller") == "Müller"  # the same name however the file system spelled it


def test_are_symbolic_links_not_followed_and_noted(tmp_path):
    secret = put(tmp_path / "elsewhere" / "secret.py")
    subs = tmp_path / "subs"
    put(subs / "alice.py")
    os.symlink(secret, subs / "mallory.py")
    os.symlink(secret.parent, subs / "trudy")
    put(subs / "bob" / "hw.py")
    os.symlink(secret, subs / "bob" / "extra.py")
    found = {s.name: s for s in find_submissions([subs])}
    assert sorted(found) == ["alice", "bob", "mallory", "trudy"]
    assert found["mallory"].problem == "mallory.py is a symbolic link; it was not followed - hand in the file itself"
    assert found["trudy"].problem == "trudy is a symbolic link; it was not followed - hand in the file itself"
    assert found["bob"].path.name == "hw.py"
    assert found["bob"].notes == ["not followed: extra.py (a symbolic link; hand in the file itself)"]


def test_can_a_submission_not_take_the_name_of_a_file_the_batch_writes(tmp_path):
    """A student's folder named grades.csv would stop the batch from writing grades.csv."""
    for name in ("grades.csv.py", "summary.md.ipynb", "SHARD.JSON.py"):
        put(tmp_path / name, "{}" if name.endswith(".ipynb") else "def f():\n    pass\n")
    names = sorted(s.name for s in find_submissions([tmp_path]))
    assert [n.rsplit("-", 1)[0] for n in names] == ["SHARD.JSON", "grades.csv", "summary.md"]
    assert not {n.lower() for n in names} & {"grades.csv", "summary.md", "shard.json"}
