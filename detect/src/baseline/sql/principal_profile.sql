-- principal_profile: events per principal and hour of the week (0 = Monday 00:00
-- UTC; the epoch fell on a Thursday, 72 hours after a Monday midnight).
-- Placeholder: {ct}.
WITH {ct}
SELECT principal, CAST((to_unixtime(event_time) / 3600 + 72) % 168 AS INT) AS hour_of_week, count(*) AS events
FROM ct GROUP BY principal, CAST((to_unixtime(event_time) / 3600 + 72) % 168 AS INT)
