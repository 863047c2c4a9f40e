"""The results page, rendered from the benchmark JSON files in ``results/``.

Every figure on the page is read from a ``results/*.json`` file written by one of the
``benchmarks/*.py`` scripts (``--out results/NAME.json``); nothing is typed by hand. The
page says which command wrote each file (recorded in the file, or the script that writes
files of that shape), the commit and machine where the file records them, and which
benchmarks have no file yet.

The build runs this file through the mkdocs-gen-files plugin (``mkdocs.yml``), which
turns what it writes into the page ``results.md``. To read the page without building the
site::

    python docs/gen_results.py            # markdown on stdout
    python docs/gen_results.py out.md     # ... or into a file

The rendering is generic: nested dicts and lists of records become markdown tables (a row
per record, a column per scalar field, nested fields as ``a.b`` columns); tables too wide
to read are split by field; long per-seed or per-query lists are left out of the tables
(they stay in the JSON).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
BENCHMARKS = ROOT / "benchmarks"
#: the most leaf columns one table shows before it is split by field
MAX_COLUMNS = 12
#: the most rows one table shows
MAX_ROWS = 40
#: lists longer than this are raw data (per seed, per query): left out of tables
SHORT_LIST = 4

#: which script writes a JSON of which shape: script -> top-level keys its files hold
SIGNATURES: dict[str, tuple[str, ...]] = {
    "baselines": ("reference", "results", "checkpoints"),
    "predictors": ("protocol", "pretrained_encoder"),
    "generator": ("args",),
    "conditioning": ("known", "holdout"),
    "search_proxies": ("variants", "benchmark"),
    "reliability": ("examples_per_test",),
    "spaces": ("spaces", "declared_nb201"),
    "train": ("variants", "device", "arch"),
    "search_train": ("budget", "epochs", "kill_after"),
}
#: names of the row-key columns of some tables: (script, section) -> column names
KEY_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("baselines", "results"): ("benchmark", "strategy"),
    ("baselines", "reference"): ("benchmark",),
    ("predictors", "results"): ("dataset", "labels", "method"),
    ("predictors", "transfer.results"): ("pair", "method", "adaptation"),
    ("generator", "search"): ("benchmark", "strategy"),
    ("conditioning", "known"): ("dataset",),
    ("conditioning", "holdout"): ("held-out dataset",),
    ("search_proxies", "variants"): ("variant",),
    ("reliability", "suites"): ("suite",),
    ("spaces", "spaces"): ("space",),
    ("spaces", "declared_nb201"): ("level",),
    ("train", "variants"): ("variant",),
}
#: which script draws which plots: file-name prefix -> script (longest prefix first)
PLOTS: dict[str, str] = {"generator_search_": "generator", "nb201_pareto": "generator", "search_": "baselines"}
#: top-level fields shown next to the command (where the file records them)
PROVENANCE = ("commit", "machine", "device", "torch", "threads")


# ------------------------------------------------------------------ values
def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def is_short_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) <= SHORT_LIST and all(is_scalar(v) for v in value)


def is_cell(value: Any) -> bool:
    """A value one table cell can show."""
    return is_scalar(value) or is_short_list(value)


def is_raw(value: Any) -> bool:
    """Raw data left out of tables: long lists, lists of lists or records, and per-seed
    dicts (more than a few keys, all of them numbers)."""
    if isinstance(value, list):
        return not is_short_list(value)
    if isinstance(value, Mapping):
        return len(value) > SHORT_LIST and all(str(k).lstrip("-").isdigit() for k in value)
    return False


def fmt(value: Any) -> str:
    """One cell: numbers rounded for reading (4 decimals, thousands separated), text escaped."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 1000:
            return f"{value:,.1f}"
        if abs(value) < 1e-3:
            return f"{value:.3g}"
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def flatten(record: Mapping[str, Any], prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """A record's cells as ``{"a.b": value}``, and the paths of the raw data left out."""
    cells: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in record.items():
        path = f"{prefix}{key}"
        if is_raw(value):
            dropped.append(path)
        elif isinstance(value, Mapping):
            inner, inner_dropped = flatten(value, path + ".")
            cells.update(inner)
            dropped += inner_dropped
        elif is_cell(value):
            cells[path] = value
        else:
            dropped.append(path)
    return cells, dropped


def is_record(value: Any) -> bool:
    """A dict that holds at least one cell of its own (not only nested dicts)."""
    return isinstance(value, Mapping) and any(is_cell(v) for v in value.values())


def rows_of(node: Any, keys: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Mapping[str, Any]]] | None:
    """The records under ``node`` with the keys leading to each, when every record sits at
    the same depth of dicts (``None`` otherwise)."""
    if is_record(node):
        return [(keys, node)]
    if isinstance(node, list) and node and all(is_record(item) for item in node):
        return [(keys + (str(i),), item) for i, item in enumerate(node)]
    if not isinstance(node, Mapping) or not node:
        return None
    rows: list[tuple[tuple[str, ...], Mapping[str, Any]]] = []
    for key, child in node.items():
        if is_raw(child):
            continue
        found = rows_of(child, keys + (str(key),))
        if found is None:
            return None
        rows += found
    return rows if rows and len({len(k) for k, _ in rows}) == 1 else None


# ------------------------------------------------------------------ tables
def markdown_table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines


def table(rows: list[tuple[tuple[str, ...], Mapping[str, Any]]], key_names: tuple[str, ...], title: str) -> list[str]:
    """Markdown for ``rows``: one table, or one per field where that would be too wide."""
    flat = [(keys, *flatten(record)) for keys, record in rows]
    columns = list(dict.fromkeys(c for _, cells, _ in flat for c in cells))
    dropped = sorted({d for _, _, ds in flat for d in ds})
    depth = len(rows[0][0])
    names = list(key_names[:depth]) + [f"key {i + 1}" for i in range(len(key_names), depth)]
    if len(columns) > MAX_COLUMNS:
        return split_table(rows, tuple(names), title)
    out = [f"**{title}**", ""] if title else []
    shown = flat[:MAX_ROWS]
    out += markdown_table(
        names + columns, [[fmt(k) for k in keys] + [fmt(cells.get(c)) for c in columns] for keys, cells, _ in shown]
    )
    notes = []
    if len(flat) > MAX_ROWS:
        notes.append(f"{len(flat) - MAX_ROWS} more rows in the JSON")
    if dropped:
        notes.append("left out (per-seed or per-query lists, in the JSON): " + ", ".join(f"`{d}`" for d in dropped[:8])
                     + (" ..." if len(dropped) > 8 else ""))  # fmt: skip
    if notes:
        text = "; ".join(notes)
        out += ["", text[0].upper() + text[1:] + "."]
    return out + [""]


def split_table(rows: list[tuple[tuple[str, ...], Mapping[str, Any]]], key_names: tuple[str, ...], title: str) -> list[str]:
    """A table of the records' own cells, then one table per nested field."""
    out: list[str] = []
    own = [(keys, {k: v for k, v in record.items() if is_cell(v) or is_raw(v)}) for keys, record in rows]
    if any(any(is_cell(v) for v in record.values()) for _, record in own):
        out += table(own, key_names, title)
    nested = list(dict.fromkeys(k for _, record in rows for k, v in record.items() if isinstance(v, Mapping) and not is_raw(v)))
    for field in nested:
        sub = [(keys, record[field]) for keys, record in rows if isinstance(record.get(field), Mapping)]
        flat_sub = [(keys, dict(flatten(value)[0])) for keys, value in sub]
        label = f"{title} · {field}" if title else field
        if all(not cells for _, cells in flat_sub):
            continue
        if len({c for _, cells in flat_sub for c in cells}) <= MAX_COLUMNS or not any(
            isinstance(v, Mapping) for _, value in sub for v in value.values()
        ):
            out += table([(k, v) for k, v in sub if v], key_names, label)
        else:
            out += split_table([(k, v) for k, v in sub if v], key_names, label)
    return out


def section(node: Any, path: str, script: str, level: int) -> list[str]:
    """Markdown for one part of a results file."""
    heading = "#" * min(level, 6) + " " + f"`{path}`"
    if isinstance(node, list) and not is_raw(node) and not is_short_list(node):
        return []
    if is_raw(node):
        return [heading, "", f"Left out: {len(node)} raw entries (per seed or per query), in the JSON.", ""]
    rows = rows_of(node)
    if rows is not None and not is_record(node):
        return [heading, ""] + table(rows, KEY_NAMES.get((script, path), ()), "")
    if isinstance(node, Mapping):
        out = [heading, ""]
        cells = {k: v for k, v in node.items() if is_cell(v)}
        if cells:
            out += markdown_table(["field", "value"], [[fmt(k), fmt(v)] for k, v in cells.items()]) + [""]
        for key, child in node.items():
            if not is_cell(child):
                out += section(child, f"{path}.{key}", script, level + 1)
        return out if len(out) > 2 else []
    return []


# ------------------------------------------------------------------ files
def script_of(path: Path, data: Any) -> str | None:
    """Which benchmark script wrote ``data`` (read at ``path``): the recorded command, the
    shape of the file, or its name."""
    if isinstance(data, Mapping):
        command = data.get("command")
        if isinstance(command, str):
            match = re.search(r"benchmarks[./](\w+)", command)
            if match:
                return match.group(1)
        for script, keys in SIGNATURES.items():
            if all(k in data for k in keys):
                return script
    for script in sorted(SIGNATURES, key=len, reverse=True):
        if path.stem.startswith(script):
            return script
    return None


def command_of(path: Path, data: Any, script: str | None) -> str:
    """The command that wrote the file: recorded in it, rebuilt from its recorded
    arguments, or the script with the file's ``--out`` (saying what is not recorded)."""
    out = f"results/{path.name}"
    if isinstance(data, Mapping) and isinstance(data.get("command"), str):
        command = data["command"]
        return f"`{command}`" + ("" if "--out" in command else f" (written with `--out {out}`)")
    if isinstance(data, Mapping) and script == "generator" and isinstance(data.get("args"), Mapping):
        return f"`{generator_command(data['args'], out)}`"
    if script is None:
        return f"not recorded, and no benchmark script writes files of this shape (`{out}`)"
    runner = f"python -m benchmarks.{script}" if script == "spaces" else f"python benchmarks/{script}.py"
    return f"`{runner} ... --out {out}`; the file does not record its other options (its settings are in the tables below)"


def generator_command(args: Mapping[str, Any], out: str) -> str:
    """``benchmarks/generator.py``'s command line from the arguments its JSON records."""
    parts = ["python benchmarks/generator.py"]
    for key, value in args.items():
        if key in ("out", "plot_only", "plot_dir"):
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            parts.append(flag)
        elif value not in (False, None):
            parts.append(f"{flag} {value}")
    return " ".join(parts + [f"--out {out}"])


def usage_of(script: Path) -> str | None:
    """The first ``python ...`` command line of a benchmark script's docstring."""
    match = re.search(r"^\s*(python [^\n]*)", script.read_text(encoding="utf-8"), flags=re.M)
    return re.split(r"\s{2,}", match.group(1).strip())[0] if match else None  # without a trailing remark


def render_file(path: Path) -> tuple[list[str], str | None]:
    """The page's section for one results file, and the script that wrote it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return [f"## `results/{path.name}`", "", f"Not readable as JSON: {error}.", ""], None
    script = script_of(path, data)
    out = [f"## `results/{path.name}`", ""]
    out += [f"Written by {'`benchmarks/' + script + '.py`' if script else 'an unknown script'}.", ""]
    out += [f"Command: {command_of(path, data, script)}.", ""]
    if isinstance(data, Mapping):
        provenance = [f"{k}: `{fmt(data[k])}`" for k in PROVENANCE if is_scalar(data.get(k)) and data.get(k) is not None]
        out += [
            "Recorded with it: " + ", ".join(provenance) + "." if provenance else "The file records no commit or machine.",
            "",
        ]
        settings = {k: v for k, v in data.items() if is_cell(v) and k not in PROVENANCE and k != "command"}
        long_lists = {
            k: v for k, v in data.items() if isinstance(v, list) and v and all(is_scalar(x) for x in v) and not is_short_list(v)
        }
        if settings or long_lists:
            body = [[fmt(k), fmt(v)] for k, v in settings.items()]
            body += [[fmt(k), f"{len(v)} values: {fmt(v[0])} ... {fmt(v[-1])}"] for k, v in long_lists.items()]
            out += markdown_table(["setting", "value"], body) + [""]
        for key, child in data.items():
            if not is_cell(child) and key not in long_lists:
                out += section(child, key, script or "", 3)
    else:
        out += section(data, "value", script or "", 3)
    return out, script


def render(results: Path = RESULTS, benchmarks: Path = BENCHMARKS) -> str:
    """The whole results page for the JSON files in ``results``."""
    files = sorted(results.glob("*.json")) if results.is_dir() else []
    scripts = sorted(p.stem for p in benchmarks.glob("*.py")) if benchmarks.is_dir() else []
    lines = [
        "# Results",
        "",
        "Every figure on this page is read from a JSON file in `results/`, written by the",
        "command shown with it; the page is rebuilt from those files each time the site is",
        "built (`docs/gen_results.py`). Medians over seeds unless a table says otherwise.",
        "A headline table with the issues' targets is in the README; the history of the",
        "figures is in `CHANGELOG.md`.",
        "",
    ]
    written: dict[str, list[str]] = {}
    body: list[str] = []
    for path in files:
        part, script = render_file(path)
        body += part
        if script:
            written.setdefault(script, []).append(path.name)
    missing = [s for s in scripts if s not in written]
    if files:
        lines += ["| file | written by |", "|---|---|"]
        lines += [
            f"| `results/{p.name}` | {'`benchmarks/' + s + '.py`' if (s := script_of(p, _load(p))) else 'unknown'} |"
            for p in files
        ]
        lines.append("")
    else:
        lines += [
            "No results file is committed yet. The figures measured so far, with the commands",
            "they came from, are in `CHANGELOG.md`.",
            "",
        ]
    if missing:
        lines += ["## Benchmarks with no results file yet", ""]
        lines += ["These benchmarks have no JSON in `results/` yet; each writes one with `--out`:", ""]
        for s in missing:
            usage = usage_of(benchmarks / f"{s}.py")
            lines.append(f"- `benchmarks/{s}.py`" + (f": `{usage}`" if usage else ""))
        lines.append("")
    plots = plot_files(results)
    if plots:
        body += ["## Plots", "",
                 "Drawn by the script named with each when it ran; its `--plot-only` flag redraws them from its JSON:", ""]  # fmt: skip
        for path in plots:
            script = next((s for prefix, s in PLOTS.items() if path.name.startswith(prefix)), None)
            by = f" (`benchmarks/{script}.py`)" if script else ""
            body += [f"**`results/{path.name}`**{by}", "", f"![{path.stem}](results/{path.name})", ""]
    return "\n".join(lines + body).rstrip() + "\n"


def plot_files(results: Path = RESULTS) -> list[Path]:
    """The plots the page shows (copied into the site beside it)."""
    return sorted(results.glob("*.png")) if results.is_dir() else []


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def main(argv: Iterable[str] = ()) -> int:
    argv = list(argv)
    page = render()
    if argv:
        Path(argv[0]).write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
elif __name__ == "<run_path>":  # run by the mkdocs-gen-files plugin while the site builds
    import mkdocs_gen_files

    with mkdocs_gen_files.open("results.md", "w") as page:
        page.write(render())
    for plot in plot_files():
        with mkdocs_gen_files.open(f"results/{plot.name}", "wb") as copy:
            copy.write(plot.read_bytes())
