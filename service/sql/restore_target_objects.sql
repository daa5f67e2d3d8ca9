-- What the database to restore into already holds of its own (not an extension's, not
-- PostgreSQL's): relations, functions, types and schemas other than public. Empty is the
-- only acceptable answer (service/operations/restore.py). At most :limit of them.
WITH user_schema AS (
    SELECT oid, nspname FROM pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema')
       AND nspname !~ '^pg_(toast|temp_|toast_temp_)'
), of_extension AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
)
SELECT kind, name FROM (
    SELECT 'relation' AS kind, format('%I.%I', n.nspname, c.relname) AS name
      FROM pg_class c JOIN user_schema n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND (c.oid) NOT IN (SELECT objid FROM of_extension WHERE classid = 'pg_class'::regclass)
    UNION ALL
    SELECT 'function', format('%I.%I', n.nspname, p.proname)
      FROM pg_proc p JOIN user_schema n ON n.oid = p.pronamespace
     WHERE p.oid NOT IN (SELECT objid FROM of_extension WHERE classid = 'pg_proc'::regclass)
    UNION ALL
    SELECT 'type', format('%I.%I', n.nspname, t.typname)
      FROM pg_type t JOIN user_schema n ON n.oid = t.typnamespace
     WHERE t.typtype IN ('e', 'd', 'r', 'm')
       AND t.oid NOT IN (SELECT objid FROM of_extension WHERE classid = 'pg_type'::regclass)
    UNION ALL
    SELECT 'schema', quote_ident(n.nspname)
      FROM user_schema n
     WHERE n.nspname <> 'public'
       AND n.oid NOT IN (SELECT objid FROM of_extension
                          WHERE classid = 'pg_namespace'::regclass)
) found
 ORDER BY array_position(ARRAY['relation', 'schema', 'function', 'type'], kind), name
 LIMIT :limit;
