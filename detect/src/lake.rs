//! [`LakeSession`]: read-only SQL over the hive-partitioned Parquet lake.
//!
//! The lake's layout and its tables are the lake's own
//! ([`tripline_ingest::lake::layout`], [`tripline_ingest::lake::registry`]); this
//! session registers what the registry lists. The lake is
//! `<LAKE>/table=<name>/date=YYYY-MM-DD/*.parquet`; `_manifest/`, `_staging/` and
//! `_baselines/` beside the tables are never read. Every `table=<name>` directory
//! becomes a SQL table: the tables whose schema the registry fixes (ingest's
//! `cloudtrail`, `invocations`, `lambda_runtime`) with that schema (registered even
//! before any file exists, so a fresh lake answers `SELECT count(*) FROM cloudtrail`
//! with 0), tables whose schema the caller declares
//! ([`LakeOptions::with_table_schema`]), and any other table (e.g. `alerts`) with the
//! schema read from its files. The default quarantine, `_quarantine/*.jsonl`, is the
//! table `quarantine` once it exists (one row per rejected record, read with
//! DataFusion's JSON reader). Directories that appear later are picked up before each
//! statement.
//!
//! The `date` partition column is a `Date32` taken from the directory name, so
//! `WHERE date >= '2024-01-01'` (the literal is coerced to a date) prunes whole
//! directories before any file is opened. Further `key=value` levels found on disk
//! (e.g. `account=`) become `Utf8` partition columns.
//!
//! # Read-only
//!
//! User SQL cannot write anything, checked twice:
//!
//! 1. [`LakeSession::parse`] allows only queries (`SELECT`, `WITH`, `VALUES`),
//!    `EXPLAIN` of those, `SHOW …` and `DESCRIBE`; anything else (`COPY`,
//!    `CREATE [EXTERNAL] TABLE`, `INSERT`, `DROP`, `SET`, …) is a
//!    [`DetectError::ReadOnly`] before planning.
//! 2. [`LakeSession::execute`] checks the logical plan, subqueries included, for DDL,
//!    DML, `COPY` and session statements, and also runs DataFusion's own
//!    [`SQLOptions::verify_plan`] with DDL, DML and statements disallowed — what
//!    `SessionContext::sql_with_options` does, after parsing each statement once.
//!
//! The session itself writes only spill files, in [`LakeOptions::spill_dir`] (the OS
//! temporary directory by default), never in the lake.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::TableReference;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{SetExpr, Statement as SqlStatement};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use tripline_ingest::lake::{layout, registry, Format, LakeTable, Partitioning};

use crate::error::DetectError;

/// Default memory limit of a session: 1 GiB. Operators that can spill (sorts,
/// aggregations, joins) spill to disk beyond it; the others fail with
/// [`DetectError::MemoryLimit`].
pub const DEFAULT_MEMORY_LIMIT: usize = 1 << 30;

/// The lake directories beside the tables that are never `table=` tables.
pub use tripline_ingest::lake::layout::RESERVED_DIRS;

/// The name of the date partition column.
pub use tripline_ingest::lake::layout::DATE_COLUMN;

/// How a [`LakeSession`] runs queries.
#[derive(Debug, Clone)]
pub struct LakeOptions {
    /// Memory the session's queries may use, in bytes, shared fairly between the
    /// operators that can spill.
    pub memory_limit: usize,
    /// Where spill files go (created if missing); `None`: the OS temporary directory.
    pub spill_dir: Option<PathBuf>,
    /// Parallelism of each query; `None`: one partition per core.
    pub target_partitions: Option<usize>,
    /// Schemas of tables that are not ingest's (e.g. `alerts`), by table name; such
    /// a table is registered even when its directory is missing or empty.
    pub table_schemas: BTreeMap<String, SchemaRef>,
}

impl Default for LakeOptions {
    fn default() -> Self {
        LakeOptions {
            memory_limit: DEFAULT_MEMORY_LIMIT,
            spill_dir: None,
            target_partitions: None,
            table_schemas: BTreeMap::new(),
        }
    }
}

impl LakeOptions {
    /// Sets [`Self::memory_limit`].
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Sets [`Self::spill_dir`].
    pub fn with_spill_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spill_dir = Some(dir.into());
        self
    }

    /// Declares the schema of table `name` (without the `date` partition column).
    pub fn with_table_schema(mut self, name: impl Into<String>, schema: SchemaRef) -> Self {
        self.table_schemas.insert(name.into(), schema);
        self
    }
}

/// A read-only SQL session over one lake directory.
pub struct LakeSession {
    /// The lake directory as given, for messages.
    root: PathBuf,
    /// The lake directory made absolute, for table URLs.
    abs_root: PathBuf,
    ctx: SessionContext,
    options: LakeOptions,
    /// Tables registered so far.
    registered: Mutex<BTreeSet<String>>,
}

impl fmt::Debug for LakeSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LakeSession")
            .field("root", &self.root)
            .field("options", &self.options)
            .field("tables", &self.tables())
            .finish_non_exhaustive()
    }
}

/// The result of a query, collected: its schema (even with no rows) and its batches.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// The columns of the result.
    pub schema: SchemaRef,
    /// The rows, in batches (possibly none).
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    /// Total number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// One SQL statement that passed the read-only check of [`LakeSession::parse`].
#[derive(Debug, Clone)]
pub struct ReadOnlyStatement(DfStatement);

impl fmt::Display for ReadOnlyStatement {
    /// The statement as SQL (normalised by the parser).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl LakeSession {
    /// Opens the lake at `root` with default options.
    pub async fn open(root: impl AsRef<Path>) -> Result<Self, DetectError> {
        Self::open_with(root, LakeOptions::default()).await
    }

    /// Opens the lake at `root`: checks it is a lake (an existing directory, empty or
    /// holding `table=<name>/` or `_manifest/`), builds the session and registers
    /// every table.
    pub async fn open_with(
        root: impl AsRef<Path>,
        options: LakeOptions,
    ) -> Result<Self, DetectError> {
        let root = root.as_ref().to_path_buf();
        check_is_lake(&root)?;
        let abs_root = root
            .canonicalize()
            .map_err(|e| lake_io(&root, "cannot resolve the path", e))?;

        let ctx = build_context(&options)?;
        let session = LakeSession {
            root,
            abs_root,
            ctx,
            options,
            registered: Mutex::new(BTreeSet::new()),
        };
        session.refresh().await?;
        Ok(session)
    }

    /// The lake directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The options the session was opened with.
    pub fn options(&self) -> &LakeOptions {
        &self.options
    }

    /// The DataFusion context, for the crate's own queries (rules, baselines).
    ///
    /// It bypasses the read-only check: never pass user SQL to it; use
    /// [`Self::sql`].
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The registered lake tables, sorted.
    pub fn tables(&self) -> Vec<String> {
        self.registered_names().iter().cloned().collect()
    }

    /// Registers the `table=<name>` directories that appeared since the last call.
    /// [`Self::execute`] calls it before each statement.
    pub async fn refresh(&self) -> Result<(), DetectError> {
        // Tables with a fixed schema exist from the start; the others once their
        // directory does.
        let mut wanted: BTreeSet<String> = registry::TABLES
            .iter()
            .filter(|t| t.queryable)
            .filter(|t| {
                (t.partitioning == Partitioning::Date && t.schema().is_some())
                    || t.path(&self.root).is_dir()
            })
            .map(|t| t.name.to_owned())
            .collect();
        wanted.extend(self.options.table_schemas.keys().cloned());
        wanted.extend(discover_tables(&self.root)?);

        let known = self.registered_names();
        for name in wanted.difference(&known) {
            self.register(name).await?;
            self.registered
                .lock()
                // A poisoned lock only means another thread panicked mid-insert; the
                // set itself is still valid.
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(name.clone());
        }
        Ok(())
    }

    /// Parses `text`, one or more `;`-separated statements, and checks each one is
    /// read-only.
    pub fn parse(&self, text: &str) -> Result<Vec<ReadOnlyStatement>, DetectError> {
        parse_read_only(text)
    }

    /// Plans one statement, checks its plan is read-only, and returns it as a
    /// [`DataFrame`] ready to run.
    pub async fn execute(&self, statement: &ReadOnlyStatement) -> Result<DataFrame, DetectError> {
        self.refresh().await?;
        let state = self.ctx.state();
        let plan = state
            .statement_to_plan(statement.0.clone())
            .await
            .map_err(|e| DetectError::from_planning(e, &self.root))?;
        check_plan_read_only(&plan)?;
        self.ctx
            .execute_logical_plan(plan)
            .await
            .map_err(|e| DetectError::from_planning(e, &self.root))
    }

    /// Runs exactly one read-only statement, returning it as a [`DataFrame`].
    pub async fn sql(&self, query: &str) -> Result<DataFrame, DetectError> {
        let mut statements = self.parse(query)?;
        match statements.len() {
            1 => self.execute(&statements.remove(0)).await,
            0 => Err(DetectError::Plan(Box::new(
                datafusion::error::DataFusionError::Plan("no SQL statement given".into()),
            ))),
            n => Err(DetectError::Plan(Box::new(
                datafusion::error::DataFusionError::Plan(format!(
                    "expected one SQL statement, got {n}"
                )),
            ))),
        }
    }

    /// Runs exactly one read-only statement and collects its result.
    pub async fn query(&self, query: &str) -> Result<QueryResult, DetectError> {
        let df = self.sql(query).await?;
        self.collect(df).await
    }

    /// Runs a [`DataFrame`] of this session and collects its result.
    pub async fn collect(&self, df: DataFrame) -> Result<QueryResult, DetectError> {
        let plan = df
            .create_physical_plan()
            .await
            .map_err(|e| self.locate(DetectError::from_planning(e, &self.root)))?;
        let schema = plan.schema();
        let batches = datafusion::physical_plan::collect(plan, self.ctx.task_ctx())
            .await
            .map_err(|e| {
                self.locate(DetectError::from_execution(
                    e,
                    &self.root,
                    self.options.memory_limit,
                ))
            })?;
        Ok(QueryResult { schema, batches })
    }

    /// Sharpens an error reading the lake (which DataFusion reports without the
    /// file) by naming the first Parquet file of the lake whose footer cannot be
    /// read, when there is one.
    fn locate(&self, err: DetectError) -> DetectError {
        match err {
            DetectError::Lake { path, reason } if path == self.root => {
                match first_unreadable_file(&self.root) {
                    Some((file, why)) => DetectError::Lake {
                        path: file,
                        reason: format!("unreadable Parquet file ({why}); {reason}"),
                    },
                    None => DetectError::Lake { path, reason },
                }
            }
            other => other,
        }
    }

    fn registered_names(&self) -> BTreeSet<String> {
        self.registered
            .lock()
            // See `refresh`: the set is valid even if a holder panicked.
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Registers table `name` (its registry entry, else `table=<name>/`) as a
    /// listing table.
    async fn register(&self, name: &str) -> Result<(), DetectError> {
        let entry = registry::table(name);
        let rel = entry.map_or_else(|| layout::table_dir_name(name), |t| t.dir.to_owned());
        let dir = self.root.join(&rel);
        let url = directory_url(&self.abs_root.join(&rel))
            .map_err(|reason| DetectError::lake(&dir, reason))?;
        if let Some(t) = entry.filter(|t| t.format == Format::JsonLines) {
            return self.register_json_lines(t, &dir, url);
        }
        let state = self.ctx.state();
        let broken = |e: datafusion::error::DataFusionError| {
            DetectError::lake(
                &dir,
                format!("cannot read the table: {}", e.strip_backtrace()),
            )
        };

        let format = ParquetFormat::default().with_options(state.table_options().parquet.clone());
        let options = ListingOptions::new(Arc::new(format)).with_file_extension(".parquet");
        let partitions = options
            .infer_partitions(&state, &url)
            .await
            .map_err(broken)?;
        let has_files = !partitions.is_empty() || dir_has_parquet(&dir);

        let declared = entry
            .and_then(LakeTable::schema)
            .or_else(|| self.options.table_schemas.get(name).cloned());
        let schema = match (&declared, has_files) {
            (Some(schema), _) => schema.clone(),
            (None, true) => options.infer_schema(&state, &url).await.map_err(broken)?,
            (None, false) => Arc::new(Schema::empty()),
        };

        // Hive levels found on disk; files of a declared table always sit under
        // `date=`, and an empty table gets the `date` column it will have.
        let partition_cols = if partitions.is_empty() && (declared.is_some() || !has_files) {
            vec![(DATE_COLUMN.to_owned(), DataType::Date32)]
        } else {
            partitions
                .into_iter()
                .map(|key| {
                    let ty = if key == DATE_COLUMN {
                        DataType::Date32
                    } else {
                        DataType::Utf8
                    };
                    (key, ty)
                })
                .collect()
        };
        let options = options.with_table_partition_cols(partition_cols);
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(schema);
        let table = ListingTable::try_new(config).map_err(broken)?;

        self.install(name, &dir, table)
    }

    /// Registers a JSON-lines table of the registry (the quarantine): its declared
    /// schema, files directly in its directory, no partitions.
    fn register_json_lines(
        &self,
        table: &LakeTable,
        dir: &Path,
        url: ListingTableUrl,
    ) -> Result<(), DetectError> {
        let schema = table.schema().ok_or_else(|| {
            DetectError::Internal(format!("JSON-lines table {} has no schema", table.name))
        })?;
        let options = ListingOptions::new(Arc::new(JsonFormat::default()))
            .with_file_extension(table.format.extension());
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(schema);
        let listing = ListingTable::try_new(config).map_err(|e| {
            DetectError::lake(
                dir,
                format!("cannot read the table: {}", e.strip_backtrace()),
            )
        })?;
        self.install(table.name, dir, listing)
    }

    /// Puts `table` in the session under `name`.
    fn install(&self, name: &str, dir: &Path, table: ListingTable) -> Result<(), DetectError> {
        let reference = TableReference::bare(name);
        // Replacing is fine: registration happens once per name, `deregister` only
        // guards against a table registered by the crate's own code meanwhile.
        self.ctx
            .deregister_table(reference.clone())
            .and_then(|_| self.ctx.register_table(reference, Arc::new(table)))
            .map_err(|e| DetectError::Internal(format!("registering table {name}: {e}")))?;
        tracing::debug!(table = name, dir = %dir.display(), "Registered lake table.");
        Ok(())
    }
}

/// True when `text` ends a statement: its last token outside strings and comments is
/// `;`. Used by the interactive shell to read multi-line statements.
pub fn statement_complete(text: &str) -> bool {
    let dialect = GenericDialect {};
    match Tokenizer::new(&dialect, text).tokenize() {
        Ok(tokens) => tokens
            .iter()
            .rev()
            .find(|t| !matches!(t, Token::Whitespace(_)))
            .is_some_and(|t| matches!(t, Token::SemiColon)),
        // An unterminated string or comment: more lines to come.
        Err(_) => false,
    }
}

/// Parses `text` and refuses any statement that is not read-only.
fn parse_read_only(text: &str) -> Result<Vec<ReadOnlyStatement>, DetectError> {
    let dialect = GenericDialect {};
    let statements = DFParserBuilder::new(text)
        .with_dialect(&dialect)
        .build()
        .and_then(|mut parser| parser.parse_statements())
        .map_err(|e| DetectError::Plan(Box::new(e)))?;
    statements
        .into_iter()
        .map(|statement| match refused(&statement) {
            Some(kind) => Err(DetectError::ReadOnly { statement: kind }),
            None => Ok(ReadOnlyStatement(statement)),
        })
        .collect()
}

/// The kind of statement when `statement` is not allowed, `None` when it is.
fn refused(statement: &DfStatement) -> Option<String> {
    match statement {
        DfStatement::Statement(statement) => refused_sql(statement),
        DfStatement::Explain(explain) => refused(&explain.statement),
        DfStatement::CreateExternalTable(_) => Some("CREATE EXTERNAL TABLE".into()),
        DfStatement::CopyTo(_) => Some("COPY".into()),
        DfStatement::Reset(_) => Some("RESET".into()),
    }
}

fn refused_sql(statement: &SqlStatement) -> Option<String> {
    use SqlStatement as S;
    let kind = match statement {
        S::Query(query) => {
            return match query.body.as_ref() {
                SetExpr::Select(select) if select.into.is_some() => Some("SELECT INTO".into()),
                _ => None,
            };
        }
        S::Explain { statement, .. } => return refused_sql(statement),
        S::ExplainTable { .. }
        | S::ShowTables { .. }
        | S::ShowColumns { .. }
        | S::ShowVariable { .. }
        | S::ShowVariables { .. }
        | S::ShowFunctions { .. }
        | S::ShowCreate { .. }
        | S::ShowSchemas { .. }
        | S::ShowDatabases { .. }
        | S::ShowCatalogs { .. }
        | S::ShowViews { .. }
        | S::ShowStatus { .. }
        | S::ShowObjects(_) => return None,
        S::Insert(_) => "INSERT",
        S::Update(_) => "UPDATE",
        S::Delete(_) => "DELETE",
        S::Merge(_) => "MERGE",
        S::Truncate(_) => "TRUNCATE",
        S::Drop { .. } => "DROP",
        S::CreateTable(create) if create.query.is_some() => "CREATE TABLE AS",
        S::CreateTable(_) => "CREATE TABLE",
        S::CreateView(_) => "CREATE VIEW",
        S::Set(_) => "SET",
        S::Copy { .. } => "COPY",
        other => return Some(leading_keywords(&other.to_string())),
    };
    Some(kind.into())
}

/// The first keywords of a statement's SQL, e.g. `ALTER TABLE` or `PREPARE`, to name
/// a refused statement without listing every kind sqlparser knows.
fn leading_keywords(sql: &str) -> String {
    let words: Vec<&str> = sql
        .split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .take(2)
        .collect();
    if words.is_empty() {
        "this statement".into()
    } else {
        words.join(" ")
    }
}

/// Refuses a plan holding DDL, DML, `COPY` or a session statement anywhere, then
/// runs DataFusion's own check with the same policy.
fn check_plan_read_only(plan: &LogicalPlan) -> Result<(), DetectError> {
    let mut found = None;
    // The closure never fails: it only records the first forbidden node.
    let _ = plan.apply_with_subqueries(|node| {
        let kind = match node {
            LogicalPlan::Ddl(ddl) => Some(ddl.name().to_owned()),
            LogicalPlan::Dml(dml) => Some(dml.op.to_string()),
            LogicalPlan::Copy(_) => Some("COPY".to_owned()),
            LogicalPlan::Statement(statement) => Some(statement.name().to_owned()),
            _ => None,
        };
        Ok(match kind {
            Some(kind) => {
                found = Some(kind);
                TreeNodeRecursion::Stop
            }
            None => TreeNodeRecursion::Continue,
        })
    });
    if let Some(statement) = found {
        return Err(DetectError::ReadOnly { statement });
    }
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(plan)
        .map_err(|e| DetectError::ReadOnly {
            statement: e.strip_backtrace(),
        })
}

/// The session: memory pool, spill directory, information schema, JSON functions.
pub(crate) fn build_context(options: &LakeOptions) -> Result<SessionContext, DetectError> {
    let setup = |what: &str, e: &dyn fmt::Display| {
        DetectError::Internal(format!("setting up the query engine: {what}: {e}"))
    };

    let disk = match &options.spill_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| lake_io(dir, "cannot create the spill directory", e))?;
            DiskManagerMode::Directories(vec![dir.clone()])
        }
        None => DiskManagerMode::OsTmpDirectory,
    };
    // The top 5 consumers are named in out-of-memory errors.
    let top = NonZeroUsize::new(5).unwrap_or(NonZeroUsize::MIN);
    let pool = TrackConsumersPool::new(FairSpillPool::new(options.memory_limit), top);
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(pool))
        .with_disk_manager_builder(DiskManagerBuilder::default().with_mode(disk))
        // No file listing cache: files ingest adds while a shell is open must show up.
        .with_object_list_cache_limit(0)
        .build_arc()
        .map_err(|e| setup("runtime", &e))?;

    let mut config = SessionConfig::new().with_information_schema(true);
    if let Some(n) = options.target_partitions {
        config = config.with_target_partitions(n.max(1));
    }
    let mut ctx = SessionContext::new_with_config_rt(config, runtime);
    datafusion_functions_json::register_all(&mut ctx).map_err(|e| setup("JSON functions", &e))?;
    Ok(ctx)
}

/// Checks that `root` is an existing directory that looks like a lake.
fn check_is_lake(root: &Path) -> Result<(), DetectError> {
    let meta = std::fs::metadata(root).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            DetectError::lake(root, "does not exist")
        } else {
            lake_io(root, "cannot be read", e)
        }
    })?;
    if !meta.is_dir() {
        return Err(DetectError::lake(root, "is not a directory"));
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root).map_err(|e| lake_io(root, "cannot be listed", e))? {
        let entry = entry.map_err(|e| lake_io(root, "cannot be listed", e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    if layout::looks_like_lake(names.iter().map(String::as_str)) {
        return Ok(());
    }
    if names.iter().all(|n| n.starts_with('.')) {
        // A fresh lake: nothing ingested yet.
        return Ok(());
    }
    Err(DetectError::lake(
        root,
        "is not a Tripline lake (no table=<name>/ or _manifest/ directory in it)",
    ))
}

/// Names of the `table=<name>` directories under `root`.
fn discover_tables(root: &Path) -> Result<Vec<String>, DetectError> {
    layout::discover_tables(root).map_err(|e| lake_io(root, "cannot be listed", e))
}

/// The first non-empty `.parquet` file of a table (in path order) whose footer
/// cannot be read, with the reason. Only called once a query has failed reading.
fn first_unreadable_file(root: &Path) -> Option<(PathBuf, String)> {
    use datafusion::parquet::file::reader::SerializedFileReader;

    let mut pending: Vec<PathBuf> = discover_tables(root)
        .ok()?
        .into_iter()
        .map(|name| layout::table_dir(root, &name))
        .collect();
    pending.sort_unstable_by(|a, b| b.cmp(a));
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            let Ok(entries) = std::fs::read_dir(&path) else {
                continue;
            };
            let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            // Popped from the end: reverse order visits paths in ascending order.
            children.sort_unstable_by(|a, b| b.cmp(a));
            pending.extend(children);
            continue;
        }
        let is_parquet = path.extension().is_some_and(|ext| ext == "parquet");
        let non_empty = std::fs::metadata(&path).is_ok_and(|m| m.len() > 0);
        if !(is_parquet && non_empty) {
            continue;
        }
        let opened = std::fs::File::open(&path)
            .map_err(|e| e.to_string())
            .and_then(|file| SerializedFileReader::new(file).map_err(|e| e.to_string()));
        if let Err(why) = opened {
            return Some((path, why));
        }
    }
    None
}

/// True when a `.parquet` file exists anywhere under `dir`.
fn dir_has_parquet(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            dir_has_parquet(&path)
        } else {
            path.extension().is_some_and(|ext| ext == "parquet")
        }
    })
}

/// A `file://` URL of directory `dir` (absolute), percent-encoded so that spaces and
/// glob characters (`*`, `?`, `[`) in the path are taken literally.
fn directory_url(dir: &Path) -> Result<ListingTableUrl, String> {
    let path = dir
        .to_str()
        .ok_or_else(|| "the path is not valid UTF-8".to_owned())?;
    let mut url = String::from("file://");
    for segment in path
        .split(std::path::MAIN_SEPARATOR)
        .filter(|s| !s.is_empty())
    {
        url.push('/');
        for byte in segment.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'=' => {
                    url.push(byte as char)
                }
                _ => url.push_str(&format!("%{byte:02X}")),
            }
        }
    }
    url.push('/');
    ListingTableUrl::parse(&url).map_err(|e| format!("cannot address the table: {e}"))
}

fn lake_io(path: &Path, reason: &str, err: std::io::Error) -> DetectError {
    DetectError::lake(path, format!("{reason}: {err}"))
}

#[cfg(test)]
#[path = "lake_tests.rs"]
mod tests;
