"""A plain-text summary of marts.fct_slo_status for the demo and the CLI.

One line per SLO, model and slice that paged or opened a ticket at some point
(how many hours, when the first page fired, the worst short-window burn, the
state and budget left at its latest evaluation hour), then one line per SLO
with its overall state, so a healthy SLO is visible too.
"""
from __future__ import annotations

STATUS_TABLE = "marts.fct_slo_status"


def _burn_column(columns: list[str]) -> str | None:
    """The shortest burn-rate window present (burn_rate_1h by default)."""
    windows = sorted((int(name[len("burn_rate_"):-1]), name) for name in columns
                     if name.startswith("burn_rate_") and name.endswith("h") and name[len("burn_rate_"):-1].isdigit())
    return windows[0][1] if windows else None


def _percent(value) -> str:
    if value is None or value != value:
        return "-"
    return f"{round(100 * value) or 0}%"    # `or 0` turns -0 into 0


def summarize_slos(con, limit: int = 15) -> str:
    """Summarise SLO burn and alert states from an open DuckDB connection."""
    try:
        columns = [row[0] for row in con.execute(f"describe {STATUS_TABLE}").fetchall()]
    except Exception:  # noqa: BLE001 - any catalog error means the table is not built yet
        return f"{STATUS_TABLE} does not exist yet: run dbt build."
    burn = _burn_column(columns)
    burn_sql = f"max({burn})" if burn else "null"
    per_slice = con.execute(f"""
        select
            slo_name, sli, model_name, slice_name, slice_value,
            count(*) filter (where alert_state = 'page') as page_hours,
            count(*) filter (where alert_state = 'ticket') as ticket_hours,
            min(hour) filter (where alert_state = 'page') as first_page,
            min(hour) filter (where alert_state = 'ticket') as first_ticket,
            {burn_sql} as worst_burn,
            max(hour) as latest_hour,
            arg_max(alert_state, hour) as state_now,
            arg_max(error_budget_left_ratio, hour) as budget_left_now
        from {STATUS_TABLE}
        group by all
    """).df()
    if per_slice.empty:
        return "No SLO has been evaluated yet (no events, or no matured labels for label-based SLOs)."

    lines = []
    alerting = per_slice[(per_slice["page_hours"] > 0) | (per_slice["ticket_hours"] > 0)].sort_values(
        ["page_hours", "ticket_hours"], ascending=False)
    burn_label = burn.replace("burn_rate_", "") if burn else ""
    if alerting.empty:
        lines.append("No SLO paged or opened a ticket.")
    else:
        lines.append(f"SLOs that burned their error budget (hours in page / ticket state; worst {burn_label} burn rate):")
        for row in alerting.head(limit).itertuples():
            where = "all" if row.slice_name == "all" else f"{row.slice_name}={row.slice_value}"
            first = row.first_page if row.page_hours else row.first_ticket
            lines.append(
                f"  {row.slo_name:<18} {row.model_name} {where:<20} "
                f"page {row.page_hours:>4} h, ticket {row.ticket_hours:>4} h, "
                f"first {'page' if row.page_hours else 'ticket'} {first:%Y-%m-%d %H:00}, "
                f"worst burn {row.worst_burn:.1f}x; now {row.state_now} "
                f"(budget left {_percent(row.budget_left_now)})")
        if len(alerting) > limit:
            lines.append(f"  ... and {len(alerting) - limit} more")

    lines.append("Every SLO at its latest evaluation hour (label-based SLOs stop at the newest matured hour):")
    overall = per_slice.sort_values("slice_name").groupby(["slo_name", "model_name"], sort=True)
    for (slo_name, model_name), rows in overall:
        row = rows[rows["slice_name"] == "all"].iloc[0] if (rows["slice_name"] == "all").any() else rows.iloc[0]
        where = "all" if row.slice_name == "all" else f"{row.slice_name}={row.slice_value}"
        states = rows["state_now"].value_counts()
        lines.append(
            f"  {slo_name:<18} {model_name} {row.sli:<17} latest {row.latest_hour:%Y-%m-%d %H:00}: "
            f"{where} {row.state_now} (budget left {_percent(row.budget_left_now)}); "
            f"slices now: " + ", ".join(f"{count} {state}" for state, count in states.items()))
    return "\n".join(lines)
