-- What the tables of schema %(schema)s look like: one line per table, column, constraint and index,
-- without the names PostgreSQL makes up (indexes) and without partitions (data, not schema).
SELECT 'table ' || c.relname || CASE c.relkind WHEN 'p' THEN ' partitioned by ' || pg_get_partkeydef(c.oid) ELSE '' END
FROM pg_class c WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE a.attidentity WHEN '' THEN '' ELSE ' identity ' || a.attidentity::text END
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
UNION ALL
SELECT 'constraint on ' || c.relname || ': ' || pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE c.relnamespace = %(schema)s::regnamespace AND NOT c.relispartition
UNION ALL
SELECT 'index on ' || c.relname || ': ' || regexp_replace(pg_get_indexdef(i.indexrelid), ' INDEX \S+ ON \S+ ', ' INDEX ')
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = %(schema)s::regnamespace AND NOT c.relispartition
