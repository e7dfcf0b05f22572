"""``PipelineLogger``: the standard ``logging`` module, carrying run context into records.

Every record logged through a [`PipelineLogger`][sparkforge.PipelineLogger] has the attributes
``run_id``, ``pipeline`` and ``step`` (``"-"`` when unknown), so a format string such as
``"%(asctime)s %(run_id)s %(step)s %(message)s"`` or a JSON formatter can use them. Loggers are
named under ``sparkforge``; configure handlers there. sparkforge never prints.

As the standard library advises for libraries, the ``sparkforge`` logger carries a
`logging.NullHandler` and nothing else: an application that configures no logging sees
no sparkforge records on stderr (Python's last-resort handler is never reached), and one that
configures handlers (on the root logger or on ``sparkforge``) receives every record.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

    _Adapter = logging.LoggerAdapter[logging.Logger]
else:
    _Adapter = logging.LoggerAdapter

__all__ = ["context_of", "PipelineLogger", "ROOT_LOGGER_NAME"]

#: Every sparkforge logger is a child of this one.
ROOT_LOGGER_NAME = "sparkforge"

_CONTEXT_KEYS = ("run_id", "pipeline", "step")

# The library convention (logging HOWTO, "Configuring Logging for a Library"): the package
# logger's only handler is a NullHandler, so records never fall through to the last-resort
# handler that prints WARNING and above to stderr. Handlers are the application's business.
_package_logger = logging.getLogger(ROOT_LOGGER_NAME)
if not any(isinstance(h, logging.NullHandler) for h in _package_logger.handlers):
    _package_logger.addHandler(logging.NullHandler())


class PipelineLogger(_Adapter):
    """A logger adapter that adds run context (run id, pipeline, step) to every record.

    Parameters
    ----------
    name
        The logger's name; names outside ``sparkforge`` are put under it.
    run_id, pipeline, step
        The context to attach to records.
    logger
        Wrap this logger instead of looking one up by ``name``.

    Examples
    --------
    >>> log = PipelineLogger("sparkforge.demo", pipeline="orders")
    >>> log.bind(step="bronze_orders").context
    {'run_id': None, 'pipeline': 'orders', 'step': 'bronze_orders'}
    """

    def __init__(
        self,
        name: str = ROOT_LOGGER_NAME,
        *,
        run_id: str | None = None,
        pipeline: str | None = None,
        step: str | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if logger is None:
            if name != ROOT_LOGGER_NAME and not name.startswith(ROOT_LOGGER_NAME + "."):
                name = f"{ROOT_LOGGER_NAME}.{name}"
            logger = logging.getLogger(name)
        super().__init__(logger, {"run_id": run_id, "pipeline": pipeline, "step": step})

    @property
    def context(self) -> dict[str, str | None]:
        """The context attached to records (``None`` where unknown)."""
        extra = self.extra or {}
        return {key: _as_text(extra.get(key)) for key in _CONTEXT_KEYS}

    def bind(self, **context: str | None) -> PipelineLogger:
        """Return a logger for the same target with some context replaced.

        Parameters
        ----------
        **context
            New values for ``run_id``, ``pipeline`` or ``step``.

        Raises
        ------
        TypeError
            If a key is not a context key.

        Examples
        --------
        >>> log = PipelineLogger("sparkforge.demo", pipeline="orders")
        >>> log.bind(run_id="r1").context
        {'run_id': 'r1', 'pipeline': 'orders', 'step': None}
        >>> log.bind(table="ops.run_log")
        Traceback (most recent call last):
        ...
        TypeError: unknown log context keys: ['table']
        """
        unknown = set(context) - set(_CONTEXT_KEYS)
        if unknown:
            raise TypeError(f"unknown log context keys: {sorted(unknown)}")
        merged = {**self.context, **context}
        return PipelineLogger(
            logger=self.logger,
            run_id=merged["run_id"],
            pipeline=merged["pipeline"],
            step=merged["step"],
        )

    def process(
        self, msg: object, kwargs: MutableMapping[str, object]
    ) -> tuple[object, MutableMapping[str, object]]:
        """Attach the context (as record attributes) to a call's ``extra``.

        A value the call gives in ``extra`` wins; unknown context is ``"-"``.

        Examples
        --------
        >>> log = PipelineLogger("sparkforge.demo", run_id="r1")
        >>> log.process("started", {"extra": {"rows": 3}})
        ('started', {'extra': {'rows': 3, 'run_id': 'r1', 'pipeline': '-', 'step': '-'}})
        """
        given = kwargs.get("extra")
        extra: dict[str, object] = dict(given) if isinstance(given, dict) else {}
        for key, value in self.context.items():
            extra.setdefault(key, "-" if value is None else value)
        kwargs["extra"] = extra
        return msg, kwargs


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def context_of(record: logging.LogRecord) -> Mapping[str, str]:
    """Return the run context a [`sparkforge.PipelineLogger`][] attached to ``record``."""
    return {key: str(getattr(record, key, "-")) for key in _CONTEXT_KEYS}
