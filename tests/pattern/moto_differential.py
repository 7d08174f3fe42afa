#!/usr/bin/env python3
"""Differential test: riposte's pattern engine vs moto's EventPattern (moto 5.x).

Generates thousands of pattern/event pairs covering every operator (seeded, reproducible),
runs each through moto and through riposte's pattern_difftool, and compares. Every
disagreement must be explained by one of the documented moto deviations (see
docs/patterns.md, "Differential test against moto"); an unexplained one fails the test and
is printed so it can be fixed or documented. Usage:
    moto_differential.py --tool build/bin/pattern_difftool [--cases 6000] [--seed 1]
"""
import argparse
import collections
import ipaddress
import json
import random
import subprocess
import sys

try:
    from moto.events.models import EventPattern
except ImportError:  # pragma: no cover
    print("moto is not installed: pip install 'moto[server]'", file=sys.stderr)
    sys.exit(77)  # ctest SKIP_RETURN_CODE

STRINGS = ["x", "X", "abc", "ABC", "aBc", "ab", "", "init", "initializing", "running",
           "10.0.0.1", "10.0.0.7", "10.0.1.1", "2001:db8::1", "a\nb", "a*b", "a/dir/b",
           "file.txt", "FILE.TXT", "ß", "SS", "é", "300", "null", "true"]
NUMBERS = [0, 1, -1, 2.5, 300, 300.0, 100, 101, 0.1, 5, 7, 1e3, -0.0]
FIELDS = ["a", "b", "c"]


def rnd_scalar(r):
    k = r.random()
    if k < 0.55:
        return r.choice(STRINGS)
    if k < 0.85:
        return r.choice(NUMBERS)
    if k < 0.93:
        return r.choice([True, False])
    return None


def rnd_matcher(r):
    """Returns (matcher, feature-set)."""
    s = lambda: r.choice(STRINGS)
    ops = ["exact", "exact", "prefix", "suffix", "eic", "prefix_eic", "suffix_eic", "wildcard",
           "ab_str", "ab_list", "ab_num", "ab_numlist", "ab_prefix", "ab_suffix", "ab_eic",
           "ab_wildcard", "numeric1", "numeric2", "exists", "cidr", "invalid"]
    op = r.choice(ops)
    if op == "exact":
        return rnd_scalar(r)
    if op == "prefix":
        return {"prefix": s()}
    if op == "suffix":
        return {"suffix": s()}
    if op == "eic":
        return {"equals-ignore-case": s()}
    if op == "prefix_eic":
        return {"prefix": {"equals-ignore-case": s()}}
    if op == "suffix_eic":
        return {"suffix": {"equals-ignore-case": s()}}
    if op == "wildcard":
        return {"wildcard": r.choice(["*", "a*", "*b", "a*b", "*/dir/*", "*.txt", "", "x",
                                      "a\\*b", "1*.*.1", "*\n*"])}
    if op == "ab_str":
        return {"anything-but": s()}
    if op == "ab_list":
        return {"anything-but": r.sample(STRINGS, 2)}
    if op == "ab_num":
        return {"anything-but": r.choice(NUMBERS)}
    if op == "ab_numlist":
        return {"anything-but": r.sample(NUMBERS, 2)}
    if op == "ab_prefix":
        return {"anything-but": {"prefix": r.choice(["in", "a", "10."])}}
    if op == "ab_suffix":
        return {"anything-but": {"suffix": r.choice([".txt", "c", "1"])}}
    if op == "ab_eic":
        return {"anything-but": {"equals-ignore-case": r.choice([s(), [s(), s()]])}}
    if op == "ab_wildcard":
        return {"anything-but": {"wildcard": r.choice(["*/dir/*", "a*", "*", ""])}}
    if op == "numeric1":
        return {"numeric": [r.choice(["<", "<=", "=", ">", ">="]), r.choice(NUMBERS)]}
    if op == "numeric2":
        lo = r.choice([-1, 0, 1, 5, 100])
        return {"numeric": [r.choice([">", ">="]), lo, r.choice(["<", "<="]), lo + r.choice([1, 5, 300])]}
    if op == "exists":
        return {"exists": r.choice([True, False])}
    if op == "cidr":
        return {"cidr": r.choice(["10.0.0.0/24", "10.0.0.1/24", "10.0.0.0/8", "2001:db8::/32"])}
    # Deliberately invalid shapes (moto accepts most of them).
    return r.choice([[], {}, {"prefix": 1}, {"numeric": [">", 0, ">", 1]}, {"EXISTS": True},
                     {"anything-but": []}, {"wildcard": "a**b"}, {"cidr": "10.0.0.0"},
                     {"equals-ignore-case": ["a"]}, {"numeric": ["<", 1, ">", 0]}])


def rnd_pattern(r, depth=0):
    p = {}
    for f in r.sample(FIELDS, r.randint(1, 2)):
        k = r.random()
        if k < 0.15 and depth < 2:
            p[f] = rnd_pattern(r, depth + 1)
        else:
            p[f] = [rnd_matcher(r) for _ in range(r.randint(1, 2))]
    if depth == 0 and r.random() < 0.15:
        p["$or"] = [rnd_pattern(r, 1), rnd_pattern(r, 1)]
    return p


def rnd_value(r, depth=0):
    k = r.random()
    if k < 0.6 or depth >= 2:
        return rnd_scalar(r)
    if k < 0.75:
        return [rnd_scalar(r) for _ in range(r.randint(0, 3))]
    if k < 0.85:
        return {f: rnd_value(r, depth + 1) for f in r.sample(FIELDS, r.randint(0, 2))}
    if k < 0.95:
        return [{f: rnd_value(r, depth + 1) for f in r.sample(FIELDS, r.randint(1, 2))}
                for _ in range(r.randint(1, 2))]
    return [[rnd_scalar(r)], rnd_scalar(r)]


def rnd_event(r):
    return {f: rnd_value(r) for f in r.sample(FIELDS, r.randint(1, 3))}


# ----------------------------------------------------------------------- explanations
# A disagreement is explained when the case exercises one of moto's documented deviations
# (docs/patterns.md) at a path the pattern actually tests. Tags are computed per pattern
# path from moto's own flattened view of the event and from EventBridge's (leaves through
# arrays, crushed).

def pattern_paths(p, prefix="", out=None, or_depth=0):
    """[(path, matcher list, inside_or)] for every field of the pattern, $or branches too."""
    if out is None:
        out = []
    if not isinstance(p, dict):
        return out
    for k, v in p.items():
        if k == "$or" and isinstance(v, list):
            for b in v:
                pattern_paths(b, prefix, out, or_depth + 1)
            continue
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            pattern_paths(v, path, out, or_depth)
        elif isinstance(v, list):
            out.append((path, v, or_depth > 0))
    return out


def eb_leaves(node, path, prefix=""):
    """EventBridge's leaves at `path`: (value, went_through_array_of_objects)."""
    out = []

    def rec(n, pre, via_obj_array):
        if isinstance(n, dict):
            for k, v in n.items():
                p = f"{pre}.{k}" if pre else k
                if p == path or path.startswith(p + "."):
                    rec(v, p, via_obj_array)
        elif isinstance(n, list):
            for x in n:
                rec(x, pre, via_obj_array or isinstance(x, dict))
        elif pre == path:
            out.append((n, via_obj_array))

    rec(node, "", False)
    return out


def is_ip(s):
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


def has_leading_zero_ip(v):
    return isinstance(v, str) and v.count(".") == 3 and any(
        len(x) > 1 and x.startswith("0") for x in v.split("."))


def features(pattern, event):
    f = set()
    flat = EventPattern._flatten_dict(json.loads(json.dumps(event)))
    paths = pattern_paths(pattern)
    seen = collections.Counter(path for path, _, _ in paths)
    for path, matchers, inside_or in paths:
        mtext = json.dumps(matchers)
        moto_v = flat.get(path, "<absent>")
        leaves = eb_leaves(event, path)
        vals = [v for v, _ in leaves]
        if any(via for _, via in leaves):
            f.add("arrays-of-objects")
        if moto_v in ([], {}) or any(isinstance(x, dict) and not x for x in
                                     (moto_v if isinstance(moto_v, list) else [])):
            f.add("empty-array-or-object-is-present")
        if isinstance(moto_v, list) and any(isinstance(x, (list, dict)) for x in moto_v):
            f.add("nested-arrays")
        numberish = any(isinstance(m, (int, float)) and not isinstance(m, bool) for m in matchers) \
            or '"numeric"' in mtext or ('"anything-but"' in mtext and any(
                isinstance(m, dict) and isinstance(m.get("anything-but"), (int, float, list))
                for m in matchers))
        if (any(isinstance(v, bool) for v in vals) and numberish) or (
                any(isinstance(m, bool) for m in matchers) and
                any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)):
            f.add("python-bool-is-int")
        if "equals-ignore-case" in mtext and (
                any(ord(c) > 127 for c in json.dumps(matchers, ensure_ascii=False)) or
                any(isinstance(v, str) and any(ord(c) > 127 for c in v) for v in vals)):
            f.add("ignore-case-non-ascii")
        if "wildcard" in mtext and any(isinstance(v, str) and "\n" in v for v in vals):
            f.add("wildcard-newline")
        if '"cidr"' in mtext and ("10.0.0.1/24" in mtext or any(
                (isinstance(v, (int, float)) and not isinstance(v, bool)) or has_leading_zero_ip(v)
                for v in vals)):
            f.add("cidr-strict-or-int")
        if any(isinstance(m, str) and is_ip(m) for m in matchers) and any(
                isinstance(v, str) and is_ip(v) for v in vals):
            f.add("ip-literal-canonical")
        if inside_or and seen[path] > 1:
            f.add("or-branch-overrides-same-path")
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--cases", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show", type=int, default=3, help="examples to print per category")
    args = ap.parse_args()
    r = random.Random(args.seed)
    cases = [(rnd_pattern(r), rnd_event(r)) for _ in range(args.cases)]
    lines = "".join(json.dumps({"p": json.dumps(p), "e": json.dumps(e)}) + "\n" for p, e in cases)
    out = subprocess.run([args.tool], input=lines, capture_output=True, text=True, check=True)
    ours = out.stdout.splitlines()
    assert len(ours) == len(cases), (len(ours), len(cases))

    agree = 0
    categories = collections.Counter()
    examples = collections.defaultdict(list)
    unexplained = []
    outcome = collections.Counter()
    for (p, e), o in zip(cases, ours):
        try:
            m = "1" if EventPattern.load(json.dumps(p)).matches_event(e) else "0"
        except Exception as ex:  # moto rejects or crashes
            m = "E " + type(ex).__name__
        outcome[("E" if o.startswith("E") else o)] += 1
        if o == m or (o.startswith("E") and m.startswith("E")):
            agree += 1
            continue
        if o.startswith("E"):
            cat = "moto-accepts-invalid-pattern: " + o[2:].split(" at pos")[0]
            categories[cat] += 1
            if len(examples[cat]) < args.show:
                examples[cat].append((p, e, o, m))
            continue
        if m.startswith("E"):
            cat = "moto-raises-at-match-time"
            categories[cat] += 1
            if len(examples[cat]) < args.show:
                examples[cat].append((p, e, o, m))
            continue
        fs = features(p, e)
        if fs:
            cat = "/".join(sorted(fs))
            categories[cat] += 1
            if len(examples[cat]) < args.show:
                examples[cat].append((p, e, o, m))
        else:
            unexplained.append((p, e, o, m))

    print(f"[moto-differential] {len(cases)} generated cases (seed {args.seed}); "
          f"riposte outcomes {dict(outcome)}; agree with moto on {agree}; "
          f"{sum(categories.values())} explained disagreements; {len(unexplained)} unexplained")
    for cat, n in categories.most_common():
        print(f"  {n:5d}  {cat}")
        for p, e, o, m in examples[cat][:1]:
            print(f"         e.g. pattern={json.dumps(p)} event={json.dumps(e)} riposte={o} moto={m}")
    for p, e, o, m in unexplained[:20]:
        print(f"UNEXPLAINED pattern={json.dumps(p)} event={json.dumps(e)} riposte={o} moto={m}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
