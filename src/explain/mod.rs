//! Interpretability: which motifs (WL subtrees) the GP credits with accuracy, readable
//! motifs, building architectures from motif scores, and pruning a space by them.

mod build;
mod importance;
mod motif;

pub use build::{build, harmful, keeps, percentile, prune_stats, Built, MotifScores, PruneStats};
pub use importance::{contributions, motif_effects, Contribution, MotifEffect};
pub use motif::{Motif, Provenance};
