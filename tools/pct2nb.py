#!/usr/bin/env python3
"""Author a notebook as a jupytext "percent" script, then turn it into the .ipynb that nbdev reads.

usage: .venv/bin/python tools/pct2nb.py SRC.py nbs/NN_name.ipynb

The .ipynb is the source of truth that gets committed; the .py is only a convenient way to type it.
Cell tags (`# %% tags=["parameters"]`) are kept so papermill finds its parameters cell.
"""
import sys, jupytext

KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

def convert(src: str, dst: str) -> None:
    "Read percent-format `src`, write a clean notebook with a python3 kernelspec to `dst`."
    nb = jupytext.read(src, fmt="py:percent")
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
    jupytext.write(nb, dst, fmt="ipynb")

if __name__ == "__main__":
    convert(sys.argv[1], sys.argv[2])
