"""Alembic's entry point for the store's migrations. The store runs them itself
(``engine.upgrade``) on a connection it passes in, inside its own locked transaction;
a developer's ``alembic`` command gets a connection to ``sqlalchemy.url`` (or the
default store) instead."""

from alembic import context

import mapapp.store.schema as schema


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=schema.METADATA,
                      render_as_batch=True)  # SQLite alters tables by copying them
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("the store's migrations run on a connection, not as SQL scripts")
_connection = context.config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:
    from mapapp.store.engine import make_engine, parse_url
    from mapapp.store.refs import default_url

    _url = context.config.get_main_option("sqlalchemy.url") or default_url()
    _engine = make_engine(parse_url(_url), timeout_s=30)
    with _engine.connect() as _new:
        _run(_new)
    _engine.dispose()
