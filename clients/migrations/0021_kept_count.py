# The number of clients, kept by the database (issue 28): the whole book's lists (compliance,
# head office, the API, the admin) showed an exact count that PostgreSQL counted row by row on
# every page — 17 ms at 200,000 clients, and growing with the book.
#
# Every statement that inserts or deletes clients adds one row to ``clients_count`` holding how
# many it added (or took away); a TRUNCATE starts it again at zero. The count is their sum, read
# in the reader's snapshot as COUNT(*) would be. A statement never updates a shared row, so two
# transactions creating clients never wait for each other. When the rows pass a few hundred, the
# statement that finds it folds them into one — unless another transaction is already folding
# (an advisory lock tried, never waited for).

from django.db import migrations

KEEP = """
CREATE TABLE clients_count (n bigint NOT NULL);
INSERT INTO clients_count SELECT count(*) FROM clients_client;

CREATE FUNCTION clients_count_fold() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM clients_count) > 256 AND pg_try_advisory_xact_lock(hashtext('clients_count')) THEN
        WITH gone AS (DELETE FROM clients_count RETURNING n)
        INSERT INTO clients_count SELECT coalesce(sum(n), 0) FROM gone;
    END IF;
END
$$;

CREATE FUNCTION clients_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO clients_count SELECT count(*) FROM inserted HAVING count(*) > 0;
    PERFORM clients_count_fold();
    RETURN NULL;
END
$$;
CREATE TRIGGER clients_count_inserted AFTER INSERT ON clients_client
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION clients_count_inserted();

CREATE FUNCTION clients_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO clients_count SELECT -count(*) FROM deleted HAVING count(*) > 0;
    PERFORM clients_count_fold();
    RETURN NULL;
END
$$;
CREATE TRIGGER clients_count_deleted AFTER DELETE ON clients_client
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION clients_count_deleted();

CREATE FUNCTION clients_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM clients_count;
    INSERT INTO clients_count VALUES (0);
    RETURN NULL;
END
$$;
CREATE TRIGGER clients_count_truncated AFTER TRUNCATE ON clients_client
    FOR EACH STATEMENT EXECUTE FUNCTION clients_count_truncated();
"""

FORGET = """
DROP TRIGGER IF EXISTS clients_count_truncated ON clients_client;
DROP TRIGGER IF EXISTS clients_count_deleted ON clients_client;
DROP TRIGGER IF EXISTS clients_count_inserted ON clients_client;
DROP FUNCTION IF EXISTS clients_count_truncated();
DROP FUNCTION IF EXISTS clients_count_deleted();
DROP FUNCTION IF EXISTS clients_count_inserted();
DROP FUNCTION IF EXISTS clients_count_fold();
DROP TABLE IF EXISTS clients_count;
"""


class Migration(migrations.Migration):
    dependencies = [("clients", "0020_load_lists")]

    operations = [migrations.RunSQL(KEEP, FORGET)]
