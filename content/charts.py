"""Geometry and wording for the evidence range charts (server-rendered SVG, no JavaScript)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from content.models import EvidenceOutcome


def figure(value: Decimal) -> str:
    """70.00 -> "70", 12.50 -> "12.5"."""
    text = f"{value.normalize():f}"
    return text


def range_text(*, low: Decimal, high: Decimal, unit: str, approximate: bool) -> str:
    unit = unit.strip()
    suffix = unit if unit == "%" or not unit else f" {unit}"
    span = figure(low) if low == high else f"{figure(low)}–{figure(high)}"
    return f"{'~' if approximate else ''}{span}{suffix}"


def svg_number(value: float) -> str:
    """SVG coordinates without float noise: 70.0 -> "70", 71.5 -> "71.5"."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    css_class: str
    x: str
    width: str
    y: int


@dataclass(frozen=True)
class RangeChart:
    axis_max: Decimal
    ticks: list[tuple[str, str]]
    bars: list[Bar]
    title: str
    description: str
    height: int


BAR_HEIGHT = 10
ROW_HEIGHT = 16


def _axis_max(outcome: EvidenceOutcome) -> Decimal:
    # Percentages share one 0–100 axis so charts can be compared at a glance.
    if outcome.unit.strip() == "%":
        return Decimal(100)
    highest = max(outcome.treatment_high, outcome.control_high, Decimal(1))
    magnitude = Decimal(10) ** int(math.floor(math.log10(highest)))
    return (highest / magnitude).to_integral_value(rounding="ROUND_CEILING") * magnitude


def range_chart(outcome: EvidenceOutcome) -> RangeChart:
    """The chart of one outcome. Reads fields only (no model methods), so the migration that
    stores each section's HTML can draw it from its historical models too."""
    axis_max = _axis_max(outcome)
    unit = outcome.unit.strip()
    arms = [
        (outcome.treatment_label, outcome.treatment_low, outcome.treatment_high),
        (outcome.control_label, outcome.control_low, outcome.control_high),
    ]
    bars = []
    for index, (arm, (label, low, high)) in enumerate(
        zip(("treatment", "control"), arms, strict=True)
    ):
        x = float(low / axis_max * 100)
        # A single-value range still needs a visible mark.
        width = max(float((high - low) / axis_max * 100), 0.8)
        bars.append(
            Bar(
                label=f"{outcome.measure} ({label})",
                text=range_text(low=low, high=high, unit=unit, approximate=outcome.approximate),
                css_class=f"range-{arm}",
                x=svg_number(x),
                width=svg_number(width),
                y=3 + index * ROW_HEIGHT,
            )
        )
    ticks = []
    for step in range(5):
        value = axis_max * step / 4
        suffix = unit if unit == "%" else ""
        ticks.append((svg_number(step * 25.0), f"{figure(value)}{suffix}"))
    scale = f"0 to {figure(axis_max)}{unit if unit == '%' else ' ' + unit}"
    title = _("%(measure)s: %(treatment)s compared with %(control)s, on a scale of %(scale)s") % {
        "measure": outcome.measure,
        "treatment": outcome.treatment_label,
        "control": outcome.control_label,
        "scale": scale,
    }
    description = " ".join(f"{bar.label}: {bar.text}." for bar in bars)
    return RangeChart(
        axis_max=axis_max,
        ticks=ticks,
        bars=bars,
        title=title,
        description=description,
        height=ROW_HEIGHT * len(bars) + 2,
    )
