#!/usr/bin/env python3
"""The DuckDB peer of `tripline query --format csv`: one SQL statement over a Tripline lake.

    duckdb_query.py --lake DIR "SQL"

`cloudtrail` is a view over read_parquet('DIR/table=cloudtrail/**/*.parquet',
hive_partitioning=true), so the SQL text is the very text given to `tripline query`.
Prints CSV: a header line, then one line per row (NULL as an empty field), like
`tripline query --format csv`. The benchmark times this whole python process;
--engine-seconds FILE also appends the in-process time (connect to last row written,
i.e. without Python's start-up and `import duckdb`) so the report can show both.
"""
import argparse
import csv
import sys
import time

import duckdb


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lake", required=True)
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, one per core)")
    ap.add_argument("--engine-seconds", help="append the in-process seconds to this file")
    ap.add_argument("sql")
    a = ap.parse_args()
    t0 = time.monotonic()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    glob = f"{a.lake}/table=cloudtrail/**/*.parquet".replace("'", "''")
    con.execute(f"CREATE VIEW cloudtrail AS SELECT * FROM read_parquet('{glob}', hive_partitioning=true)")
    cur = con.execute(a.sql)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow([d[0] for d in cur.description])
    while True:
        rows = cur.fetchmany(10_000)
        if not rows:
            break
        w.writerows(["" if v is None else v for v in row] for row in rows)
    sys.stdout.flush()
    if a.engine_seconds:
        with open(a.engine_seconds, "a") as f:
            f.write(f"{time.monotonic() - t0:.4f}\n")


if __name__ == "__main__":
    sys.exit(main())
