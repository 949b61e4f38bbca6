//! Inputs: paths (files, directories walked recursively) and stdin, opened with
//! decompression chosen by content, hashed as they are read (the hash identifies a
//! source in the lake's manifest), and split into records by [`Splitter`].

mod input;
mod range;
mod split;

pub use input::{expand, open, open_unhashed, Opened, SourceHash, SourceId};
pub use range::{
    guided_line_ranges, line_ranges, FileRange, MIN_RANGE_BYTES, MIN_TAIL_RANGE_BYTES,
};
pub use split::{line_value, split_line, Kind, Piece, Splitter};
