//! What `--space` and Python's `space=` name: a built-in space, or the file of a space
//! the user declared.

use super::declared::DeclaredSpace;
use super::{AnySampler, AnySpace, SpaceKind};
use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Arc;

/// A built-in space's name or a declared space, read once from its file.
#[derive(Clone, Debug)]
pub enum SpaceName {
    /// `nb201`, `darts`, ...
    Builtin(SpaceKind),
    /// A space file's contents.
    Declared(Arc<DeclaredSpace>),
}

impl SpaceName {
    /// The built-in kind, `None` for a declared space.
    pub fn kind(&self) -> Option<SpaceKind> {
        match self {
            SpaceName::Builtin(k) => Some(*k),
            SpaceName::Declared(_) => None,
        }
    }

    /// Whether this names the built-in space `kind`.
    pub fn is(&self, kind: SpaceKind) -> bool {
        self.kind() == Some(kind)
    }

    /// The space, with the built-in spaces' skip lowering and op set.
    pub fn space(&self, skip_as_wire: bool, proteins: bool) -> Result<AnySpace> {
        match self {
            SpaceName::Builtin(k) => AnySpace::new(*k, skip_as_wire, proteins),
            SpaceName::Declared(d) => Ok(AnySpace::Sampler(AnySampler::Declared(d.clone()))),
        }
    }

    /// The space as a sampler (an error for json and nago).
    pub fn sampler(&self, skip_as_wire: bool, proteins: bool) -> Result<AnySampler> {
        self.space(skip_as_wire, proteins)?.into_sampler()
    }

    /// The space with `cost` at most `max` (`--max-params`): a declared space with that
    /// cost in its `[costs]`; an error for the built-in spaces.
    pub fn with_limit(&self, cost: &str, max: f64) -> Result<SpaceName> {
        let SpaceName::Declared(d) = self else {
            return Err(Error::Config(format!(
                "a limit on {cost} needs a declared space with [costs.{cost}] (docs/spaces.md)"
            )));
        };
        let mut spec = d.spec().clone();
        if !spec.costs.contains_key(cost) {
            return Err(Error::Config(format!(
                "the space `{}` declares no [costs.{cost}] to limit",
                spec.name
            )));
        }
        let limit = spec.limits.entry(cost.to_string()).or_insert(max);
        *limit = limit.min(max);
        Ok(SpaceName::Declared(Arc::new(DeclaredSpace::new(spec)?)))
    }

    /// The name the journal header and outputs give: the built-in name, or the declared
    /// space's own name.
    pub fn name(&self) -> &str {
        match self {
            SpaceName::Builtin(k) => k.name(),
            SpaceName::Declared(d) => &d.spec().name,
        }
    }
}

impl From<SpaceKind> for SpaceName {
    fn from(k: SpaceKind) -> Self {
        SpaceName::Builtin(k)
    }
}

impl PartialEq for SpaceName {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SpaceName::Builtin(a), SpaceName::Builtin(b)) => a == b,
            (SpaceName::Declared(a), SpaceName::Declared(b)) => a.spec() == b.spec(),
            _ => false,
        }
    }
}

impl std::str::FromStr for SpaceName {
    type Err = Error;

    /// A built-in name, else the path of a space file (`.toml`).
    fn from_str(s: &str) -> Result<SpaceName> {
        if let Ok(k) = s.parse::<SpaceKind>() {
            return Ok(SpaceName::Builtin(k));
        }
        let path = Path::new(s);
        if path.exists() || s.ends_with(".toml") {
            return Ok(SpaceName::Declared(Arc::new(DeclaredSpace::from_file(
                path,
            )?)));
        }
        Err(Error::Config(format!(
            "unknown space `{s}` (known: {}; or the path of a space file, see docs/spaces.md)",
            crate::names::names::<SpaceKind>().join(", ")
        )))
    }
}

impl std::fmt::Display for SpaceName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
