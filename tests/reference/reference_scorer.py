"""Independent Python reference for scoring generated lists (paper.md §2, §3, §6), used by
tests/reward/differential_test.ts and tests/bench/score_bench.ts; plain `re`/`str`/numpy, written from the rules.

It runs on CPython's own text semantics (`\\s`, `\\d`, strip, int, casefold), which is what the
TypeScript twin in lib/ has to reproduce. Departure from the authors' code: where their metric code
would return NaN (no ground truth) or raise (a ground-truth year that is not an integer), the
reference reports an error for that variant instead of a number.

Protocol (JSON Lines, one case per line, on stdin or the file named last):
  in : {"id", "text", "seen_titles": [str], "groundtruth": [[title, year(str|int)]],
        "catalog_extra"?: [[title, year(int)]], "n"?: 20, "ks"?: [5, 10, 15, 20]}
  out: {"id", "items": [[title, year]], "lines", "dropped", "hits": [n ints],
        "rewards_exp_inf", "rewards_log", "rewards_exp2": [n floats], "dcg",
        "metrics": {"filter-first" | "truncate-first": {"recall": {k: x}, "ndcg": {k: x}} | {"error": str}}}
  The case's catalog is the --catalog CSV plus its "catalog_extra" pairs.

Usage:
  python3 reference_scorer.py --catalog catalog.csv [cases.jsonl]        # score cases
  python3 reference_scorer.py --catalog catalog.csv --data sft.jsonl --bench 10000 [--repeat 7]
  python3 reference_scorer.py --catalog catalog.csv --score-records records.jsonl  # whole process
"""
import argparse
import csv
import json
import re
import statistics
import sys
import time

import numpy as np

# ---------------------------------------------------------------- parsing (paper.md §2.1)

WS_RUN = re.compile(r"\s+")
NEWLINE_RUN = re.compile(r"\n+")
# One pass of decoration stripping, in order; the pass repeats until the text stops changing.
DECORATION_PASS = (
    (re.compile(r"^[-*_#]+"), True),  # leading run of * _ - #, then strip
    (re.compile(r"[-*_#]+$"), True),  # trailing run of * _ - #, then strip
    (re.compile(r"^(?:[-*_#]+\s+|\d+\s*[.)、\-—–]\s+)"), True),  # a bullet or a numbering + space
    (re.compile(r"^#+\s*"), False),  # leading hashes (no strip afterwards)
)
INNERMOST_PARENS = re.compile(r"\([^()]*\)")
ITEM_AT_START = re.compile(r"(.+?)\s+\((\d{4})\)")


def collapse_ws(s):
    """Strip, then one plain space for every whitespace run."""
    return WS_RUN.sub(" ", s.strip()).strip()


def strip_decoration(s):
    """Remove bullets, numbering, bold/italic marks and heading hashes from both ends, to a fixed point."""
    s = s.strip()
    while True:
        t = s
        for pattern, strip_after in DECORATION_PASS:
            t = pattern.sub("", t)
            if strip_after:
                t = t.strip()
        if t == s:
            return s
        s = t


def unquote(s):
    """Drop one pair of matching surrounding quotes, '…' or "…"."""
    for q in ('"', "'"):
        if s.startswith(q) and s.endswith(q):
            return s[1:-1]
    return s


def clean_title(title):
    """Innermost parentheses, whitespace, decoration, quotes: repeated until nothing changes."""
    while True:
        cleaned = unquote(strip_decoration(collapse_ws(INNERMOST_PARENS.sub("", title.strip()))))
        if cleaned == title:
            return title
        title = cleaned


def parse_list_lines(text):
    """Returns (items, the 0-based line of each item, number of non-empty lines)."""
    lines = [ln.strip() for ln in NEWLINE_RUN.sub("\n", text).strip().split("\n")]
    lines = [ln for ln in lines if ln]
    items = []
    item_lines = []
    for i, line in enumerate(lines):
        m = ITEM_AT_START.match(unquote(strip_decoration(collapse_ws(line))))
        if m is not None:
            items.append((clean_title(m.group(1)), int(m.group(2))))
            item_lines.append(i)
    return items, item_lines, len(lines)


def parse_list(text):
    """Returns (items, number of non-empty lines). Items are (title, year) in emitted order."""
    items, _, lines = parse_list_lines(text)
    return items, lines


# ---------------------------------------------------------------- rank hits (paper.md §2.3-2.6)

def title_key(s):
    return WS_RUN.sub(" ", s.strip()).casefold()


def as_int_or_none(y):
    try:
        return int(str(y))
    except ValueError:
        return None


def aligned_hits(items, seen_titles, groundtruth, in_catalog, n=20, tolerance=2):
    """0/1 per rank for the first n items; each ground-truth occurrence can be used once."""
    remaining = {}  # title key -> {year: count}
    for title, year in groundtruth:
        y = as_int_or_none(year)
        if y is not None:
            years = remaining.setdefault(title_key(title), {})
            years[y] = years.get(y, 0) + 1
    seen = set(seen_titles)
    hits = [0] * n
    for rank, (title, year) in enumerate(items[:n]):
        if title in seen or not in_catalog(title, year):
            continue
        years = remaining.get(title_key(title), {})
        candidates = [year] + [y for d in range(1, tolerance + 1) for y in (year + d, year - d)]
        match = next((y for y in candidates if years.get(y, 0) > 0), None)
        if match is not None:
            hits[rank] = 1
            years[match] -= 1
    return hits


# ---------------------------------------------------------------- rewards (paper.md §3)

def rank_discounts(n):
    """d_1 = 1, d_j = 1/log2(j+1), as numpy float64 (array log2, as the authors evaluate it)."""
    d = np.ones(n, dtype=np.float64)
    d[1:] = 1.0 / np.log2(np.arange(2, n + 1, dtype=np.float64) + 1.0)
    return d


def log_rewards(hits, discounts):
    """r_k = DCG from rank k on, computed as (numpy total) - (running sum of gains before k)."""
    gains = np.asarray(hits, dtype=np.float64) * discounts
    before = np.concatenate(([0.0], np.cumsum(gains)[:-1]))
    return (float(gains.sum()) - before).tolist()


def exp_rewards(hits, gamma):
    """r_k = sum over j >= k of rel_j / gamma^(j-k)."""
    n = len(hits)
    return [sum(hits[j] / gamma ** (j - k) for j in range(k, n)) for k in range(n)]


# ---------------------------------------------------------------- metrics (paper.md §6)

def match_filtered(filtered, groundtruth):
    """Per ground-truth entry, the first filtered item with the same title and |year diff| <= 2 is a hit."""
    hits = [0] * len(filtered)
    for gt_title, gt_year in groundtruth:
        if not filtered:
            break
        y = int(gt_year)  # raises ValueError on a bad year, as soon as there is an item to compare
        for i, (title, year) in enumerate(filtered):
            if title == gt_title and abs(y - year) <= 2:
                hits[i] = 1
                break
    return hits


def dcg(hits, k):
    if not hits:
        return 0
    return hits[0] + sum(hits[i] / np.log2(i + 2) for i in range(1, min(k, len(hits))))


def recall_ndcg(hits, num_gt, k):
    if not hits:
        return 0.0, 0.0
    ideal = [1 if i < num_gt else 0 for i in range(len(hits))]
    return float(sum(hits[:k]) / num_gt), float(dcg(hits, k) / dcg(ideal, k))


def metrics(items, seen_titles, groundtruth, in_catalog, ks, truncate_first):
    """Recall@k / NDCG@k; filter-first drops seen and out-of-catalog items from the whole list first."""
    seen = set(seen_titles)

    def keep(lst):
        return [(t, y) for t, y in lst if t not in seen and in_catalog(t, y)]

    if not groundtruth:
        return {"error": "empty ground truth"}
    out = {"recall": {}, "ndcg": {}}
    try:
        whole = None if truncate_first else match_filtered(keep(items), groundtruth)
        for k in ks:
            hits = whole if whole is not None else match_filtered(keep(items[:k]), groundtruth)
            out["recall"][str(k)], out["ndcg"][str(k)] = recall_ndcg(hits, len(groundtruth), k)
    except ValueError as e:
        return {"error": f"ground truth year is not an integer: {e}"}
    return out


# ---------------------------------------------------------------- driver

def load_catalog(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {(row["title"], int(row["year"])) for row in csv.DictReader(f)}


def score_case(case, catalog):
    extra = {(t, int(y)) for t, y in case.get("catalog_extra", [])}

    def in_catalog(title, year):
        return (title, year) in catalog or (title, year) in extra

    n = case.get("n", 20)
    ks = case.get("ks", [5, 10, 15, 20])
    items, lines = parse_list(case["text"])
    hits = aligned_hits(items, case["seen_titles"], case["groundtruth"], in_catalog, n)
    log = log_rewards(hits, rank_discounts(n))
    return {
        "id": case.get("id"),
        "items": [[t, y] for t, y in items],
        "lines": lines,
        "dropped": lines - len(items),
        "hits": hits,
        "rewards_exp_inf": [float(h) for h in hits],
        "rewards_log": log,
        "rewards_exp2": exp_rewards(hits, 2.0),
        "dcg": log[0] if n > 0 else 0.0,
        "metrics": {
            variant: metrics(items, case["seen_titles"], case["groundtruth"], in_catalog, ks, trunc)
            for variant, trunc in (("filter-first", False), ("truncate-first", True))
        },
    }


def bench(catalog, data_path, count, repeat):
    """Times parse + aligned hits + log rewards over `count` records (the data file cycled)."""
    with open(data_path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    batch = [records[i % len(records)] for i in range(count)]
    discounts = rank_discounts(20)

    def in_catalog(title, year):
        return (title, year) in catalog

    rates = []
    checksum = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        for rec in batch:
            items, _ = parse_list(rec["completion"][0]["content"])
            hits = aligned_hits(items, rec["seen_titles"], rec["groundtruth_with_release_year"], in_catalog)
            checksum += log_rewards(hits, discounts)[0]
        rates.append(count / (time.perf_counter() - start))
    print(json.dumps({
        "records": count,
        "repeat": repeat,
        "records_per_s_median": statistics.median(rates),
        "records_per_s": rates,
        "checksum_dcg": checksum / repeat,
    }))


def score_records(catalog, data_path, n=20, ks=(5, 10, 15, 20)):
    """`convrec score`'s default work on a records JSONL (exp_inf rewards, filter-first metrics), as
    one whole process: the summary it prints, with the same fields and pooling."""
    def in_catalog(title, year):
        return (title, year) in catalog

    records = 0
    recall = [0.0] * len(ks)
    ndcg = [0.0] * len(ks)
    slots = in_cat = violations = 0
    with open(data_path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            text = "\n".join(m["content"] for m in rec["completion"])
            items, item_lines, lines = parse_list_lines(text)
            hits = aligned_hits(items, rec["seen_titles"], rec["groundtruth_with_release_year"], in_catalog, n)
            [float(h) for h in hits]  # the exp_inf rewards, as the TS side computes them
            m = metrics(items, rec["seen_titles"], rec["groundtruth_with_release_year"], in_catalog, ks, False)
            if "error" in m:
                sys.exit(f"{data_path}:{lineno}: {m['error']}")
            for i, k in enumerate(ks):
                recall[i] += m["recall"][str(k)]
                ndcg[i] += m["ndcg"][str(k)]
            s = min(n, lines)
            in_slots = [it for it, ln in zip(items, item_lines) if ln < s]
            slots += s
            in_cat += sum(1 for t, y in in_slots if in_catalog(t, y))
            violations += s - len(in_slots)
            records += 1
    mean = lambda xs: {str(k): (x / records if records else 0.0) for k, x in zip(ks, xs)}
    print(json.dumps({
        "records": records,
        "recall": mean(recall),
        "ndcg": mean(ndcg),
        "in_catalog": in_cat / slots if slots else 0.0,
        "format_violations": violations / slots if slots else 0.0,
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--catalog", required=True, help="catalog CSV with title,year columns")
    ap.add_argument("--bench", type=int, help="time the scoring loop over this many records")
    ap.add_argument("--data", help="records JSONL for --bench (completion, seen_titles, groundtruth_with_release_year)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--score-records", metavar="JSONL",
                    help="score a records file as `convrec score` does by default; print its summary")
    ap.add_argument("cases", nargs="?", default="-", help="cases JSONL (default stdin)")
    args = ap.parse_args()
    catalog = load_catalog(args.catalog)
    if args.score_records is not None:
        score_records(catalog, args.score_records)
        return
    if args.bench is not None:
        if not args.data:
            ap.error("--bench needs --data")
        bench(catalog, args.data, args.bench, args.repeat)
        return
    src = sys.stdin if args.cases == "-" else open(args.cases, encoding="utf-8")
    out = sys.stdout
    for lineno, line in enumerate(src, 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as e:
            sys.exit(f"{args.cases}:{lineno}: expected a JSON object: {e}")
        out.write(json.dumps(score_case(case, catalog), ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
