"""The API reference (docs/reference/*.md) documents exactly each public module's ``__all__``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"

#: Each public module and its reference page.
PAGES = {
    "sparkforge": "sparkforge.md",
    "sparkforge.writer": "writer.md",
    "sparkforge.reporting": "reporting.md",
    "sparkforge.validation": "validation.md",
    "sparkforge.table_operations": "table_operations.md",
    "sparkforge.errors": "errors.md",
}

# `::: sparkforge.writer.LogWriter` renders a name from its docstring; a list item
# ``- [`LogWriter`][sparkforge.writer.LogWriter]`` links a re-exported name to its home page.
_RENDERED = re.compile(r"^::: (?P<path>[\w.]+)\s*$", re.M)
_LINKED = re.compile(r"^- \[`(?P<name>\w+)`\]\[(?P<target>[\w.]+)\]", re.M)


def rendered(page: str) -> list[str]:
    """Return the dotted paths a reference page renders with mkdocstrings."""
    return _RENDERED.findall((REFERENCE / page).read_text(encoding="utf-8"))


def documented_names(module: str, text: str | None = None) -> tuple[list[str], dict[str, str]]:
    """Return the names a module's page renders, and the names it links to elsewhere."""
    if text is None:
        text = (REFERENCE / PAGES[module]).read_text(encoding="utf-8")
    names = []
    public = importlib.import_module(module)
    for path in _RENDERED.findall(text):
        owner, _, name = path.rpartition(".")
        if owner != module:
            # A function re-exported under the name of its own submodule (``summary``) is
            # rendered from its home (``sparkforge.reporting.summary.summarize``): griffe
            # would resolve the package's name to the submodule.
            found = getattr(importlib.import_module(owner), name)
            aliases = [n for n in public.__all__ if getattr(public, n) is found]
            assert aliases, f"{PAGES[module]} renders {path}, not a name of {module}"
            name = aliases[0]
        names.append(name)
    links = {m["name"]: m["target"] for m in _LINKED.finditer(text)}
    return names, links


@pytest.mark.parametrize("module", sorted(PAGES), ids=str)
def test_docs_reference_documents_exactly_all(module: str) -> None:
    names, links = documented_names(module)
    public = set(importlib.import_module(module).__all__)
    documented = [*names, *links]
    assert len(documented) == len(set(documented)), f"a name is documented twice: {documented}"
    missing = public - set(documented)
    stale = set(documented) - public
    assert not missing, f"{module}: public names missing from {PAGES[module]}: {sorted(missing)}"
    assert not stale, f"{module}: {PAGES[module]} documents names not in __all__: {sorted(stale)}"


@pytest.mark.parametrize("module", sorted(PAGES), ids=str)
def test_docs_reference_links_point_at_a_rendered_home(module: str) -> None:
    _, links = documented_names(module)
    everywhere = {path for page in PAGES.values() for path in rendered(page)}
    for name, target in links.items():
        home, _, target_name = target.rpartition(".")
        assert target_name == name, f"{name} links to {target}"
        assert target in everywhere, f"{name} links to {target}, which no page renders"
        home_module = importlib.import_module(home)
        assert getattr(home_module, name) is getattr(importlib.import_module(module), name)


def test_docs_reference_pages_are_all_known() -> None:
    pages = {p.name for p in REFERENCE.glob("*.md")} - {"index.md"}
    assert pages == set(PAGES.values())


def test_docs_reference_parser_sees_what_a_page_lacks() -> None:
    # The check can fail: a page that drops one rendered name and one link documents less.
    text = (REFERENCE / "sparkforge.md").read_text(encoding="utf-8")
    names, links = documented_names("sparkforge", text)
    dropped = text.replace(f"::: sparkforge.{names[0]}\n", "").replace(
        f"- [`{next(iter(links))}`]", "-"
    )
    fewer_names, fewer_links = documented_names("sparkforge", dropped)
    assert len(fewer_names) == len(names) - 1
    assert len(fewer_links) == len(links) - 1
