"""Structured logs: structlog for our code, stdlib loggers (uvicorn, arq, asyncpg) routed through it."""

from __future__ import annotations

import logging
import re
import sys

import structlog

from hotline.settings import LoggingSettings

# a query string's values: `?token=abc&x=1` logs as `?token=…&x=…`
_QUERY_VALUE = re.compile(r"=[^&\s\"]*")


def redact_query(text: str) -> str:
    path, mark, query = text.partition("?")
    return path + mark + _QUERY_VALUE.sub("=…", query) if mark else text


class RedactQueryStrings(logging.Filter):
    """uvicorn logs each request's path with its query string (the access log, and websocket handshakes at
    INFO): the board socket carries its token there, and any query may carry personal data. Keep the names,
    drop the values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("uvicorn") and isinstance(record.args, tuple):
            record.args = tuple(
                redact_query(arg) if isinstance(arg, str) and arg.startswith("/") else arg for arg in record.args
            )
        return True


def configure_logging(settings: LoggingSettings, process: str) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.CallsiteParameterAdder([structlog.processors.CallsiteParameter.PROCESS]),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    handler.addFilter(RedactQueryStrings())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "arq.worker"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    structlog.contextvars.bind_contextvars(component=process)
