"""The documentation site (mkdocs.yml, docs/) builds strictly, the README stays short, and every
``docs/<page>.md#<anchor>`` that code, configs or docs cite names a page and a heading on it."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import markdown
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README_MAX_LINES = 250
# Where citations of the docs live; the root files are the workflow's and the site's own.
CITING_DIRS = ("harness", "workflow", "configs", "tests", "docs")
CITING_FILES = ("README.md", "Snakefile", "Makefile", "mkdocs.yml", "pyproject.toml")
REFERENCE = re.compile(r"docs/([A-Za-z0-9_.-]+\.md)#([A-Za-z0-9_-]+)")


def _nav_pages(nav):
    """Every page file named in mkdocs.yml's nav (sections nest lists of {title: page})."""
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            yield from _nav_pages(value)
        elif not re.match(r"[a-z]+://", value):
            yield value


def _config():
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def heading_ids(text):
    """The ids mkdocs gives a page's headings: Python-Markdown's toc extension (its default slugify,
    ``_1`` suffixes for repeats), with fenced code parsed as code so ``#`` comments are no headings."""
    md = markdown.Markdown(extensions=["toc", "tables", "attr_list", "pymdownx.superfences"])
    md.convert(text)
    ids, stack = set(), list(md.toc_tokens)
    while stack:
        token = stack.pop()
        ids.add(token["id"])
        stack.extend(token["children"])
    return ids


def _citing_files(root):
    for name in CITING_FILES:
        if (root / name).is_file():
            yield root / name
    for folder in CITING_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.stat().st_size < 2_000_000:
                yield path


def docs_references(root):
    """(file, line number, page, anchor) for every docs/<page>.md#<anchor> in the citing files."""
    refs = []
    for path in _citing_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for match in REFERENCE.finditer(line):
                refs.append((path.relative_to(root), number, match.group(1), match.group(2)))
    return refs


def broken_references(root):
    """The references whose page does not exist under root/docs or has no heading with that id."""
    ids, broken = {}, []
    for path, number, page, anchor in docs_references(root):
        target = root / "docs" / page
        if page not in ids:
            ids[page] = heading_ids(target.read_text(encoding="utf-8")) if target.is_file() else None
        if ids[page] is None:
            broken.append(f"{path}:{number}: docs/{page} does not exist")
        elif anchor not in ids[page]:
            broken.append(f"{path}:{number}: docs/{page} has no heading with id '{anchor}'")
    return broken


def test_site_builds_strictly_with_every_nav_page(tmp_path):
    assert importlib.util.find_spec("mkdocs") and importlib.util.find_spec("material"), (
        "mkdocs and mkdocs-material are not installed: they are in pyproject.toml's test extra "
        "(make test / make setup install it)")
    config = _config()
    pages = list(_nav_pages(config["nav"]))
    on_disk = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(pages) == on_disk, "every page under docs/ must be in mkdocs.yml's nav, and only those"
    site = tmp_path / "site"
    # Not --quiet: mkdocs counts strict-mode warnings only at the default log level.
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    directory_urls = config.get("use_directory_urls", True)
    for page in pages:
        stem = page[: -len(".md")]
        if stem == "index" or stem.endswith("/index") or not directory_urls:
            html = site / f"{stem}.html"
        else:
            html = site / stem / "index.html"
        assert html.is_file(), f"{page} was not built to {html.relative_to(site)}"


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines (at most {README_MAX_LINES}); move detail into docs/")


def test_every_cited_docs_anchor_is_a_heading():
    refs = docs_references(ROOT)
    assert any(page == "paper-release-and-us.md" for _, _, page, _ in refs), (
        "no docs/paper-release-and-us.md#... citation found: the scan is not seeing the code")
    broken = broken_references(ROOT)
    assert not broken, "citations of docs pages that do not resolve:\n" + "\n".join(broken)


def test_the_anchor_check_catches_a_broken_citation(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# Title\n\n## The paper's setting\n\n```bash\n# not a heading\n```\n")
    (tmp_path / "harness").mkdir()
    cite = "docs/page" + ".md#"  # split so that this file cites nothing itself
    (tmp_path / "harness" / "mod.py").write_text(
        f"# {cite}the-papers-setting\n# {cite}not-a-heading\n# {cite}missing\n"
        f"# {cite.replace('page', 'gone')}title\n")
    assert heading_ids((tmp_path / "docs" / "page.md").read_text()) == {"title", "the-papers-setting"}
    assert broken_references(tmp_path) == [
        "harness/mod.py:2: docs/page.md has no heading with id 'not-a-heading'",
        "harness/mod.py:3: docs/page.md has no heading with id 'missing'",
        "harness/mod.py:4: docs/gone.md does not exist",
    ]
