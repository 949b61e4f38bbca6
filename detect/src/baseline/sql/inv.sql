-- The `inv` common table of the function queries: invocations in the range, keyed by
-- function ({unknown_function} when the log did not name one). Placeholders:
-- {inv_filter}, {unknown_function}.
inv AS (SELECT time, coalesce(function_name, '{unknown_function}') AS function_name,
account_id, region, source_ip, status_code, payload_shape
FROM invocations WHERE {inv_filter})
