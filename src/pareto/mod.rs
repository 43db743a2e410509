//! Several objectives at once: Pareto dominance, the non-dominated set, hypervolume
//! (exact in 2 and 3 dimensions), the inverted generational distance, and the expected
//! hypervolume improvement that multi-objective BO maximises. Every function here works
//! in the maximisation convention: callers orient minimised objectives first.

mod ehvi;
mod hypervolume;

pub use ehvi::{ehvi_2d, ehvi_monte_carlo, normal_draws};
pub use hypervolume::{hypervolume, hypervolume_improvement};

/// Whether `a` dominates `b` (no worse in every objective, better in one), maximising.
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
}

/// Indices of the non-dominated points (the first of exact duplicates), in input order.
pub fn non_dominated(points: &[Vec<f64>]) -> Vec<usize> {
    (0..points.len())
        .filter(|&i| {
            !points
                .iter()
                .enumerate()
                .any(|(j, q)| dominates(q, &points[i]) || (j < i && q == &points[i]))
        })
        .collect()
}

/// The worst and best value of each objective over a point set.
pub fn bounds(points: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let d = points.first().map_or(0, |p| p.len());
    let lo = (0..d)
        .map(|k| points.iter().map(|p| p[k]).fold(f64::INFINITY, f64::min))
        .collect();
    let hi = (0..d)
        .map(|k| {
            points
                .iter()
                .map(|p| p[k])
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    (lo, hi)
}

/// A point mapped onto [0, 1] per objective, from `lo` to `hi`.
pub fn normalise(p: &[f64], lo: &[f64], hi: &[f64]) -> Vec<f64> {
    p.iter()
        .zip(lo)
        .zip(hi)
        .map(|((x, l), h)| (x - l) / (h - l).max(1e-300))
        .collect()
}

/// Inverted generational distance: the mean, over the points of the reference front,
/// of the Euclidean distance to the nearest point of `found` (0 when `found` covers it).
pub fn igd(reference: &[Vec<f64>], found: &[Vec<f64>]) -> f64 {
    if reference.is_empty() {
        return 0.0;
    }
    let nearest = |r: &Vec<f64>| {
        found
            .iter()
            .map(|f| {
                r.iter()
                    .zip(f)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .fold(f64::INFINITY, f64::min)
    };
    reference.iter().map(nearest).sum::<f64>() / reference.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn non_dominated_set_is_exactly_the_undominated_points(
            pts in proptest::collection::vec(proptest::collection::vec(0i32..6, 3), 0..40)
        ) {
            let pts: Vec<Vec<f64>> = pts.into_iter().map(|p| p.into_iter().map(f64::from).collect()).collect();
            let nd = non_dominated(&pts);
            for i in 0..pts.len() {
                let dominated = pts.iter().any(|q| dominates(q, &pts[i]));
                let dup_before = pts[..i].contains(&pts[i]);
                prop_assert_eq!(nd.contains(&i), !dominated && !dup_before);
            }
            // No member dominates another.
            for &a in &nd {
                for &b in &nd {
                    prop_assert!(!dominates(&pts[a], &pts[b]));
                }
            }
        }
    }

    #[test]
    fn igd_is_zero_on_the_front_itself() {
        let f = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
        assert_eq!(igd(&f, &f), 0.0);
        assert!((igd(&f, &[vec![0.0, 0.0]]) - 1.0).abs() < 1e-12);
    }
}
