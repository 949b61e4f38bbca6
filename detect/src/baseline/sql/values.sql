-- The query of one kind of value of a `*_values` table: distinct values per owner,
-- with counts and first/last sightings. Placeholders: {with} (the table's common
-- tables), {owner}, {kind}, {expr} (the value), {from} (the rows).
{with} SELECT {owner}, '{kind}' AS kind, value, count(*) AS events,
min(event_time) AS first_seen, max(event_time) AS last_seen
FROM (SELECT {owner}, {expr} AS value, event_time FROM {from}) v
WHERE value IS NOT NULL GROUP BY {owner}, value
