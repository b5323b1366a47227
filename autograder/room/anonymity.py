"""Who an answer is shown as in the grading room: an opaque key and a "Student N" label, never the name unless
a grader asks for names.

The key is HMAC-SHA256(the room's secret, the student's folder name), cut to 16 hex digits: stable for the room
(a bookmark, the trail, two graders' pages agree), but it tells nothing of the name, and the secret lives in the
room's database only, so another room's keys differ. The labels number the students in the order of their keys,
not of their names: "Student 1" is no more likely to be the alphabetically first student than any other.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

KEY_LENGTH = 16


def student_key(secret: bytes, student: str) -> str:
    """The student's opaque key in the room whose secret this is."""
    return hmac.new(secret, student.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:KEY_LENGTH]


@dataclass(frozen=True)
class Anonymity:
    """Keys and labels for one room's students, both ways."""

    key: dict[str, str]       # student -> key
    label: dict[str, str]     # student -> "Student N"
    student: dict[str, str]   # key -> student
    order: tuple[str, ...] = ()  # the students in their labels' order: how every list shows them (never by name,
                                 # which would give away who wrote the k-th answer to anyone with the roster)

    @classmethod
    def build(cls, secret: bytes, students: Iterable[str]) -> Anonymity:
        keys = {s: student_key(secret, s) for s in students}
        order = sorted(keys, key=lambda s: (keys[s], s))  # (key, name): two names with one key stay distinct
        return cls(key=keys, label={s: f"Student {n}" for n, s in enumerate(order, start=1)},
                   student={k: s for s, k in keys.items()}, order=tuple(order))
