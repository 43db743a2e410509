//! `wlgp data`: what is embedded.

use wlgp::bench_data::datasets;
use wlgp::error::Result;

pub(crate) fn data() -> Result<()> {
    let mut s = format!(
        "{:<10} {:<8} {:>7}  {:<55} source\n",
        "dataset", "space", "rows", "metrics"
    );
    for d in datasets() {
        let t = d.table()?;
        s += &format!(
            "{:<10} {:<8} {:>7}  {:<55} {}\n",
            d.name,
            d.space.name(),
            t.rows(),
            t.metrics.join(","),
            d.source
        );
    }
    super::out(&s)
}
