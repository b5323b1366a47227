"""Execute notebooks top to bottom, report the time of each, and save their plots as PNG files.

    python scripts/run_notebooks.py dist/*/solution/*_solution.ipynb --images docs/screenshots

Runs each notebook in a kernel of the Python that runs this script (so a throwaway venv with
another torch can execute the same notebooks), prints one line per notebook with its wall time,
and with --images writes every image/png output as <notebook stem>-cell<NNN>-<k>.png, where
NNN is the cell's index in the notebook. Exits 1 if any notebook fails.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat

TIMEOUT_S = 900


def run_one(path: Path, images: Path | None, executed: Path | None) -> bool:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    ok = True
    with tempfile.TemporaryDirectory(prefix="kit-run-") as cwd:
        client = nbclient.NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                                         resources={"metadata": {"path": cwd}})
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as e:
            ok = False
            print(f"{path}: a cell failed: {str(e).strip().splitlines()[-1]}")
    seconds = time.perf_counter() - start
    stem = path.stem.removesuffix("_solution")
    if images is not None:
        images.mkdir(parents=True, exist_ok=True)
        for index, cell in enumerate(nb.cells):
            pngs = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            for k, data in enumerate(pngs):
                (images / f"{stem}-cell{index:03d}-{k}.png").write_bytes(base64.b64decode(data))
    if executed is not None:
        executed.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed / path.name)
    print(f"{stem}: {'ran' if ok else 'FAILED'} in {seconds:.1f} s")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--images", type=Path, help="folder for the PNG outputs")
    parser.add_argument("--executed", type=Path, help="folder for the executed notebooks")
    args = parser.parse_args(argv)
    import torch  # only to report which one the kernel will see

    print(f"python {sys.version.split()[0]}, torch {torch.__version__}")
    results = [run_one(p, args.images, args.executed) for p in args.notebooks]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
