"""The notebook's setup cell: the check engine, the assignment's checks and public cases."""

from __future__ import annotations


def setup_cell_source(assignment: str) -> str:
    """Python source for the notebook's setup cell of ``assignment`` (placeholder)."""
    return (
        "#@title Setup: run this cell first (public checks; no need to read it)\n"
        "import torch\n"
        "DEVICE = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
        "def check(name):\n"
        "    print(f'{name}: public checks not available yet')\n"
    )
