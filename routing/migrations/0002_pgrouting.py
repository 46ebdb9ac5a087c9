from django.db import migrations

# pgRouting is optional: where the server lacks it, routing falls back to an in-memory graph.
ENABLE = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') THEN
        CREATE EXTENSION IF NOT EXISTS pgrouting;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]

    operations = [migrations.RunSQL(ENABLE, reverse_sql=migrations.RunSQL.noop)]
