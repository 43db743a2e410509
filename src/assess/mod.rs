//! Semi-supervised assessors (Tang et al., CVPR 2020): predictors that also learn from
//! architectures nobody trained. Every architecture of the pool, labelled or not, becomes
//! a node of a k-nearest-neighbour graph under the normalised WL kernel ([`knn`]); node
//! inputs are a truncated SVD of the WL features ([`embed`]); a graph convolutional
//! network ([`gcn`]) or plain label propagation ([`propagation`]) spreads the few known
//! accuracies over the graph.

pub mod embed;
pub mod gcn;
pub mod knn;
pub mod laplacian;
pub mod propagation;

pub use embed::svd_embedding;
pub use gcn::{assess, Assessment, AssessorConfig, GraphInputs};
pub use knn::{SimilarityGraph, SparseRows};
pub use laplacian::{laplacian_gp, LaplacianFit};
pub use propagation::propagate;

use crate::error::{Error, Result};
use crate::gpu::Engine;
use crate::kernel::BaseKernel;
use crate::wl::{Direction, Features, WlConfig};
use serde::Serialize;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

/// How the graph and node inputs are built (shared by every fit on one pool).
#[derive(Clone, Debug, Serialize)]
pub struct GraphConfig {
    /// Neighbours per node before symmetrisation.
    pub k: usize,
    /// Width of the SVD embedding.
    pub embedding: usize,
    /// WL depth and direction of the similarity.
    pub wl: WlConfig,
    /// Seed of the randomised SVD.
    pub seed: u64,
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            k: 10,
            embedding: 32,
            // Depth 2 is NAS-BOWL's choice and near the best fixed depth on every embedded
            // table in the predictor study (README); the graph cannot re-choose it per fit.
            wl: WlConfig {
                h: 2,
                direction: Direction::Both,
            },
            seed: 0,
        }
    }
}

/// A pool of architectures ready for semi-supervised fits: its similarity graph and the
/// network's fixed inputs. Built once; every fit (any labels) reuses it.
pub struct Pool {
    /// The kNN graph over the pool.
    pub graph: SimilarityGraph,
    /// Propagated embeddings and edge lists for the GCN.
    pub inputs: GraphInputs,
    /// Row-major `n x d` SVD embedding: each node's WL features projected on the top `d`
    /// right singular vectors of the feature matrix.
    pub embedding: Vec<f32>,
    /// Width of the embedding.
    pub d: usize,
    /// Each node's WL features at the graph's depth, kept for kernel models on the same
    /// pool (the Laplacian GP) so that no fit recomputes them.
    pub features: Vec<Features>,
}

impl Pool {
    /// Builds the graph (kernel rows on `engine`) and the embedding of `archs`' features.
    pub fn build(archs: &[crate::graph::Arch], cfg: &GraphConfig, engine: &Engine) -> Result<Self> {
        let xs = engine.features(archs, &cfg.wl)?;
        Self::from_features(xs, cfg, engine)
    }

    /// As [`Pool::build`] from features already computed with `cfg.wl`.
    pub fn from_features(xs: Vec<Features>, cfg: &GraphConfig, engine: &Engine) -> Result<Self> {
        let graph = SimilarityGraph::knn(&xs, BaseKernel::Dot, cfg.k, engine)?;
        let (x, d) = svd_embedding(&xs, cfg.embedding, cfg.seed);
        let inputs = GraphInputs::new(&graph, &x, d)?;
        Ok(Pool {
            graph,
            inputs,
            embedding: x,
            d,
            features: xs,
        })
    }

    /// A key naming a pool: its cells (in their string form), graph settings and engine.
    pub fn key(cells: impl Iterator<Item = String>, cfg: &GraphConfig, engine: &Engine) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        format!("{cfg:?}{}", engine.name()).hash(&mut h);
        for c in cells {
            c.hash(&mut h);
        }
        h.finish()
    }

    /// The pool named `key`, built by `build` once per process: a study runs many seeds
    /// and datasets over the same space, and the graph depends on neither. The last few
    /// pools are kept (about 100 MB each at 30,000 nodes).
    pub fn shared(key: u64, build: impl FnOnce() -> Result<Pool>) -> Result<Arc<Pool>> {
        type Slot = Arc<OnceLock<std::result::Result<Arc<Pool>, String>>>;
        static CACHE: Mutex<Vec<(u64, Slot)>> = Mutex::new(Vec::new());
        let slot: Slot = {
            let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
            match cache.iter().find(|e| e.0 == key) {
                Some(e) => e.1.clone(),
                None => {
                    let s: Slot = Default::default();
                    cache.push((key, s.clone()));
                    if cache.len() > 4 {
                        cache.remove(0);
                    }
                    s
                }
            }
        };
        slot.get_or_init(|| build().map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(Error::Config)
    }

    /// Number of architectures.
    pub fn len(&self) -> usize {
        self.graph.len()
    }

    /// True when the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.graph.is_empty()
    }
}
