"""Recompute the retention figures now (the worker does it nightly): ``manage.py insight_refresh``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from membership.insight.refresh import RefreshBusy, insight_refresh


class Command(BaseCommand):
    help = (
        "Recompute every retention figure (repeat rate, churn, cohorts, the CLV model, the at-risk "
        "list) from the orders and store them as a new run; the admin's retention pages read it."
    )

    def handle(self, *args, **options):
        try:
            run = insight_refresh(progress=self._progress)
        except RefreshBusy as exc:
            raise CommandError(str(exc)) from exc
        figures = list(run.currencies.order_by("-purchases", "currency"))
        if not figures:
            self.stdout.write(self.style.WARNING("No purchases yet: nothing to report."))
        for insight in figures:
            model = insight.model or {}
            self.stdout.write(
                self.style.SUCCESS(
                    f"{insight.currency}: {insight.customers} customers, {insight.purchases} purchases; "
                    f"model {model.get('state', '-')}"
                )
            )
            if model.get("state") != "fitted" and model.get("message"):
                self.stdout.write(f"  {model['message']}")
        elapsed = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
        self.stdout.write(f"Retention figures as of {run.as_of:%Y-%m-%d %H:%M} stored in {elapsed:.1f} s.")

    def _progress(self, step: str, done: int, total: int) -> None:
        # As import_orders does: a bar redrawn in place on a terminal, a line per step in a log.
        tty = self.stderr.isatty()
        width = 30
        filled = int(width * done / max(total, 1))
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {step}"
        if tty:
            # Pad over a longer previous step name.
            self.stderr.write("\r" + line.ljust(72), ending="" if done < total else "\n")
        else:
            self.stderr.write(line)
        self.stderr.flush()
