//! The embedded benchmark tables (converted by scripts/convert_benchmarks.py, provenance
//! in data/PROVENANCE.md) and what their metrics mean.

mod fixtures;
mod table;

pub use fixtures::{timing_gp_darts, timing_gp_nb201};
pub use table::Table;

use crate::error::{Error, Result};
use crate::space::{AnySampler, SpaceKind};
use crate::values::Values;
use std::sync::OnceLock;

/// One embedded dataset: a table of architectures and their measured metrics.
#[derive(Debug)]
pub struct Dataset {
    /// Name used on the command line.
    pub name: &'static str,
    /// The space its architectures live in.
    pub space: SpaceKind,
    /// Whether the space uses NAS-Bench-Graph's proteins op set.
    pub proteins: bool,
    /// Where the numbers come from.
    pub source: &'static str,
    /// The metric a search optimises when none is given.
    pub default_metric: &'static str,
    bytes: &'static [u8],
    table: OnceLock<std::result::Result<Table, String>>,
}

macro_rules! ds {
    ($name:literal, $space:expr, $proteins:expr, $src:expr, $metric:literal, $file:literal) => {
        Dataset {
            name: $name,
            space: $space,
            proteins: $proteins,
            source: $src,
            default_metric: $metric,
            bytes: include_bytes!(concat!("../../data/", $file)),
            table: OnceLock::new(),
        }
    };
}

const NBG: &str = "NAS-Bench-Graph 1.4.0";

static DATASETS: [Dataset; 10] = [
    ds!(
        "nb201",
        SpaceKind::Nb201,
        false,
        "AnalogNAS-Bench 0.1.3 (NAS-Bench-201 cells, CIFAR-10)",
        "baseline_accuracy",
        "nb201.tab"
    ),
    ds!(
        "arxiv",
        SpaceKind::Nbgraph,
        false,
        NBG,
        "valid_perf",
        "nbgraph_arxiv.tab"
    ),
    ds!(
        "citeseer",
        SpaceKind::Nbgraph,
        false,
        NBG,
        "valid_perf",
        "nbgraph_citeseer.tab"
    ),
    ds!(
        "computers",
        SpaceKind::Nbgraph,
        false,
        NBG,
        "valid_perf",
        "nbgraph_computers.tab"
    ),
    ds!(
        "cora",
        SpaceKind::Nbgraph,
        false,
        NBG,
        "valid_perf",
        "nbgraph_cora.tab"
    ),
    ds!(
        "cs",
        SpaceKind::Nbgraph,
        false,
        NBG,
        "valid_perf",
        "nbgraph_cs.tab"
    ),
    ds!(
        "photo",
        SpaceKind::Nbgraph,
        false,
        NBG,
        "valid_perf",
        "nbgraph_photo.tab"
    ),
    ds!(
        "physics",
        SpaceKind::Nbgraph,
        false,
        NBG,
        "valid_perf",
        "nbgraph_physics.tab"
    ),
    ds!(
        "proteins",
        SpaceKind::Nbgraph,
        true,
        NBG,
        "valid_perf",
        "nbgraph_proteins.tab"
    ),
    ds!(
        "pubmed",
        SpaceKind::Nbgraph,
        false,
        NBG,
        "valid_perf",
        "nbgraph_pubmed.tab"
    ),
];

/// All embedded datasets.
pub fn datasets() -> &'static [Dataset] {
    &DATASETS
}

/// A dataset by name, with an error listing the known names.
pub fn dataset(name: &str) -> Result<&'static Dataset> {
    DATASETS
        .iter()
        .find(|d| d.name == name)
        .ok_or_else(|| Error::UnknownDataset {
            name: name.to_string(),
            known: DATASETS
                .iter()
                .map(|d| d.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

impl Dataset {
    /// The decoded table (decoded once, then shared).
    pub fn table(&self) -> Result<&Table> {
        self.table
            .get_or_init(|| Table::decode(self.name, self.bytes).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|r| Error::Table {
                name: self.name.to_string(),
                reason: r.clone(),
            })
    }

    /// The space of the table's architectures: NAS-Bench-Graph (its proteins op set where
    /// the table has it) or NB201 (`skip_as_wire` wires skip edges). What every command
    /// and study over a table runs on.
    pub fn sampler(&self, skip_as_wire: bool) -> Result<AnySampler> {
        AnySampler::new(self.space, skip_as_wire, self.proteins)
    }

    /// Index of a metric, with an error listing the known ones.
    pub fn metric(&self, name: &str) -> Result<usize> {
        let t = self.table()?;
        t.metrics
            .iter()
            .position(|m| m == name)
            .ok_or_else(|| Error::UnknownMetric {
                name: name.to_string(),
                dataset: self.name.to_string(),
                known: t.metrics.join(", "),
            })
    }
}

/// How to read a metric: its value semantics ([`Values`]), which fix the direction and
/// the GP's target transform.
pub type MetricKind = Values;

/// What a table metric's name means, from the sources' conventions.
pub fn metric_kind(name: &str) -> MetricKind {
    Values::of_table_metric(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_tables_decode_with_the_published_row_counts() {
        for d in datasets() {
            let t = d.table().unwrap();
            let want = match d.name {
                "nb201" => 15_625,
                "proteins" => 2_021,
                _ => 26_206,
            };
            assert_eq!(t.rows(), want, "{}", d.name);
        }
        assert!(dataset("mnist")
            .unwrap_err()
            .to_string()
            .contains("known: nb201"));
        assert!(dataset("cora").unwrap().metric("accuracy").is_err());
    }

    #[test]
    fn spot_values_read_from_the_sources_with_python() {
        // analognasbench: data[(2, 3, 4, 0, 2, 3)] and data[(0, 0, 0, 0, 0, 0)].
        let nb = dataset("nb201").unwrap();
        let t = nb.table().unwrap();
        let key = |d: [u64; 6]| d.iter().fold(0, |a, &x| a * 5 + x);
        let m = |n| nb.metric(n).unwrap();
        assert_eq!(
            t.get(key([2, 3, 4, 0, 2, 3]), m("baseline_accuracy")),
            Some(92.25119999999998)
        );
        assert_eq!(
            t.get(key([2, 3, 4, 0, 2, 3]), m("analog_accuracy")),
            Some(86.502)
        );
        assert_eq!(
            t.get(key([0; 6]), m("qat_accuracy")),
            Some(37.561600000000006)
        );
        assert_eq!(t.get(key([1; 6]), m("baseline_accuracy")), Some(10.0));
        // nas_bench_graph light_read('cora')[21417] and light_read('proteins')[64571].
        let c = dataset("cora").unwrap();
        let t = c.table().unwrap();
        assert_eq!(
            t.get(21417, c.metric("valid_perf").unwrap()),
            Some(0.7873333333333333)
        );
        assert_eq!(
            t.get(21417, c.metric("perf").unwrap()),
            Some(0.8036666666666666)
        );
        assert_eq!(
            t.get(21417, c.metric("latency").unwrap()),
            Some(0.003475666046142578)
        );
        assert_eq!(t.get(21417, c.metric("para").unwrap()), Some(1.433351));
        let p = dataset("proteins").unwrap();
        assert_eq!(
            p.table()
                .unwrap()
                .get(64571, p.metric("valid_perf").unwrap()),
            Some(0.835)
        );
    }
}
