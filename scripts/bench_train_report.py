"""scripts/bench_train.py --scaling's output: images/s and GFLOP/s per resolution, and a PNG
plot of GFLOP/s against resolution next to the measured matmul and convolution peaks.

The plot is drawn with Pillow (kgan-runtime's dependency), so the benchmark needs no plotting
library.

Example:
    >>> scaling_table([], {}, {"fp32": 100.0})  # doctest: +ELLIPSIS
    '| image | ...'
"""

from __future__ import annotations

import json

from bench_train_models import MODELS, flops_per_image

_COLOURS = {
    ("kgan", "fp32"): (31, 119, 180),
    ("kgan", "bf16"): (23, 190, 207),
    ("torch", "fp32"): (214, 39, 40),
    ("torch", "bf16"): (255, 127, 14),
    ("torch_compile", "fp32"): (148, 103, 189),
    ("torch_compile", "bf16"): (227, 119, 194),
}


def _best(samples: dict, case: dict) -> float | None:
    values = samples.get(json.dumps(case, sort_keys=True))
    return max(values) if values else None


def _series(cases: list[dict], samples: dict) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """(framework, precision) -> [(model, GFLOP/s)] in resolution order."""
    series: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for case in cases:
        rate = _best(samples, case)
        if rate is not None:
            gflops = flops_per_image(case["model"], case["variant"]) * rate / 1e9
            series.setdefault((case["framework"], case["precision"]), []).append(
                (case["model"], gflops)
            )
    order = list(MODELS)
    return {k: sorted(v, key=lambda p: order.index(p[0])) for k, v in series.items()}


def _label(model: str) -> str:
    h, w, c = MODELS[model]["image"]
    return f"{h}x{w}x{c}"


def scaling_table(cases: list[dict], samples: dict, peak: dict) -> str:
    """Markdown: one row per resolution and column pair (img/s, GFLOP/s) per framework."""
    columns = sorted({(c["framework"], c["precision"]) for c in cases})
    models = [m for m in MODELS if any(c["model"] == m for c in cases)]
    lines = [
        "| image | GFLOP/img/step | "
        + " | ".join(f"{f} {p} img/s (GFLOP/s, % of peak)" for f, p in columns)
        + " |",
        "|---|---:|" + "---:|" * len(columns),
    ]
    for model in models:
        cells = []
        for framework, precision in columns:
            case = {"model": model, "variant": "fresh", "precision": precision}
            rate = _best(samples, dict(case, framework=framework))
            if rate is None:
                cells.append("-")
                continue
            gflops = flops_per_image(model, "fresh") * rate / 1e9
            of_peak = gflops / peak[precision] * 100 if peak.get(precision) else 0.0
            cells.append(f"{rate:.0f} ({gflops:.0f}, {of_peak:.0f}%)")
        per_image = flops_per_image(model, "fresh") / 1e9
        lines.append(f"| {_label(model)} | {per_image:.2f} | " + " | ".join(cells) + " |")
    peaks = ", ".join(f"{k} {v:.0f}" for k, v in sorted(peak.items()))
    lines.append(f"\nmeasured peaks (GFLOP/s; matmul unless 'conv'): {peaks}")
    return "\n".join(lines)


def scaling_plot(cases: list[dict], samples: dict, peak: dict, path: str) -> None:
    """Writes a PNG: GFLOP/s (y) per resolution (x) for each framework and precision, with
    dashed lines at the measured fp32/bf16 matmul and convolution peaks."""
    from PIL import Image, ImageDraw

    series = _series(cases, samples)
    models = [m for m in MODELS if any(c["model"] == m for c in cases)]
    width, height, left, right, top, bottom = 900, 560, 70, 250, 40, 60
    top_value = max([*peak.values(), *(g for s in series.values() for _, g in s), 1.0]) * 1.1
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(i: int, value: float) -> tuple[float, float]:
        x = left + plot_w * (i + 0.5) / max(len(models), 1)
        return x, top + plot_h * (1 - value / top_value)

    draw.rectangle([left, top, left + plot_w, top + plot_h], outline="black")
    for k in range(6):
        value = top_value * k / 5
        y = xy(0, value)[1]
        draw.line([left - 5, y, left, y], fill="black")
        draw.text((8, y - 6), f"{value:.0f}", fill="black")
    for i, model in enumerate(models):
        x = xy(i, 0)[0]
        draw.text((x - 25, top + plot_h + 10), _label(model), fill="black")
    draw.text((left, 12), "GAN training step, batch 128: achieved GFLOP/s", fill="black")
    draw.text((left + plot_w // 2 - 40, height - 24), "image size", fill="black")
    for n, (name, value) in enumerate(sorted(peak.items(), key=lambda item: item[1])):
        y = xy(0, value)[1]
        for x in range(left, left + plot_w, 12):
            draw.line([x, y, x + 6, y], fill=(120, 120, 120))
        # inside the frame, above its line, alternately left and right so that close peaks'
        # labels do not overlap (the legend has the right margin)
        x = left + 6 if n % 2 == 0 else left + plot_w - 140
        draw.text((x, y - 13), f"peak {name} {value:.0f}", fill=(90, 90, 90))
    legend_y = top + 10
    for n, ((framework, precision), points) in enumerate(sorted(series.items())):
        colour = _COLOURS.get((framework, precision), (0, 0, 0))
        coords = [xy(models.index(m), g) for m, g in points]
        if len(coords) > 1:
            draw.line(coords, fill=colour, width=3)
        for x, y in coords:
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
        y = legend_y + 18 * n
        draw.line([left + plot_w + 8, y + 6, left + plot_w + 28, y + 6], fill=colour, width=3)
        draw.text((left + plot_w + 34, y), f"{framework} {precision}", fill="black")
    image.save(path)


def from_json(paths: list[str], plot: str) -> str:
    """The scaling table and plot from the `--json` files of several bench_train.py runs
    (e.g. dcgan64 in one run, the smaller models in another); peaks: the best of the runs."""
    samples: dict[str, list[float]] = {}
    peak: dict[str, float] = {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for key, values in data["samples"].items():
            samples.setdefault(key, []).extend(values)
        for name, value in data["peak"].items():
            peak[name] = max(peak.get(name, 0.0), value)
    cases = [json.loads(key) for key in samples]
    cases = [c for c in cases if c["variant"] == "fresh" and c["model"] != "mlp"]
    scaling_plot(cases, samples, peak, plot)
    return scaling_table(cases, samples, peak)


if __name__ == "__main__":
    import sys

    # python scripts/bench_train_report.py PLOT.png RUN1.json [RUN2.json ...]
    print(from_json(sys.argv[2:], sys.argv[1]))
