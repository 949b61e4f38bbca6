//! Where everything lives in a lake directory: the one place that spells its paths.
//!
//! ```text
//! <lake>/table=<name>/date=YYYY-MM-DD/part-<hash>.parquet   data tables (cloudtrail,
//!                                                            invocations, lambda_runtime,
//!                                                            alerts)
//! <lake>/_manifest/<source hash>.json                       sources stored (manifest)
//! <lake>/_quarantine/<source hash>.jsonl                    rejected records
//! <lake>/_baselines/CURRENT, v<ts>/<name>.parquet           baseline versions
//! <lake>/_staging/                                          files being written
//! ```
//!
//! Directories starting with `_` are never data tables; a reader that lists
//! `table=<name>` directories skips them.

use std::path::{Path, PathBuf};

/// Prefix of a data table's directory: `table=<name>`.
pub const TABLE_PREFIX: &str = "table=";

/// Name of the date partition level (`date=YYYY-MM-DD`) and of its SQL column.
pub const DATE_COLUMN: &str = "date";

/// The manifest directory's name.
pub const MANIFEST_DIR: &str = "_manifest";

/// The default quarantine directory's name.
pub const QUARANTINE_DIR: &str = "_quarantine";

/// The staging directory's name.
pub const STAGING_DIR: &str = "_staging";

/// The baselines directory's name.
pub const BASELINES_DIR: &str = "_baselines";

/// The directories beside the tables that are never `table=` tables.
pub const RESERVED_DIRS: [&str; 4] = [MANIFEST_DIR, QUARANTINE_DIR, STAGING_DIR, BASELINES_DIR];

/// Directory of staging files, on the same file system as the lake (rename is atomic).
pub fn staging_dir(lake: &Path) -> PathBuf {
    lake.join(STAGING_DIR)
}

/// Default quarantine directory of a lake.
pub fn default_quarantine(lake: &Path) -> PathBuf {
    lake.join(QUARANTINE_DIR)
}

/// Directory of the manifest entries.
pub fn manifest_dir(lake: &Path) -> PathBuf {
    lake.join(MANIFEST_DIR)
}

/// Directory of all baseline versions.
pub fn baselines_dir(lake: &Path) -> PathBuf {
    lake.join(BASELINES_DIR)
}

/// The directory name of table `table`: `table=<name>`.
pub fn table_dir_name(table: &str) -> String {
    format!("{TABLE_PREFIX}{table}")
}

/// Directory of one table's partitions.
pub fn table_dir(lake: &Path, table: &str) -> PathBuf {
    lake.join(table_dir_name(table))
}

/// Lake-relative path of a data file: `table=<table>/date=<date>/<file>`.
pub fn partition_file(table: &str, date: &str, file: &str) -> String {
    format!("{TABLE_PREFIX}{table}/{DATE_COLUMN}={date}/{file}")
}

/// The name of a data file written for the content hash `hash` (hex):
/// `part-<first 32 hex digits>.parquet`. Naming files by what they hold makes a
/// rewrite of the same content replace the file instead of adding one.
pub fn part_file_name(hash: &str) -> String {
    let short = hash.get(..32).unwrap_or(hash);
    format!("part-{short}.parquet")
}

/// The table named by a directory entry `table=<name>`, if it is one.
pub fn table_of_dir_name(dir_name: &str) -> Option<&str> {
    dir_name
        .strip_prefix(TABLE_PREFIX)
        .filter(|name| !name.is_empty())
}

/// True when `root` holds something only a lake holds (a `table=` directory or a
/// reserved one), judged by the names of its entries.
pub fn looks_like_lake<'a>(names: impl IntoIterator<Item = &'a str>) -> bool {
    names
        .into_iter()
        .any(|n| n.starts_with(TABLE_PREFIX) || RESERVED_DIRS.contains(&n))
}

/// Names of the `table=<name>` directories under `lake`, sorted.
pub fn discover_tables(lake: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(lake)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str().and_then(table_of_dir_name) else {
            continue;
        };
        if entry.path().is_dir() {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_hive_layout() {
        let lake = Path::new("/lake");
        assert_eq!(table_dir(lake, "alerts"), Path::new("/lake/table=alerts"));
        assert_eq!(
            partition_file(
                "cloudtrail",
                "2024-01-01",
                &part_file_name(&"ab".repeat(32))
            ),
            format!(
                "table=cloudtrail/date=2024-01-01/part-{}.parquet",
                "ab".repeat(16)
            )
        );
        assert_eq!(table_of_dir_name("table=x"), Some("x"));
        assert_eq!(table_of_dir_name("table="), None);
        assert_eq!(table_of_dir_name("_manifest"), None);
        assert!(looks_like_lake(["x.txt", "_baselines"]));
        assert!(!looks_like_lake(["x.txt", "tables"]));
    }
}
