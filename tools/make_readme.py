#!/usr/bin/env python3
"""Render nbs/index.ipynb to README.md without Quarto (nbdev-readme needs Quarto, which is not installable offline).

Markdown cells are copied; code cells become fenced blocks with their text outputs; `#| hide` cells are left out.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _src(cell) -> str:
    "A cell's source as one string."
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]

def _outputs(cell) -> str:
    "The text a code cell printed or returned, fenced, or '' when none."
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream": texts.append("".join(out["text"]))
        elif "text/plain" in out.get("data", {}): texts.append("".join(out["data"]["text/plain"]))
    return f"\n```\n{''.join(texts).rstrip()}\n```\n" if texts else ""

def _links_from_root(markdown: str) -> str:
    "Relative links to notebooks (`](01_text.ipynb)`) made to work from the repository root (`](nbs/01_text.ipynb)`)."
    return re.sub(r"\]\((?![a-z]+:|/|#)([^)\s]+\.ipynb)\)", r"](nbs/\1)", markdown)

def render(nb_path: Path) -> str:
    "Markdown for the whole notebook."
    parts = []
    for cell in json.loads(nb_path.read_text())["cells"]:
        src = _src(cell)
        if cell["cell_type"] == "markdown": parts.append(_links_from_root(src.strip()) + "\n")
        elif cell["cell_type"] == "code" and "#| hide" not in src:
            body = "\n".join(l for l in src.splitlines() if not l.startswith("#|")).strip()
            if body: parts.append(f"```python\n{body}\n```\n" + _outputs(cell))
    return "<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n" + "\n".join(parts)

if __name__ == "__main__":
    (ROOT / "README.md").write_text(render(ROOT / "nbs" / "index.ipynb"))
    print("README.md written from nbs/index.ipynb", file=sys.stderr)
