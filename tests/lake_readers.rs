//! The lake is readable by an engine that is not ours: DuckDB (Python module, installed
//! by the test command), with hive partitioning and the canonical types.

use std::process::Command;

use crate::util::*;

#[test]
fn duckdb_reads_the_lake_as_is() {
    let lake = tempfile::tempdir().unwrap();
    ingest_json(&[&fixture("cloudtrail")], lake.path());
    let ours = query_csv(
        lake.path(),
        "SELECT count(*), count(DISTINCT event_id), min(event_time) FROM cloudtrail",
    );
    let script = format!(
        "import duckdb\n\
         r = duckdb.sql(\"SELECT count(*), count(DISTINCT event_id), epoch_us(min(event_time)), typeof(min(event_time)), \
         count(DISTINCT date) FROM read_parquet('{}/table=cloudtrail/**/*.parquet', hive_partitioning=true)\").fetchall()[0]\n\
         print(r[0], r[1], r[2], r[3].replace(' ', '_'), r[4])\n",
        lake.path().display()
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "DuckDB could not read the lake (the test command installs it: pip install duckdb): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let f: Vec<&str> = text.split_whitespace().collect();
    let ours: Vec<&str> = ours[0].split(',').collect();
    assert_eq!(f[0], ours[0], "row count");
    assert_eq!(f[1], ours[1], "distinct event ids");
    assert_eq!(
        f[2], "1709287201000000",
        "2024-03-01T10:00:01Z in µs: {text}"
    );
    assert_eq!(f[3], "TIMESTAMP_WITH_TIME_ZONE", "{text}");
    assert_eq!(f[4], "2", "two date partitions: {text}");
}
