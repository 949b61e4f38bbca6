//! [`Windowed`]: the one operator every anomaly detector is, and [`Scorer`], the part
//! that makes each detector what it is.
//!
//! The operator owns what all detectors share: which tables reach the scorer, the
//! event-time clock and its lateness, the tumbling windows (one set per width), the
//! bound on the entities a window tracks, the findings waiting for
//! [`Detector::advance`] or [`Detector::finish`], and the assembly of a finding from
//! a scorer's [`Draft`] (window start, uid, baselines' time range). A scorer says
//! which columns it reads, what it folds per row into a window, and how it scores a
//! window once closed.
//!
//! A window closes once the newest event seen is the lateness past its end (after
//! each batch), when a stream's watermark passes its end ([`Detector::advance`]), or
//! at the end of the input ([`Detector::finish`]); events for a closed window are
//! dropped, so each window is scored once and state stays bounded by the open ones.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use tripline_ingest::Table;

use super::config::Section;
use super::events::{CloudTrailCols, Columns, InvocationCols, RuntimeCols};
use super::window::{Clock, Draft, Groups, Windows};
use super::{AnomalyConfig, Common, Detector};
use crate::baseline::Baselines;
use crate::error::DetectError;
use crate::model::Finding;

/// Folds one row of a table into the windows.
type Fold<S, C> = fn(&mut S, Row<'_, C>, &mut Frames<<S as Scorer>::Window>);

/// One row of a batch handed to a scorer.
pub(crate) struct Row<'a, C> {
    /// The columns of the batch.
    pub(crate) cols: &'a C,
    /// The row's index in the batch.
    pub(crate) i: usize,
    /// Its event time, µs.
    pub(crate) t: i64,
}

/// What is particular to one detector: the rows it keeps, what it folds per window
/// and how it scores a closed window. [`Windowed`] does the rest.
///
/// The three row methods are called for every row of a table in
/// [`Self::TABLES`] (the others are ignored without being read).
pub(crate) trait Scorer: Send + Sized + 'static {
    /// The detector's section of [`AnomalyConfig`].
    type Config: Section;
    /// What one window holds, e.g. [`Groups`] of per-entity state.
    type Window: Default + Send;

    /// The detector's name ([`Detector::name`]).
    const NAME: &'static str;
    /// Whether the detector is skipped without baselines.
    const NEEDS_BASELINES: bool;
    /// The tables the detector reads.
    const TABLES: &'static [Table];

    /// The scorer with its settings.
    fn new(common: Common, cfg: Self::Config) -> Self;

    /// Folds a row of a `cloudtrail` batch.
    fn cloudtrail(&mut self, _: Row<'_, CloudTrailCols>, _: &mut Frames<Self::Window>) {}

    /// Folds a row of an `invocations` batch.
    fn invocation(&mut self, _: Row<'_, InvocationCols>, _: &mut Frames<Self::Window>) {}

    /// Folds a row of a `lambda_runtime` batch.
    fn runtime(&mut self, _: Row<'_, RuntimeCols>, _: &mut Frames<Self::Window>) {}

    /// Scores a closed window, pushing what it reports to `out`.
    fn score(&mut self, window: Closed<Self::Window>, out: &mut Vec<Draft>);

    /// Called after windows closed, with the clock's watermark: the time to forget
    /// state kept across windows.
    fn closed(&mut self, _watermark: i64) {}
}

/// The open windows of a detector, one set per width, each tracking at most
/// `max_entities` entities per map.
pub(crate) struct Frames<W> {
    sets: Vec<Windows<W>>,
    max_entities: usize,
}

impl<W: Default> Frames<W> {
    fn new(widths: &[u64], max_entities: usize) -> Self {
        Frames {
            sets: widths.iter().map(|&w| Windows::new(w)).collect(),
            max_entities: max_entities.max(1),
        }
    }

    /// Entities one map of a window may track.
    #[inline]
    pub(crate) fn max_entities(&self) -> usize {
        self.max_entities
    }

    /// The window of the first set holding time `t`; `None` when it already closed.
    #[inline]
    pub(crate) fn at(&mut self, t: i64) -> Option<&mut W> {
        self.at_in(0, t)
    }

    /// The window of set `set` holding time `t`; `None` when it already closed.
    #[inline]
    pub(crate) fn at_in(&mut self, set: usize, t: i64) -> Option<&mut W> {
        self.sets.get_mut(set)?.at(t).map(|(_, w)| w)
    }
}

impl<V: Default> Frames<Groups<V>> {
    /// The state of entity `key` in the window holding `t`; `None` when the window
    /// closed or is full.
    #[inline]
    pub(crate) fn group(&mut self, t: i64, key: &str) -> Option<&mut V> {
        let max = self.max_entities;
        self.at(t)?.get(key, max)
    }
}

/// A window handed to [`Scorer::score`].
pub(crate) struct Closed<W> {
    /// Start, µs.
    pub(crate) start: i64,
    /// Width, µs.
    pub(crate) width: i64,
    /// Index of its set in the section's window widths.
    pub(crate) set: usize,
    /// What the scorer folded into it.
    pub(crate) state: W,
}

/// A detector: a [`Scorer`] in tumbling windows closed by event time.
pub(crate) struct Windowed<S: Scorer> {
    scorer: S,
    frames: Frames<S::Window>,
    clock: Clock,
    baselines: Option<Arc<Baselines>>,
    pending: Vec<Finding>,
}

impl<S: Scorer> Windowed<S> {
    /// The detector of `S` with `cfg`.
    pub(crate) fn new(common: Common, cfg: S::Config) -> Self {
        let clock = Clock::new(common.lateness_secs);
        let baselines = common.baselines.clone();
        let max_entities = common.max_entities;
        let frames = Frames::new(&cfg.widths(), max_entities);
        Windowed {
            scorer: S::new(common, cfg),
            frames,
            clock,
            baselines,
            pending: Vec::new(),
        }
    }

    /// The detector of `S` configured by its section of `cfg`, boxed (for the
    /// catalogue).
    pub(crate) fn boxed(common: Common, cfg: &AnomalyConfig) -> Box<dyn Detector> {
        Box::new(Self::new(common, S::Config::of(cfg).clone()))
    }

    fn fold<C: Columns>(
        &mut self,
        batch: &RecordBatch,
        fold: Fold<S, C>,
    ) -> Result<(), DetectError> {
        let cols = C::read(batch)?;
        for i in 0..batch.num_rows() {
            let t = cols.time(i);
            self.clock.observe(t);
            let row = Row { cols: &cols, i, t };
            fold(&mut self.scorer, row, &mut self.frames);
        }
        Ok(())
    }

    /// Scores the windows that end at or before `watermark`, set by set, oldest
    /// first.
    fn close(&mut self, watermark: i64) {
        let mut drafts = Vec::new();
        for (set, windows) in self.frames.sets.iter_mut().enumerate() {
            let width = windows.width_us();
            for (start, state) in windows.close_until(watermark) {
                let window = Closed {
                    start,
                    width,
                    set,
                    state,
                };
                self.scorer.score(window, &mut drafts);
                let b = self.baselines.as_deref();
                self.pending
                    .extend(drafts.drain(..).map(|d| d.into_finding(start, b)));
            }
        }
        self.scorer.closed(self.clock.watermark());
    }
}

impl<S: Scorer> Detector for Windowed<S> {
    fn name(&self) -> &'static str {
        S::NAME
    }

    fn process(&mut self, table: Table, batch: &RecordBatch) -> Result<(), DetectError> {
        if !S::TABLES.contains(&table) {
            return Ok(());
        }
        match table {
            Table::CloudTrail => self.fold(batch, S::cloudtrail)?,
            Table::Invocations => self.fold(batch, S::invocation)?,
            Table::LambdaRuntime => self.fold(batch, S::runtime)?,
        }
        self.close(self.clock.watermark());
        Ok(())
    }

    fn advance(&mut self, watermark_us: i64) -> Vec<Finding> {
        self.close(watermark_us);
        std::mem::take(&mut self.pending)
    }

    fn finish(&mut self) -> Vec<Finding> {
        self.close(i64::MAX);
        std::mem::take(&mut self.pending)
    }
}
