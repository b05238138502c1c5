"""Sphinx settings for the rendered site: `make docs` (sphinx-build -c docs nbs _docs).

The notebooks in nbs/ are the pages, with the outputs `make notebooks` stored in them (myst-nb executes nothing);
nbs/index.ipynb, the lesson map, is the front page. Everything needed is installed from requirements-test.txt (make test-setup):
the build runs offline (no Quarto, no CDN fetches at build time).
"""
import json, re
from pathlib import Path

NBS = Path(__file__).resolve().parents[1] / "nbs"
project = "deepspeech_nb"
author = "deepspeech_nb contributors"
extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["runs/**", "tutorials/*_run/**", "**/.ipynb_checkpoints", "llms.txt", "_proc/**"]
nb_execution_mode = "off"            # render the committed outputs as they are
nb_output_stderr = "remove"          # stray warnings are not part of a lesson
# no widget JavaScript from a CDN (the site must work offline): live widgets show their text form; the lessons'
# figures and players are plain PNG/HTML outputs and render as they are
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "colon_fence"]
html_theme = "sphinx_book_theme"
html_title = "deepspeech_nb"
html_context = {"default_mode": "light"}  # the theme logs a console error when no mode is set
html_theme_options = {"show_toc_level": 2, "repository_provider": "github", "use_download_button": False}
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]


def lesson_pages(nbs: Path = NBS) -> list:
    "Docnames for the sidebar: lessons in number order, then the tutorials."
    lessons = [p.stem for p in sorted(nbs.glob("[0-9][0-9]_*.ipynb"))]
    return lessons + [f"tutorials/{p.stem}" for p in sorted((nbs / "tutorials").glob("*.ipynb"))]


def hide_nbdev_hidden(nb: dict) -> None:
    "Cells nbdev hides (`#| hide`: edge-case tests, the export cell) are left out of the pages too."
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if re.search(r"^#\|\s*hide\s*$", src, re.M):
            cell.setdefault("metadata", {}).setdefault("tags", []).append("remove-cell")


def add_toctree(nb: dict) -> None:
    "Give the front page (nbs/index.ipynb) a hidden toctree of the lessons, so the sidebar lists them."
    toctree = "```{toctree}\n:hidden:\n:maxdepth: 1\n\n" + "\n".join(lesson_pages()) + "\n```\n"
    nb["cells"].append({"cell_type": "markdown", "id": "toctree0", "metadata": {}, "source": toctree})


def prepare_notebook(app, docname, source):
    "Edit each notebook as Sphinx reads it (the files are untouched); other sources pass as they are."
    if not source[0].lstrip().startswith("{"): return
    nb = json.loads(source[0])
    hide_nbdev_hidden(nb)
    if docname == root_doc: add_toctree(nb)
    source[0] = json.dumps(nb)


def setup(app):
    app.connect("source-read", prepare_notebook)
