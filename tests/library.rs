//! Library-level checks of the WL kernel and the GP on real data.

use nalgebra::SymmetricEigen;
use rand::SeedableRng;
use std::collections::HashMap;
use wlgp::bench_data::dataset;
use wlgp::gp::{Gp, GpConfig, Transform};
use wlgp::graph::Arch;
use wlgp::kernel::{self, BaseKernel, KernelConfig};
use wlgp::search::{Objective, TableObjective};
use wlgp::space::{DartsSpace, Nb101Space, Nb201Space, NbGraphSpace, Sampler, Space};
use wlgp::wl::{self, Direction, WlConfig};

fn sample<S: Sampler>(s: &S, n: usize, seed: u64) -> Vec<Arch> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| s.lower(&s.sample(&mut rng))).collect()
}

/// The textbook WL subtree kernel (Shervashidze et al., 2011): relabel each node by its
/// label and the sorted multiset of its neighbours' labels, compress to integers with a
/// dictionary shared by all graphs, and count.
fn textbook_gram(archs: &[Arch], h: usize, dir: Direction) -> Vec<Vec<u64>> {
    let mut dict: HashMap<String, usize> = HashMap::new();
    let id = |s: String, dict: &mut HashMap<String, usize>| {
        let n = dict.len();
        *dict.entry(s).or_insert(n)
    };
    let mut counts: Vec<HashMap<usize, u64>> = vec![HashMap::new(); archs.len()];
    for (g, a) in archs.iter().enumerate() {
        let mut lab: Vec<usize> = (0..a.node_count())
            .map(|v| id(format!("op:{}", a.label(v)), &mut dict))
            .collect();
        for &l in &lab {
            *counts[g].entry(l).or_default() += 1;
        }
        for it in 1..=h {
            let next: Vec<usize> = (0..a.node_count())
                .map(|v| {
                    let mut nb: Vec<usize> = match dir {
                        Direction::In => a.predecessors(v).collect(),
                        Direction::Out => a.successors(v).collect(),
                        Direction::Both => a.predecessors(v).chain(a.successors(v)).collect(),
                    };
                    nb.iter_mut().for_each(|u| *u = lab[*u]);
                    nb.sort_unstable();
                    id(format!("{it}:{}:{nb:?}", lab[v]), &mut dict)
                })
                .collect();
            lab = next;
            for &l in &lab {
                *counts[g].entry(l).or_default() += 1;
            }
        }
    }
    counts
        .iter()
        .map(|a| {
            counts
                .iter()
                .map(|b| {
                    a.iter()
                        .map(|(k, v)| v * b.get(k).copied().unwrap_or(0))
                        .sum()
                })
                .collect()
        })
        .collect()
}

#[test]
fn hashed_wl_equals_the_textbook_kernel() {
    let mut archs = sample(&Nb201Space::default(), 40, 1);
    archs.extend(sample(&DartsSpace::default(), 15, 2));
    archs.extend(sample(&Nb101Space, 25, 3));
    archs.extend(sample(&NbGraphSpace::new(false), 25, 4));
    for dir in [Direction::In, Direction::Out, Direction::Both] {
        for h in [0, 1, 3] {
            let f = wl::features_batch(&archs, &WlConfig { h, direction: dir });
            assert_eq!(
                kernel::gram_raw(&f, BaseKernel::Dot),
                textbook_gram(&archs, h, dir),
                "h={h} {dir}"
            );
        }
    }
}

#[test]
fn kernel_matrices_are_symmetric_psd() {
    let mut archs = sample(&Nb201Space::default(), 60, 5);
    archs.extend(sample(&DartsSpace::default(), 30, 6));
    let f = wl::features_batch(
        &archs,
        &WlConfig {
            h: 2,
            direction: Direction::Both,
        },
    );
    for base in [BaseKernel::Dot, BaseKernel::OptimalAssignment] {
        for normalize in [false, true] {
            let k = kernel::gram(&f, KernelConfig { base, normalize });
            assert_eq!(k, k.transpose());
            let scale = k.diagonal().max();
            let min = SymmetricEigen::new(k).eigenvalues.min();
            assert!(min > -1e-9 * scale, "{base:?} {normalize}: {min}");
        }
    }
}

#[test]
fn isomorphic_nb201_cells_get_identical_features() {
    let s = Nb201Space::default();
    // Node 2 feeds nothing (3<-2 is none): whatever reaches it is dead.
    let a = s.parse("|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|none~2|").unwrap();
    let b = s
        .parse("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
        .unwrap();
    // Same function with the inputs of node 3 listed through a different node order is
    // not expressible in NB201, but parallel identical paths are: 3<-0 and 3<-1 swap roles.
    let c = s
        .parse("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
        .unwrap();
    let d = s
        .parse("|avg_pool_3x3~0|+|nor_conv_1x1~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
        .unwrap();
    for dir in [Direction::In, Direction::Out, Direction::Both] {
        let cfg = WlConfig {
            h: 3,
            direction: dir,
        };
        assert_eq!(
            wl::features(&s.lower(&a), &cfg),
            wl::features(&s.lower(&b), &cfg)
        );
        assert_eq!(
            wl::features(&s.lower(&c), &cfg),
            wl::features(&s.lower(&d), &cfg)
        );
        assert_ne!(
            wl::features(&s.lower(&a), &cfg),
            wl::features(&s.lower(&c), &cfg)
        );
    }
}

fn table_data(name: &str, metric: &str) -> (Vec<Arch>, Vec<f64>) {
    let d = dataset(name).unwrap();
    let mut obj = TableObjective::new(d, metric).unwrap();
    let s = Nb201Space::default();
    let cells = s.enumerate().unwrap();
    let y = cells.iter().map(|c| obj.evaluate(&s, c).unwrap()).collect();
    (cells.iter().map(|c| s.lower(c)).collect(), y)
}

#[test]
fn marginal_likelihood_picks_a_structural_depth_on_real_data() {
    let (archs, y) = table_data("nb201", "baseline_accuracy");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let idx: Vec<usize> = rand::seq::index::sample(&mut rng, archs.len(), 300).into_vec();
    let (tr, te) = idx.split_at(200);
    let xs: Vec<Arch> = tr.iter().map(|&i| archs[i].clone()).collect();
    let ys: Vec<f64> = tr.iter().map(|&i| y[i]).collect();
    let cfg = GpConfig {
        hs: vec![0, 1, 2, 3],
        transform: Transform::NegLogError { scale: 100.0 },
        ..Default::default()
    };
    let gp = Gp::fit(&xs, &ys, &cfg).unwrap();
    // h = 0 (a bag of operations) ignores how cells are wired; the data says wiring matters.
    assert!(gp.wl_config().h >= 1, "chose h = {}", gp.wl_config().h);
    let only0 = Gp::fit(
        &xs,
        &ys,
        &GpConfig {
            hs: vec![0],
            ..cfg.clone()
        },
    )
    .unwrap();
    assert!(gp.report().lml > only0.report().lml);
    let xt: Vec<Arch> = te.iter().map(|&i| archs[i].clone()).collect();
    let yt: Vec<f64> = te.iter().map(|&i| y[i]).collect();
    let p: Vec<f64> = gp
        .predict(&xt)
        .iter()
        .map(|p| gp.to_original(p.mean))
        .collect();
    let rho = wlgp::stats::spearman(&p, &yt);
    assert!(rho > 0.75, "held-out Spearman {rho}");
}
