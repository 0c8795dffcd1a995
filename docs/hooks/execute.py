"""MkDocs hook: run the code the site shows, at build time, so that no output is ever pasted.

Two things run (and CHANGELOG.md becomes the page changelog.md):

- Each program in ``examples/`` becomes the page ``examples/<name>.md``: its docstring, its
  source, what it printed and the figure it saved, from running it as ``python examples/NAME.py
  FIGURE.png`` in a fresh process.
- In every page, a fenced block opened with ```` ```python run ```` runs (the blocks of one page
  share one namespace, from the repository root); what it prints follows it as an "Output" block
  and each matplotlib figure it leaves open follows as an image. ```` ```python run hide ````
  shows only the output and figures.

A program that fails, or a block that raises, fails the build with its traceback. Figures are
added to the site as generated files, so ``mkdocs build --strict`` checks links to them.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BLOCK = re.compile(r"^```python run( hide)?\n(.*?)^```\n", re.S | re.M)
_pages: dict[str, str] = {}  # src_uri -> markdown with every block run


def _environment() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, MPLBACKEND="Agg", PYTHONWARNINGS="ignore")


def _descriptions() -> dict[str, str]:
    """What each program shows, from the table in examples/README.md."""
    rows = re.findall(r"^\| \[(\w+)\.py\]\(\S+\) \| (.*) \|$",
                      (EXAMPLES / "README.md").read_text(), re.M)
    return dict(rows)


def _example_page(path: Path, figure: Path) -> str:
    source = path.read_text()
    docstring = re.match(r'"""(.*?)"""', source, re.S)
    title = docstring.group(1).strip().splitlines()[0] if docstring else path.stem
    done = subprocess.run([sys.executable, str(path), str(figure)], capture_output=True,
                          text=True, cwd=figure.parent, env=_environment(), timeout=600)
    if done.returncode != 0:
        raise PluginError(f"examples/{path.name} failed:\n{done.stderr}")
    lines = [f"# {path.stem[:2]}: {title.rstrip('.')}", "",
             f"`examples/{path.name}`, run when this site was built with "
             f"`python examples/{path.name}`.", "",
             f'```python title="examples/{path.name}"', source.rstrip(), "```", "",
             "## Output", "", "```text", done.stdout.rstrip() or "(nothing printed)", "```", ""]
    if figure.exists():
        lines += ["## Figure", "", f"![The figure examples/{path.name} saved]({figure.name})", ""]
    return "\n".join(lines)


def _run_blocks(markdown: str, page: str, images: list[tuple[str, bytes]]) -> str:
    """``markdown`` with each run block's code, output and figures in its place."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace: dict[str, object] = {"__name__": "__main__"}
    stem = page[:-3].replace("/", "-")
    first = len(images)  # this page's figures are numbered from 1

    def replace(match: re.Match[str]) -> str:
        hide, code = match.group(1), match.group(2)
        out = io.StringIO()
        here = os.getcwd()
        os.chdir(ROOT)
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"<{page}>", "exec"), namespace)
        except Exception:
            raise PluginError(f"a `python run` block in {page} raised:\n{code}\n"
                              f"{traceback.format_exc()}") from None
        finally:
            os.chdir(here)
        parts = [] if hide else [f"```python\n{code}```\n"]
        if out.getvalue():
            parts.append(f'```text title="Output"\n{out.getvalue().rstrip()}\n```\n')
        for number in plt.get_fignums():
            buffer = io.BytesIO()
            plt.figure(number).savefig(buffer, format="png", dpi=110, bbox_inches="tight")
            number = len(images) - first + 1
            name = f"{stem}-{number}.png"
            images.append((name, buffer.getvalue()))
            parts.append(f"![Figure {number}]({'../' * page.count('/')}_generated/{name})\n")
        plt.close("all")
        return "\n".join(parts)

    return BLOCK.sub(replace, markdown)


def on_files(files: Files, config) -> Files:
    _pages.clear()
    if str(ROOT / "src") not in sys.path:  # the blocks run this checkout's tapegrad
        sys.path.insert(0, str(ROOT / "src"))
    files.append(File.generated(config, "changelog.md",
                                content=(ROOT / "CHANGELOG.md").read_text()))
    programs = sorted(EXAMPLES.glob("[0-9][0-9]_*.py"))
    descriptions = _descriptions()
    index = ["# Examples", "",
             "Ten short programs written the way a TensorFlow user writes them "
             "(`import tapegrad as tf`), from `examples/` in the repository. Each page shows the "
             "program, what it printed and the figure it drew when this site was built. Run one "
             "yourself from the repository root, e.g. `python examples/02_gradients.py`.", "",
             "| Program | What it shows |", "|:---|:---|"]
    index += [f"| [{p.stem}]({p.stem}.md) | {descriptions.get(p.stem, '')} |" for p in programs]
    files.append(File.generated(config, "examples/index.md", content="\n".join(index) + "\n"))
    with tempfile.TemporaryDirectory() as tmp:
        for path in programs:
            figure = Path(tmp) / f"{path.stem}.png"
            files.append(File.generated(config, f"examples/{path.stem}.md",
                                        content=_example_page(path, figure)))
            if figure.exists():
                files.append(File.generated(config, f"examples/{figure.name}",
                                            content=figure.read_bytes()))
    images: list[tuple[str, bytes]] = []
    for file in files.documentation_pages():
        if file.generated_by or file.abs_src_path is None:
            continue
        text = Path(file.abs_src_path).read_text()
        if BLOCK.search(text):
            _pages[file.src_uri] = _run_blocks(text, file.src_uri, images)
    for name, data in images:
        files.append(File.generated(config, f"_generated/{name}", content=data))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    return _pages.get(page.file.src_uri, markdown)


def on_nav(nav, config, files):
    """Fail when an example is missing from the nav in mkdocs.yml."""
    listed = {page.file.src_uri for page in nav.pages}
    missing = [f.src_uri for f in files.documentation_pages()
               if f.src_uri.startswith("examples/") and f.src_uri not in listed]
    if missing:
        raise PluginError(f"add these example pages to the nav in mkdocs.yml: {missing}")
    return nav


__all__ = ["on_files", "on_page_markdown", "on_nav"]
