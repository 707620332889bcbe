"""Alembic environment shared by core and every plugin (each has its own version folder and branch)."""

from alembic import context

from core.db import Base
from core.migrate import table_filter

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=table_filter(config.attributes["table_prefixes"]),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
