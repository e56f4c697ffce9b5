"""The database backend when DATABASE_URL is unset: PostgreSQL's, refusing to connect.

Commands that need no database (``check``, ``makemigrations --check``, ``makemessages``) still
work; anything that connects fails at once with how to get a server, instead of trying some
local default that may be another project's database.
"""

from django.db.backends.postgresql import base
from django.db.utils import OperationalError

MESSAGE = (
    "DATABASE_URL is not set. Run `make demo` or `make test`, which start an embedded PostgreSQL "
    "server, or `python scripts/embedded_pg.py run -- python manage.py …`; or set "
    "DATABASE_URL=postgres://user:pass@host:5432/crm."
)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        raise OperationalError(MESSAGE)
