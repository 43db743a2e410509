//! The declared examples against the built-in spaces, and bad specs.

use super::*;
use crate::space::{DartsSpace, Nb201Space};
use crate::wl::{features, Direction, Features, WlConfig, WlScratch};
use rand::SeedableRng;

fn example(name: &str) -> DeclaredSpace {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/spaces")
        .join(format!("{name}.toml"));
    DeclaredSpace::from_file(&path).unwrap()
}

fn flat_features<S: Space>(s: &S, c: &S::Cell, cfg: &WlConfig) -> Features {
    let (mut g, mut scratch, mut f) = (
        FlatGraph::default(),
        WlScratch::default(),
        Features::default(),
    );
    s.lower_flat(c, &mut g);
    scratch.features_into(&g, cfg, &mut f);
    f
}

const CFG: WlConfig = WlConfig {
    h: 3,
    direction: Direction::Both,
};

#[test]
fn the_nb201_spec_is_the_built_in_space() {
    let d = example("nb201");
    let b = Nb201Space { skip_as_wire: true };
    assert_eq!(d.size(), Some(15_625));
    let cells = d.enumerate().unwrap();
    assert_eq!(cells.len(), 15_625);
    let mut graphs = HashSet::new();
    for c in b.enumerate().unwrap() {
        let ours = DeclaredCell(c.to_vec());
        let want = flat_features(&b, &c, &CFG);
        assert_eq!(flat_features(&d, &ours, &CFG), want, "{}", b.format(&c));
        assert_eq!(features(&d.lower(&ours), &CFG), want);
        assert_eq!(d.parse(&d.format(&ours)).unwrap(), ours);
        graphs.insert(format!("{:?}", want));
    }
    // As many distinct lowered graphs as the built-in cells give (WL at h = 3 as the
    // graphs' fingerprint).
    let ours: HashSet<String> = cells
        .iter()
        .map(|c| format!("{:?}", flat_features(&d, c, &CFG)))
        .collect();
    assert_eq!(ours.len(), graphs.len());
    assert!(ours.len() < 15_625, "none and skip make twins");
}

/// The built-in DARTS cell as the declared space's choice vector.
fn declared_darts(c: &crate::space::darts::DartsCell) -> DeclaredCell {
    let mut v = Vec::new();
    for h in [&c.normal, &c.reduce] {
        for node in 0..4 {
            let mut pairs = [h.edges[2 * node], h.edges[2 * node + 1]];
            pairs.sort_by_key(|&(_, input)| input);
            for (op, input) in pairs {
                v.extend([input, op]);
            }
        }
    }
    DeclaredCell(v)
}

#[test]
fn the_darts_spec_is_the_built_in_space() {
    let d = example("darts");
    let b = DartsSpace { skip_as_wire: true };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    for _ in 0..2_000 {
        let c = b.sample(&mut rng);
        let ours = declared_darts(&c);
        assert_eq!(flat_features(&d, &ours, &CFG), flat_features(&b, &c, &CFG));
        assert_eq!(d.parse(&d.format(&ours)).unwrap(), ours);
    }
    // (C(2,2) 8^2) (C(3,2) 8^2) (C(4,2) 8^2) (C(5,2) 8^2), for each of the two cells.
    let half: u128 = [1u128, 3, 6, 10].iter().map(|c| c * 64).product();
    assert_eq!(d.size(), Some(half * half));
}

#[test]
fn the_mobilenet_chain_samples_mutates_and_lowers() {
    let d = example("mobilenetv3");
    let stage: u128 = 81 + 729 + 6561;
    assert_eq!(d.size(), Some(stage.pow(5)));
    assert_eq!(d.decisions().len(), 5 * (1 + 4 * 2));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for _ in 0..500 {
        let c = d.sample(&mut rng);
        let text = d.format(&c);
        assert_eq!(d.parse(&text).unwrap(), c, "{text}");
        let depth: usize = (0..5).map(|s| [2, 3, 4][c.0[s * 9] as usize]).sum();
        let g = d.lower(&c);
        assert_eq!(g.node_count(), depth + 2);
        assert_eq!(g.label(0), "stem");
        assert!(g.label(1).starts_with("s1_mb"), "{}", g.label(1));
        assert_eq!(features(&g, &CFG), flat_features(&d, &c, &CFG));
        // Each active block's two choices change in two ways each, each depth in two.
        let n = d.neighbours(&c);
        assert_eq!(n.len(), depth * 4 + 5 * 2);
        assert!(n
            .iter()
            .all(|m| m != &c && d.parse(&d.format(m)).unwrap() == *m));
    }
}

#[test]
fn sampling_is_uniform_over_each_choice() {
    // Chi-square with 4 degrees of freedom for each NB201 edge's operation, and 2 for
    // each stage's depth; 18.5 and 13.8 are the 0.1 % critical values.
    let d = example("nb201");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let n = 100_000;
    let mut counts = [[0usize; 5]; 6];
    for _ in 0..n {
        let c = d.sample(&mut rng);
        for (e, &o) in c.0.iter().enumerate() {
            counts[e][o as usize] += 1;
        }
    }
    let chi = |row: &[usize]| {
        let want = n as f64 / row.len() as f64;
        row.iter()
            .map(|&k| (k as f64 - want).powi(2) / want)
            .sum::<f64>()
    };
    for row in &counts {
        assert!(chi(row) < 18.5, "{row:?}");
    }
    let m = example("mobilenetv3");
    let mut depths = [[0usize; 3]; 5];
    for _ in 0..n {
        let c = m.sample(&mut rng);
        for (s, row) in depths.iter_mut().enumerate() {
            row[c.0[s * 9] as usize] += 1;
        }
    }
    for row in &depths {
        assert!(chi(row) < 13.8, "{row:?}");
    }
}

#[test]
fn bad_architectures_are_named_by_position() {
    let d = example("nb201");
    let err = |s: &str| d.parse(s).unwrap_err().to_string();
    assert!(err("none none").contains("2 values, expected 6"));
    let e = err("none none conv9 none none none");
    assert!(e.contains("value 3 (`1->2`): `conv9` is not one of"), "{e}");
    let dd = example("darts");
    let s = dd.format(&dd.sample(&mut rand_chacha::ChaCha8Rng::seed_from_u64(1)));
    let mut t: Vec<&str> = s.split(' ').collect();
    t[2] = t[0]; // node 2's second pick reads what its first reads
    let e = dd.parse(&t.join(" ")).unwrap_err().to_string();
    assert!(e.contains("`normal.n2.in1` reads node"), "{e}");
    let m = example("mobilenetv3");
    let mut v = vec!["2"];
    v.extend(["3", "3", "-", "5", "-", "-", "-", "-"]);
    let e = m
        .parse(&vec![v.join(" "); 5].join(" "))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("is `-`, but the block is within its stage's depth"),
        "{e}"
    );
}

fn spec_error(text: &str) -> String {
    SpaceSpec::from_toml(text, "s.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_specs_are_refused_in_one_line_naming_the_place() {
    let cell = "name = \"x\"\n[[cell]]\nnodes = 4\n";
    for (text, want) in [
        (format!("{cell}ops = []"), "[[cell]] 1 ops: is an empty choice"),
        (format!("{cell}ops = [\"a\", \"a\"]"), "`a` twice"),
        (
            format!("{cell}ops = [\"a\"]\nedges = [[2, 1]]"),
            "edges[0]: [2, 1] is not a forward edge",
        ),
        (format!("{cell}ops = [\"a\"]\nnone = [\"b\"]"), "none: `b` is not one of ops"),
        (format!("{cell}ops = [\"a\"]\npick = 2"), "pick: 2 is not in 1..=1"),
        (format!("{cell}ops = [\"a\"]\ncolour = 1"), "line 5"),
        ("name = \"x\"".to_string(), "declares no [[cell]], no [chain] and no [grammar]"),
        (
            format!("{cell}ops = [\"a\"]\n[[cell]]\nnodes = 3\nops = [\"a\"]\n[[cell]]\nnodes = 3\nops = [\"a\"]\nname = \"cell2\""),
            "[[cell]] 3: a second cell of the same name",
        ),
        (
            "name = \"x\"\n[chain]\nlabel = \"{k}{size}\"\n[[chain.stage]]\ndepth = [1]\nchoices = { k = [1] }".to_string(),
            "`{size}` is not a choice's name",
        ),
        (
            "name = \"x\"\n[chain]\n[[chain.stage]]\ndepth = []\nchoices = { k = [1] }".to_string(),
            "[[chain.stage]] 1 depth: is an empty choice",
        ),
    ] {
        let e = spec_error(&text);
        assert!(e.contains(want), "{text}\n=> {e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
}

/// The built-in NB101 cell (7 vertices) as the declared space's choice vector.
fn declared_nb101(c: &crate::space::nb101::Nb101Cell) -> DeclaredCell {
    let mut v = Vec::new();
    for j in 1..7 {
        for i in 0..j {
            v.push(c.adj[i] >> j & 1);
        }
    }
    v.extend((1..6).map(|k| c.ops[k] - 1));
    DeclaredCell(v)
}

#[test]
fn the_nb101_spec_is_the_built_in_space() {
    let d = example("nb101");
    let b = crate::space::Nb101Space;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    let mut compared = 0;
    while compared < 2_000 {
        let c = b.sample(&mut rng);
        if c.n != 7 {
            continue;
        }
        let mut ours = declared_nb101(&c);
        d.normalise(&mut ours.0);
        assert_eq!(flat_features(&d, &ours, &CFG), features(&b.lower(&c), &CFG));
        assert_eq!(
            features(&d.lower(&ours), &CFG),
            features(&b.lower(&c), &CFG)
        );
        assert_eq!(d.parse(&d.format(&ours)).unwrap(), ours);
        compared += 1;
    }
    let mut ours = Vec::new();
    for _ in 0..200 {
        let c = d.sample(&mut rng);
        assert!(d.invalid(&c.0).is_none());
        for n in d.neighbours(&c) {
            assert!(d.invalid(&n.0).is_none());
            assert_eq!(d.parse(&d.format(&n)).unwrap(), n);
        }
        ours.push(c);
    }
    assert!(
        d.rejected() > 0,
        "some draws break the rules and are redrawn"
    );
}

#[test]
fn node_cells_count_and_list_every_architecture() {
    let spec = "name = \"small\"\n[[cell]]\nnodes = 5\noperations_on = \"nodes\"\nmax_edges = 5\nops = [\"a\", \"b\"]\n";
    let d = DeclaredSpace::new(SpaceSpec::from_toml(spec, "s").unwrap()).unwrap();
    let all = d.enumerate().unwrap();
    assert_eq!(Some(all.len() as u128), d.size());
    let distinct: HashSet<&DeclaredCell> = all.iter().collect();
    assert_eq!(distinct.len(), all.len());
    // Brute force: every vector of the 10 edges and 3 ops, valid, in canonical form.
    let mut count = 0;
    for v in product(&[vec![2usize; 10], vec![2; 3]].concat()) {
        let mut w = v.clone();
        if d.invalid(&v).is_none() {
            d.normalise(&mut w);
            count += usize::from(w == v);
        }
    }
    assert_eq!(count, all.len());
    assert!(d.size().unwrap() > 0);
}

fn from_text(text: &str) -> DeclaredSpace {
    DeclaredSpace::new(SpaceSpec::from_toml(text, "g.toml").unwrap()).unwrap()
}

#[test]
fn a_one_rule_grammar_is_the_nb201_cell() {
    let g = from_text(
        "name = \"g\"\n[grammar]\nstart = \"A\"\nops = [\"none\", \"skip_connect\", \"nor_conv_1x1\", \"nor_conv_3x3\", \"avg_pool_3x3\"]\nnone = [\"none\"]\nidentity = [\"skip_connect\"]\n[grammar.rules]\nA = [\"cell(O, O, O, O, O, O)\"]\nO = [\"none\", \"skip_connect\", \"nor_conv_1x1\", \"nor_conv_3x3\", \"avg_pool_3x3\"]\n",
    );
    assert_eq!(g.size(), Some(15_625));
    assert_eq!(g.enumerate().unwrap().len(), 15_625);
    let b = Nb201Space { skip_as_wire: true };
    for c in b.enumerate().unwrap() {
        let ops: Vec<&str> = c
            .iter()
            .map(|&o| crate::space::nb201::OPS[o as usize])
            .collect();
        let text = format!("cell({})", ops.join(", "));
        let ours = g.parse(&text).unwrap();
        assert_eq!(g.format(&ours), text);
        assert_eq!(
            features(&g.lower(&ours), &CFG),
            flat_features(&b, &c, &CFG),
            "{text}"
        );
    }
}

#[test]
fn the_hierarchical_nb201_grammar_samples_mutates_and_lowers() {
    let g = example("hnb201");
    // More derivations than a u128 counts (the cells alone: 5^6 each, dozens a network).
    assert_eq!(g.size(), None);
    assert!(g.enumerate().is_none());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for _ in 0..100 {
        let c = g.sample(&mut rng);
        let text = g.format(&c);
        assert_eq!(g.parse(&text).unwrap(), c, "{text}");
        let a = g.lower(&c);
        assert_eq!(a.label(0), "input");
        assert_eq!(a.label(a.node_count() - 1), "output");
        assert_eq!(flat_features(&g, &c, &CFG), features(&a, &CFG));
        let m = g.mutate(&c, &mut rng);
        assert_ne!(m, c);
        assert_eq!(g.parse(&g.format(&m)).unwrap(), m);
    }
    let c = g.sample(&mut rng);
    let n = g.neighbours(&c);
    assert!(n.len() > 10, "{}", n.len());
    assert!(n
        .iter()
        .all(|m| m != &c && g.parse(&g.format(m)).unwrap() == *m));
}

#[test]
fn recursive_grammars_are_bounded_by_their_depth() {
    let g = from_text(
        "name = \"r\"\n[grammar]\nstart = \"A\"\nops = [\"a\", \"b\"]\nmax_depth = 4\n[grammar.rules]\nA = [\"sequential2(A, A)\", \"residual1(A, A)\", \"O\"]\nO = [\"a\", \"b\"]\n",
    );
    // At depth 3 only A -> O fits (O at depth 4): 2 derivations; above, each of the two
    // topologies squares the count of the depth below, and O adds 2.
    let c3 = 2u128;
    let c2 = 2 * c3 * c3 + 2;
    let c1 = 2 * c2 * c2 + 2;
    assert_eq!(g.size(), Some(c1));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    for _ in 0..200 {
        let c = g.sample(&mut rng);
        assert_eq!(g.parse(&g.format(&c)).unwrap(), c);
    }
}

#[test]
fn bad_grammars_are_refused_naming_the_place() {
    let head = "name = \"x\"\n[grammar]\nstart = \"A\"\nops = [\"a\"]\n";
    for (text, want) in [
        (format!("{head}[grammar.rules]\nA = [\"sequential2(A, Q)\"]"), "unknown symbol `Q`"),
        (format!("{head}[grammar.rules]\nA = [\"sequential2(A, a)\"]"), "unbounded recursion"),
        (format!("{head}[grammar.rules]\nA = [\"sequential2(B, a)\", \"a\"]\nB = [\"A\"]"), "recursive (A -> B -> A): give [grammar] max_depth"),
        (format!("{head}[grammar.rules]\nA = []"), "[grammar.rules] A: is an empty choice"),
        (format!("{head}[grammar.rules]\nA = [\"loop(a, a)\"]\n[grammar.topology.loop]\nnodes = 3\nedges = [[1, 2], [2, 1]]"), "a cycle through node"),
        (format!("{head}[grammar.rules]\nA = [\"diamond(a, a)\"]"), "`diamond` has 4 edge slots, given 2 arguments"),
        (format!("{head}[grammar.rules]\nA = [\"a\"]\n[[cell]]\nnodes = 2\nops = [\"a\"]"), "more than one of"),
    ] {
        let e = spec_error(&text);
        assert!(e.contains(want), "{text}\n=> {e}");
        assert!(!e.contains('\n'), "{e}");
    }
    let g = from_text(&format!(
        "{head}[grammar.rules]\nA = [\"sequential2(B, B)\"]\nB = [\"a\"]"
    ));
    let e = g.parse("sequential2(a, b)").unwrap_err().to_string();
    assert!(e.contains("the first part that fits no rule: `b`"), "{e}");
    assert!(g
        .parse("sequential2(a")
        .unwrap_err()
        .to_string()
        .contains("expected at character"));
}

#[test]
fn costs_are_summed_over_labels_and_limits_bound_the_space() {
    use crate::space::nb201_cost::ComputedCosts;
    let text = "name = \"c\"\n[[cell]]\nnodes = 4\nops = [\"a\", \"b\"]\n[costs.params]\nb = 1.5\n[limits]\nparams = 3.0\n";
    let d = from_text(text);
    assert_eq!(d.cost_names(), vec!["params"]);
    // Six edges, each a or b: within the limit, at most two b's.
    let want: u128 = (0..=2)
        .map(|k: u32| {
            (1..=6u128).product::<u128>()
                / ((1..=k as u128).product::<u128>() * (1..=(6 - k) as u128).product::<u128>())
        })
        .sum();
    assert_eq!(d.size(), Some(want));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for _ in 0..300 {
        let c = d.sample(&mut rng);
        assert!(d.cost("params", &c).unwrap() <= 3.0);
        for n in d.neighbours(&c) {
            assert!(d.cost("params", &n).unwrap() <= 3.0);
        }
    }
    assert!(d.rejected() > 0);
    let e = d.parse("b b b a a a").unwrap_err().to_string();
    assert!(e.contains("params 4.5 is above the limit 3"), "{e}");
    let none = DeclaredSpace::new(
        SpaceSpec::from_toml(&text.replace("params = 3.0", "params = -1.0"), "c").unwrap(),
    );
    assert!(none
        .unwrap_err()
        .to_string()
        .contains("no valid architecture"));
    assert!(
        spec_error(&text.replace("[limits]\nparams", "[limits]\nflops"))
            .contains("[limits] flops: is not one of [costs]")
    );
}

#[test]
fn an_alternative_listed_twice_is_drawn_twice_as_often_and_is_one_derivation() {
    let g = from_text("name = \"d\"\n[grammar]\nstart = \"A\"\nops = [\"a\", \"b\"]\n[grammar.rules]\nA = [\"a\", \"b\", \"b\"]\n");
    assert_eq!(g.size(), Some(2));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let bs = (0..30_000)
        .filter(|_| g.format(&g.sample(&mut rng)) == "b")
        .count();
    assert!((19_000..21_000).contains(&bs), "{bs}");
    let c = g.parse("b").unwrap();
    assert_eq!(g.parse(&g.format(&c)).unwrap(), c);
}
