import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path


def rollup(rows):
    totals = defaultdict(float)
    for row in rows:
        totals[row["region"]] += float(row["amount"])
    return {region: round(total, 2) for region, total in sorted(totals.items())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", default="sample/orders.csv")
    parser.add_argument("--output", default="-")
    args = parser.parse_args(argv)
    with Path(args.input).open(newline="") as f:
        report = rollup(csv.DictReader(f))
    text = json.dumps({"revenueByRegion": report}, indent=2)
    if args.output == "-":
        print(text)
    else:
        Path(args.output).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
