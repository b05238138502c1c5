"""The machine-readable line every bench script prints, and that `bench/make_table.py` collects into BENCHMARKS.md.

One line per figure: `BENCH_ROW {json}` with the figure, its value and unit, and the peer or limit it is measured
against in the same run (`against`, `against_value`), the ratio value / against_value, and whether higher is better.
"""
import json, math

PREFIX = "BENCH_ROW "

def emit(bench: str, figure: str, value: float, unit: str, against: str, against_value: float,
         higher_is_better: bool = True, target: str = "", note: str = "") -> dict:
    "Print one summary row (and return it)."
    ratio = value / against_value if against_value and math.isfinite(value) and math.isfinite(against_value) else math.nan
    row = {"bench": bench, "figure": figure, "value": value, "unit": unit, "against": against,
           "against_value": against_value, "ratio": ratio, "higher_is_better": higher_is_better,
           "target": target, "note": note}
    print(PREFIX + json.dumps(row), flush=True)
    return row

def not_measured(bench: str, figure: str, why: str, target: str = "") -> dict:
    "Print a row for a figure this machine cannot measure (e.g. a GPU figure on a CPU-only machine)."
    row = {"bench": bench, "figure": figure, "value": None, "unit": "", "against": "", "against_value": None,
           "ratio": None, "higher_is_better": True, "target": target, "note": f"not measured: {why}"}
    print(PREFIX + json.dumps(row), flush=True)
    return row
