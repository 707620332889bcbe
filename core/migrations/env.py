"""Alembic environment shared by core and every plugin (each has its own version folder and branch)."""

from alembic import context

from core.db import Base

config = context.config
engine = config.attributes["engine"]
prefixes = tuple(config.attributes["table_prefixes"])


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # Only tables of installed plugins and core: a test plugin's tables in the shared metadata are not ours.
    if type_ == "table":
        return name.startswith(prefixes)
    table = getattr(obj, "table", None)
    return table is None or table.name.startswith(prefixes)


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
