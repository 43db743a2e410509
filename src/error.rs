//! One error type for the library, so every failure reaches the user as one clear line.

use thiserror::Error;

/// Everything that can go wrong in wlgp, named after what the user did or what the data holds.
#[derive(Debug, Error)]
pub enum Error {
    /// An architecture string that does not follow the space's format.
    #[error("cannot parse {space} architecture `{input}`: {reason}")]
    Parse {
        space: String,
        input: String,
        reason: String,
    },
    /// A graph that is not a DAG or refers to nodes that do not exist.
    #[error("invalid graph: {0}")]
    Graph(String),
    /// A dataset name that is not embedded.
    #[error("unknown dataset `{name}` (known: {known})")]
    UnknownDataset { name: String, known: String },
    /// A metric name that the dataset does not have.
    #[error("unknown metric `{name}` for dataset `{dataset}` (known: {known})")]
    UnknownMetric {
        name: String,
        dataset: String,
        known: String,
    },
    /// An embedded or user table that is malformed.
    #[error("bad benchmark table `{name}`: {reason}")]
    Table { name: String, reason: String },
    /// Training targets that cannot be modelled (NaN, infinite, out of range).
    #[error("invalid training value: {0}")]
    Value(String),
    /// A kernel matrix that stays singular even with jitter.
    #[error("kernel matrix is not positive definite even with jitter {jitter:e} (duplicate architectures with zero noise?)")]
    Singular { jitter: f64 },
    /// A problem in one line of a multi-line input.
    #[error("line {line}: {source}")]
    Line {
        line: usize,
        #[source]
        source: Box<Error>,
    },
    /// A problem in one item of a list (an architecture passed from Python).
    #[error("{what}: {source}")]
    At {
        what: String,
        #[source]
        source: Box<Error>,
    },
    /// One evaluation that produced no value (the search records it and goes on).
    #[error("evaluation of `{arch}` {status}")]
    Evaluation { arch: String, status: String },
    /// An architecture the built-in trainer cannot build a network from (an operation it
    /// does not know, a cell with no path from input to output).
    #[error("the built-in trainer cannot build this network: {0}")]
    Unbuildable(String),
    /// A training run whose loss or outputs stopped being finite (a search records the
    /// evaluation as failed and goes on).
    #[error("training diverged: {0}")]
    Diverged(String),
    /// A search journal that cannot be continued as asked.
    #[error("journal {0}")]
    Journal(String),
    /// Input that is empty where something was required.
    #[error("empty input: {0}")]
    Empty(String),
    /// An option value that is out of range or inconsistent with others.
    #[error("invalid option: {0}")]
    Config(String),
    /// An option whose value is wrong, named as the engine names it (`n_init`); each
    /// front-end renders the name as its user typed it (`--n-init`, `n_init=`).
    #[error("invalid option: {}", setting_text(name, value, reason, "", "="))]
    Setting {
        name: String,
        value: String,
        reason: String,
    },
    /// A failing read or write, with the path or stream it concerned.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A failure inside the assessor's tensor library (shapes, out of memory).
    #[error("assessor network: {0}")]
    Network(#[from] candle_core::Error),
}

/// An option's error as `PREFIX name SEP value reason` (no value: `PREFIX name reason`).
pub fn setting_text(name: &str, value: &str, reason: &str, prefix: &str, sep: &str) -> String {
    if value.is_empty() {
        format!("{prefix}{name} {reason}")
    } else {
        format!("{prefix}{name}{sep}{value} {reason}")
    }
}

impl Error {
    /// An option's value is wrong: `reason` follows the value (`is not a whole number`).
    pub fn setting(name: &str, value: &str, reason: impl Into<String>) -> Self {
        Error::Setting {
            name: name.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Shorthand for a parse error in a named space.
    pub fn parse(space: &str, input: &str, reason: impl Into<String>) -> Self {
        Error::Parse {
            space: space.to_string(),
            input: input.to_string(),
            reason: reason.into(),
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
