-- The `ct` common table of the principal queries: CloudTrail events in the range,
-- keyed by principal (the role behind an assumed-role session, else the user or
-- service). Placeholder: {ct_filter}.
ct AS (SELECT event_time, coalesce(session_issuer_arn, principal_arn) AS principal,
account_id, coalesce(event_source, '') AS event_source,
coalesce(event_name, '') AS event_name, aws_region, source_ip, user_agent, error_code
FROM cloudtrail WHERE {ct_filter}
AND coalesce(session_issuer_arn, principal_arn) IS NOT NULL)
