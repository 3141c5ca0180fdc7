"""The scaling-law study's numbers set against the published laws, in words computed from them.

`comparison_text` compares the fitted exponent with Kaplan et al. (2020, L(N) = (N_c / N)^0.076
for converged models) and Hoffmann et al. (2022, L = E + A / N^0.34 + B / D^0.28) and says why a
small CPU run differs; `isoflop_text` reads the IsoFLOP optima against Chinchilla's 20 tokens
per parameter. Both take the summary of `report.summarize` and return paragraphs.
"""

from __future__ import annotations

KAPLAN_ALPHA_N = 0.076  # Kaplan et al. 2020: L(N) = (N_c / N)^0.076, converged, no floor
HOFFMANN = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}  # Chinchilla eq. 10
CHINCHILLA_TOKENS_PER_PARAM = 20
CHARS_PER_BPE_TOKEN = 4  # about, for English text and code with a GPT-2-style vocabulary


def comparison_text(summary: dict) -> list[str]:
    """Paragraphs comparing the fitted exponent with the published ones, from the numbers."""
    fit, rows = summary["fit"], summary["sizes"]
    lo, hi = fit["interval"]["alpha"]
    ratios = [r["tokens_per_param"] for r in rows]
    pure = fit["pure_power_law"]["alpha"]
    optimal_chars = CHINCHILLA_TOKENS_PER_PARAM * CHARS_PER_BPE_TOKEN
    undertrained = [r["size"] for r in rows if r["tokens_per_param"] < optimal_chars]
    reducible = [fit["a"] * r["n_params"] ** -fit["alpha"] for r in rows]
    if fit["c"] == 0.0:
        floor = (
            f"c sits at its bound 0 (in {fit['c_at_zero']:.0%} of the resamples): "
            "over this range the losses fall along a straight line in log L against log N "
            "with no sign of a floor, so the law reduces to a pure power law and alpha is its "
            "slope. The interval is then conditional on c = 0; a law whose floor is unknown "
            "would leave alpha far less certain."
        )
    else:
        correlation = fit["alpha_c_correlation"]
        floor = (
            f"with c = {fit['c']:.3f}, the reducible part a N^-alpha falls from "
            f"{reducible[0]:.3f} to {reducible[-1]:.3f} nats across the family and alpha "
            "describes that part alone, while a law without a floor must flatten its slope "
            "to pass through points that approach c. Three parameters from "
            f"{len(rows)} points trade off"
            + (
                ""
                if correlation is None
                else f" (bootstrap correlation of alpha and c: {correlation:.2f})"
            )
            + "."
        )
    at_bound = (
        f" In {fit['alpha_at_bound']:.0%} of the resamples alpha ran to an end of the range "
        "searched: these points do not pin it down."
        if fit["alpha_at_bound"] > 0
        else ""
    )
    return [
        f"The fit gives alpha = {fit['alpha']:.3f} ({fit['level']:.0%} interval {lo:.3f} to "
        f"{hi:.3f}) with c = {fit['c']:.3f} nats.{at_bound} Kaplan et al. (2020) report "
        f"alpha_N = {KAPLAN_ALPHA_N} for L(N) = (N_c / N)^alpha_N, a law with no floor, for "
        f"models trained to convergence; the same form through our points (a straight line "
        f"in log-log) has slope {pure:.3f}, {pure / KAPLAN_ALPHA_N:.2f} times theirs. "
        f"Hoffmann et al. (2022) fit L = E + A / N^{HOFFMANN['alpha']} + B / "
        f"D^{HOFFMANN['beta']}; at a fixed D the data term is a constant that joins the "
        f"floor, so their {HOFFMANN['alpha']} is what our alpha would estimate if every "
        f"model reached the loss its size allows; ours is {fit['alpha'] / HOFFMANN['alpha']:.2f} "
        "times theirs.",
        f"Why a small CPU run differs. (1) A fixed, small token budget: every size saw "
        f"{rows[0]['tokens']:,} characters, {min(ratios):.1f} to {max(ratios):.0f} per "
        f"parameter, against Chinchilla's compute-optimal {CHINCHILLA_TOKENS_PER_PARAM} BPE "
        f"tokens (about {optimal_chars} characters); "
        f"{', '.join(undertrained) or 'none'} {'is' if len(undertrained) == 1 else 'are'} "
        "below that ratio. An undertrained model lands above the loss its size allows, the "
        "larger the model the further (its D / N is smallest), which flattens the curve at "
        "large N and lowers alpha against converged models. (2) Character level: the loss "
        "is in nats per character over a vocabulary of a few hundred symbols, not nats per "
        "BPE token of web text; the exponent belongs to the data as well as to the model. "
        f"(3) A tiny range: N spans {summary['n_span']:.0f}x here, about seven orders of "
        "magnitude in Kaplan et al. and three in Hoffmann et al.; over a short range a "
        "curve and its floor are hard to tell apart. (4) The floor: " + floor + " (5) At "
        "these sizes the embedding (left out of N) and the attention scores are a large "
        "share of the compute, which C = 6 N D ignores.",
        "The interval is a paired bootstrap over the validation windows: it measures how "
        "much the fit would move on other held-out text of the same kind, not how much it "
        "would move with another training seed or learning-rate rule.",
    ]


def isoflop_text(summary: dict) -> list[str]:
    iso = summary["isoflop"]
    if not iso["budgets"]:
        return ["No IsoFLOP runs (isoflop_sizes = 0)."]
    parts = []
    for budget in iso["budgets"]:
        if budget["n_opt"] is None:
            parts.append(
                f"At C = {budget['budget']:.3g} the losses do not bend upward across the sizes "
                "tried (the parabola opens downward): no optimum within reach."
            )
            continue
        if not budget["inside"]:
            runs = budget["runs"]
            end = "smallest" if budget["n_opt"] < runs[0]["n_params"] else "largest"
            parts.append(
                f"At C = {budget['budget']:.3g} FLOPs the loss still falls toward the {end} "
                f"size tried, so the best size lies beyond it (the parabola's vertex, an "
                f"extrapolation, is at N ≈ {budget['n_opt']:,.0f})."
            )
            continue
        parts.append(
            f"At C = {budget['budget']:.3g} FLOPs the best size is N* ≈ {budget['n_opt']:,.0f}, "
            f"trained on D* = C / (6 N*) ≈ {budget['d_opt']:,.0f} characters: "
            f"{budget['tokens_per_param_opt']:.0f} per parameter (Chinchilla: about "
            f"{CHINCHILLA_TOKENS_PER_PARAM} BPE tokens per parameter, about "
            f"{CHINCHILLA_TOKENS_PER_PARAM * CHARS_PER_BPE_TOKEN} characters)."
        )
    ratios = [b["tokens_per_param_opt"] for b in iso["budgets"] if b["inside"]]
    if ratios and min(ratios) > 2 * CHINCHILLA_TOKENS_PER_PARAM * CHARS_PER_BPE_TOKEN:
        parts.append(
            "That is far more data per parameter than Chinchilla's optimum. After a few "
            "hundred to a few thousand steps these models are still on the steep early part "
            "of their learning curves, where another step is worth more than more width; "
            "Chinchilla's ratio comes from models trained on billions of tokens."
        )
    epochs = max(run["epochs"] for budget in iso["budgets"] for run in budget["runs"])
    if epochs > 1:
        parts.append(
            f"The longest runs pass over the training text up to {epochs:.1f} times (the "
            "epochs column): repeated text is worth somewhat less than fresh text (Muennighoff "
            "et al. 2023 find up to about 4 epochs nearly as good), which the papers' single "
            "pass over far larger corpora never meets."
        )
    exponent = iso["allocation_exponent"]
    if exponent is not None:
        parts.append(
            "Across the budgets whose optimum lies inside the sizes tried, N* grows as "
            f"C^{exponent:.2f} (Hoffmann et al.: C^0.50, tokens and parameters in equal "
            "proportion; Kaplan et al.: C^0.73). A few budgets of a few sizes each make this "
            "a rough estimate."
        )
    return parts
