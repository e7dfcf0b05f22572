"""Every docstring of sparkforge is Markdown that the docs site renders, with no reST left.

The API reference renders docstrings with mkdocstrings, which reads their text as Markdown:
a reST cross-reference role (``:class:`~sparkforge.writer.LogWriter```), a directive
(``.. versionadded:: 0.1.0``) or a ``::`` literal block shows up there as literal text. A
reference is written as an autorefs link (``[`LogWriter`][sparkforge.writer.LogWriter]``) or
as inline code, a version note as a sentence (``*Added in 0.1.0.*``), a literal block as a
fenced block. Docstrings are read from the source with ``ast``, so that private modules,
whose docstrings no import shows, are checked as well.
"""

from __future__ import annotations

import ast
import importlib
import re
import textwrap
from pathlib import Path

import pytest

#: A reST role: ``:class:`, ``:func:`, ``:meth:`... followed by its backquoted target.
_ROLE = re.compile(r":[a-z]+:`")
#: A reST directive: ``.. versionadded::``, ``.. deprecated::``, ``.. note::``...
_DIRECTIVE = re.compile(r"^\s*\.\. [A-Za-z][\w-]*::")
#: A Markdown fence, opening or closing a code block.
_FENCE = re.compile(r"^\s*(```|~~~)")

_DOC_OWNERS = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def docstrings(source: str) -> list[tuple[int, str, str]]:
    """Return ``(line, owner, text)`` of every docstring in ``source``.

    The docstrings of the module, its classes, functions and methods, and of attributes (a
    string literal right after an assignment, which mkdocstrings renders as well).
    """
    tree = ast.parse(source)
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, _DOC_OWNERS):
            continue
        owner = "module" if isinstance(node, ast.Module) else node.name
        for index, statement in enumerate(node.body):
            if not (
                isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                continue
            previous = node.body[index - 1] if index else None
            if index == 0:
                found.append((statement.lineno, owner, statement.value.value))
            elif isinstance(previous, ast.Assign | ast.AnnAssign):
                target = (
                    previous.targets[0] if isinstance(previous, ast.Assign) else previous.target
                )
                name = ast.unparse(target)
                found.append((statement.lineno, f"{owner}.{name}", statement.value.value))
    return found


def rest_markup(text: str) -> list[str]:
    """Return the reST markup left in one docstring: roles, directives, ``::`` literal blocks.

    Lines of fenced code blocks and doctests are code, not markup, and are skipped.
    """
    problems = []
    in_fence = False
    for line in textwrap.dedent(text).splitlines():
        stripped = line.strip()
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or stripped.startswith((">>>", "... ")) or stripped == "...":
            continue
        if _ROLE.search(line):
            problems.append(f"role: {stripped}")
        if _DIRECTIVE.match(line):
            problems.append(f"directive: {stripped}")
        elif stripped.endswith("::"):
            problems.append(f"literal block: {stripped}")
    return problems


def markup_in_source(source: str) -> list[str]:
    """Return ``line (owner): problem`` for the reST markup of every docstring in ``source``."""
    return [
        f"{line} ({owner}): {problem}"
        for line, owner, text in docstrings(source)
        for problem in rest_markup(text)
    ]


def markup_in_package(package: Path) -> dict[str, list[str]]:
    """Return the reST markup of every module under ``package``, by path; clean modules omitted."""
    return {
        str(path.relative_to(package.parent)): found
        for path in sorted(package.rglob("*.py"))
        if (found := markup_in_source(path.read_text(encoding="utf-8")))
    }


def test_sparkforge_docstrings_hold_no_rest_markup() -> None:
    package = Path(importlib.import_module("sparkforge").__file__ or "").parent
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 50
    # Enough docstrings were read for the check to mean something.
    assert sum(len(docstrings(path.read_text(encoding="utf-8"))) for path in sources) > 500
    left = markup_in_package(package)
    assert not left, (
        "reST markup shows up literally on the docs site; write [`Name`][dotted.path] or "
        "`name`, *Added in X.Y.Z.*, or a ```text fence instead: "
        + "; ".join(f"{path}: {problems}" for path, problems in left.items())
    )


_BROKEN = {
    "role in a module docstring": (
        '"""Rows of :data:`~sparkforge.writer.LOG_SCHEMA`."""\n',
        "1 (module): role",
    ),
    "role with a domain": (
        '"""Module."""\n\n\ndef f():\n    """See :py:func:`g`."""\n',
        "5 (f): role",
    ),
    "role in a method, on a later line": (
        '"""Module."""\n\n\nclass C:\n    """A class."""\n\n    def m(self):\n'
        '        """Return it.\n\n        Raises\n        ------\n        ValueError\n'
        '            As :meth:`C.other` raises it.\n        """\n',
        "8 (m): role",
    ),
    "version directive": (
        '"""Module."""\n\n\nclass C:\n    """A class.\n\n    .. versionadded:: 0.1.0\n    """\n',
        "5 (C): directive",
    ),
    "deprecation directive in an attribute docstring": (
        '"""Module."""\n\nX = 1\n"""The old X.\n\n.. deprecated:: 0.1.0\n    Use Y.\n"""\n',
        "4 (module.X): directive",
    ),
    "literal block": (
        '"""The tree.\n\n::\n\n    Root\n    └── Child\n"""\n',
        "1 (module): literal block",
    ),
    "literal block after a sentence": (
        '"""Module."""\n\n\nasync def f():\n    """Rules look like this::\n\n'
        '        {"id": [F.col("id").isNotNull()]}\n    """\n',
        "5 (f): literal block",
    ),
}


@pytest.mark.parametrize(("source", "expected"), list(_BROKEN.values()), ids=list(_BROKEN))
def test_markup_check_finds_rest_in_a_broken_docstring(source: str, expected: str) -> None:
    found = markup_in_source(source)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_markup_check_accepts_markdown_code_and_doctests() -> None:
    source = '''"""The tree, with [`Root`][pkg.Root] and `Child`.

```text
Root::
└── Child  (see :class:`Child`)
```

*Added in 0.1.0.*
"""


def f():
    """Return a slice.

    Examples
    --------
    >>> f()  # the ":func:`f`" text is data, and a[::] ends with colons
    '::'
    >>> [1, 2][::
    ...     -1]
    [2, 1]
    """
'''
    assert len(docstrings(source)) == 2
    assert markup_in_source(source) == []


def test_markup_check_reads_every_kind_of_docstring() -> None:
    source = '''"""Module."""

X: int = 1
"""Annotated attribute."""
Y = 2
"""Attribute."""


class C:
    """Class."""

    z = 3
    """Class attribute."""

    def m(self):
        """Method."""

        def inner():
            """Nested function."""


"""A string after a class: no docstring of anything."""
'''
    owners = [owner for _, owner, _ in docstrings(source)]
    assert sorted(owners) == ["C", "C.z", "inner", "m", "module", "module.X", "module.Y"]
