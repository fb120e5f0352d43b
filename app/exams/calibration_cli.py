"""`flask bank calibrate`, `flask bank enemies`, `flask bank assemble-forms`, `flask bank
equate` and `flask bank forms`: calibrate a bank, mark enemy items, assemble an exam's parallel
forms, equate its scores to the reference form and report how far the forms differ
(docs/psychometrics.md)."""

from __future__ import annotations

import click
from sqlalchemy import select

from ..common.errors import DomainError
from ..extensions import db
from . import calibration, equating, parallel_forms
from .calibration_models import CalibrationRun
from .models import Exam


def _fail(err: DomainError):
    click.echo(f"error: {err.message}")
    raise SystemExit(1) from None


def _exam(code: str) -> Exam:
    exam = db.session.scalar(select(Exam).where(Exam.code == code))
    if exam is None:
        click.echo(f"error: there is no exam {code}")
        raise SystemExit(1)
    return exam


def _echo_report(exam: Exam) -> None:
    report = parallel_forms.form_report(exam)
    if report is None:
        click.echo(
            f"Exam {exam.code} has no assembled forms: forms are drawn at random from the author's bands."
        )
        return
    click.echo("theta    " + "  ".join(f"{t:>6.2f}" for t in report.thetas))
    for number, curve in enumerate(report.expected, start=1):
        click.echo(f"form {number:<3} " + "  ".join(f"{v:>6.2f}" for v in curve))
    click.echo("spread   " + "  ".join(f"{v:>6.2f}" for v in report.differences))
    verdict = "parallel" if report.parallel else "NOT parallel"
    click.echo(
        f"Largest difference {report.largest_difference:.2f} points, "
        f"tolerance {report.tolerance:.2f}: {verdict}."
    )


def register(group: click.Group) -> None:
    @group.command("calibrate")
    @click.argument("bank")
    @click.option(
        "--model", type=click.Choice(calibration.MODELS), help="Default: 2pl with enough data, else rasch."
    )
    @click.option("--seed", type=int, help="Default: a random seed (stored with the run).")
    @click.option("--reason", default="", help="Written to the audit log with the run.")
    @click.option(
        "--reproduce", "run_id", type=int, help="Fit stored run RUN_ID again and compare; stores nothing."
    )
    def calibrate_command(bank, model, seed, reason, run_id):
        """Calibrate BANK's items (IRT, Rasch or 2PL) on every submitted test and store the run."""
        if run_id is not None:
            run = db.session.get(CalibrationRun, run_id)
            if run is None or run.bank != bank:
                click.echo(f"error: bank {bank} has no calibration run {run_id}")
                raise SystemExit(1)
            again = calibration.reproduce(run)
            if again.reproduced:
                click.echo(f"Run {run.id} reproduced: same data ({run.snapshot_hash[:12]}), same parameters.")
                return
            click.echo(
                f"Run {run.id} NOT reproduced: same data {again.same_data}, same library "
                f"{again.same_library}, largest parameter difference {again.largest_difference:.6f}."
            )
            raise SystemExit(1)
        try:
            run = calibration.calibrate_bank(bank, None, model=model, seed=seed, reason=reason)
        except DomainError as err:
            _fail(err)
        calibrated = sum(1 for r in run.items if r.status == calibration.CALIBRATED)
        click.echo(
            f"Calibrated bank {bank}: run {run.id}, {run.model}, {run.library} {run.library_version}, "
            f"seed {run.seed}, snapshot {run.snapshot_hash[:12]}"
        )
        click.echo(
            f"  {run.responses} responses of {run.candidates} candidates; {calibrated} calibrated, "
            f"{len(run.items) - calibrated} with too few responses "
            f"(under {run.min_responses}: author's band kept)"
        )
        if not run.converged:
            click.echo("  warning: the estimation did not converge; treat these parameters with care")

    @group.command("enemies")
    @click.argument("bank")
    @click.argument("code_a")
    @click.argument("code_b")
    @click.option("--remove", is_flag=True, help="Unmark the pair.")
    @click.option("--reason", default="", help="Written to the audit log.")
    def enemies_command(bank, code_a, code_b, remove, reason):
        """Mark items CODE_A and CODE_B of BANK as enemies: never on the same form."""
        try:
            parallel_forms.set_enemies(bank, code_a, code_b, remove=remove, reason=reason)
        except DomainError as err:
            _fail(err)
        pairs = parallel_forms.enemies_of(bank)
        click.echo(f"Bank {bank} has {len(pairs)} enemy pair{'s' if len(pairs) != 1 else ''}.")

    @group.command("assemble-forms")
    @click.argument("exam_code")
    @click.option("--forms", "n_forms", type=int, default=4, show_default=True, help="How many forms.")
    @click.option(
        "--exposure", type=float, help="Largest share of the forms an item may be on (default: config)."
    )
    @click.option("--reason", default="", help="Written to the audit log.")
    def assemble_command(exam_code, n_forms, exposure, reason):
        """Assemble EXAM_CODE's parallel forms from its bank's latest calibration."""
        exam = _exam(exam_code)
        try:
            form_set = parallel_forms.assemble_exam_forms(
                exam, None, n_forms, reason=reason, max_exposure=exposure
            )
        except DomainError as err:
            _fail(err)
        click.echo(
            f"Assembled {len(form_set.forms)} forms for {exam.code} with {form_set.solver} "
            f"{form_set.solver_version} in {form_set.seconds:.1f} s (calibration run {form_set.run_id})."
        )
        _echo_report(exam)

    @group.command("equate")
    @click.argument("exam_code")
    @click.option("--reason", default="", help="Written to the audit log.")
    def equate_command(exam_code, reason):
        """Equate EXAM_CODE's submitted scores to its reference form (IRT true-score equating)."""
        exam = _exam(exam_code)
        try:
            result = equating.equate_exam_scores(exam, None, reason=reason)
        except DomainError as err:
            _fail(err)
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(result.skipped.items())) or "none"
        click.echo(
            f"Equated {result.equated} scores of {exam.code} to form 1 of form set {result.form_set.id} "
            f"with calibration run {result.run.id}; not equated: {skipped}."
        )

    @group.command("forms")
    @click.argument("exam_code")
    def forms_command(exam_code):
        """How far EXAM_CODE's forms differ: expected scores at each ability point."""
        _echo_report(_exam(exam_code))
