"""docs/troubleshooting.md explains every error code sparkforge can raise, and only those."""

from __future__ import annotations

import re
from pathlib import Path

from sparkforge.errors import ERROR_TEMPLATES

PAGE = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"

# One entry per code: a `### `CODE`` heading, then its three parts.
_ENTRY = re.compile(r"^### `(?P<code>[A-Z][A-Z0-9_]*)`\s*$", re.M)
PARTS = ("**What it means.**", "**Usual cause.**", "**Fix.**")


def entries(text: str) -> dict[str, str]:
    """Return each code's entry text, by code, in page order."""
    found = list(_ENTRY.finditer(text))
    bodies: dict[str, str] = {}
    for match, following in zip(found, [*found[1:], None], strict=True):
        end = following.start() if following else len(text)
        body = text[match.end() : end]
        assert match["code"] not in bodies, f"{match['code']} has two entries"
        bodies[match["code"]] = body
    return bodies


def test_docs_troubleshooting_has_an_entry_for_every_code() -> None:
    documented = entries(PAGE.read_text(encoding="utf-8"))
    missing = sorted(set(ERROR_TEMPLATES) - set(documented))
    assert not missing, f"error codes without an entry in docs/troubleshooting.md: {missing}"


def test_docs_troubleshooting_entries_are_real_codes() -> None:
    documented = entries(PAGE.read_text(encoding="utf-8"))
    unknown = sorted(set(documented) - set(ERROR_TEMPLATES))
    assert not unknown, f"docs/troubleshooting.md explains codes that do not exist: {unknown}"


def test_docs_troubleshooting_entries_say_meaning_cause_and_fix() -> None:
    for code, body in entries(PAGE.read_text(encoding="utf-8")).items():
        for part in PARTS:
            assert part in body, f"{code}: its entry lacks {part}"
        # Each part says something: a label alone is not an explanation.
        for part in PARTS:
            after = body.split(part, 1)[1].strip()
            assert after, f"{code}: {part} is empty"
            assert not after.startswith("**"), f"{code}: {part} is empty"


def test_docs_troubleshooting_entries_quote_the_current_message() -> None:
    for code, body in entries(PAGE.read_text(encoding="utf-8")).items():
        assert f"`[{code}] {ERROR_TEMPLATES[code]}`" in body, f"{code}: message is stale"


def test_docs_troubleshooting_parser_finds_a_missing_code() -> None:
    text = "### `TABLE_NOT_FOUND`\n\n**What it means.** x **Usual cause.** y **Fix.** z\n"
    assert set(entries(text)) == {"TABLE_NOT_FOUND"}
    assert set(ERROR_TEMPLATES) - set(entries(text))
