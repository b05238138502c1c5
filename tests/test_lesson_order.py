"""Lessons use only earlier lessons: the package's imports (top level, inside functions, `importlib` and the command
table's "module:function" strings) and every notebook's code cells never name a module of a later lesson."""
import ast, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "deepspeech_nb"
LONGEST_FUNCTION = 40   # lines, the house style's limit

def lesson_numbers(nbs: Path = ROOT / "nbs") -> dict:
    "module name -> lesson number, from each numbered notebook's `#| default_exp`."
    order = {}
    for nb in sorted(nbs.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            m = re.search(r"#\|\s*default_exp\s+(\S+)", "".join(cell["source"]))
            if m: order[m.group(1)] = int(nb.name[:2]); break
    return order

def _string_module(value: str) -> str | None:
    m = re.fullmatch(rf"{PACKAGE}\.(\w+)(?::\w+)?", value)
    return m.group(1) if m else None

def imported_modules(source: str) -> list[tuple[str, int]]:
    "(package module, line) for every import of a package module in `source`, wherever it is."
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level and node.module: found.append((node.module.split(".")[0], node.lineno))
            elif node.level or node.module == PACKAGE: found += [(a.name, node.lineno) for a in node.names]
            elif node.module and node.module.startswith(PACKAGE + "."): found.append((node.module.split(".")[1], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name.split(".")[1], node.lineno) for a in node.names if a.name.startswith(PACKAGE + ".")]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _string_module(node.value):
            found.append((_string_module(node.value), node.lineno))
    return found

def later_imports(module: str, source: str, order: dict) -> list[str]:
    "'module:line imports later (NN)' for each import of a lesson after `module`'s."
    return [f"{module}:{line} imports {name} (lesson {order[name]:02d}, after {order[module]:02d})"
            for name, line in imported_modules(source) if name in order and order[name] > order[module]]

NB_IMPORT = re.compile(rf"^\s*(?:from\s+{PACKAGE}\.(\w+)\s+import|import\s+{PACKAGE}\.(\w+)|from\s+{PACKAGE}\s+import\s+([\w, ]+))", re.M)

def notebook_later_imports(nb: Path, order: dict) -> list[str]:
    "Imports of later lessons in any code cell of lesson notebook `nb` (examples and tests included)."
    own, bad = int(nb.name[:2]), []
    for cell in json.loads(nb.read_text())["cells"]:
        if cell["cell_type"] != "code": continue
        for m in NB_IMPORT.finditer("".join(cell["source"])):
            names = [m.group(1) or m.group(2)] if (m.group(1) or m.group(2)) else [n.strip() for n in m.group(3).split(",")]
            bad += [f"{nb.name} cell {cell['id']} imports {n} (lesson {order[n]:02d})" for n in names if order.get(n, -1) > own]
    return bad

ORDER = lesson_numbers()

def test_every_module_has_a_lesson():
    modules = {p.stem for p in (ROOT / PACKAGE).glob("*.py") if not p.stem.startswith("_")}
    assert modules == set(ORDER), (modules ^ set(ORDER))

@pytest.mark.parametrize("module", sorted(ORDER, key=ORDER.get))
def test_module_imports_only_earlier_lessons(module):
    source = (ROOT / PACKAGE / f"{module}.py").read_text()
    assert later_imports(module, source, ORDER) == []

@pytest.mark.parametrize("nb", sorted((ROOT / "nbs").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_lesson_notebook_uses_only_earlier_lessons(nb):
    assert notebook_later_imports(nb, ORDER) == []

def test_the_checker_finds_each_kind_of_import():
    order = {"a": 1, "b": 2}
    source = ("from .b import x\nimport deepspeech_nb.b\ndef f():\n    from deepspeech_nb.b import y\n"
              "    importlib.import_module('deepspeech_nb.b')\nTABLE = {'cmd': 'deepspeech_nb.b:main_cmd'}\n")
    assert len(later_imports("a", source, order)) == 5
    assert later_imports("b", "from deepspeech_nb import a\n", order) == []

def long_functions(source: str, limit: int = LONGEST_FUNCTION) -> list[str]:
    "'name (N lines)' of every function or method longer than `limit` lines."
    return [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)" for n in ast.walk(ast.parse(source))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > limit]

@pytest.mark.parametrize("module", sorted(ORDER, key=ORDER.get))
def test_no_function_is_longer_than_the_house_limit(module):
    assert long_functions((ROOT / PACKAGE / f"{module}.py").read_text()) == []
