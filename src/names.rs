//! Names for the engine's choices (spaces, methods, value semantics, ...), as a user
//! types them: one table per enum gives its names, `FromStr` (case-insensitive, with the
//! known names in the error) and `Display`. The engine owns the names, so the CLI, Python
//! and Ray all parse the same spelling without the engine knowing any of them.

use crate::error::{Error, Result};

/// An enum whose every variant has the name a user types.
pub trait Named: Copy + PartialEq + Send + Sync + 'static {
    /// What the choice is called in messages (`space`, `method`).
    const WHAT: &'static str;
    /// Every variant, in the order the names are listed.
    const ALL: &'static [Self];
    /// This variant's name.
    fn name(self) -> &'static str;
}

/// Every name of `T`, in order.
pub fn names<T: Named>() -> Vec<&'static str> {
    T::ALL.iter().map(|v| v.name()).collect()
}

/// The variant of `T` named `s` (ignoring case), or one line listing the known names.
pub fn parse<T: Named>(s: &str) -> Result<T> {
    T::ALL
        .iter()
        .copied()
        .find(|v| v.name().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| {
            Error::Config(format!(
                "unknown {} `{s}` (known: {})",
                T::WHAT,
                names::<T>().join(", ")
            ))
        })
}

/// Gives an enum its names: `named!(Direction, "direction", { In => "in", ... })`
/// implements [`Named`], an inherent `name()` and `ALL`, `Display` and `FromStr`.
#[macro_export]
macro_rules! named {
    ($ty:ident, $what:literal, { $($v:ident => $n:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in the order the names are listed.
            pub const ALL: &'static [$ty] = &[$($ty::$v),+];
            /// The name as a user types it.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$v => $n),+
                }
            }
        }
        impl $crate::names::Named for $ty {
            const WHAT: &'static str = $what;
            const ALL: &'static [$ty] = $ty::ALL;
            fn name(self) -> &'static str {
                $ty::name(self)
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($ty::name(*self))
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                $crate::names::parse(s)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::search::Method;
    use crate::space::SpaceKind;
    use crate::values::Values;

    #[test]
    fn names_round_trip_and_an_unknown_one_lists_the_known() {
        for &m in Method::ALL {
            assert_eq!(m.name().parse::<Method>().unwrap(), m);
        }
        assert_eq!(
            "Accuracy-Percent".parse::<Values>().unwrap(),
            Values::AccuracyPercent
        );
        assert_eq!(Method::BoAssessor.to_string(), "bo-assessor");
        let e = "nb999".parse::<SpaceKind>().unwrap_err().to_string();
        assert!(
            e.contains("unknown space `nb999` (known: nb201, nbgraph, nb101, darts, json, nago)"),
            "{e}"
        );
    }
}
