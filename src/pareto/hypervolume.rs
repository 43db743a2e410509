//! Exact hypervolume of a point set above a reference point (maximising): a sweep in 2
//! dimensions, slices along the last objective in 3 (each slice a 2-D sweep), and the
//! general recursion on slices for more.

/// The volume dominated by `points` and dominating `reference`.
pub fn hypervolume(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    let pts: Vec<&[f64]> = points
        .iter()
        .map(|p| p.as_slice())
        .filter(|p| p.iter().zip(reference).all(|(x, r)| x > r))
        .collect();
    volume(&pts, reference)
}

/// How much `point` adds to the hypervolume of `points`.
pub fn hypervolume_improvement(points: &[Vec<f64>], point: &[f64], reference: &[f64]) -> f64 {
    let mut with = points.to_vec();
    with.push(point.to_vec());
    (hypervolume(&with, reference) - hypervolume(points, reference)).max(0.0)
}

fn volume(pts: &[&[f64]], r: &[f64]) -> f64 {
    match r.len() {
        0 => 0.0,
        1 => pts.iter().map(|p| p[0] - r[0]).fold(0.0, f64::max),
        2 => area(pts, r),
        d => {
            // Slices between consecutive values of the last objective, from the top: each
            // slab's cross-section is dominated by the points that reach above it.
            let mut order: Vec<&[f64]> = pts.to_vec();
            order.sort_by(|a, b| b[d - 1].total_cmp(&a[d - 1]));
            let mut total = 0.0;
            for (i, p) in order.iter().enumerate() {
                let below = order.get(i + 1).map_or(r[d - 1], |q| q[d - 1]);
                let depth = p[d - 1] - below;
                if depth > 0.0 {
                    let section: Vec<&[f64]> = order[..=i].iter().map(|q| &q[..d - 1]).collect();
                    total += depth * volume(&section, &r[..d - 1]);
                }
            }
            total
        }
    }
}

/// 2-D: sort by the first objective descending and sweep, adding each new height.
fn area(pts: &[&[f64]], r: &[f64]) -> f64 {
    let mut order: Vec<&[f64]> = pts.to_vec();
    order.sort_by(|a, b| b[0].total_cmp(&a[0]).then(b[1].total_cmp(&a[1])));
    let (mut total, mut top) = (0.0, r[1]);
    for p in order {
        if p[1] > top {
            total += (p[0] - r[0]) * (p[1] - top);
            top = p[1];
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Inclusion-exclusion over every subset: the volume of a union of boxes.
    fn brute_force(points: &[Vec<f64>], r: &[f64]) -> f64 {
        let n = points.len();
        let mut total = 0.0;
        for mask in 1u32..(1 << n) {
            let corner: Vec<f64> = (0..r.len())
                .map(|k| {
                    (0..n)
                        .filter(|i| mask >> i & 1 == 1)
                        .map(|i| points[i][k])
                        .fold(f64::INFINITY, f64::min)
                })
                .collect();
            let vol: f64 = corner
                .iter()
                .zip(r)
                .map(|(c, r)| (c - r).max(0.0))
                .product();
            total += if mask.count_ones() % 2 == 1 {
                vol
            } else {
                -vol
            };
        }
        total
    }

    #[test]
    fn exact_against_inclusion_exclusion_in_2_3_and_4_dimensions() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for d in [2, 3, 4] {
            for _ in 0..200 {
                let n = rng.gen_range(1..10);
                let pts: Vec<Vec<f64>> = (0..n)
                    .map(|_| (0..d).map(|_| rng.gen_range(-1.0..1.0)).collect())
                    .collect();
                let r = vec![-0.8; d];
                let (a, b) = (hypervolume(&pts, &r), brute_force(&pts, &r));
                assert!((a - b).abs() < 1e-9, "d {d}: {a} vs {b} for {pts:?}");
            }
        }
    }

    #[test]
    fn improvement_of_a_dominated_point_is_zero() {
        let pts = vec![vec![1.0, 1.0]];
        assert_eq!(hypervolume_improvement(&pts, &[0.5, 0.5], &[0.0, 0.0]), 0.0);
        assert!((hypervolume_improvement(&pts, &[2.0, 0.5], &[0.0, 0.0]) - 0.5).abs() < 1e-12);
    }
}
