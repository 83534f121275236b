"""Outbound campaigns, deferrable work and chat in the outputs: the terminal lines and the report's sections, from
the summary's rows of level ``campaign``, ``work`` and ``chat`` (``sim.analysis.campaign_kpis``, ``work_kpis``,
``chat_kpis``)."""

from __future__ import annotations

import math
from typing import Any

from sim.analysis.stats import Estimate

LEVELS = ("campaign", "work", "chat")
"""Summary row levels of the work beside inbound calls (shown in their own tables, not the call KPI table)."""
CAMPAIGN_COLUMNS = (
    ("attempts", "Attempts", "count"), ("live_answers", "Live answers", "count"),
    ("right_party", "Right party", "count"), ("right_party_rate", "Right party / attempt", "pct"),
    ("silent_rate", "Silent / live", "pct"), ("days_over_limit", "Days over limit", "num"),
    ("sales", "Sales", "count"), ("conversion", "Conversion", "pct"), ("revenue", "Revenue", "money"),
    ("agent_hours", "Agent hours", "num"), ("right_party_per_agent_hour", "RPC / agent hour", "num"),
    ("sales_per_agent_hour", "Sales / agent hour", "num"), ("list_penetration", "List penetration", "pct"),
    ("list_completion", "List completion", "pct"), ("labour_cost", "Labour cost", "money"),
    ("cost_per_contact", "Cost / RPC", "money"), ("cost_per_sale", "Cost / sale", "money"),
    ("margin", "Revenue - labour", "money"),
)
"""(KPI, title, kind) of the campaign table, in order (docs/domain.md, Outbound campaigns)."""
WORK_COLUMNS = (
    ("arrived", "Arrived", "count"), ("answered", "Answered", "count"), ("open_at_end", "Open at the end", "count"),
    ("response_sl", "Answered in time", "pct"), ("mean_age_h", "Mean age at answer (h)", "num"),
    ("age_p90_h", "P90 age at answer (h)", "num"), ("mean_backlog", "Mean backlog", "num"),
    ("handle_time", "Handle time (s)", "num"), ("agent_hours", "Agent hours", "num"),
    ("items_per_agent_hour", "Items / agent hour", "num"), ("labour_cost", "Labour cost", "money"),
    ("cost_per_item", "Cost / item", "money"),
)
"""(KPI, title, kind) of the work table, in order (docs/domain.md, Deferrable work)."""
CHAT_COLUMNS = (
    ("offered", "Offered", "count"), ("answered", "Answered", "count"), ("service_level", "Service level", "pct"),
    ("abandon_rate", "Left the queue", "pct"), ("asa", "ASA (s)", "num"), ("aht", "Handle time (s)", "num"),
    ("concurrency", "Chats per busy agent", "num"), ("agent_hours", "Agent hours", "num"),
    ("chats_per_agent_hour", "Chats / agent hour", "num"), ("labour_cost", "Labour cost", "money"),
    ("cost_per_chat", "Cost / chat", "money"),
)
"""(KPI, title, kind) of the chat table, in order (docs/domain.md, Chat)."""
COLUMNS = {"campaign": CAMPAIGN_COLUMNS, "work": WORK_COLUMNS, "chat": CHAT_COLUMNS}


def _text(mean: float, half: float, kind: str) -> str:
    if math.isnan(mean):
        return "-"
    scale, digits = (100.0, 1) if kind == "pct" else (1.0, {"count": 0, "money": 2}.get(kind, 1))
    text = f"{mean * scale:,.{digits}f}"
    if kind != "count" and not math.isnan(half):
        text += f" ±{half * scale:.{digits}f}"
    return text + (" %" if kind == "pct" else "")


def terminal_lines(rows: list[tuple[str, str, dict[str, Estimate]]], currency: str, period: str) -> str:
    """One line per campaign and work type (``rows``: (level, name, KPIs)); '' without them."""
    out = []
    for level, name, k in rows:
        def t(key: str, kind: str, k: dict[str, Estimate] = k) -> str:
            e = k.get(key)
            return "-" if e is None else _text(float(e.mean), float(e.half_width), kind)

        if level == "chat":
            out.append(f"\nchat {name} ({period}): {t('offered', 'count')} chats, service level "
                       f"{t('service_level', 'pct')}, {t('abandon_rate', 'pct')} left the queue, ASA {t('asa', 'num')} "
                       f"s, {t('concurrency', 'num')} chats per busy agent, {t('chats_per_agent_hour', 'num')} per "
                       f"agent hour, {t('cost_per_chat', 'money')} {currency} labour per chat")
            continue
        if level == "work":
            out.append(f"\nwork {name} ({period}): {t('arrived', 'count')} arrived, {t('answered', 'count')} "
                       f"answered, {t('response_sl', 'pct')} in time, mean age at answer {t('mean_age_h', 'num')} h "
                       f"(P90 {t('age_p90_h', 'num')} h), mean backlog {t('mean_backlog', 'num')}, "
                       f"{t('cost_per_item', 'money')} {currency} labour per item")
            continue
        line = (f"\ncampaign {name} ({period}): {t('attempts', 'count')} attempts, {t('right_party', 'count')} "
                f"right-party contacts ({t('right_party_rate', 'pct')} of attempts, "
                f"{t('right_party_per_agent_hour', 'num')} per agent hour), silent calls {t('silent_rate', 'pct')} "
                f"of live answers")
        if "days_over_limit" in k:
            line += f" ({t('days_over_limit', 'num')} days over the limit)"
        line += f"; list penetration {t('list_penetration', 'pct')}"
        if float(k["sales"].mean) > 0 or float(k["revenue"].mean) > 0:
            line += (f"; {t('sales', 'count')} sales ({t('conversion', 'pct')} of contacts), revenue "
                     f"{t('revenue', 'money')} {currency}, {t('cost_per_sale', 'money')} {currency} labour per sale")
        out.append(line)
    return "".join(out)


def section_rows(rows: list[dict[str, Any]], level: str) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the report's table of ``level`` (campaign, work or chat) from summary.json rows: one row
    per KPI, one column per campaign, work type or chat type (KPIs none has are left out)."""
    header = ["KPI", *[r["name"] for r in rows]]
    cells = []
    for key, title, kind in COLUMNS[level]:
        values = [r["kpis"].get(key) for r in rows]
        if all(v is None for v in values):
            continue
        cells.append([title, *["" if v is None or v.get("mean") is None
                               else _text(v["mean"], math.nan if v.get("ci") is None else v["ci"], kind)
                               for v in values]])
    return header, cells
