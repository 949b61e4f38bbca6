//! Standard input (`-`) as a [`Source`].

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::{open_raw, Hashing, Opened, Source, SourceKey};
use crate::error::IngestError;

/// Standard input: read once, so hashed as it is read, and never skipped unread (it
/// has no key before it is read).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StdinSource;

impl Source for StdinSource {
    fn name(&self) -> &str {
        "-"
    }

    fn key(&self) -> Option<&SourceKey> {
        None
    }

    fn size_hint(&self) -> Option<u64> {
        None
    }

    fn open(&self, hashing: Hashing, counter: Arc<AtomicU64>) -> Result<Opened, IngestError> {
        open_raw(
            "-",
            Box::new(std::io::stdin()),
            None,
            hashing,
            counter,
            true,
        )
    }
}
