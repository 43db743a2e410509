#!/usr/bin/env python3
"""Converts scikit-learn's copy of the UCI optical handwritten digits (the 8x8 test set
shipped as `sklearn/datasets/data/digits.csv.gz`, 1,797 images, 10 classes) into
`data/digits.u8`: one row of 65 bytes per image, 64 pixel intensities (0-16, row-major)
then the class. Reads the file from the scikit-learn wheel, so the source is a published
package; prints the provenance recorded in data/PROVENANCE.md.

    python3 scripts/convert_digits.py [--wheel-dir DIR] [--out data/digits.u8]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import subprocess
import sys
import tempfile
import zipfile

VERSION = "1.9.1"
MEMBER = "sklearn/datasets/data/digits.csv.gz"


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel-dir")
    ap.add_argument("--out", default="data/digits.u8")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wd = a.wheel_dir or tmp
        if not a.wheel_dir:
            r = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--only-binary=:all:", f"scikit-learn=={VERSION}", "-d", wd],
                check=False,
            )
            if r.returncode != 0:
                print("could not download the scikit-learn wheel", file=sys.stderr)
                return 3
        wheels = glob.glob(f"{wd}/scikit_learn-{VERSION}-*.whl")
        if not wheels:
            print(f"no scikit-learn {VERSION} wheel in {wd}", file=sys.stderr)
            return 3
        wheel = sorted(wheels)[0]
        with zipfile.ZipFile(wheel) as z:
            gz = z.read(MEMBER)
    rows = []
    for line in gzip.decompress(gz).decode().splitlines():
        if not line.strip():
            continue
        v = [int(float(x)) for x in line.split(",")]
        assert len(v) == 65 and all(0 <= p <= 16 for p in v[:64]) and 0 <= v[64] <= 9, line
        rows.append(bytes(v))
    assert len(rows) == 1797, len(rows)
    out = b"".join(rows)
    with open(a.out, "wb") as f:
        f.write(out)
    print(f"source: scikit-learn {VERSION} wheel, member {MEMBER} (sha256 {sha256(gz)})")
    print(f"wrote {a.out}: {len(rows)} rows x 65 bytes, sha256 {sha256(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
