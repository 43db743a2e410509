//! wlgp: Weisfeiler-Lehman Gaussian-process surrogates for neural architecture search.
//!
//! Architectures from any space lower to one labelled DAG ([`graph::Arch`]); WL subtree
//! features ([`wl`]) turn graphs into motif counts whose inner product is the kernel
//! ([`kernel`]); a GP on that kernel ([`gp`]) predicts accuracy and its uncertainty, and
//! Bayesian optimisation ([`search`]) uses it to choose what to evaluate next.

pub mod acquisition;
pub mod assess;
pub mod bench_data;
pub mod error;
pub mod explain;
pub mod gp;
pub mod gpu;
pub mod graph;
pub mod kernel;
pub mod names;
pub mod pareto;
pub mod plot;
pub mod score;
pub mod search;
pub mod space;
pub mod stats;
pub mod study;
pub mod trainer;
pub mod training;
pub mod values;
pub mod wl;

pub use error::{Error, Result};
