#!/usr/bin/env python3
"""The DuckDB peer of `tripline ingest`: CloudTrail S3-delivery .json.gz files -> Parquet.

    duckdb_ingest.py --mode auto|flat --out DIR FILE.json.gz...
    duckdb_ingest.py --mode auto|flat --out DIR --files-from LIST

One DuckDB statement does the whole job: read_json of the gzip files (DuckDB decompresses
them itself), unnest each file's `Records` array to one row per event, and COPY the rows
to zstd Parquet partitioned by `date=YYYY-MM-DD` (the lake's layout). Prints one JSON line
{"mode", "rows", "threads", "seconds"}. The benchmark times this whole python process.

Modes
- auto: DuckDB infers the schema (format='auto', its default sampling) and the unnested
  event struct's top-level fields become columns (nested objects stay STRUCT/MAP).
  What a DuckDB user writes first.
- flat: explicit columns; the output has the same columns as Tripline's `cloudtrail`
  table (nested documents kept as JSON text), i.e. the same logical work as `tripline
  ingest` minus redaction and quarantine.
"""
import argparse
import json
import os
import struct
import sys
import time

import duckdb

# One CloudTrail event as DuckDB reads it in `flat` mode: the fields Tripline flattens,
# with nested documents kept as JSON.
FLAT_RECORD = (
    "STRUCT("
    "eventTime VARCHAR, eventID VARCHAR, eventSource VARCHAR, eventName VARCHAR, "
    "awsRegion VARCHAR, recipientAccountId VARCHAR, sourceIPAddress VARCHAR, "
    "userAgent VARCHAR, userIdentity JSON, errorCode VARCHAR, errorMessage VARCHAR, "
    "readOnly BOOLEAN, eventType VARCHAR, managementEvent BOOLEAN, eventCategory VARCHAR, "
    "requestID VARCHAR, vpcEndpointId VARCHAR, requestParameters JSON, "
    "responseElements JSON, resources JSON, additionalEventData JSON)[]"
)

# userIdentity paths, extracted with one parse per event (json_extract_string with a list).
IDENTITY_PATHS = [
    "$.type", "$.arn", "$.principalId", "$.userName", "$.accessKeyId",
    "$.sessionContext.sessionIssuer.arn", "$.invokedBy",
    "$.sessionContext.attributes.mfaAuthenticated", "$.accountId",
]

FLAT_SELECT = """
SELECT
  CAST(r.eventTime AS TIMESTAMPTZ)            AS event_time,
  r.eventID                                   AS event_id,
  r.eventSource                               AS event_source,
  r.eventName                                 AS event_name,
  r.awsRegion                                 AS aws_region,
  coalesce(r.recipientAccountId, ui[9])       AS account_id,
  r.sourceIPAddress                           AS source_ip,
  r.userAgent                                 AS user_agent,
  ui[1]                                       AS principal_type,
  coalesce(ui[2], ui[7])                      AS principal_arn,
  ui[3]                                       AS principal_id,
  ui[4]                                       AS user_name,
  ui[5]                                       AS access_key_id,
  ui[6]                                       AS session_issuer_arn,
  CASE WHEN ui[2] LIKE '%:assumed-role/%'
       THEN regexp_extract(ui[2], '[^/]*$') END AS session_name,
  ui[7]                                       AS invoked_by,
  TRY_CAST(ui[8] AS BOOLEAN)                  AS mfa_authenticated,
  r.errorCode                                 AS error_code,
  r.errorMessage                              AS error_message,
  r.readOnly                                  AS read_only,
  r.eventType                                 AS event_type,
  r.managementEvent                           AS management_event,
  r.eventCategory                             AS event_category,
  r.requestID                                 AS request_id,
  r.vpcEndpointId                             AS vpc_endpoint_id,
  CAST(r.requestParameters AS VARCHAR)        AS request_parameters,
  CAST(r.responseElements AS VARCHAR)         AS response_elements,
  CAST(r.resources AS VARCHAR)                AS resources,
  CAST(r.additionalEventData AS VARCHAR)      AS additional_event_data,
  CAST(r.userIdentity AS VARCHAR)             AS user_identity,
  filename                                    AS source,
  left(r.eventTime, 10)                       AS date
FROM (
  SELECT r, filename, json_extract_string(r.userIdentity, {paths}) AS ui
  FROM (SELECT filename, unnest(Records) AS r
        FROM read_json({files}, columns={{'Records': '{record}'}},
                       maximum_object_size={max_obj}, filename=true))
)
"""

AUTO_SELECT = """
SELECT unnest(r), left(CAST(r.eventTime AS VARCHAR), 10) AS date
FROM (SELECT unnest(Records) AS r
      FROM read_json({files}, format='auto', maximum_object_size={max_obj}))
"""


def gzip_isize(path):
    """Uncompressed size (mod 2**32) from a gzip file's trailer."""
    with open(path, "rb") as f:
        f.seek(-4, os.SEEK_END)
        return struct.unpack("<I", f.read(4))[0]


def sql_list(items):
    return "[" + ", ".join("'" + s.replace("'", "''") + "'" for s in items) + "]"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["auto", "flat"], default="auto")
    ap.add_argument("--out", required=True, help="output directory (replaced)")
    ap.add_argument("--files-from", help="file with one input path per line")
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, one per core)")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    files = list(a.files)
    if a.files_from:
        with open(a.files_from) as f:
            files += [line.strip() for line in f if line.strip()]
    if not files:
        ap.error("no input files")

    # Each file is ONE JSON document ({"Records":[...]}): DuckDB must be allowed to hold
    # the largest whole. Sized from the gzip trailers, not guessed.
    largest = max(gzip_isize(p) for p in files)
    max_obj = max(16 << 20, 1 << (int(largest * 1.25) - 1).bit_length())

    t0 = time.monotonic()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")  # as a bulk load would
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    template = FLAT_SELECT if a.mode == "flat" else AUTO_SELECT
    select = template.format(files=sql_list(files), paths=sql_list(IDENTITY_PATHS),
                             record=FLAT_RECORD, max_obj=max_obj)
    out = a.out.replace("'", "''")
    rows = con.execute(
        f"COPY ({select}) TO '{out}' "
        "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE)"
    ).fetchone()[0]
    print(json.dumps({"mode": a.mode, "rows": rows, "threads": threads,
                      "max_object_size": max_obj, "seconds": round(time.monotonic() - t0, 3)}))


if __name__ == "__main__":
    sys.exit(main())
