//! [`Reorder`]: unordered batches in, the same rows out in event-time order, under a
//! memory limit.
//!
//! Log files are read in parallel, so their events arrive in no useful order. Rules do
//! not care; detectors close windows as event time moves and would drop most of them as
//! late. So for unordered input the pipeline hands each batch to a `Reorder`, which
//! sorts every table by event time with DataFusion's external sort (one query per table
//! over a channel-fed streaming table): in memory up to the limit, spilling sorted runs
//! to the OS temporary directory beyond it, so memory stays bounded whatever the input.
//! At the end of input the sorted tables are merged ([`merge_streams`]) and handed out.

use std::fmt;
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::StreamExt;
use tokio::sync::mpsc;
use tripline_ingest::Table;

use super::merge::merge_streams;
use crate::error::DetectError;
use crate::lake::LakeOptions;

/// Batches a table's sort may have waiting before `push` blocks (backpressure).
const QUEUE: usize = 4;

/// The sort of one table: where its batches go, and the task that sorts them.
struct TableSort {
    table: Table,
    input: Option<mpsc::Sender<RecordBatch>>,
    sorted: tokio::task::JoinHandle<Result<SendableRecordBatchStream, DetectError>>,
}

/// Sorts the batches pushed into it by event time, per table, and hands them out
/// merged across tables at the end.
pub struct Reorder {
    runtime: tokio::runtime::Runtime,
    sorts: Vec<TableSort>,
    slack_us: i64,
}

impl Reorder {
    /// A reorder of every table using at most `memory` bytes before spilling; the
    /// output is merged across tables with `slack_us` (see [`merge_streams`]).
    pub fn new(memory: usize, slack_us: i64) -> Result<Self, DetectError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tripline-sort")
            .enable_all()
            .build()
            .map_err(|e| DetectError::Internal(format!("starting the sort runtime: {e}")))?;
        let ctx = crate::lake::build_context(&LakeOptions::default().with_memory_limit(memory))?;
        let mut sorts = Vec::new();
        for table in Table::ALL {
            let (tx, rx) = mpsc::channel(QUEUE);
            let source = ChannelPartition {
                schema: table.schema(),
                rx: Mutex::new(Some(rx)),
            };
            let provider = StreamingTable::try_new(table.schema(), vec![Arc::new(source)])
                .map_err(|e| DetectError::Internal(format!("sort input: {e}")))?;
            ctx.register_table(table.name(), Arc::new(provider))
                .map_err(|e| DetectError::Internal(format!("sort input: {e}")))?;
            let sql = format!(
                "SELECT * FROM {} ORDER BY {} ASC NULLS LAST",
                table.name(),
                table.time_column()
            );
            let ctx = ctx.clone();
            // The sort consumes its input as it arrives (sorting and spilling runs),
            // so the task starts now; the stream it returns yields once input ends.
            let sorted = runtime.spawn(async move {
                let exec = |e| DetectError::Execution(Box::new(e));
                let df = ctx.sql(&sql).await.map_err(exec)?;
                let mut stream = df.execute_stream().await.map_err(exec)?;
                let first = stream.next().await;
                let schema = stream.schema();
                let rest = futures::stream::iter(first).chain(stream);
                Ok(Box::pin(RecordBatchStreamAdapter::new(schema, rest))
                    as SendableRecordBatchStream)
            });
            sorts.push(TableSort {
                table,
                input: Some(tx),
                sorted,
            });
        }
        Ok(Reorder {
            runtime,
            sorts,
            slack_us,
        })
    }

    /// Adds `batch` of `table` to its sort. Blocks while the sort is behind.
    pub fn push(&mut self, table: Table, batch: RecordBatch) -> Result<(), DetectError> {
        let Some(sort) = self.sorts.iter_mut().find(|s| s.table == table) else {
            return Err(DetectError::Internal(format!(
                "no sort for {}",
                table.name()
            )));
        };
        let Some(tx) = &sort.input else {
            return Err(DetectError::Internal("sort input already closed".into()));
        };
        // A plain thread waits here (the CLI's reader threads); the sort task runs on the
        // reorder's own runtime, so the wait always ends.
        if futures::executor::block_on(tx.send(batch)).is_err() {
            // The sort ended early: its error is reported by `finish`.
            sort.input = None;
        }
        Ok(())
    }

    /// Ends the input and calls `consume` with every row pushed, in event-time order
    /// across tables.
    pub fn finish(
        mut self,
        consume: impl FnMut(Table, RecordBatch) -> Result<(), DetectError>,
    ) -> Result<(), DetectError> {
        for s in &mut self.sorts {
            s.input = None;
        }
        let sorts = std::mem::take(&mut self.sorts);
        let slack = self.slack_us;
        self.runtime.block_on(async move {
            let mut streams = Vec::with_capacity(sorts.len());
            for s in sorts {
                let stream = s
                    .sorted
                    .await
                    .map_err(|e| DetectError::Internal(format!("sort task: {e}")))??;
                streams.push((s.table, stream));
            }
            merge_streams(streams, slack, consume).await
        })
    }
}

/// A streaming table's one partition: the batches sent to a channel.
struct ChannelPartition {
    schema: SchemaRef,
    rx: Mutex<Option<mpsc::Receiver<RecordBatch>>>,
}

impl fmt::Debug for ChannelPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelPartition").finish_non_exhaustive()
    }
}

impl PartitionStream for ChannelPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        // Executed once per query; a second execution sees an empty input.
        let rx = self.rx.lock().ok().and_then(|mut r| r.take());
        let batches = futures::stream::unfold(rx, |rx| async move {
            let mut rx = rx?;
            let batch = rx.recv().await?;
            Some((Ok(batch), Some(rx)))
        });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), batches))
    }
}
