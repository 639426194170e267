"""Single statements run straight on PostgreSQL's driver, for the steps every turn takes.

Through an ORM session a statement costs about 0.45 ms more CPU than the asyncpg driver needs
to run it (bench/statements.py). The few statements that every turn runs (claim the next
message, read the person, record the outcome) are compiled by SQLAlchemy once, then run on a
pooled connection's asyncpg driver, outside any transaction: each is atomic by itself. Other
engines, and every other statement, go through the session as before."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn

from fitcoach.storage.database import Database
from fitcoach.storage.outage import database_unavailable


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """A statement as the driver takes it: SQL with ``$n`` placeholders, and for each
    placeholder its parameter's name, default value and conversion."""

    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]
    converters: Mapping[str, Callable[[Any], Any]]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for these named parameters."""
        values = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            convert = self.converters.get(name)
            values.append(convert(value) if convert is not None else value)
        return values


MAX_CLOSED_IN_A_ROW = 64

_COMPILED: dict[tuple[int, str], tuple[ClauseElement, DriverStatement]] = {}


def compile_for_driver(statement: ClauseElement, dialect: Dialect) -> DriverStatement:
    """The statement compiled once for this dialect (statements are module constants)."""
    key = (id(statement), dialect.name)
    cached = _COMPILED.get(key)
    if cached is not None and cached[0] is statement:
        return cached[1]
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    converters = {}
    for bind, name in compiled.bind_names.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            converters[name] = processor
    compiled_statement = DriverStatement(
        sql=str(compiled),
        names=tuple(compiled.positiontup or ()),
        defaults=dict(compiled.params),
        converters=converters,
    )
    _COMPILED[key] = (statement, compiled_statement)
    return compiled_statement


def uses_driver(database: Database) -> bool:
    """True when the hot statements run on the driver (PostgreSQL through asyncpg)."""
    dialect = database.engine.dialect
    return dialect.name == "postgresql" and dialect.driver == "asyncpg"


async def fetch(
    database: Database, statement: ClauseElement, params: Mapping[str, Any]
) -> list[asyncpg.Record]:
    """Run one statement on a pooled connection's driver, in autocommit mode; its rows.

    A pooled connection the server closed meanwhile (a restart) is discarded before use, as
    is a connection that fails for any reason but an error PostgreSQL reported about the
    statement (one saying the server is going away discards it too)."""
    prepared = compile_for_driver(statement, database.engine.dialect)
    pooled, driver = await _open_connection(database)
    try:
        return await driver.fetch(prepared.sql, *prepared.arguments(params))
    except BaseException as error:
        if (
            driver.is_closed()
            or not isinstance(error, asyncpg.PostgresError)
            or database_unavailable(error)
        ):
            await greenlet_spawn(pooled.invalidate)
        raise
    finally:
        # Returning a connection may close it (an invalidated one): that needs the greenlet.
        await greenlet_spawn(pooled.close)


async def _open_connection(database: Database) -> tuple[PoolProxiedConnection, asyncpg.Connection]:
    """A pooled connection whose driver connection is still open (the driver notices a
    server-side close as it happens, so this costs no round trip)."""
    for _ in range(MAX_CLOSED_IN_A_ROW):
        pooled = await database.engine.raw_connection()
        driver: asyncpg.Connection = pooled.driver_connection
        if not driver.is_closed():
            return pooled, driver
        await greenlet_spawn(pooled.invalidate)
        await greenlet_spawn(pooled.close)
    raise ConnectionError("every pooled PostgreSQL connection was closed by the server")
