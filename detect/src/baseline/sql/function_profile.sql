-- function_profile: invocations per function and hour of the week. Placeholder:
-- {inv}.
WITH {inv}
SELECT function_name, CAST((to_unixtime(time) / 3600 + 72) % 168 AS INT) AS hour_of_week, count(*) AS invocations
FROM inv GROUP BY function_name, CAST((to_unixtime(time) / 3600 + 72) % 168 AS INT)
