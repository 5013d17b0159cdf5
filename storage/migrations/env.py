"""Alembic environment for govreports: always run from code with a live connection.

``storage.migrate`` hands the connection in ``config.attributes["connection"]``,
so no ``alembic.ini``, working directory or URL in a file is involved, and the
migration runs inside the caller's transaction (and its lock).
"""

from __future__ import annotations

from alembic import context

from storage.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "storage migrations run through storage.migrate (govreports db upgrade), not the alembic CLI"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
