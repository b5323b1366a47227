"""autograder/atomic.py: the one way the kit writes a file whole (through a temporary file and a rename)."""

from __future__ import annotations

import ast
import os

import pytest

from autograder.atomic import write_atomically
from conftest import ROOT


def test_is_text_written_as_utf8_and_bytes_as_given(tmp_path):
    write_atomically(tmp_path / "a.md", "Müller\n— done\n")
    write_atomically(tmp_path / "b.zip", b"PK\x03\x04\r\n\x00")
    assert (tmp_path / "a.md").read_bytes() == "Müller\n— done\n".encode("utf-8")
    assert (tmp_path / "b.zip").read_bytes() == b"PK\x03\x04\r\n\x00"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.zip"]  # no temporary file left


def test_does_it_replace_the_old_file_and_make_missing_folders(tmp_path):
    path = tmp_path / "out" / "alice" / "results.json"
    write_atomically(path, "old, and longer than the new\n")
    write_atomically(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert os.listdir(path.parent) == ["results.json"]


def test_does_a_failed_write_leave_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "feedback.md"
    write_atomically(path, "the old page\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(path, "a lone surrogate \udc80 cannot be UTF-8")
    assert path.read_text(encoding="utf-8") == "the old page\n"
    assert os.listdir(tmp_path) == ["feedback.md"]


def test_is_the_temporary_file_removed_when_the_rename_fails(tmp_path):
    (tmp_path / "grades.csv").mkdir()  # a folder where the file goes: os.replace refuses
    with pytest.raises(OSError):
        write_atomically(tmp_path / "grades.csv", "submission,score\n")
    assert os.listdir(tmp_path) == ["grades.csv"] and (tmp_path / "grades.csv").is_dir()


def test_does_no_other_module_write_through_its_own_rename():
    """Each writer once had its own copy of these lines; a new one should call write_atomically."""
    found = []
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        if path.name == "atomic.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace":
                receiver = node.func.value
                if (isinstance(receiver, ast.Name) and receiver.id == "os") or \
                        (isinstance(receiver, ast.Name) and "tmp" in receiver.id):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
