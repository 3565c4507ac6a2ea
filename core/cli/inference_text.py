"""The text `infer --evaluate` prints: relation types per type with their margins, parent proposals by
confidence, the default threshold and what each candidate source contributed."""

from __future__ import annotations


def _f(x) -> str:
    return "—" if x is None else f"{x:.3f}"


def _ci(ci) -> str:
    return f"[{ci[0]:.3f}-{ci[1]:.3f}]" if ci else "[—]"


def relation_lines(rel: dict) -> list[str]:
    """Relation typing: accuracy and per type precision/recall with 95% bootstrap intervals, or why not."""
    if not rel["evaluated"]:
        return [
            f"relation types: not evaluated: {rel['reason']}; typed edges: "
            + ", ".join(f"{k} {v:,}" for k, v in rel["documented_types"].items())
        ]
    lines = [
        f"relation types of {rel['hidden']:,} hidden edges: accuracy {_f(rel['accuracy'])} "
        f"{_ci(rel.get('accuracy_95'))} (majority '{rel['majority']}' {_f(rel['majority_accuracy'])})"
    ]
    lines += [
        f"  {k:<10} precision {_f(v['precision'])} {_ci(v.get('precision_95'))}  recall {_f(v['recall'])} "
        f"{_ci(v.get('recall_95'))}  support {v['support']:,}"
        for k, v in rel["per_type"].items()
    ]
    return lines


def parent_lines(p: dict) -> list[str]:
    """Parent proposals on held-back children: by confidence bucket, at the default threshold, by source."""
    lines = [
        f"parents of {p['hidden_children']:,} models with hidden edges (split {p.get('split', 'random')}): "
        f"{p['proposed']:,} proposed, precision {_f(p['precision'])}, recall {_f(p['recall'])}",
        f"  {'confidence':<11}{'proposed':>9}{'precision':>10}   at or above: "
        f"{'proposed':>9}{'precision':>10}{'recall':>8}",
    ]
    lines += [
        f"  {b['confidence']:<11}{b['proposed']:>9,}{_f(b['precision']):>10}   {'':12}"
        f"{b['proposed_at_or_above']:>9,}{_f(b['precision_at_or_above']):>10}"
        f"{_f(b['recall_at_or_above']):>8}"
        for b in p["by_confidence"]
    ]
    at = p["at_threshold"]
    lines.append(
        f"default threshold (precision >= {p['target_precision']:.2f}): "
        + (
            f"{p['threshold']:.1f}: precision {_f(at['precision'])}, recall {_f(at['recall'])}"
            if at
            else "none reaches it: `infer` proposes no parents on this atlas"
        )
    )
    if p.get("calibration_error") is not None:
        lines.append(
            f"calibration error (confidence vs share right, by bucket): {p['calibration_error']:.3f}"
        )
    by = p.get("calibration_by_source") or {}
    if by:
        lines.append(
            "at the threshold, by source (a proposal may have several): "
            + ", ".join(f"{s} {v['proposed']:,} (precision {_f(v['precision'])})" for s, v in by.items())
        )
    return lines


def inference_lines(r: dict) -> list[str]:
    """Every line of `infer --evaluate`."""
    return relation_lines(r["relation"]) + (parent_lines(r["parents"]) if "parents" in r else [])
