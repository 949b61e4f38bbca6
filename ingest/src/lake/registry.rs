//! The table registry: every table the lake holds, with its directory, partitioning,
//! file format and (where it is fixed) schema. Writers and readers find tables here
//! instead of spelling paths; `tripline query` registers what this lists.

use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;

use super::layout;
use crate::table::Table;

/// How a table's files are laid out under its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioning {
    /// Hive `date=YYYY-MM-DD/` directories, by the UTC date of the time column.
    Date,
    /// One file per source, named by its hash, directly in the directory.
    PerSource,
    /// Immutable versions `v<unix_ts>/` and a `CURRENT` file naming the newest
    /// complete one.
    Versioned,
}

/// The format of a table's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// zstd-compressed Parquet (`.parquet`).
    Parquet,
    /// One JSON object per line (`.jsonl`).
    JsonLines,
}

impl Format {
    /// The file extension, with its dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => ".parquet",
            Format::JsonLines => ".jsonl",
        }
    }
}

/// One table of the lake.
#[derive(Debug, Clone, Copy)]
pub struct LakeTable {
    /// The SQL name.
    pub name: &'static str,
    /// Its directory, relative to the lake.
    pub dir: &'static str,
    /// How its files are laid out.
    pub partitioning: Partitioning,
    /// Its file format.
    pub format: Format,
    /// Whether `tripline query` exposes it as one SQL table.
    pub queryable: bool,
    /// Its schema (without partition columns), when this crate fixes it; `None` when
    /// the crate that writes it owns the schema (`alerts`: detect's findings) or it
    /// is several tables (`baselines`).
    schema: Option<fn() -> SchemaRef>,
}

impl LakeTable {
    /// Its directory under `lake`.
    pub fn path(&self, lake: &Path) -> PathBuf {
        lake.join(self.dir)
    }

    /// Its schema, when fixed by ingest (see the field's documentation).
    pub fn schema(&self) -> Option<SchemaRef> {
        self.schema.map(|f| f())
    }

    /// The ingest [`Table`] it stores, if it is one of those.
    pub fn ingest_table(&self) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == self.name)
    }
}

/// Name of the findings table detect writes.
pub const ALERTS: &str = "alerts";

/// Name of the quarantine table.
pub const QUARANTINE: &str = "quarantine";

/// Name of the baselines entry.
pub const BASELINES: &str = "baselines";

fn cloudtrail_schema() -> SchemaRef {
    Table::CloudTrail.schema()
}

fn invocations_schema() -> SchemaRef {
    Table::Invocations.schema()
}

fn runtime_schema() -> SchemaRef {
    Table::LambdaRuntime.schema()
}

/// Every table of the lake: ingest's three, then detect's `alerts`, the baselines and
/// the quarantine.
pub const TABLES: [LakeTable; 6] = [
    LakeTable {
        name: "cloudtrail",
        dir: "table=cloudtrail",
        partitioning: Partitioning::Date,
        format: Format::Parquet,
        queryable: true,
        schema: Some(cloudtrail_schema),
    },
    LakeTable {
        name: "invocations",
        dir: "table=invocations",
        partitioning: Partitioning::Date,
        format: Format::Parquet,
        queryable: true,
        schema: Some(invocations_schema),
    },
    LakeTable {
        name: "lambda_runtime",
        dir: "table=lambda_runtime",
        partitioning: Partitioning::Date,
        format: Format::Parquet,
        queryable: true,
        schema: Some(runtime_schema),
    },
    LakeTable {
        name: ALERTS,
        dir: "table=alerts",
        partitioning: Partitioning::Date,
        format: Format::Parquet,
        queryable: true,
        schema: None,
    },
    LakeTable {
        name: BASELINES,
        dir: layout::BASELINES_DIR,
        partitioning: Partitioning::Versioned,
        format: Format::Parquet,
        // Ten tables per version, read whole by `baseline::load`.
        queryable: false,
        schema: None,
    },
    LakeTable {
        name: QUARANTINE,
        dir: layout::QUARANTINE_DIR,
        partitioning: Partitioning::PerSource,
        format: Format::JsonLines,
        queryable: true,
        schema: Some(crate::quarantine::schema),
    },
];

/// The registered table called `name`.
pub fn table(name: &str) -> Option<&'static LakeTable> {
    TABLES.iter().find(|t| t.name == name)
}

/// The registry entry of an ingest table.
pub fn of(table: Table) -> &'static LakeTable {
    // Every ingest table is in TABLES (checked by a test).
    TABLES
        .iter()
        .find(|t| t.name == table.name())
        .unwrap_or(&TABLES[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ingest_table_is_registered_where_layout_puts_it() {
        for t in Table::ALL {
            let entry = of(t);
            assert_eq!(entry.name, t.name());
            assert_eq!(entry.ingest_table(), Some(t));
            assert_eq!(entry.schema(), Some(t.schema()));
            assert_eq!(entry.dir, layout::table_dir_name(t.name()));
        }
        assert_eq!(
            table(ALERTS).map(|t| t.dir.to_owned()),
            Some(layout::table_dir_name(ALERTS))
        );
        let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }

    #[test]
    fn tables_outside_table_dirs_are_the_reserved_ones() {
        for t in TABLES {
            let partitioned = layout::table_of_dir_name(t.dir) == Some(t.name);
            assert!(
                partitioned || layout::RESERVED_DIRS.contains(&t.dir),
                "{}",
                t.name
            );
            assert_eq!(
                partitioned,
                t.partitioning == Partitioning::Date,
                "{}",
                t.name
            );
        }
    }
}
