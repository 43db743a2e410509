//! A user's training data as a CSV: a header with an `arch` column and a value column,
//! then one evaluated architecture a row. Every malformed row is reported with its line.

use crate::error::{Error, Result};
use crate::space::Space;

/// The rows of a training CSV.
#[derive(Clone, Debug)]
pub struct Rows<C> {
    /// The architectures, in file order.
    pub cells: Vec<C>,
    /// Their values.
    pub values: Vec<f64>,
    /// The value column's name (what inference of the values' semantics reads).
    pub column: String,
}

/// Reads `arch,VALUE` rows: the value column is `value` if there is one, else the one
/// column beside `arch` (its name then tells what the values are, e.g. `val_acc`).
/// `origin` names the input in errors.
pub fn read_csv<S: Space>(
    space: &S,
    input: impl std::io::Read,
    origin: &str,
) -> Result<Rows<S::Cell>> {
    read_csv_column(space, input, origin, None)
}

/// [`read_csv_column`] on a file: a user's CSV by its path, which names it in errors.
pub fn read_csv_file<S: Space>(
    space: &S,
    path: &std::path::Path,
    column: Option<&str>,
) -> Result<Rows<S::Cell>> {
    let origin = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| Error::io(format!("reading {origin}"), e))?;
    read_csv_column(space, f, &origin, column)
}

/// [`read_csv`] with the value column named: a benchmark's export holds several metrics
/// (`arch,val_acc,test_acc,params`), and the user says which one to model.
pub fn read_csv_column<S: Space>(
    space: &S,
    input: impl std::io::Read,
    origin: &str,
    column: Option<&str>,
) -> Result<Rows<S::Cell>> {
    let mut rdr = csv::Reader::from_reader(input);
    let headers = rdr
        .headers()
        .map_err(|e| Error::Config(format!("reading {origin}: {e}")))?
        .clone();
    let header = || headers.iter().collect::<Vec<_>>().join(",");
    let col = |name: &str| {
        headers
            .iter()
            // A spreadsheet's byte-order mark is not part of the first name.
            .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
            .ok_or_else(|| {
                Error::Config(format!(
                    "{origin}: no `{name}` column (header: {})",
                    header()
                ))
            })
    };
    let ca = col("arch")?;
    let cv = match (column, col("value")) {
        (Some(name), _) => col(name)?,
        (None, Ok(c)) => c,
        (None, Err(_)) if headers.len() == 2 => 1 - ca,
        (None, Err(_)) => {
            return Err(Error::Config(format!(
                "{origin}: no `value` column and {} others: name the one to model (`--metric COLUMN`; header: {})",
                headers.len() - 1,
                header()
            )))
        }
    };
    let mut t = Rows {
        cells: Vec::new(),
        values: Vec::new(),
        column: headers
            .get(cv)
            .unwrap_or("value")
            .trim_start_matches('\u{feff}')
            .trim()
            .to_string(),
    };
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let at = |e: Error| Error::Line {
            line,
            source: Box::new(e),
        };
        let rec = rec.map_err(|e| at(Error::Config(format!("{origin}: {e}"))))?;
        let arch = rec
            .get(ca)
            .ok_or_else(|| at(Error::Empty("missing arch".into())))?;
        let cell = space.parse(arch).map_err(at)?;
        let raw = rec.get(cv).unwrap_or("").trim();
        let v: f64 = raw
            .parse()
            .map_err(|_| at(Error::Value(format!("value `{raw}` is not a number"))))?;
        if !v.is_finite() {
            return Err(at(Error::Value(format!(
                "value `{raw}` is not finite (NaN or missing)"
            ))));
        }
        t.cells.push(cell);
        t.values.push(v);
    }
    if t.cells.is_empty() {
        return Err(Error::Empty(format!("{origin} has no training rows")));
    }
    Ok(t)
}
