//! Generators as a search space: a cell is θ, written as its JSON object (continuous
//! values rounded to 4 decimals, so that the string form is canonical), so that searches,
//! journals and `--objective-cmd` treat generators as they treat architectures.

use super::{Network, Theta, RANGES};
use crate::error::Result;
use crate::graph::Arch;
use crate::space::{Sampler, Space};
use rand::RngCore;

/// The space of NAGO generators.
#[derive(Clone, Copy, Debug, Default)]
pub struct GeneratorSpace {
    /// Seed of the networks drawn to evaluate or lower a generator (mixed with θ).
    pub seed: u64,
}

/// A generator, as its canonical JSON object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Generator(String);

/// Decimals kept of a continuous hyperparameter.
const DECIMALS: f64 = 1e4;

impl Generator {
    /// The generator of θ (continuous values rounded to 4 decimals).
    pub fn new(theta: &Theta) -> Generator {
        let mut v = theta.to_vec();
        for (x, (_, lo, hi, int)) in v.iter_mut().zip(RANGES) {
            *x = if int {
                x.round()
            } else {
                ((*x * DECIMALS).round() / DECIMALS).clamp(lo, hi)
            };
        }
        let t = Theta::from_vec(&v).expect("rounding stays inside the ranges");
        Generator(serde_json::to_string(&t).expect("plain data"))
    }

    /// Its hyperparameters.
    pub fn theta(&self) -> Theta {
        serde_json::from_str(&self.0).expect("written by Generator::new")
    }

    /// θ in the unit cube, integers at their rounded values: the Matérn kernel's input.
    pub fn unit(&self) -> [f64; 8] {
        let mut u = self.theta().to_vec();
        for (x, (_, lo, hi, _)) in u.iter_mut().zip(RANGES) {
            *x = (*x - lo) / (hi - lo);
        }
        u
    }

    /// The generator at a point of the unit cube (integers rounded, as NAGO's BO does).
    pub fn from_unit(u: &[f64; 8]) -> Generator {
        let mut v = [0.0; 8];
        for ((x, u), (_, lo, hi, _)) in v.iter_mut().zip(u).zip(RANGES) {
            *x = (lo + u.clamp(0.0, 1.0) * (hi - lo)).clamp(lo, hi);
        }
        Generator::new(&Theta::from_vec(&v).expect("inside the ranges"))
    }
}

impl GeneratorSpace {
    /// The seed of the network that evaluates (and lowers) `g`: the space's seed mixed
    /// with θ, so that a generator always stands for the same draw within a search.
    pub fn network_seed(&self, g: &Generator) -> u64 {
        crate::wl::mix64(self.seed ^ crate::wl::fnv1a64(g.0.as_bytes()))
    }

    /// The network that evaluates `g`.
    pub fn network(&self, g: &Generator) -> Result<Network> {
        Network::sample(&g.theta(), self.network_seed(g))
    }
}

impl Space for GeneratorSpace {
    type Cell = Generator;

    fn name(&self) -> &'static str {
        "nago"
    }

    fn parse(&self, s: &str) -> Result<Generator> {
        Ok(Generator::new(&Theta::parse(s)?))
    }

    fn format(&self, cell: &Generator) -> String {
        cell.0.clone()
    }

    /// The flattened DAG of the network that evaluates the generator.
    fn lower(&self, cell: &Generator) -> Arch {
        self.network(cell)
            .expect("a generator's networks sample within the ranges")
            .to_arch()
    }
}

impl Sampler for GeneratorSpace {
    fn sample(&self, rng: &mut dyn RngCore) -> Generator {
        let mut u = [0.0; 8];
        for (x, (_, lo, hi, int)) in u.iter_mut().zip(RANGES) {
            let r = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            // Integers uniform over their values, continuous values uniform.
            *x = if int {
                let k = (r * (hi - lo + 1.0)).floor().min(hi - lo);
                k / (hi - lo)
            } else {
                r
            };
        }
        Generator::from_unit(&u)
    }

    /// One step on one hyperparameter: ±1 on an integer, ±10 % of the range on a
    /// probability, inside the ranges.
    fn neighbours(&self, cell: &Generator) -> Vec<Generator> {
        let u = cell.unit();
        let mut out = Vec::new();
        for (i, (_, lo, hi, int)) in RANGES.iter().enumerate() {
            let step = if *int { 1.0 / (hi - lo) } else { 0.1 };
            for s in [-step, step] {
                let mut v = u;
                v[i] = (v[i] + s).clamp(0.0, 1.0);
                let g = Generator::from_unit(&v);
                if g != *cell && !out.contains(&g) {
                    out.push(g);
                }
            }
        }
        out
    }

    fn size(&self) -> Option<u128> {
        let mut n: u128 = 1;
        for (_, lo, hi, int) in RANGES {
            let k = if int {
                hi - lo + 1.0
            } else {
                (hi - lo) * DECIMALS + 1.0
            };
            n *= k.round() as u128;
        }
        Some(n)
    }

    fn enumerate(&self) -> Option<Vec<Generator>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generators_round_trip_and_stay_in_range() {
        let s = GeneratorSpace { seed: 3 };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let g = s.sample(&mut rng);
            assert_eq!(s.parse(&s.format(&g)).unwrap(), g);
            assert_eq!(Generator::from_unit(&g.unit()), g);
            g.theta().check().unwrap();
            for n in s.neighbours(&g) {
                n.theta().check().unwrap();
                let (a, b) = (g.unit(), n.unit());
                let moved = a.iter().zip(b).filter(|(a, b)| (*a - b).abs() > 1e-9);
                assert_eq!(moved.count(), 1);
            }
        }
        assert!(s.parse(r#"{"G1_nodes": 11}"#).is_err());
        assert_eq!(s.lower(&g0()).node_count(), s.lower(&g0()).node_count());
    }

    fn g0() -> Generator {
        Generator::new(&Theta::sample(&mut rand_chacha::ChaCha8Rng::seed_from_u64(
            0,
        )))
    }
}
