"""JSON logs, one object per line, with request and trace ids and no personal data.

Every logger — structlog's and the standard library's (uvicorn, httpx, SQLAlchemy, aiokafka) —
goes through one handler whose formatter adds the context, masks personal data
(`shared.masking`) and renders JSON. Access logs are never written: the request log of
`shared.middleware` names the route template, not the path or query string.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any, TextIO

import structlog
from structlog.stdlib import ProcessorFormatter
from structlog.types import EventDict, Processor, WrappedLogger

from shared.masking import mask_event
from shared.tracing import current_trace_ids

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_service: dict[str, str] = {}

# Loggers that write a line per request or per outgoing call, with URLs and query strings:
# silenced below WARNING (their warnings and errors still go through the masking formatter).
QUIET_LOGGERS = ("uvicorn.access", "httpx", "httpcore", "aiokafka", "asyncio")


def current_request_id() -> str | None:
    """The correlation id of the request or message being handled, if any."""
    return request_id_var.get()


def _add_context(logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    """The service name, and the trace and span ids of the current span, if any."""
    if "service" in _service:
        event_dict.setdefault("service", _service["service"])
    request_id = request_id_var.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    ids = current_trace_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def _mask(logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    masked: EventDict = mask_event(event_dict)
    return masked


def _pre_chain() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_context,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]


class JsonFormatter(ProcessorFormatter):
    """The formatter of every log line: context, masking, then JSON (or console) rendering.

    Also usable from a `logging.config.dictConfig` file (`"()": "shared.logging.JsonFormatter"`),
    as uvicorn's `--log-config`, so even the lines written before the app starts are JSON.
    """

    def __init__(self, json: bool = True, **kwargs: Any) -> None:
        renderer: Processor = (
            structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
        )
        super().__init__(
            foreign_pre_chain=_pre_chain(),
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _mask,
                renderer,
            ],
            **kwargs,
        )


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of each line."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(
    *, service: str, level: str = "INFO", json: bool = True, stream: TextIO | None = None
) -> None:
    """Send every logger through one masking JSON handler on `stream` (stderr by default)."""
    _service["service"] = service
    structlog.configure(
        processors=[
            *_pre_chain(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    handler.setFormatter(JsonFormatter(json=json))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn installs handlers of its own: route its loggers through the root handler.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger named after its module."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
