"""The message template of every sparkforge error code, and the rendering of a message.

An error code (``TABLE_NOT_FOUND``) is the stable name of one error: it never changes once
released. Its template's placeholders are exactly the params an error with that code carries,
and its message reads ``"[CODE] message"``. Users reach the table as
``sparkforge.errors.ERROR_TEMPLATES``.

This module imports nothing from pyspark or the rest of sparkforge.
"""

from __future__ import annotations

import string
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ERROR_TEMPLATES", "placeholders", "render_message"]

#: Message templates by error code, sorted by code. Placeholders are the error's params.
ERROR_TEMPLATES: Mapping[str, str] = MappingProxyType(
    {
        "ANALYSIS_ARGUMENT_INVALID": "Invalid {subject}: {problems}",
        "ANALYSIS_LOG_INVALID": "The DataFrame given as a run log cannot be analysed: {reason}.",
        "CONFIG_INVALID": "Invalid value for {option}: {reason}.",
        "DELTA_NOT_CONFIGURED": (
            "The Spark session cannot use Delta Lake ({reason}); build it with {settings}."
        ),
        "EXPORT_FAILED": "Exporting the run log to {target} failed: {reason}.",
        "EXPORT_TARGET_EXISTS": "Export target {target} already exists ({hint}).",
        "IDENTIFIER_INVALID": "Invalid {kind} name {name!r}: {reason}.",
        "MODEL_INVALID": "Invalid {model}: {problems}",
        "NOTIFY_FAILED": "Posting {findings} finding(s) to {url} failed: {reason}.",
        "OPENLINEAGE_EMIT_FAILED": (
            "Sending OpenLineage events failed after {sent} of {events} were sent: {reason}."
        ),
        "OPTIONAL_DEPENDENCY_MISSING": (
            "{feature} needs the {package} package: install it with pip install '{requirement}'."
        ),
        "PIPELINE_GRAPH_INVALID": "Invalid pipeline: {reason}.",
        "PIPELINE_INPUT_INVALID": "Invalid input to the pipeline run: {reason}.",
        "PIPELINE_RUN_FAILED": "Pipeline {pipeline} run {run_id} failed: {reason}.",
        "REPORT_RENDER_FAILED": "Rendering the HTML report to {target} failed: {reason}.",
        "RULES_INVALID": "Invalid validation rules for step {step}: {reason}.",
        "SPARK_SESSION_FAILED": "Starting a Spark session ({where}) failed: {reason}.",
        "STEP_FAILED": "Step {step} ({phase}) failed: {reason}.",
        "STEP_SKIPPED": "Step {step} ({phase}) was skipped: upstream step {upstream} failed.",
        "TABLE_CONCURRENT_CHANGE": (
            "{operation} on {table} stopped because another writer committed meanwhile "
            "({reason}); nothing was changed."
        ),
        "TABLE_CONFLICT": (
            "{operation} on {table} kept conflicting with concurrent writers "
            "after {attempts} attempts: {reason}."
        ),
        "TABLE_LOCATION_NOT_EMPTY": (
            "Table {table} is not in this session's catalog, but its location {location} "
            "already holds files: {hint}."
        ),
        "TABLE_LOG_ABANDONED": (
            "Table {table} cannot be created: {directory} holds a Delta log without any "
            "commit ({reason}); remove that directory and try again."
        ),
        "TABLE_NOT_FOUND": "Table {table} does not exist.",
        "TABLE_OPERATION_FAILED": "{operation} on {table} failed: {reason}.",
        "TABLE_RETENTION_UNSAFE": (
            "A retention of {hours} hours on {table} is shorter than Delta's safety minimum "
            "of {minimum} hours: {hint}."
        ),
        "TABLE_SCHEMA_MISMATCH": "Table {table} has an incompatible schema: {reason}.",
        "TABLE_VERSION_UNAVAILABLE": "Table {table} cannot be read as of {point}: {reason}.",
        "VALIDATION_THRESHOLD": (
            "Step {step} ({phase}) validation rate {rate}% is below the {phase} "
            "minimum of {minimum}%."
        ),
        "WRITER_ARGUMENT_INVALID": "Invalid {subject}: {problems}",
        "WRITER_COMMIT_UNCONFIRMED": (
            "Writing {runs} run(s) to {table} returned without error, but the commit could "
            "not be confirmed ({reason}); a retry is safe only with "
            "deduplication='transaction'. Runs: {run_ids}."
        ),
        "WRITER_CONFIG_INVALID": "Invalid writer option {option}: {reason}.",
        "WRITER_INPUT_INVALID": "Invalid {subject}, nothing was written: {problems}",
        "WRITER_LEGACY_TABLE": "Table {table} {reason}.",
        "WRITER_MODE_MISMATCH": "{method} is not available here: {reason}.",
        "WRITER_NOT_A_LOG": "Table {table} is not a sparkforge run log: {reason}.",
        "WRITER_WRITE_FAILED": "Writing {runs} run(s) to {table} failed: {reason}.",
    }
)


def placeholders(template: str) -> frozenset[str]:
    """Return the names of the placeholders in ``template``: the params its code takes.

    Examples
    --------
    >>> sorted(placeholders(ERROR_TEMPLATES["TABLE_OPERATION_FAILED"]))
    ['operation', 'reason', 'table']
    """
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def render_message(code: str, params: Mapping[str, str]) -> str:
    """Render the message of error ``code`` from its template and ``params``.

    Parameters
    ----------
    code
        A key of [`ERROR_TEMPLATES`][sparkforge.errors.ERROR_TEMPLATES].
    params
        A value for each placeholder of the code's template, and nothing else.

    Returns
    -------
    str
        ``"[CODE] message"``.

    Raises
    ------
    KeyError
        If ``code`` is unknown, or ``params`` are not exactly the template's placeholders.

    Examples
    --------
    >>> render_message("TABLE_NOT_FOUND", {"table": "ops.run_log"})
    '[TABLE_NOT_FOUND] Table ops.run_log does not exist.'
    >>> render_message("TABLE_NOT_FOUND", {"table": "t", "reason": "gone"})
    Traceback (most recent call last):
    ...
    KeyError: "error TABLE_NOT_FOUND takes params ['table'], was given ['reason', 'table']"
    """
    template = ERROR_TEMPLATES.get(code)
    if template is None:
        raise KeyError(f"unknown sparkforge error code {code!r}")
    expected = placeholders(template)
    if set(params) != expected:
        raise KeyError(f"error {code} takes params {sorted(expected)}, was given {sorted(params)}")
    return f"[{code}] {_fill(template, params)}"


def _fill(template: str, params: Mapping[str, str]) -> str:
    """Format ``template`` with ``params``, never doubling a full stop where they meet.

    A value that ends a sentence itself (a nested error's message: ``"... failed."``) and is
    placed before the template's own ``"."`` keeps its punctuation and the template's is
    dropped, so the message never reads ``".."``.

    Examples
    --------
    >>> _fill("{operation} failed: {reason}.", {"operation": "MERGE", "reason": "it broke."})
    'MERGE failed: it broke.'
    """
    parts: list[str] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        text = literal
        if text.startswith(".") and parts and parts[-1].endswith("."):
            text = text[1:]
        parts.append(text)
        if name is not None:
            value = params[name]
            if conversion == "r":
                value = repr(value)
            elif conversion == "a":
                value = ascii(value)
            parts.append(format(value, spec or ""))
    return "".join(parts)
