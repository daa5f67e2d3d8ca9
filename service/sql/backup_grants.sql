-- Who owns what and who may do what in this database: one row per object's owner and
-- per (object, grantee, privilege) — tables, views, sequences, columns, functions,
-- schemas, default privileges and the database itself (named "(this database)", so a
-- restore into a database of another name compares equal). An object without an ACL
-- has its owner's default one (acldefault), as PostgreSQL reads it. Objects that belong
-- to an extension are left out: the target's own extension brings them. What a backup
-- records and a restore compares (service/operations/facts.py).
WITH user_schema AS (
    SELECT n.oid, n.nspname, n.nspowner, n.nspacl
      FROM pg_namespace n
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
), of_extension AS (
    SELECT d.classid, d.objid FROM pg_depend d WHERE d.deptype = 'e'
), relation AS (
    SELECT c.oid, n.nspname, c.relname,
           CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                          WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                          ELSE 'TABLE' END AS kind,
           c.relowner,
           coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's'::"char" ELSE 'r'::"char" END,
                                         c.relowner)) AS acl
      FROM pg_class c JOIN user_schema n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND (c.oid) NOT IN (SELECT objid FROM of_extension
                            WHERE classid = 'pg_class'::regclass)
), object AS (
    SELECT kind, format('%I.%I', nspname, relname) AS name, relowner AS owner, acl
      FROM relation
    UNION ALL
    SELECT 'COLUMN', format('%I.%I.%I', r.nspname, r.relname, a.attname), NULL, a.attacl
      FROM relation r JOIN pg_attribute a ON a.attrelid = r.oid
     WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
           format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
           p.proowner, coalesce(p.proacl, acldefault('f'::"char", p.proowner))
      FROM pg_proc p JOIN user_schema n ON n.oid = p.pronamespace
     WHERE p.oid NOT IN (SELECT objid FROM of_extension WHERE classid = 'pg_proc'::regclass)
    UNION ALL
    SELECT 'SCHEMA', quote_ident(n.nspname), n.nspowner,
           coalesce(n.nspacl, acldefault('n'::"char", n.nspowner))
      FROM user_schema n
     WHERE n.oid NOT IN (SELECT objid FROM of_extension
                          WHERE classid = 'pg_namespace'::regclass)
    UNION ALL
    SELECT 'DEFAULT PRIVILEGES',
           format('FOR ROLE %s IN SCHEMA %s ON %s', pg_get_userbyid(d.defaclrole),
                  coalesce((SELECT quote_ident(nspname) FROM pg_namespace
                             WHERE oid = d.defaclnamespace), '(all)'),
                  CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES'
                       WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES'
                       WHEN 'n' THEN 'SCHEMAS' ELSE d.defaclobjtype::text END),
           NULL, d.defaclacl
      FROM pg_default_acl d
    UNION ALL
    SELECT 'DATABASE', '(this database)', d.datdba, coalesce(d.datacl, acldefault('d'::"char", d.datdba))
      FROM pg_database d
     WHERE d.datname = current_database()
)
SELECT kind, name, 'OWNER' AS grantee, pg_get_userbyid(owner) AS privilege,
       false AS grantable
  FROM object
 WHERE owner IS NOT NULL
UNION ALL
SELECT o.kind, o.name,
       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
       a.privilege_type, a.is_grantable
  FROM object o, aclexplode(o.acl) a
 ORDER BY 1, 2, 3, 4;
