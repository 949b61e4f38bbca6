-- account_values: regions and services per account. Placeholder: {ct_filter}.
-- owner: account_id
-- from: a
-- kind region: aws_region
-- kind service: event_source
WITH a AS (SELECT event_time, account_id, aws_region, event_source FROM cloudtrail
WHERE {ct_filter} AND account_id IS NOT NULL)
