//! The detection pipeline: one object that every way of running detection drives —
//! `tripline detect` over files or the lake, `eval`, `demo`, and the stream service.
//!
//! ```text
//!  files ──► ingest parsers ──┐ (any order)
//!                             ├─► Pipeline ─► rules + correlations ─┐
//!  lake ──► per-table sorted ─┘   process     detectors (reordered  ├─► min level,
//!           streams, TimeMerge     advance     for unordered input) ┘   allowlist,
//!                                  finish                              one sort ─► FindingSink
//! ```
//!
//! - [`config`]: [`PipelineConfig`], the resolved settings ([`InputOrder`]).
//! - [`process`]: [`Pipeline`] (`process`, `advance`, `finish`) and [`PipelineOutput`].
//! - [`merge`]: [`TimeMerge`], per-table time-ordered streams into one, by slicing.
//! - [`reorder`]: [`Reorder`], unordered batches sorted by event time under a memory
//!   limit (DataFusion's spilling sort) for the detectors.
//! - [`input`]: [`detect`] over an [`Input`] (files or the lake), [`read_lake`].
//! - [`report`]: [`PipelineReport`], the run's counts and notes.
//! - [`sink`]: [`FindingSink`] and its sinks: [`OcsfLines`], [`FindingTable`],
//!   [`AlertsTable`], [`Memory`].

pub mod config;
pub mod input;
pub mod merge;
pub mod process;
pub mod reorder;
pub mod report;
pub mod sink;

pub use config::{InputOrder, PipelineConfig, DEFAULT_SORT_MEMORY};
pub use input::{detect, read_lake, DetectRun, Input};
pub use merge::{conform, merge_streams, TimeMerge};
pub use process::{Pipeline, PipelineOutput};
pub use reorder::Reorder;
pub use report::PipelineReport;
pub use sink::{AlertsTable, FindingSink, FindingTable, Memory, OcsfLines};

#[cfg(test)]
mod tests;
