-- principal_api: calls per (principal, event source, event name). Placeholder: {ct}.
WITH {ct}
SELECT principal, event_source, event_name, count(*) AS events,
count(error_code) AS errors, sum(CASE WHEN tl_denied(error_code) THEN 1 ELSE 0 END) AS access_denied,
min(event_time) AS first_seen, max(event_time) AS last_seen,
min(account_id) AS account_id
FROM ct GROUP BY principal, event_source, event_name
