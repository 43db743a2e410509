//! The compact table format written by scripts/convert_benchmarks.py.

use crate::error::{Error, Result};

/// A benchmark table: sorted u64 keys and, per row, one f64 per metric.
#[derive(Clone, Debug)]
pub struct Table {
    /// Metric names, in column order.
    pub metrics: Vec<String>,
    keys: Vec<u64>,
    values: Vec<f64>,
}

const MAGIC: &[u8; 8] = b"WLGPTAB1";

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let s = self
            .b
            .get(self.at..self.at + n)
            .ok_or_else(|| format!("truncated at byte {}", self.at))?;
        self.at += n;
        Ok(s)
    }
    fn u16(&mut self) -> std::result::Result<u16, String> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> std::result::Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
}

impl Table {
    /// Decodes a table, checking the magic, sizes and key order.
    pub fn decode(name: &str, b: &[u8]) -> Result<Table> {
        let err = |reason: String| Error::Table {
            name: name.to_string(),
            reason,
        };
        let mut r = Reader { b, at: 0 };
        if r.take(8).map_err(err)? != MAGIC {
            return Err(err("not a wlgp table (bad magic)".into()));
        }
        let rows = r.u32().map_err(err)? as usize;
        let nm = r.u32().map_err(err)? as usize;
        let mut metrics = Vec::with_capacity(nm);
        for _ in 0..nm {
            let len = r.u16().map_err(err)? as usize;
            let s = r.take(len).map_err(err)?;
            metrics.push(String::from_utf8(s.to_vec()).map_err(|e| err(e.to_string()))?);
        }
        let kb = r.take(rows * 8).map_err(err)?;
        let keys: Vec<u64> = kb
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let vb = r.take(rows * nm * 8).map_err(err)?;
        let values: Vec<f64> = vb
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        if r.at != b.len() {
            return Err(err(format!("{} trailing bytes", b.len() - r.at)));
        }
        if keys.windows(2).any(|w| w[0] >= w[1]) {
            return Err(err("keys are not strictly ascending".into()));
        }
        Ok(Table {
            metrics,
            keys,
            values,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.keys.len()
    }

    /// Row index of a key.
    pub fn row(&self, key: u64) -> Option<usize> {
        self.keys.binary_search(&key).ok()
    }

    /// Value of one metric for one key.
    pub fn get(&self, key: u64, metric: usize) -> Option<f64> {
        self.row(key)
            .map(|r| self.values[r * self.metrics.len() + metric])
    }

    /// One metric column, in key order.
    pub fn column(&self, metric: usize) -> impl Iterator<Item = f64> + '_ {
        let m = self.metrics.len();
        self.values.iter().skip(metric).step_by(m).copied()
    }

    /// All keys, ascending.
    pub fn keys(&self) -> &[u64] {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_corrupt_tables() {
        assert!(Table::decode("x", b"NOTATABLE").is_err());
        assert!(Table::decode("x", b"WLGPTAB1\x05\0\0\0").is_err());
        let mut ok = b"WLGPTAB1".to_vec();
        ok.extend(1u32.to_le_bytes());
        ok.extend(1u32.to_le_bytes());
        ok.extend(1u16.to_le_bytes());
        ok.push(b'a');
        ok.extend(7u64.to_le_bytes());
        ok.extend(0.5f64.to_le_bytes());
        let t = Table::decode("x", &ok).unwrap();
        assert_eq!(t.get(7, 0), Some(0.5));
        ok.push(0);
        assert!(Table::decode("x", &ok).is_err());
    }
}
