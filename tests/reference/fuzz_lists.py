"""Seeded generator of adversarial scoring cases (model outputs + contexts) in the protocol of
reference_scorer.py; items come from the real catalog and the real SFT records so hits are frequent.

Usage: python3 fuzz_lists.py --catalog catalog.csv --sft sft_sample.jsonl --seed 1 --count 3000 > cases.jsonl
Every case is a pure function of (seed, case index, input files).
"""
import argparse
import csv
import json
import random
import sys

SPACES = ["\u00a0", "\u2003", "\u3000", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\t", "\x0b", "\x0c",
          "\u2028", "\u2029", "\u1680", "\u202f", "\u205f", "  "]
NON_SPACES = ["\ufeff", "\u200b", "\u180e", "\u2060"]  # look blank, are not Python whitespace
DIGIT_ZEROS = [0x30, 0x660, 0x6F0, 0x966, 0xFF10, 0x1D7CE, 0xE50]  # ASCII, Arabic-Indic, fullwidth, …
NUMBER_MARKS = [".", ")", "、", "-", "—", "–"]
BULLETS = ["*", "-", "#", "##", "**", "__", "_", "*-", "•", "+", ">"]
COMMENTARY = [" - a classic", " — dir. Michael Mann", ": great pick", " (Director's Cut)", " (1999)",
              " [HD]", " 🎬", "  *", " (rated R) because", ", also (2001) good", "**", "\""]
GARBAGE = ["Here are 20 recommendations:", "Sure!", "---", "***", "#", "1.", "(1995)", "Heat 1995",
           "Heat (95)", "Heat(1995)", "Heat ( 1995 )", "Heat (1995", "Enjoy!", "<eos>", "\"\"", "''",
           "Heat - 1995", "12345", "- - -", "Heat (Director's Cut)", "\u00a0", "\ufeff", "(\u0661\u0669)"]
CASEFOLD_TRICKS = [("Straße", "STRASSE"), ("ΣΊΣΥΦΟΣ", "σίσυφος"), ("ΣΊΣΥΦΟΣ", "σίσυφοσ"),
                   ("İstanbul", "i̇stanbul"), ("ﬁre", "FIRE"), ("ırmak", "IRMAK"), ("Ǆemal", "ǆemal"),
                   ("ΐ", "ΐ"), ("Ⅻ", "ⅻ"), ("K", "k")]  # (catalog form, generated form)


def digits_in(year_text, rng):
    """Rewrites the ASCII digits of year_text in a random Unicode digit block (sometimes mixed)."""
    zero = rng.choice(DIGIT_ZEROS)
    return "".join(chr(zero + int(c)) if c.isdigit() and rng.random() < 0.9 else c for c in year_text)


def pick_ws(rng):
    return rng.choice(SPACES) if rng.random() < 0.15 else " "


def year_text(year, rng):
    r = rng.random()
    if r < 0.05:
        return str(year)[1:]  # 3 digits
    if r < 0.09:
        return str(year) + str(rng.randrange(10))  # 5 digits
    if r < 0.17:
        return digits_in(str(year), rng)
    return str(year)


def vary_title(title, rng):
    r = rng.random()
    if r < 0.08:
        return title.lower()
    if r < 0.14:
        return title.upper()
    if r < 0.22:
        return title.replace(" ", pick_ws(rng) if rng.random() < 0.5 else "  ")
    if r < 0.28:
        return title + " (Extended Edition)"
    if r < 0.31:
        return "(500) " + title
    if r < 0.34:
        return title + " (" + str(rng.randrange(1900, 2030)) + ")"  # a year inside the title
    return title


def decorate(title, year, rng):
    """One line for (title, year) in a random output style."""
    ws = pick_ws(rng)
    q = rng.random()
    if q < 0.25:
        body = f'"{title}"'
    elif q < 0.32:
        body = f"'{title}'"
    elif q < 0.36:
        body = rng.choice([f'"{title}\'', f'"{title}', f"{title}\"", f"'{title}\""])  # mismatched
    else:
        body = title
    paren_ws = "" if rng.random() < 0.05 else ws
    line = f"{body}{paren_ws}({year_text(year, rng)})"
    if rng.random() < 0.2:
        line += rng.choice(COMMENTARY)
    if rng.random() < 0.12:
        line = f'"{title} ({year})"'
    style = rng.random()
    if style < 0.35:
        num = str(rng.randrange(1, 30))
        if rng.random() < 0.1:
            num = digits_in(num, rng)
        sep = rng.choice(["", " ", ws]) if rng.random() < 0.3 else ""
        after = rng.choice([" ", "", ws, "  "])
        line = f"{num}{sep}{rng.choice(NUMBER_MARKS)}{after}{line}"
    elif style < 0.5:
        line = f"{rng.choice(BULLETS)}{rng.choice([' ', '', ws])}{line}"
    elif style < 0.6:
        mark = rng.choice(["**", "__", "*", "_"])
        line = f"{mark}{line}{mark}" if rng.random() < 0.7 else f"{mark}{line}"
        if rng.random() < 0.4:
            line = f"{rng.randrange(1, 21)}. {line}"
    elif style < 0.65:
        line = f"{rng.choice(['#', '##', '###'])}{rng.choice([' ', ''])}{line}"
    if rng.random() < 0.1:
        line = rng.choice(SPACES + NON_SPACES) + line
    if rng.random() < 0.1:
        line = line + rng.choice(SPACES + NON_SPACES)
    return line


def synthetic_ground_truth(catalog, rng):
    gt = [list(rng.choice(catalog)) for _ in range(rng.randrange(1, 7))]
    if rng.random() < 0.3:
        gt.append(list(rng.choice(gt)))  # duplicate entry
    return gt


def gt_year_text(year, rng):
    r = rng.random()
    if r < 0.6:
        return str(year)
    if r < 0.7:
        return f" {year} "
    if r < 0.75:
        return f"\u00a0{year}\t"
    if r < 0.8:
        return digits_in(str(year), rng)
    if r < 0.84:
        return year  # a number, not a string
    if r < 0.86:
        return f"{str(year)[:2]}_{str(year)[2:]}"  # Python int() accepts underscores
    if r < 0.88:
        return "+" + str(year)
    if r < 0.895:
        return rng.choice(["n/a", f"{year}.0", "", f"{str(year)[:2]} {str(year)[2:]}"])  # not an int
    return str(year)


# Hand-written tricky outputs, scored first (ground truth makes most of their items hits).
FIXED = [
    ("**3. \"Heat\" (Director's Cut) (1995)**", [["Heat", "1995"]]),
    ("(500) Days of Summer (2009)\n500 Days of Summer (2009)", [["500 Days of Summer", "2009"]]),
    ("1.Heat (1995)\n2 .Heat (1995)\n3 . Heat (1995)\n4) Heat (1995)\n5、Heat (1995)\n6— Heat (1995)",
     [["Heat", "1995"], ["Heat", "1995"]]),
    ("7–Heat (1995)\n8 - Heat (1995)\n9-Heat (1995)\n- Heat (1995)\n* Heat (1995)\n# Heat (1995)",
     [["Heat", "1995"]]),
    ("__Heat (1995)__\n**Heat** (1995)\n***Heat (1995)***\n#Heat (1995)\n*-_#Heat (1995)#_-*",
     [["Heat", " 1995 "]]),
    ("'Heat' (1995)\n\"Heat' (1995)\n\"Heat (1995)\"\n'Heat (1995)'\n\"\"Heat\"\" (1995)",
     [["Heat", "1994"], ["Heat", "1997"]]),
    ("Heat (1995) - Michael Mann's best\nAlien (1979): the original\nBlade Runner 2049 (2017) (IMAX)",
     [["Heat", "1995"], ["Alien", "1979"], ["Blade Runner 2049", "2017"]]),
    ("heat (1995)\nHEAT (1995)\nHeat (1998)\nHeat (1992)\nHeat (1997)", [["Heat", "1995"]]),
    ("Heat\u00a0(1995)\nHeat\u2003(1995)\nHeat\u3000(1995)\nHeat\x1c(1995)\nHeat\x85(1995)\n\ufeffHeat (1995)",
     [["Heat", "1995"]]),
    ("Heat (\u0661\u0669\u0669\u0665)\nHeat (\uff11\uff19\uff19\uff15)\nHeat (995)\nHeat (19950)",
     [["Heat", "1995"], ["Heat", "\u0661\u0669\u0669\u0665"]]),
    ("Heat (1995)\r\nAlien (1979)\rSe7en (1995)\n\n\n\nFargo (1996)\n \n\t\n", [["Alien", "1979"]]),
    ("", [["Heat", "1995"]]),
    ("Sorry, I cannot recommend movies.\nHere is a list:\n---", [["Heat", "1995"]]),
    ("\n".join(f"{i}. Heat ({1990 + i % 10})" for i in range(1, 31)), [["Heat", "1995"]] * 3),
]


def make_case(index, seed, catalog, records):
    rng = random.Random(f"{seed}:{index}")
    if index < len(FIXED):
        text, gt = FIXED[index]
        extra = [["heat", 1995], ["HEAT", 1995], ["Heat", 1992], ["Heat", 1998], ["Heat", 1997]]
        return {"id": index, "text": text, "seen_titles": [], "groundtruth": gt, "catalog_extra": extra}
    if index < len(FIXED) + len(records):  # the real demonstrations, as released
        rec = records[index - len(FIXED)]
        return {"id": index, "text": rec["completion"][0]["content"], "seen_titles": rec["seen_titles"],
                "groundtruth": rec["groundtruth_with_release_year"], "catalog_extra": []}
    extra = []
    if rng.random() < 0.4 and records:
        rec = rng.choice(records)
        gt = [list(x) for x in rec["groundtruth_with_release_year"]]
        seen = list(rec["seen_titles"])
        demo = [(t, y) for t, y in rec["items"]]
    else:
        gt = [[t, y] for t, y in synthetic_ground_truth(catalog, rng)]
        seen = [rng.choice(catalog)[0] for _ in range(rng.randrange(0, 4))]
        demo = []
    if rng.random() < 0.2 and gt:
        seen.append(str(rng.choice(gt)[0]))  # a ground-truth title is also seen
    if rng.random() < 0.15:
        cat_form, gen_form = rng.choice(CASEFOLD_TRICKS)
        y = rng.randrange(1950, 2023)
        gt.append([cat_form, y])
        extra += [[cat_form, y], [gen_form, y]]
        demo.append((gen_form, y + rng.choice([0, 0, 1, -2])))
        extra.append([gen_form, demo[-1][1]])
    # the list: mostly 20 items, sometimes fewer / more / none
    r = rng.random()
    size = 20 if r < 0.5 else rng.randrange(0, 20) if r < 0.75 else rng.randrange(21, 32)
    items = []
    for _ in range(size):
        u = rng.random()
        if u < 0.35 and gt:
            t, y = rng.choice(gt)
            y = int(str(y).strip()) if str(y).strip().isdigit() else rng.randrange(1950, 2023)
            y += rng.choice([0, 0, 0, 1, -1, 2, -2, 3, -3])
            items.append((t, y))
        elif u < 0.55 and demo:
            items.append(rng.choice(demo))
        elif u < 0.62 and seen:
            items.append((rng.choice(seen), rng.randrange(1950, 2023)))
        elif u < 0.7 and items:
            items.append(rng.choice(items))  # a repeat
        else:
            items.append(rng.choice(catalog))
    lines = []
    for t, y in items:
        t2 = vary_title(t, rng)
        if t2 != t and rng.random() < 0.5:
            extra.append([t2, y])  # make the variant a catalog pair so it can score
        lines.append(decorate(t2, y, rng))
        if rng.random() < 0.06:
            lines.append(rng.choice(GARBAGE))
        if rng.random() < 0.05:
            lines.append(rng.choice(["", " ", "\u3000", "\t\t"]))
    if rng.random() < 0.1:
        lines.insert(0, rng.choice(GARBAGE))
    sep = rng.choice(["\n"] * 6 + ["\r\n", "\r", "\n\n", "\n \n"])
    text = sep.join(lines)
    if rng.random() < 0.05:
        text = rng.choice(["", " ", "\n\n", "\r\n", "Sorry, I can't help with that.", "\ufeff"])
    if rng.random() < 0.03:
        text = "\n".join(rng.choice(GARBAGE) for _ in range(rng.randrange(1, 6)))
    if rng.random() < 0.1:  # a few character-level mutations
        chars = list(text)
        for _ in range(rng.randrange(1, 4)):
            pos = rng.randrange(len(chars) + 1)
            chars.insert(pos, rng.choice(SPACES + NON_SPACES + list("()\"'*_-#、—–.1") + ["\ud83c"]))
        text = "".join(chars)
    gt = [[t, gt_year_text(int(str(y).strip()), rng) if str(y).strip().isdigit() else y] for t, y in gt]
    if rng.random() < 0.02:
        gt = []  # no ground truth: metrics are undefined
    return {"id": index, "text": text, "seen_titles": seen, "groundtruth": gt, "catalog_extra": extra}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--sft", required=True, help="records JSONL (completion, seen_titles, groundtruth_with_release_year)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=3000)
    args = ap.parse_args()
    with open(args.catalog, newline="", encoding="utf-8") as f:
        catalog = [(row["title"], int(row["year"])) for row in csv.DictReader(f)]
    records = []
    with open(args.sft, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                demo = []
                for ln in rec["completion"][0]["content"].split("\n"):
                    head, _, tail = ln.rpartition(" (")
                    if head and tail[:4].isdigit():
                        demo.append((head, int(tail[:4])))
                rec["items"] = demo
                records.append(rec)
    out = sys.stdout
    for i in range(args.count):
        out.write(json.dumps(make_case(i, args.seed, catalog, records), ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
