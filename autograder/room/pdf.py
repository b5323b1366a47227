"""A PDF of each student's written answers, for courses that grade on Gradescope:
``grading-room ASSIGNMENT RESULTS_DIR --pdf OUT_DIR`` writes OUT_DIR/<student>.pdf.

Each is RESULTS_DIR/<student>/answers.html (grading/answers_page.py: its print style starts every question
on a new page) printed by headless Chromium (``--print-to-pdf``), found on PATH. Each print gets a fresh
profile in a temporary folder, a file:// URL and a time limit (its whole process group is killed past it);
a few run at once, one per core. The page loads and runs nothing (its Content-Security-Policy), so
printing it reaches no network. A PDF is kept only when it is one (it starts with %PDF) and has at least
a page per question; a question whose answer is longer than a page takes more than one, which
``StudentPdf.pages`` reports.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_atomically
from ..errors import KitError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PAGE_TIMEOUT_S = 60.0
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")   # a page, not the /Pages tree
_QUESTION = '<section class="question"'                      # answers_page.answers_html: one per question


@dataclass(frozen=True)
class StudentPdf:
    student: str
    path: Path
    questions: int       # sections of answers.html
    pages: int           # of the PDF: questions when every answer fits its page
    seconds: float       # the print's wall time


def find_browser() -> str:
    """The headless Chromium to print with: the first of BROWSERS on PATH; KitError saying what to install."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise KitError("--pdf prints with headless Chromium, and none is on PATH (looked for "
                   f"{', '.join(BROWSERS)}): install it (Debian/Ubuntu: apt-get install chromium; macOS: Google "
                   "Chrome, with its binary on PATH as google-chrome)")


def pdf_pages(data: bytes) -> int:
    """How many pages a PDF has: its /Type /Page objects (Chromium writes them uncompressed)."""
    return len(_PAGE_OBJECT.findall(data))


def browser_command(browser: str, url: str, out: Path, profile: Path) -> list[str]:
    # --no-sandbox only as root, where Chromium refuses to start with its sandbox; never for another user.
    sandbox = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [browser, "--headless=new", *sandbox, "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", f"--user-data-dir={profile}", "--no-pdf-header-footer",
            "--print-to-pdf-no-header", f"--print-to-pdf={out}", url]


def print_pdf(browser: str, page: Path, out: Path, timeout: float = PAGE_TIMEOUT_S) -> int:
    """Print ``page`` (an HTML file) to ``out``; the PDF's page count. KitError naming the page when the
    browser fails, runs past ``timeout`` seconds or writes something that is not a PDF."""
    with tempfile.TemporaryDirectory(prefix="kit-pdf-") as scratch:  # the profile, and the PDF until it is checked
        partial = Path(scratch) / "page.pdf"
        command = browser_command(browser, page.resolve().as_uri(), partial, Path(scratch) / "profile")
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise KitError(f"headless Chromium did not print this page within {timeout:g} s", path=page) from None
        finally:
            _kill_group(process)  # its helpers (zygote, renderer) may outlive it: none is left behind
        data = partial.read_bytes() if partial.is_file() else b""
    if process.returncode != 0 or not data.startswith(b"%PDF"):
        last = output.decode("utf-8", "replace").strip().splitlines()[-1:] if output else []
        raise KitError(f"headless Chromium did not print this page (exit {process.returncode}"
                       f"{': ' + last[0][:300] if last else ''})", path=page)
    write_atomically(out, data)
    return pdf_pages(data)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def answer_pages(results_dir: Path) -> list[Path]:
    """Every RESULTS_DIR/<student>/answers.html, by student; KitError when there is none."""
    pages = sorted(p for p in Path(results_dir).glob("*/answers.html") if p.is_file())
    if not pages:
        raise KitError(f"no answers.html in any folder of {results_dir}: grade the submissions with "
                       "'grade ... --out DIR' first (it writes DIR/<student>/answers.html)")
    return pages


def student_pdf(browser: str, page: Path, out_dir: Path, timeout: float = PAGE_TIMEOUT_S) -> StudentPdf:
    student = page.parent.name
    questions = page.read_text(encoding="utf-8").count(_QUESTION)
    started = time.monotonic()
    out = Path(out_dir) / f"{student}.pdf"
    pages = print_pdf(browser, page, out, timeout)
    if pages < questions:
        out.unlink(missing_ok=True)
        raise KitError(f"the PDF printed from this page has {pages} page(s) for {questions} question(s)", path=page)
    return StudentPdf(student, out, questions, pages, time.monotonic() - started)


def write_student_pdfs(results_dir: Path, out_dir: Path, *, jobs: int | None = None,
                       timeout: float = PAGE_TIMEOUT_S) -> list[StudentPdf]:
    """OUT_DIR/<student>.pdf for every student's answers.html, ``jobs`` prints at once (default: one per core)."""
    pages = answer_pages(results_dir)
    browser = find_browser()
    if Path(out_dir).resolve() == Path(results_dir).resolve():
        raise KitError(f"--pdf {out_dir}: give a folder other than the results folder")
    workers = max(1, min(jobs or os.cpu_count() or 1, len(pages)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda p: student_pdf(browser, p, out_dir, timeout), pages))

